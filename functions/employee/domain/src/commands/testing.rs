//! The commands' test harness: the in-memory store with its outbox, and the
//! real Compliance function in-process over its in-memory store (the
//! adapters run the same operations on the real stores).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::future::BoxFuture;
use hrms_compliance::client::Local;
use hrms_compliance::memory::MemoryComplianceStore;
use hrms_compliance::{CallError, ComplianceClient, Policy, Subject, Verdict};
use hrms_events::{Actor, EventType, HrmsEvent, Role};

use super::{Context, create};
use crate::fixtures::{new_employee, requester};
use crate::memory::MemoryEmployeeStore;
use crate::model::Employee;
use hrms_platform::Requester;

pub fn types(events: &[HrmsEvent]) -> Vec<EventType> {
    events.iter().map(HrmsEvent::event_type).collect()
}

/// Compliance in-process, or down.
pub struct Compliance {
    local: Local,
    checks: Arc<MemoryComplianceStore>,
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
    pub store: MemoryEmployeeStore,
    pub compliance: Compliance,
    pub hr: Requester,
}

impl Harness {
    pub fn new() -> Self {
        let checks = Arc::new(MemoryComplianceStore::default());
        let local = Local { policy: Arc::new(Policy::default()), store: checks.clone() };
        Self {
            store: MemoryEmployeeStore::default(),
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
        self.store.events()
    }

    pub fn compliance_events(&self) -> Vec<EventType> {
        types(&self.compliance.checks.events())
    }

    pub fn compliance_down(&self) {
        self.compliance.down.store(true, Ordering::SeqCst);
    }
}
