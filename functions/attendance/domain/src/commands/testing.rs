//! The commands' test harness: the in-memory store with its outbox and the
//! one-open-record rule, and the real Employee function in-process on its
//! in-memory store (or down).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use futures::future::BoxFuture;
use hrms_compliance::{CallError, ComplianceClient, Subject, Verdict};
use hrms_employee::memory::MemoryEmployeeStore;
use hrms_employee::{
    Employee, EmployeeChanges, EmployeeClient, EmployeeError, EmployeeStore, Local, NewEmployee, Requester,
};
use hrms_events::employee::EmployeeStatus;
use hrms_events::{Actor, EventType, HrmsEvent, Role};
use uuid::Uuid;

use super::Context;
use crate::fixtures::{employee, requester};
use crate::memory::MemoryAttendanceStore;

pub fn types(events: &[HrmsEvent]) -> Vec<EventType> {
    events.iter().map(HrmsEvent::event_type).collect()
}

/// Attendance reads employees only; Compliance is never asked.
struct NoCompliance;

impl ComplianceClient for NoCompliance {
    fn validate<'a>(&'a self, _: &'a Subject, _: &'a Actor) -> BoxFuture<'a, Result<Verdict, CallError>> {
        Box::pin(async {
            Err(CallError::Unavailable {
                service: "compliance",
                reason: "not in these tests".into(),
                cause: None,
            })
        })
    }
}

/// Employee in-process, or down.
pub struct Employees {
    local: Local,
    people: Arc<MemoryEmployeeStore>,
    down: AtomicBool,
}

impl Employees {
    fn check(&self) -> Result<(), EmployeeError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(EmployeeError::Unavailable("employee unavailable: connection refused".into()));
        }
        Ok(())
    }
}

impl EmployeeClient for Employees {
    fn get<'a>(
        &'a self,
        id: Uuid,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        match self.check() {
            Ok(()) => self.local.get(id, requester),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }

    fn create<'a>(
        &'a self,
        new: &'a NewEmployee,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        self.local.create(new, requester)
    }

    fn update<'a>(
        &'a self,
        id: Uuid,
        changes: &'a EmployeeChanges,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        self.local.update(id, changes, requester)
    }

    fn list<'a>(
        &'a self,
        query: &'a hrms_employee::listing::EmployeeQuery,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<hrms_employee::listing::EmployeePage, EmployeeError>> {
        match self.check() {
            Ok(()) => self.local.list(query, requester),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }
}

pub struct Harness {
    pub store: MemoryAttendanceStore,
    pub employees: Employees,
    pub hr: Requester,
    /// A fixed "now": Monday 2027-01-04, 09:00:00 UTC.
    pub now: DateTime<Utc>,
}

impl Harness {
    pub fn new() -> Self {
        let people = Arc::new(MemoryEmployeeStore::default());
        let local = Local { store: people.clone(), compliance: Arc::new(NoCompliance) };
        Self {
            store: MemoryAttendanceStore::default(),
            employees: Employees { local, people, down: AtomicBool::new(false) },
            hr: requester(Role::Hr, None),
            now: Utc.with_ymd_and_hms(2027, 1, 4, 9, 0, 0).single().unwrap_or_default().trunc_subsecs(0),
        }
    }

    /// The commands' context at [`Self::now`].
    pub fn ctx(&self) -> Context<'_> {
        self.at(self.now)
    }

    /// The commands' context at `now`.
    pub fn at(&self, now: DateTime<Utc>) -> Context<'_> {
        Context { store: &self.store, employees: &self.employees, now }
    }

    /// A stored, active employee in `time_zone` with a manager of their own.
    pub async fn employee(&self, time_zone: &str) -> Employee {
        let e = employee(time_zone, Some(Uuid::now_v7()));
        self.employees.people.insert(&e, &[]).await.expect("stored");
        e
    }

    /// A stored, active employee in `time_zone` managed by `manager_id`.
    pub async fn report_of(&self, manager_id: Uuid, time_zone: &str) -> Employee {
        let e = employee(time_zone, Some(manager_id));
        self.employees.people.insert(&e, &[]).await.expect("stored");
        e
    }

    /// Stores `e` as it is.
    pub async fn store_employee(&self, e: &Employee) {
        self.employees.people.insert(e, &[]).await.expect("stored");
    }

    /// The employee, signed in.
    pub fn person(&self, e: &Employee) -> Requester {
        requester(Role::Employee, Some(e.employee_id))
    }

    /// Their manager, signed in.
    pub fn manager_of(&self, e: &Employee) -> Requester {
        requester(Role::Manager, e.manager_id)
    }

    pub async fn terminate(&self, e: &Employee) {
        let people = &self.employees.people;
        let stored = people.get(e.employee_id).await.expect("read").expect("stored");
        let terminated =
            Employee { status: EmployeeStatus::Terminated, version: stored.version + 1, ..stored };
        people.update(&terminated, &[]).await.expect("terminated");
    }

    pub fn outbox(&self) -> Vec<HrmsEvent> {
        self.store.events()
    }

    pub fn employees_down(&self) {
        self.employees.down.store(true, Ordering::SeqCst);
    }
}
