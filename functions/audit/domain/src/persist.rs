//! The Audit function's handler: a batch of events in, each kept once.

use hrms_events::HrmsEvent;

use crate::entry::NewEntry;
use crate::store::{Appended, AuditStore, Part, StoreError};

/// Why a batch was not persisted.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// An event that does not belong in the audit log (retrying cannot help).
    #[error("event {id} is a {ty}, not an audit event")]
    NotAudit { id: uuid::Uuid, ty: &'static str },
    /// An event with no canonical form (retrying cannot help).
    #[error("event {id} has no canonical form: {reason}")]
    NotCanonical { id: uuid::Uuid, reason: crate::canonical::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Entries per append when the store keeps appends in order.
const PART: usize = 100;

/// Appends `events` (one partition's, in order) to the log: durable when
/// this returns `Ok`; a redelivered event is counted as a duplicate and
/// changes nothing. A store with [`AuditStore::ordered_appends`] gets the
/// batch in parts, each queued as soon as it is prepared, each but the
/// last announcing the next (its writer commits them together); if a part
/// fails, the parts before it stay, and the retry of the batch skips them.
pub async fn persist<'a>(
    store: &dyn AuditStore,
    events: impl IntoIterator<Item = &'a HrmsEvent>,
) -> Result<Appended, PersistError> {
    let events: Vec<&HrmsEvent> = events.into_iter().collect();
    if let Some(e) = events.iter().find(|e| !e.event_type().is_audit()) {
        return Err(PersistError::NotAudit { id: e.id, ty: e.event_type().as_str() });
    }
    let part = if store.ordered_appends() { PART } else { events.len().max(1) };
    let parts = events.chunks(part).count();
    let mut queued = Vec::new();
    for (i, chunk) in events.chunks(part).enumerate() {
        let entries = chunk
            .iter()
            .map(|e| NewEntry::new(e).map_err(|reason| PersistError::NotCanonical { id: e.id, reason }))
            .collect::<Result<Vec<_>, _>>()?;
        let part = if i + 1 < parts { Part::More } else { Part::Last };
        queued.push(store.append_part(entries, part));
    }
    let mut total = Appended::default();
    for appended in queued {
        let appended = appended.await?;
        total.recorded += appended.recorded;
        total.duplicates += appended.duplicates;
    }
    Ok(total)
}
