//! The Compliance store in memory, for tests: the contract of the SQLite
//! and DynamoDB stores (a check recorded once, findings newest first,
//! timelines written on their version), events in a [`MemoryOutbox`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_events::compliance::ComplianceCheck;
use hrms_platform::testing::MemoryOutbox;
use uuid::Uuid;

use crate::store::{ComplianceStore, FindingsQuery, Notice, StoreError};
use crate::timeline::Timeline;

/// Checks (by id, which sorts by time) and timelines, with their events.
#[derive(Default)]
pub struct MemoryComplianceStore {
    state: Mutex<State>,
    outbox: Arc<MemoryOutbox>,
}

#[derive(Default)]
struct State {
    checks: BTreeMap<Uuid, ComplianceCheck>,
    timelines: HashMap<Uuid, Timeline>,
    /// The check of each notice key, newest.
    notices: HashMap<String, Uuid>,
}

impl MemoryComplianceStore {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The outbox of the checks' events, for a relay or a test to read.
    pub fn outbox(&self) -> Arc<MemoryOutbox> {
        self.outbox.clone()
    }

    /// The events written, oldest first, that wait in the outbox.
    pub fn events(&self) -> Vec<HrmsEvent> {
        self.outbox.events()
    }
}

/// A check recorded twice is a failed write, as on the real stores.
fn taken(state: &State, check: &ComplianceCheck) -> Result<(), StoreError> {
    if state.checks.contains_key(&check.check_id) {
        return Err(StoreError::Unavailable(format!("check {} is recorded already", check.check_id).into()));
    }
    Ok(())
}

impl ComplianceStore for MemoryComplianceStore {
    fn record<'a>(
        &'a self,
        check: &'a ComplianceCheck,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut state = self.state();
        let recorded = taken(&state, check).map(|()| {
            state.checks.insert(check.check_id, check.clone());
            self.outbox.extend(events);
        });
        Box::pin(async move { recorded })
    }

    fn record_notice<'a>(
        &'a self,
        check: &'a ComplianceCheck,
        events: &'a [HrmsEvent],
        notice: &'a Notice,
    ) -> BoxFuture<'a, Result<Option<ComplianceCheck>, StoreError>> {
        let mut state = self.state();
        let earlier = state.notices.get(&notice.key).filter(|id| **id >= notice.since);
        let recorded = match earlier.and_then(|id| state.checks.get(id)) {
            Some(earlier) => Ok(Some(earlier.clone())),
            None => taken(&state, check).map(|()| {
                state.checks.insert(check.check_id, check.clone());
                state.notices.insert(notice.key.clone(), check.check_id);
                self.outbox.extend(events);
                None
            }),
        };
        Box::pin(async move { recorded })
    }

    fn findings<'a>(
        &'a self,
        query: &'a FindingsQuery,
    ) -> BoxFuture<'a, Result<Vec<ComplianceCheck>, StoreError>> {
        let (from, to) = query.id_range();
        let found = self
            .state()
            .checks
            .values()
            .rev()
            .filter(|c| !c.findings.is_empty())
            .filter(|c| query.employee_id.is_none_or(|id| c.employee_id == Some(id)))
            .filter(|c| from.is_none_or(|from| c.check_id >= from) && to.is_none_or(|to| c.check_id < to))
            .take(query.limit)
            .cloned()
            .collect();
        Box::pin(async move { Ok(found) })
    }

    fn timeline(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Timeline>, StoreError>> {
        let found = self.state().timelines.get(&employee_id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn save_timeline<'a>(
        &'a self,
        timeline: &'a Timeline,
        check: Option<&'a ComplianceCheck>,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut state = self.state();
        let stored = state.timelines.get(&timeline.employee_id).map_or(0, |t| t.version);
        let saved = if stored + 1 != timeline.version {
            let id = timeline.employee_id;
            Err(StoreError::Conflict(format!("the timeline of {id} changed since it was read")))
        } else {
            check.map_or(Ok(()), |c| taken(&state, c)).map(|()| {
                state.timelines.insert(timeline.employee_id, timeline.clone());
                if let Some(c) = check {
                    state.checks.insert(c.check_id, c.clone());
                }
                self.outbox.extend(events);
            })
        };
        Box::pin(async move { saved })
    }
}
