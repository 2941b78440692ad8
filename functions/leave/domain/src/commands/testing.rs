//! The commands' test harness: the in-memory store with its outbox (and a
//! balance another writer can move), and Employee as a directory that can
//! be down (the adapters run the same operations on the real stores and the
//! real Employee function).

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{NaiveDate, Utc};
use futures::future::BoxFuture;
use hrms_employee::{Employee, EmployeeChanges, EmployeeClient, EmployeeError, NewEmployee, Requester};
use hrms_events::employee::EmployeeStatus;
use hrms_events::{EventType, HrmsEvent, Role};
use uuid::Uuid;

use super::{Context, approve, reject, request};
use crate::fixtures::{employee, new_leave};
use crate::memory::MemoryLeaveStore;
use crate::model::{Balance, Leave, LeaveQuery, NewLeave, Rejection};
use crate::policy::Policy;
use crate::store::{LeaveStore, StoreError};

pub fn types(events: &[HrmsEvent]) -> Vec<EventType> {
    events.iter().map(HrmsEvent::event_type).collect()
}

/// The in-memory store, where another writer can move a balance: the next
/// balance write then finds it changed since it was read.
#[derive(Default)]
pub struct Contended {
    store: MemoryLeaveStore,
    stale_once: AtomicBool,
}

impl Contended {
    pub fn stale_balances_once(&self) {
        self.stale_once.store(true, Ordering::SeqCst);
    }

    /// The conflict of a write of `balances`, if another came first.
    fn stale(&self, balances: &[Balance]) -> Result<(), StoreError> {
        if !balances.is_empty() && self.stale_once.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Conflict("the balance changed since it was read".into()));
        }
        Ok(())
    }
}

impl Deref for Contended {
    type Target = MemoryLeaveStore;

    fn deref(&self) -> &MemoryLeaveStore {
        &self.store
    }
}

impl LeaveStore for Contended {
    fn insert<'a>(
        &'a self,
        leave: &'a Leave,
        balances: &'a [Balance],
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        match self.stale(balances) {
            Ok(()) => self.store.insert(leave, balances, events),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }

    fn get(&self, leave_id: Uuid) -> BoxFuture<'_, Result<Option<Leave>, StoreError>> {
        self.store.get(leave_id)
    }

    fn update<'a>(
        &'a self,
        leave: &'a Leave,
        balances: &'a [Balance],
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        match self.stale(balances) {
            Ok(()) => self.store.update(leave, balances, events),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }

    fn list<'a>(&'a self, query: &'a LeaveQuery) -> BoxFuture<'a, Result<Vec<Leave>, StoreError>> {
        self.store.list(query)
    }

    fn balances(&self, employee_id: Uuid, year: i32) -> BoxFuture<'_, Result<Vec<Balance>, StoreError>> {
        self.store.balances(employee_id, year)
    }
}

/// Employee's records as Employee answers them: to hr, the person and
/// their manager; or down.
#[derive(Default)]
pub struct Employees {
    records: Mutex<HashMap<Uuid, Employee>>,
    down: AtomicBool,
}

impl EmployeeClient for Employees {
    fn get<'a>(
        &'a self,
        id: Uuid,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        let answer = if self.down.load(Ordering::SeqCst) {
            Err(EmployeeError::Unavailable("connection refused".into()))
        } else {
            match self.records.lock().expect("lock").get(&id) {
                Some(e) if requester.is_hr() || requester.is(id) || requester.manages(e.manager_id) => {
                    Ok(e.clone())
                }
                _ => Err(EmployeeError::NotFound),
            }
        };
        Box::pin(async move { answer })
    }

    fn create<'a>(
        &'a self,
        _: &'a NewEmployee,
        _: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        unreachable!("Leave never creates employees")
    }

    fn update<'a>(
        &'a self,
        _: Uuid,
        _: &'a EmployeeChanges,
        _: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        unreachable!("Leave never changes employees")
    }
}

pub struct Harness {
    pub store: Contended,
    pub employees: Employees,
    pub policy: Policy,
    /// The employee most tests are about (in GB, with a manager).
    pub employee: Employee,
    pub hr: Requester,
}

impl Harness {
    pub fn new() -> Self {
        let employees = Employees::default();
        let employee = employee();
        employees.records.lock().expect("lock").insert(employee.employee_id, employee.clone());
        let hr = Requester { user_id: Uuid::now_v7(), role: Role::Hr, employee_id: None };
        Self { store: Contended::default(), employees, policy: Policy::default(), employee, hr }
    }

    /// Another active employee in `country`.
    pub fn add_employee(&self, country: &str) -> Employee {
        let e = Employee { country: country.into(), ..employee() };
        self.employees.records.lock().expect("lock").insert(e.employee_id, e.clone());
        e
    }

    /// The commands' context, today being the real date.
    pub fn ctx(&self) -> Context<'_> {
        self.on(Utc::now().date_naive())
    }

    /// The commands' context on `today`.
    pub fn on(&self, today: NaiveDate) -> Context<'_> {
        Context { store: &self.store, policy: &self.policy, employees: &self.employees, today }
    }

    /// The employee, signed in.
    pub fn employee_requester(&self) -> Requester {
        let user_id = self.employee.user_id.expect("an account");
        Requester { user_id, role: Role::Employee, employee_id: Some(self.employee.employee_id) }
    }

    /// Their manager, signed in.
    pub fn manager(&self) -> Requester {
        Requester { user_id: Uuid::now_v7(), role: Role::Manager, employee_id: self.employee.manager_id }
    }

    /// A request of the employee, by them.
    pub async fn request(&self, start: NaiveDate, end: NaiveDate) -> Leave {
        self.request_as(&self.employee_requester(), start, end).await
    }

    pub async fn request_type(&self, leave_type: &str, start: NaiveDate, end: NaiveDate) -> Leave {
        let new = NewLeave { leave_type: leave_type.into(), ..new_leave(None, start, end) };
        self.submit(new, &self.employee_requester()).await
    }

    /// A request of the employee, by `requester`.
    pub async fn request_as(&self, requester: &Requester, start: NaiveDate, end: NaiveDate) -> Leave {
        self.submit(new_leave(Some(self.employee.employee_id), start, end), requester).await
    }

    /// A request of `employee`, by hr.
    pub async fn request_for(&self, employee: &Employee, start: NaiveDate, end: NaiveDate) -> Leave {
        self.submit(new_leave(Some(employee.employee_id), start, end), &self.hr).await
    }

    async fn submit(&self, new: NewLeave, requester: &Requester) -> Leave {
        let done = request::handle(new, requester, &self.ctx()).await;
        done.expect("requested").leave
    }

    pub async fn approve(&self, leave_id: Uuid) {
        approve::handle(leave_id, &self.manager(), &self.ctx()).await.expect("approved");
    }

    pub async fn reject(&self, leave_id: Uuid) {
        let no = Rejection { reason: "busy".into() };
        reject::handle(leave_id, no, &self.manager(), &self.ctx()).await.expect("rejected");
    }

    /// What the employee `id` has taken of `leave_type` in `year`.
    pub async fn taken(&self, id: Uuid, leave_type: &str, year: i32) -> f64 {
        let stored = self.store.balances(id, year).await.expect("balances");
        stored.iter().find(|b| b.leave_type == leave_type).map_or(0.0, |b| b.taken)
    }

    pub fn outbox(&self) -> Vec<HrmsEvent> {
        self.store.events()
    }

    pub fn employees_down(&self) {
        self.employees.down.store(true, Ordering::SeqCst);
    }

    pub fn employees_up(&self) {
        self.employees.down.store(false, Ordering::SeqCst);
    }

    /// Changes the employee's record (as Employee would answer it).
    pub fn change_employee(&mut self, change: impl FnOnce(&mut Employee)) {
        let mut records = self.employees.records.lock().expect("lock");
        if let Some(e) = records.get_mut(&self.employee.employee_id) {
            change(e);
            self.employee = e.clone();
        }
    }

    /// Gives employee `id` another manager (as Employee would record it).
    pub fn set_manager(&self, id: Uuid, manager_id: Option<Uuid>) {
        if let Some(e) = self.employees.records.lock().expect("lock").get_mut(&id) {
            e.manager_id = manager_id;
        }
    }

    /// Ends the employment of employee `id` (as Employee would record it).
    pub fn terminate(&self, id: Uuid) {
        if let Some(e) = self.employees.records.lock().expect("lock").get_mut(&id) {
            e.status = EmployeeStatus::Terminated;
        }
    }

    /// Ends the employee's employment (as Employee would record it).
    pub fn terminate_employee(&self) {
        let mut records = self.employees.records.lock().expect("lock");
        if let Some(e) = records.get_mut(&self.employee.employee_id) {
            e.status = EmployeeStatus::Terminated;
        }
    }
}
