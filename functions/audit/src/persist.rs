//! The Audit function's handler: a batch of events in, each kept once.

use hrms_events::HrmsEvent;

use crate::entry::NewEntry;
use crate::store::{Appended, AuditStore, StoreError};

/// Why a batch was not persisted.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// An event that does not belong in the audit log (retrying cannot help).
    #[error("event {id} is a {ty}, not an audit event")]
    NotAudit { id: uuid::Uuid, ty: &'static str },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Appends `events` (one partition's, in order) to the log: durable when
/// this returns `Ok`; a redelivered event is counted as a duplicate and
/// changes nothing.
pub async fn persist(store: &dyn AuditStore, events: &[HrmsEvent]) -> Result<Appended, PersistError> {
    if let Some(e) = events.iter().find(|e| !e.event_type().is_audit()) {
        return Err(PersistError::NotAudit { id: e.id, ty: e.event_type().as_str() });
    }
    let entries: Vec<NewEntry> = events.iter().map(NewEntry::new).collect();
    Ok(store.append(&entries).await?)
}
