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

/// Entries per append when the store keeps appends in order.
const PART: usize = 100;

/// Appends `events` (one partition's, in order) to the log: durable when
/// this returns `Ok`; a redelivered event is counted as a duplicate and
/// changes nothing. A store with [`AuditStore::ordered_appends`] gets the
/// batch in parts, each queued as soon as it is prepared (its writer
/// commits what is queued together); if a part fails, the parts before it
/// stay, and the retry of the batch skips them.
pub async fn persist<'a>(
    store: &dyn AuditStore,
    events: impl IntoIterator<Item = &'a HrmsEvent>,
) -> Result<Appended, PersistError> {
    let events: Vec<&HrmsEvent> = events.into_iter().collect();
    if let Some(e) = events.iter().find(|e| !e.event_type().is_audit()) {
        return Err(PersistError::NotAudit { id: e.id, ty: e.event_type().as_str() });
    }
    let part = if store.ordered_appends() { PART } else { events.len().max(1) };
    let queued: Vec<_> = events
        .chunks(part)
        .map(|chunk| store.append(chunk.iter().map(|e| NewEntry::new(e)).collect()))
        .collect();
    let mut total = Appended::default();
    for appended in queued {
        let appended = appended.await?;
        total.recorded += appended.recorded;
        total.duplicates += appended.duplicates;
    }
    Ok(total)
}
