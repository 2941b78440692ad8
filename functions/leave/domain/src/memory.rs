//! The Leave store in memory, for tests: the contract of the SQLite and
//! DynamoDB stores (no overlapping active requests of one employee, writes
//! on the stored versions of the request and of its balance, all or
//! nothing), events in a [`MemoryOutbox`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_platform::testing::MemoryOutbox;
use uuid::Uuid;

use crate::model::{Balance, Leave, LeaveQuery, newest_first};
use crate::store::{LeaveStore, StoreError};

/// Requests by id and balances by (employee, year, type), with their events.
#[derive(Default)]
pub struct MemoryLeaveStore {
    state: Mutex<State>,
    outbox: Arc<MemoryOutbox>,
}

#[derive(Default)]
struct State {
    leaves: HashMap<Uuid, Leave>,
    balances: BTreeMap<(Uuid, i32, String), Balance>,
}

/// How a write meets the stored request: a new one, or its next version.
#[derive(Clone, Copy)]
enum Write {
    Insert,
    Update,
}

impl MemoryLeaveStore {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many requests are stored.
    pub fn len(&self) -> usize {
        self.state().leaves.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The outbox of the writes' events, for a relay or a test to read.
    pub fn outbox(&self) -> Arc<MemoryOutbox> {
        self.outbox.clone()
    }

    /// The events written, oldest first, that wait in the outbox.
    pub fn events(&self) -> Vec<HrmsEvent> {
        self.outbox.events()
    }

    /// Writes `leave` and `balances` with `events` if their stored versions
    /// allow (and, for a new request, nothing active overlaps it).
    fn write(
        &self,
        leave: &Leave,
        balances: &[Balance],
        events: &[HrmsEvent],
        write: Write,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let stored = state.leaves.get(&leave.leave_id);
        match write {
            Write::Insert => {
                if let Some(other) = state.leaves.values().find(|l| l.overlaps(leave)) {
                    return Err(StoreError::Overlap(other.leave_id));
                }
                if stored.is_some() {
                    return Err(StoreError::Conflict(format!("leave request {} exists", leave.leave_id)));
                }
            }
            Write::Update if stored.is_none_or(|s| s.version + 1 != leave.version) => {
                let id = leave.leave_id;
                return Err(StoreError::Conflict(format!("leave request {id} changed since it was read")));
            }
            Write::Update => {}
        }
        let key = |b: &Balance| (b.employee_id, b.year, b.leave_type.clone());
        if let Some(b) =
            balances.iter().find(|b| state.balances.get(&key(b)).map_or(0, |s| s.version) + 1 != b.version)
        {
            let (ty, year) = (&b.leave_type, b.year);
            return Err(StoreError::Conflict(format!(
                "the {ty} balance of {year} changed since it was read"
            )));
        }
        for b in balances {
            state.balances.insert(key(b), b.clone());
        }
        state.leaves.insert(leave.leave_id, leave.clone());
        self.outbox.extend(events);
        Ok(())
    }
}

impl LeaveStore for MemoryLeaveStore {
    fn insert<'a>(
        &'a self,
        leave: &'a Leave,
        balances: &'a [Balance],
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let written = self.write(leave, balances, events, Write::Insert);
        Box::pin(async move { written })
    }

    fn get(&self, leave_id: Uuid) -> BoxFuture<'_, Result<Option<Leave>, StoreError>> {
        let found = self.state().leaves.get(&leave_id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn update<'a>(
        &'a self,
        leave: &'a Leave,
        balances: &'a [Balance],
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let written = self.write(leave, balances, events, Write::Update);
        Box::pin(async move { written })
    }

    fn list<'a>(&'a self, query: &'a LeaveQuery) -> BoxFuture<'a, Result<Vec<Leave>, StoreError>> {
        let mut found: Vec<Leave> =
            self.state().leaves.values().filter(|l| query.matches(l)).cloned().collect();
        found.sort_by(newest_first);
        found.truncate(query.limit);
        Box::pin(async move { Ok(found) })
    }

    fn balances(&self, employee_id: Uuid, year: i32) -> BoxFuture<'_, Result<Vec<Balance>, StoreError>> {
        let state = self.state();
        let mine = state.balances.range((employee_id, year, String::new())..);
        let found = mine.take_while(|((e, y, _), _)| (*e, *y) == (employee_id, year)).map(|(_, b)| b.clone());
        let found = found.collect();
        Box::pin(async move { Ok(found) })
    }
}
