//! The Audit function as a [`Handler`]: each batch appended to the log and
//! durable before the handler answers (so before offsets are committed).
//!
//! Metrics: `hrms_audit_events_persisted_total`,
//! `hrms_audit_duplicates_total` (redeliveries skipped),
//! `hrms_audit_batch_size` and `hrms_audit_persisted_seconds` (event time to
//! durable, a histogram).

use std::sync::Arc;

use chrono::Utc;
use futures::future::BoxFuture;
use hrms_audit::{AuditStore, PersistError, StoreError, persist};

use hrms_platform::consume::{Delivery, Handler, HandlerError};

/// The consumer group of the Audit function.
pub const GROUP: &str = "audit-service";

/// Persists audit events into `store`.
pub struct AuditHandler {
    pub store: Arc<dyn AuditStore>,
}

impl Handler for AuditHandler {
    fn name(&self) -> &str {
        "audit"
    }

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let appended =
                persist(self.store.as_ref(), batch.iter().map(|d| &d.event)).await.map_err(|e| match e {
                    PersistError::NotAudit { .. } | PersistError::NotCanonical { .. } => {
                        HandlerError::permanent("not for the audit log", e)
                    }
                    PersistError::Store(StoreError::Unavailable(_) | StoreError::Contended(_)) => {
                        HandlerError::transient("cannot append to the audit log", e)
                    }
                })?;
            let now = Utc::now();
            for event in batch.iter().map(|d| &d.event) {
                let delay = (now - event.time).num_microseconds().unwrap_or(0).max(0) as f64 / 1e6;
                metrics::histogram!("hrms_audit_persisted_seconds").record(delay);
            }
            metrics::histogram!("hrms_audit_batch_size").record(batch.len() as f64);
            metrics::counter!("hrms_audit_events_persisted_total").increment(appended.recorded as u64);
            metrics::counter!("hrms_audit_duplicates_total").increment(appended.duplicates as u64);
            Ok(())
        })
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod kafka_tests;
