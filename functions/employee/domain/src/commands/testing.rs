//! The commands' test harness: an in-memory store with an outbox, and the
//! real Compliance function in-process over an in-memory check log (the
//! adapters run the same operations on the real stores).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use hrms_compliance::{
    CallError, ComplianceClient, ComplianceStore, FindingsQuery, Policy, StoreError as CheckError, Subject,
    Verdict,
};
use hrms_events::compliance::ComplianceCheck;
use hrms_events::{Actor, EventType, HrmsEvent, Role};
use uuid::Uuid;

use hrms_compliance::client::Local;

use super::{Context, create};
use crate::fixtures::{new_employee, requester};
use crate::model::Employee;
use crate::store::{EmployeeStore, StoreError};
use hrms_platform::Requester;

pub fn types(events: &[HrmsEvent]) -> Vec<EventType> {
    events.iter().map(HrmsEvent::event_type).collect()
}

#[derive(Default)]
pub struct Memory {
    rows: Mutex<HashMap<Uuid, Employee>>,
    outbox: Mutex<Vec<HrmsEvent>>,
}

impl Memory {
    pub fn is_empty(&self) -> bool {
        self.rows.lock().expect("lock").is_empty()
    }
}

impl EmployeeStore for Memory {
    fn insert<'a>(
        &'a self,
        e: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut rows = self.rows.lock().expect("lock");
            if rows.contains_key(&e.employee_id)
                || rows.values().any(|r| r.email.eq_ignore_ascii_case(&e.email))
            {
                return Err(StoreError::Conflict("taken".into()));
            }
            rows.insert(e.employee_id, e.clone());
            self.outbox.lock().expect("lock").extend_from_slice(events);
            Ok(())
        })
    }

    fn get(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Employee>, StoreError>> {
        let found = self.rows.lock().expect("lock").get(&id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn update<'a>(
        &'a self,
        e: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut rows = self.rows.lock().expect("lock");
            match rows.get(&e.employee_id) {
                Some(r) if r.version + 1 == e.version => {}
                _ => return Err(StoreError::Conflict("stale".into())),
            }
            rows.insert(e.employee_id, e.clone());
            self.outbox.lock().expect("lock").extend_from_slice(events);
            Ok(())
        })
    }
}

#[derive(Default)]
struct Checks(Mutex<Vec<HrmsEvent>>);

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

/// Compliance in-process, or down.
pub struct Compliance {
    local: Local,
    checks: Arc<Checks>,
    down: AtomicBool,
}

impl ComplianceClient for Compliance {
    fn validate<'a>(
        &'a self,
        subject: &'a Subject,
        actor: &'a Actor,
    ) -> BoxFuture<'a, Result<Verdict, CallError>> {
        if self.down.load(Ordering::SeqCst) {
            return Box::pin(async {
                Err(CallError::Unavailable {
                    service: "compliance",
                    reason: "connection refused".into(),
                    cause: None,
                })
            });
        }
        self.local.validate(subject, actor)
    }
}

pub struct Harness {
    pub store: Memory,
    pub compliance: Compliance,
    pub hr: Requester,
}

impl Harness {
    pub fn new() -> Self {
        let checks = Arc::new(Checks::default());
        let local = Local { policy: Arc::new(Policy::default()), store: checks.clone() };
        Self {
            store: Memory::default(),
            compliance: Compliance { local, checks, down: AtomicBool::new(false) },
            hr: requester(Role::Hr),
        }
    }

    /// The commands' context.
    pub fn ctx(&self) -> Context<'_> {
        Context { store: &self.store, compliance: &self.compliance }
    }

    /// A stored employee.
    pub async fn create(&self) -> Employee {
        let created = create::handle(new_employee(), &self.hr, &self.ctx()).await.expect("created");
        created.employee
    }

    pub fn outbox(&self) -> Vec<HrmsEvent> {
        self.store.outbox.lock().expect("lock").clone()
    }

    pub fn compliance_events(&self) -> Vec<EventType> {
        types(&self.compliance.checks.0.lock().expect("lock"))
    }

    pub fn compliance_down(&self) {
        self.compliance.down.store(true, Ordering::SeqCst);
    }
}
