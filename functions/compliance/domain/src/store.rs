//! Where checks and timelines are kept. A store records a check and the
//! events it emits in one write (the outbox), so that a refusal is never
//! recorded without its events, nor an event sent for a check that was not
//! recorded; a timeline is stored with the check its change found, in the
//! same write.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_events::compliance::ComplianceCheck;
use uuid::Uuid;

use crate::timeline::Timeline;

/// What a store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store is unreachable or failed; nothing was written. The source
    /// says why, down to the database's error.
    #[error("compliance store unavailable")]
    Unavailable(#[source] hrms_platform::error::BoxError),
    /// A timeline changed since it was read; nothing was written.
    #[error("{0}")]
    Conflict(String),
}

/// Which checks to list: those with findings, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingsQuery {
    /// Only checks about this employee.
    pub employee_id: Option<Uuid>,
    /// Only checks made at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only checks made before this time.
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
}

impl FindingsQuery {
    /// The newest `limit` checks with findings, of everyone.
    pub fn newest(limit: usize) -> Self {
        Self { employee_id: None, from: None, to: None, limit }
    }

    /// The range of check ids made within `from` and `to`: check ids are
    /// UUIDv7, which sort by the time they were made (also as text).
    pub fn id_range(&self) -> (Option<Uuid>, Option<Uuid>) {
        (self.from.map(first_v7), self.to.map(first_v7))
    }
}

/// A validation's findings reported once within a period: a check with the
/// same `key` (subject, facts, findings, policy) recorded with a check id
/// at or after `since` (a UUIDv7: the period's start) is the same notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub key: String,
    pub since: Uuid,
}

/// The smallest UUIDv7 of the millisecond `at`.
pub fn first_v7(at: DateTime<Utc>) -> Uuid {
    let millis = u128::try_from(at.timestamp_millis()).unwrap_or(0) & ((1 << 48) - 1);
    Uuid::from_u128((millis << 80) | (0x7 << 76) | (0b10 << 62))
}

/// The Compliance function's storage.
pub trait ComplianceStore: Send + Sync {
    /// Records `check` and `events` atomically.
    fn record<'a>(
        &'a self,
        check: &'a ComplianceCheck,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Records `check` and `events` atomically, unless a check with
    /// `notice.key` was recorded at or after `notice.since`: then writes
    /// nothing and returns that check. Of two such checks at once, one is
    /// recorded and the other returns it.
    fn record_notice<'a>(
        &'a self,
        check: &'a ComplianceCheck,
        events: &'a [HrmsEvent],
        notice: &'a Notice,
    ) -> BoxFuture<'a, Result<Option<ComplianceCheck>, StoreError>> {
        let _ = (check, events, notice);
        Box::pin(async { Err(StoreError::Unavailable("this store keeps no notices".into())) })
    }

    /// Checks that found something (refusals and alerts), newest first.
    fn findings<'a>(
        &'a self,
        query: &'a FindingsQuery,
    ) -> BoxFuture<'a, Result<Vec<ComplianceCheck>, StoreError>>;

    /// The timeline of an employee, if one was stored. Stores that keep
    /// none (test doubles of the validation) are unavailable for it.
    fn timeline(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Timeline>, StoreError>> {
        let _ = employee_id;
        Box::pin(async { Err(StoreError::Unavailable("this store keeps no timelines".into())) })
    }

    /// The stored timelines of `employee_ids` (those that have one), read
    /// together: a consumer's batch needs one read, not one per event.
    fn timelines<'a>(
        &'a self,
        employee_ids: &'a [Uuid],
    ) -> BoxFuture<'a, Result<HashMap<Uuid, Timeline>, StoreError>> {
        Box::pin(async move {
            let mut found = HashMap::new();
            for &id in employee_ids {
                if let Some(timeline) = self.timeline(id).await? {
                    found.insert(id, timeline);
                }
            }
            Ok(found)
        })
    }

    /// Stores `timeline` if the stored one has version `timeline.version -
    /// 1` (none for version 1), else [`StoreError::Conflict`]; with `check`
    /// and `events`, atomically.
    fn save_timeline<'a>(
        &'a self,
        timeline: &'a Timeline,
        check: Option<&'a ComplianceCheck>,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let _ = (timeline, check, events);
        Box::pin(async { Err(StoreError::Unavailable("this store keeps no timelines".into())) })
    }
}

/// A check is recorded once: a failed condition of a check (the same check
/// again) is a failed write like any other; timelines map their own.
impl From<hrms_platform::StoreFailure> for StoreError {
    fn from(failure: hrms_platform::StoreFailure) -> Self {
        Self::Unavailable(failure.into())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn check_ids_made_in_a_range_sort_within_its_bounds() {
        let from = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).single().expect("valid");
        let query = FindingsQuery {
            from: Some(from),
            to: Some(from + chrono::Duration::hours(1)),
            ..FindingsQuery::newest(10)
        };
        let (Some(low), Some(high)) = query.id_range() else { panic!("bounds") };
        let made = Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, from.timestamp() as u64 + 60, 0));
        assert!(low < made && made < high);
        assert!(low.to_string() < made.to_string() && made.to_string() < high.to_string(), "as text too");
        assert_eq!(low.get_version_num(), 7);
        assert!(Uuid::now_v7() > high, "made later");
    }
}
