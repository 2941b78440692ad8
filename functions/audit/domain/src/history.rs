//! Event sourcing over the log: a subject's state at any time, and the read
//! model rebuilt from the log. Both follow event time (then chain order),
//! not append order: an event appended late (a redriven dead letter) never
//! becomes the state over a newer one.

use chrono::{DateTime, Utc};

use crate::entry::Entry;
use crate::store::{AuditStore, States, StoreError, SubjectState};

/// The state of a subject at `at`: what its last event up to then left
/// (`None` if it did not exist yet). `chain` is in chain order.
pub fn state_at(chain: &[Entry], at: DateTime<Utc>) -> Option<SubjectState> {
    chain.iter().filter(|e| e.time <= at).max_by_key(|e| (e.time, e.seq)).map(SubjectState::of)
}

/// Rebuilds the read model from the log, a page of subjects at a time;
/// `progress` is told how many subjects are done. Returns that number.
pub async fn replay(store: &dyn AuditStore, mut progress: impl FnMut(u64)) -> Result<u64, StoreError> {
    const PAGE: usize = 500;
    let mut done = 0u64;
    let mut after: Option<String> = None;
    loop {
        let subjects = store.subjects(after.as_deref(), PAGE).await?;
        let Some(last) = subjects.last().cloned() else { break };
        let mut states = Vec::with_capacity(subjects.len());
        for subject in &subjects {
            let chain = store.chain(subject).await?;
            // The latest by event time (a redriven letter is appended late).
            if let Some(state) = chain.iter().max_by_key(|e| (e.time, e.seq)).map(SubjectState::of) {
                states.push(state);
            }
        }
        store.put_states(&states, if done == 0 { States::First } else { States::Next }).await?;
        done += subjects.len() as u64;
        progress(done);
        after = Some(last);
    }
    if done == 0 {
        store.put_states(&[], States::First).await?;
    }
    Ok(done)
}
