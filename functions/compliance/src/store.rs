//! Where checks are kept. A store records a check and the events it emits
//! in one write (the outbox), so that a refusal is never recorded without
//! its events, nor an event sent for a check that was not recorded.

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_events::compliance::ComplianceCheck;
use uuid::Uuid;

/// What a store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store is unreachable or failed; nothing was written.
    #[error("compliance store unavailable: {0}")]
    Unavailable(String),
}

/// Which checks to list: those with findings, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingsQuery {
    /// Only checks about this employee.
    pub employee_id: Option<Uuid>,
    pub limit: usize,
}

/// The Compliance function's storage.
pub trait ComplianceStore: Send + Sync {
    /// Records `check` and `events` atomically.
    fn record<'a>(
        &'a self,
        check: &'a ComplianceCheck,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Checks that found something (refusals and alerts), newest first.
    fn findings<'a>(
        &'a self,
        query: &'a FindingsQuery,
    ) -> BoxFuture<'a, Result<Vec<ComplianceCheck>, StoreError>>;
}
