//! The commands' test harness: in-memory stores with outboxes, and the real
//! Compliance and Employee functions in-process over them, either of which
//! can be taken down.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use hrms_compliance::client::Local as LocalCompliance;
use hrms_compliance::{
    CallError, ComplianceClient, ComplianceStore, FindingsQuery, Policy, StoreError as CheckError, Subject,
    Verdict,
};
use hrms_employee::{
    Employee, EmployeeChanges, EmployeeClient, EmployeeError, EmployeeStore, Local as LocalEmployees,
    NewEmployee, Requester, StoreError as EmployeeStoreError,
};
use hrms_events::compliance::ComplianceCheck;
use hrms_events::{Actor, EventType, HrmsEvent, Role};
use uuid::Uuid;

use crate::model::User;
use crate::store::{StoreError, UserStore};

pub fn types(events: &[HrmsEvent]) -> Vec<EventType> {
    events.iter().map(HrmsEvent::event_type).collect()
}

/// Rows by id and the events written with them.
pub struct Table<T> {
    rows: Mutex<HashMap<Uuid, T>>,
    outbox: Mutex<Vec<HrmsEvent>>,
}

impl<T: Clone> Default for Table<T> {
    fn default() -> Self {
        Self { rows: Mutex::new(HashMap::new()), outbox: Mutex::new(Vec::new()) }
    }
}

impl<T: Clone> Table<T> {
    pub fn len(&self) -> usize {
        self.rows.lock().expect("lock").len()
    }
    pub fn outbox(&self) -> Vec<HrmsEvent> {
        self.outbox.lock().expect("lock").clone()
    }
    fn read(&self, id: Uuid) -> Option<T> {
        self.rows.lock().expect("lock").get(&id).cloned()
    }
    /// Writes `row` if `ok` holds for the current rows.
    fn write(&self, id: Uuid, row: &T, events: &[HrmsEvent], ok: impl Fn(&HashMap<Uuid, T>) -> bool) -> bool {
        let mut rows = self.rows.lock().expect("lock");
        if !ok(&rows) {
            return false;
        }
        rows.insert(id, row.clone());
        self.outbox.lock().expect("lock").extend_from_slice(events);
        true
    }
}

impl UserStore for Table<User> {
    fn insert<'a>(&'a self, u: &'a User, events: &'a [HrmsEvent]) -> BoxFuture<'a, Result<(), StoreError>> {
        let ok = self.write(u.user_id, u, events, |rows| {
            !rows.contains_key(&u.user_id) && !rows.values().any(|r| r.email.eq_ignore_ascii_case(&u.email))
        });
        Box::pin(async move { if ok { Ok(()) } else { Err(StoreError::Conflict("taken".into())) } })
    }
    fn get(&self, id: Uuid) -> BoxFuture<'_, Result<Option<User>, StoreError>> {
        let found = self.read(id);
        Box::pin(async move { Ok(found) })
    }
    fn find_email<'a>(&'a self, email: &'a str) -> BoxFuture<'a, Result<Option<Uuid>, StoreError>> {
        let rows = self.rows.lock().expect("lock");
        let found = rows.values().find(|r| r.email.eq_ignore_ascii_case(email)).map(|r| r.user_id);
        Box::pin(async move { Ok(found) })
    }
    fn update<'a>(&'a self, u: &'a User, events: &'a [HrmsEvent]) -> BoxFuture<'a, Result<(), StoreError>> {
        let ok = self.write(u.user_id, u, events, |rows| {
            rows.get(&u.user_id).is_some_and(|r| r.version + 1 == u.version)
        });
        Box::pin(async move { if ok { Ok(()) } else { Err(StoreError::Conflict("stale".into())) } })
    }
}

impl EmployeeStore for Table<Employee> {
    fn insert<'a>(
        &'a self,
        e: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), EmployeeStoreError>> {
        let ok = self.write(e.employee_id, e, events, |rows| {
            !rows.contains_key(&e.employee_id)
                && !rows.values().any(|r| r.email.eq_ignore_ascii_case(&e.email))
        });
        Box::pin(async move { if ok { Ok(()) } else { Err(EmployeeStoreError::Conflict("taken".into())) } })
    }
    fn get(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Employee>, EmployeeStoreError>> {
        let found = self.read(id);
        Box::pin(async move { Ok(found) })
    }
    fn update<'a>(
        &'a self,
        e: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), EmployeeStoreError>> {
        let ok = self.write(e.employee_id, e, events, |rows| {
            rows.get(&e.employee_id).is_some_and(|r| r.version + 1 == e.version)
        });
        Box::pin(async move { if ok { Ok(()) } else { Err(EmployeeStoreError::Conflict("stale".into())) } })
    }
}

#[derive(Default)]
pub struct Checks(Mutex<Vec<HrmsEvent>>);

impl ComplianceStore for Checks {
    fn record<'a>(
        &'a self,
        _: &'a ComplianceCheck,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), CheckError>> {
        self.0.lock().expect("lock").extend_from_slice(events);
        Box::pin(async { Ok(()) })
    }
    fn findings<'a>(
        &'a self,
        _: &'a FindingsQuery,
    ) -> BoxFuture<'a, Result<Vec<ComplianceCheck>, CheckError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// A callee that can be taken down.
pub struct Switch<C> {
    pub inner: C,
    pub down: AtomicBool,
}

fn down() -> CallError {
    CallError::Unavailable { service: "test", reason: "connection refused".into(), cause: None }
}

impl<C: ComplianceClient> ComplianceClient for Switch<C> {
    fn validate<'a>(&'a self, s: &'a Subject, a: &'a Actor) -> BoxFuture<'a, Result<Verdict, CallError>> {
        if self.down.load(Ordering::SeqCst) {
            return Box::pin(async { Err(down()) });
        }
        self.inner.validate(s, a)
    }
}

impl<C: EmployeeClient> EmployeeClient for Switch<C> {
    fn get<'a>(&'a self, id: Uuid, r: &'a Requester) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        if self.down.load(Ordering::SeqCst) {
            return Box::pin(async { Err(EmployeeError::Unavailable("down".into())) });
        }
        self.inner.get(id, r)
    }
    fn create<'a>(
        &'a self,
        n: &'a NewEmployee,
        r: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        if self.down.load(Ordering::SeqCst) {
            return Box::pin(async { Err(EmployeeError::Unavailable("down".into())) });
        }
        self.inner.create(n, r)
    }
    fn update<'a>(
        &'a self,
        id: Uuid,
        c: &'a EmployeeChanges,
        r: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        if self.down.load(Ordering::SeqCst) {
            return Box::pin(async { Err(EmployeeError::Unavailable("down".into())) });
        }
        self.inner.update(id, c, r)
    }
}

pub struct Harness {
    pub users: Table<User>,
    pub employees: Arc<Table<Employee>>,
    pub checks: Arc<Checks>,
    pub compliance: Arc<Switch<LocalCompliance>>,
    pub employee_service: Switch<LocalEmployees>,
    pub admin: Requester,
    pub hr: Requester,
}

impl Harness {
    pub fn new() -> Self {
        let checks = Arc::new(Checks::default());
        let local = LocalCompliance { policy: Arc::new(Policy::default()), store: checks.clone() };
        let compliance = Arc::new(Switch { inner: local, down: AtomicBool::new(false) });
        let employees = Arc::new(Table::<Employee>::default());
        let employee_service = Switch {
            inner: LocalEmployees { store: employees.clone(), compliance: compliance.clone() },
            down: AtomicBool::new(false),
        };
        let who = |role| Requester { user_id: Uuid::now_v7(), role, employee_id: None };
        Self {
            users: Table::default(),
            employees,
            checks,
            compliance,
            employee_service,
            admin: who(Role::Admin),
            hr: who(Role::Hr),
        }
    }

    /// The commands' context.
    pub fn ctx(&self) -> super::Context<'_> {
        super::Context {
            store: &self.users,
            compliance: self.compliance.as_ref(),
            employees: &self.employee_service,
        }
    }

    pub fn compliance_events(&self) -> Vec<EventType> {
        types(&self.checks.0.lock().expect("lock"))
    }
}
