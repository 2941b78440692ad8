//! Where attendance records are kept. Every write carries the events it
//! emits, which the store keeps in its outbox in the same transaction.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use uuid::Uuid;

use crate::model::AttendanceRecord;
use crate::overlap::Overlap;

/// What a store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The employee is checked in already, the id is taken, or the record
    /// changed since it was read (version); nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// The record's times overlap another of the employee's records (see
    /// [`crate::overlap`]), however old; nothing was written.
    #[error(transparent)]
    Overlap(#[from] Overlap),
    /// The store is unreachable or failed; nothing was written. The source
    /// says why, down to the database's error.
    #[error("attendance store unavailable")]
    Unavailable(#[source] hrms_platform::error::BoxError),
}

/// A time as stores sort check-ins: RFC 3339 in UTC to the second
/// (`2027-01-04T08:00:00Z`), whose text sorts as the time does.
pub fn sortable(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Which records to list: those checked in within `[from, to)`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsQuery {
    /// Only this employee's; everyone's when `None`.
    pub employee_id: Option<Uuid>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// At most this many.
    pub limit: usize,
}

/// The Attendance function's storage. An employee has at most one open
/// record (checked in, not out): the store refuses a second. No two records
/// of one employee overlap ([`crate::overlap`]): the store refuses a write
/// that would, in the transaction of the write, even against a concurrent
/// writer ([`StoreError::Overlap`]).
pub trait AttendanceStore: Send + Sync {
    /// Stores a new record (`version` 1) with its events; a record still
    /// open for the same employee is a [`StoreError::Conflict`], times that
    /// overlap another record a [`StoreError::Overlap`].
    fn insert<'a>(
        &'a self,
        record: &'a AttendanceRecord,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Replaces `before` by `after` (check-out or correction) if the stored
    /// version is still `before.version` and `after.version` is one more
    /// (else [`StoreError::Conflict`]), with its events. `after` may close
    /// `before`, never reopen it, nor overlap another record
    /// ([`StoreError::Overlap`]).
    fn update<'a>(
        &'a self,
        before: &'a AttendanceRecord,
        after: &'a AttendanceRecord,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The record with this id.
    fn get(&self, record_id: Uuid) -> BoxFuture<'_, Result<Option<AttendanceRecord>, StoreError>>;

    /// The employee's open record, if they are checked in.
    fn open(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<AttendanceRecord>, StoreError>>;

    /// The records `query` selects, by check-in.
    fn list<'a>(
        &'a self,
        query: &'a RecordsQuery,
    ) -> BoxFuture<'a, Result<Vec<AttendanceRecord>, StoreError>>;
}

impl From<hrms_platform::StoreFailure> for StoreError {
    fn from(failure: hrms_platform::StoreFailure) -> Self {
        match failure {
            hrms_platform::StoreFailure::Conflict(why) => Self::Conflict(why),
            failure @ hrms_platform::StoreFailure::Unavailable { .. } => Self::Unavailable(failure.into()),
        }
    }
}
