//! An outbox in memory, for the functions' in-memory stores: events in
//! write order, settled ones removed, dead ones set aside with their
//! reason, as the outboxes of `hrms-sqlite` and `hrms-dynamodb` do.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use uuid::Uuid;

use crate::outbox::{OutboxEntry, OutboxError, OutboxStore, Pending};

/// The events of a memory store's writes, as its relay reads them.
#[derive(Default)]
pub struct MemoryOutbox(Mutex<State>);

#[derive(Default)]
struct State {
    /// The `seq` of the last event written (the first is 1).
    last: i64,
    pending: BTreeMap<i64, HrmsEvent>,
    /// Dead events by `seq`: (event id, reason).
    dead: BTreeMap<i64, (Uuid, String)>,
}

impl MemoryOutbox {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `events` after those written before (a store calls it in the
    /// write that emits them).
    pub fn extend(&self, events: &[HrmsEvent]) {
        let mut state = self.state();
        for event in events {
            state.last += 1;
            let seq = state.last;
            state.pending.insert(seq, event.clone());
        }
    }

    /// The events waiting, oldest first.
    pub fn events(&self) -> Vec<HrmsEvent> {
        self.state().pending.values().cloned().collect()
    }

    /// The events set aside as dead: (event id, reason), oldest first.
    pub fn dead_letters(&self) -> Vec<(Uuid, String)> {
        self.state().dead.values().cloned().collect()
    }
}

impl OutboxStore for MemoryOutbox {
    fn pending(&self, limit: usize) -> BoxFuture<'_, Result<Pending, OutboxError>> {
        let state = self.state();
        let entries = state.pending.iter().take(limit);
        let entries = entries.map(|(&seq, event)| OutboxEntry { seq, event: event.clone() }).collect();
        Box::pin(async move { Ok(Pending { entries, unreadable: Vec::new() }) })
    }

    fn settle<'a>(
        &'a self,
        published: &'a [i64],
        dead: &'a [(i64, String)],
    ) -> BoxFuture<'a, Result<(), OutboxError>> {
        let mut state = self.state();
        for seq in published {
            state.pending.remove(seq);
        }
        for (seq, reason) in dead {
            if let Some(event) = state.pending.remove(seq) {
                state.dead.insert(*seq, (event.id, reason.clone()));
            }
        }
        Box::pin(async { Ok(()) })
    }

    fn backlog(&self) -> BoxFuture<'_, Result<u64, OutboxError>> {
        let backlog = self.state().pending.len() as u64;
        Box::pin(async move { Ok(backlog) })
    }
}
