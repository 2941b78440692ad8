//! The commands' test harness: an in-memory store with an outbox that
//! keeps the store's contract (overlaps and versions refused), and
//! Employee as a directory that can be down (the adapters run the same
//! operations on the real stores and the real Employee function).

use std::collections::HashMap;
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
use crate::model::{Balance, Leave, LeaveQuery, NewLeave, Rejection, newest_first};
use crate::policy::Policy;
use crate::store::{LeaveStore, StoreError};

pub fn types(events: &[HrmsEvent]) -> Vec<EventType> {
    events.iter().map(HrmsEvent::event_type).collect()
}

#[derive(Default)]
pub struct Memory {
    leaves: Mutex<HashMap<Uuid, Leave>>,
    balances: Mutex<HashMap<(Uuid, String, i32), Balance>>,
    outbox: Mutex<Vec<HrmsEvent>>,
    /// The next balance write finds another one came first.
    stale_once: AtomicBool,
}

impl Memory {
    pub fn is_empty(&self) -> bool {
        self.leaves.lock().expect("lock").is_empty()
    }

    pub fn stale_balances_once(&self) {
        self.stale_once.store(true, Ordering::SeqCst);
    }

    fn write(
        &self,
        leave: &Leave,
        balance: Option<&Balance>,
        events: &[HrmsEvent],
    ) -> Result<(), StoreError> {
        let mut balances = self.balances.lock().expect("lock");
        if let Some(b) = balance {
            let key = (b.employee_id, b.leave_type.clone(), b.year);
            let stored = balances.get(&key).map_or(0, |s| s.version);
            if stored + 1 != b.version || self.stale_once.swap(false, Ordering::SeqCst) {
                // What another writer would have left.
                if let Some(s) = balances.get_mut(&key) {
                    s.version += 1;
                }
                return Err(StoreError::Conflict("the balance changed since it was read".into()));
            }
            balances.insert(key, b.clone());
        }
        self.leaves.lock().expect("lock").insert(leave.leave_id, leave.clone());
        self.outbox.lock().expect("lock").extend_from_slice(events);
        Ok(())
    }
}

impl LeaveStore for Memory {
    fn insert<'a>(
        &'a self,
        leave: &'a Leave,
        balance: Option<&'a Balance>,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let clash =
                self.leaves.lock().expect("lock").values().find(|l| l.overlaps(leave)).map(|l| l.leave_id);
            match clash {
                Some(id) => Err(StoreError::Overlap(id)),
                None => self.write(leave, balance, events),
            }
        })
    }

    fn get(&self, leave_id: Uuid) -> BoxFuture<'_, Result<Option<Leave>, StoreError>> {
        let found = self.leaves.lock().expect("lock").get(&leave_id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn update<'a>(
        &'a self,
        leave: &'a Leave,
        balance: Option<&'a Balance>,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let stored = self.leaves.lock().expect("lock").get(&leave.leave_id).map(|l| l.version);
            if stored.map(|v| v + 1) != Some(leave.version) {
                return Err(StoreError::Conflict("the request changed since it was read".into()));
            }
            self.write(leave, balance, events)
        })
    }

    fn list<'a>(&'a self, query: &'a LeaveQuery) -> BoxFuture<'a, Result<Vec<Leave>, StoreError>> {
        let mut found: Vec<Leave> =
            self.leaves.lock().expect("lock").values().filter(|l| query.matches(l)).cloned().collect();
        found.sort_by(newest_first);
        found.truncate(query.limit);
        Box::pin(async move { Ok(found) })
    }

    fn balances(&self, employee_id: Uuid, year: i32) -> BoxFuture<'_, Result<Vec<Balance>, StoreError>> {
        let found = self
            .balances
            .lock()
            .expect("lock")
            .values()
            .filter(|b| b.employee_id == employee_id && b.year == year)
            .cloned()
            .collect();
        Box::pin(async move { Ok(found) })
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
    pub store: Memory,
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
        Self { store: Memory::default(), employees, policy: Policy::default(), employee, hr }
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
        self.store.outbox.lock().expect("lock").clone()
    }

    pub fn employees_down(&self) {
        self.employees.down.store(true, Ordering::SeqCst);
    }

    pub fn employees_up(&self) {
        self.employees.down.store(false, Ordering::SeqCst);
    }

    /// Ends the employee's employment (as Employee would record it).
    pub fn terminate_employee(&self) {
        let mut records = self.employees.records.lock().expect("lock");
        if let Some(e) = records.get_mut(&self.employee.employee_id) {
            e.status = EmployeeStatus::Terminated;
        }
    }
}
