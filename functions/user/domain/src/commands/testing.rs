//! The commands' test harness: the in-memory stores of User, Compliance
//! and Employee with their outboxes, and the real Compliance and Employee
//! functions in-process over them, either of which can be taken down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::future::BoxFuture;
use hrms_compliance::client::Local as LocalCompliance;
use hrms_compliance::memory::MemoryComplianceStore;
use hrms_compliance::{CallError, ComplianceClient, Policy, Subject, Verdict};
use hrms_employee::memory::MemoryEmployeeStore;
use hrms_employee::{
    Employee, EmployeeChanges, EmployeeClient, EmployeeError, Local as LocalEmployees, NewEmployee, Requester,
};
use hrms_events::{Actor, EventType, HrmsEvent, Role};
use uuid::Uuid;

use crate::memory::MemoryUserStore;

pub fn types(events: &[HrmsEvent]) -> Vec<EventType> {
    events.iter().map(HrmsEvent::event_type).collect()
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
    pub users: MemoryUserStore,
    pub employees: Arc<MemoryEmployeeStore>,
    pub checks: Arc<MemoryComplianceStore>,
    pub compliance: Arc<Switch<LocalCompliance>>,
    pub employee_service: Switch<LocalEmployees>,
    pub admin: Requester,
    pub hr: Requester,
}

impl Harness {
    pub fn new() -> Self {
        let checks = Arc::new(MemoryComplianceStore::default());
        let local = LocalCompliance { policy: Arc::new(Policy::default()), store: checks.clone() };
        let compliance = Arc::new(Switch { inner: local, down: AtomicBool::new(false) });
        let employees = Arc::new(MemoryEmployeeStore::default());
        let employee_service = Switch {
            inner: LocalEmployees { store: employees.clone(), compliance: compliance.clone() },
            down: AtomicBool::new(false),
        };
        let who = |role| Requester { user_id: Uuid::now_v7(), role, employee_id: None };
        Self {
            users: MemoryUserStore::default(),
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
        types(&self.checks.events())
    }
}
