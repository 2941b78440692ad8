//! The commands' test harness: an in-memory store with an outbox and the
//! one-open-record rule, and the real Employee function in-process on an
//! in-memory store (or down).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use futures::future::BoxFuture;
use hrms_compliance::{CallError, ComplianceClient, Subject, Verdict};
use hrms_employee::{
    Employee, EmployeeChanges, EmployeeClient, EmployeeError, EmployeeStore, Local, NewEmployee, Requester,
    StoreError as EmployeeStoreError,
};
use hrms_events::employee::EmployeeStatus;
use hrms_events::{Actor, EventType, HrmsEvent, Role};
use uuid::Uuid;

use super::Context;
use crate::fixtures::{employee, requester};
use crate::model::AttendanceRecord;
use crate::store::{AttendanceStore, RecordsQuery, StoreError};

pub fn types(events: &[HrmsEvent]) -> Vec<EventType> {
    events.iter().map(HrmsEvent::event_type).collect()
}

#[derive(Default)]
pub struct Memory {
    rows: Mutex<HashMap<Uuid, AttendanceRecord>>,
    outbox: Mutex<Vec<HrmsEvent>>,
}

impl Memory {
    pub fn len(&self) -> usize {
        self.rows.lock().expect("lock").len()
    }
}

impl AttendanceStore for Memory {
    fn insert<'a>(
        &'a self,
        r: &'a AttendanceRecord,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut rows = self.rows.lock().expect("lock");
            if rows.contains_key(&r.record_id)
                || rows.values().any(|o| o.employee_id == r.employee_id && o.is_open())
            {
                return Err(StoreError::Conflict("checked in already".into()));
            }
            rows.insert(r.record_id, r.clone());
            self.outbox.lock().expect("lock").extend_from_slice(events);
            Ok(())
        })
    }

    fn update<'a>(
        &'a self,
        before: &'a AttendanceRecord,
        after: &'a AttendanceRecord,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut rows = self.rows.lock().expect("lock");
            match rows.get(&after.record_id) {
                Some(r) if r.version == before.version && before.version + 1 == after.version => {}
                _ => return Err(StoreError::Conflict("changed since it was read".into())),
            }
            rows.insert(after.record_id, after.clone());
            self.outbox.lock().expect("lock").extend_from_slice(events);
            Ok(())
        })
    }

    fn get(&self, id: Uuid) -> BoxFuture<'_, Result<Option<AttendanceRecord>, StoreError>> {
        let found = self.rows.lock().expect("lock").get(&id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn open(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<AttendanceRecord>, StoreError>> {
        let found = self
            .rows
            .lock()
            .expect("lock")
            .values()
            .find(|r| r.employee_id == employee_id && r.is_open())
            .cloned();
        Box::pin(async move { Ok(found) })
    }

    fn list<'a>(&'a self, q: &'a RecordsQuery) -> BoxFuture<'a, Result<Vec<AttendanceRecord>, StoreError>> {
        let mut found: Vec<_> = self
            .rows
            .lock()
            .expect("lock")
            .values()
            .filter(|r| q.employee_id.is_none_or(|id| r.employee_id == id))
            .filter(|r| q.from <= r.check_in && r.check_in < q.to)
            .cloned()
            .collect();
        found.sort_by_key(|r| (r.check_in, r.record_id));
        found.truncate(q.limit);
        Box::pin(async move { Ok(found) })
    }
}

/// Employee's records in memory.
#[derive(Default)]
struct People(Mutex<HashMap<Uuid, Employee>>);

impl EmployeeStore for People {
    fn insert<'a>(
        &'a self,
        e: &'a Employee,
        _: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), EmployeeStoreError>> {
        self.0.lock().expect("lock").insert(e.employee_id, e.clone());
        Box::pin(async { Ok(()) })
    }

    fn get(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Employee>, EmployeeStoreError>> {
        let found = self.0.lock().expect("lock").get(&id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn update<'a>(
        &'a self,
        e: &'a Employee,
        _: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), EmployeeStoreError>> {
        self.0.lock().expect("lock").insert(e.employee_id, e.clone());
        Box::pin(async { Ok(()) })
    }
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
    people: Arc<People>,
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
}

pub struct Harness {
    pub store: Memory,
    pub employees: Employees,
    pub hr: Requester,
    /// A fixed "now": Monday 2027-01-04, 09:00:00 UTC.
    pub now: DateTime<Utc>,
}

impl Harness {
    pub fn new() -> Self {
        let people = Arc::new(People::default());
        let local = Local { store: people.clone(), compliance: Arc::new(NoCompliance) };
        Self {
            store: Memory::default(),
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
        self.employees.people.0.lock().expect("lock").insert(e.employee_id, e.clone());
        e
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
        let mut people = self.employees.people.0.lock().expect("lock");
        if let Some(stored) = people.get_mut(&e.employee_id) {
            stored.status = EmployeeStatus::Terminated;
        }
    }

    pub fn outbox(&self) -> Vec<HrmsEvent> {
        self.store.outbox.lock().expect("lock").clone()
    }

    pub fn employees_down(&self) {
        self.employees.down.store(true, Ordering::SeqCst);
    }
}
