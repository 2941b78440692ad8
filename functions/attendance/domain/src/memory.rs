//! The Attendance store in memory, for tests: the contract of the SQLite
//! and DynamoDB stores (one open record per employee, no two overlapping
//! (checked against all the employee's records), writes on the stored
//! version, never reopened; listings by check-in to the second), events in
//! a [`MemoryOutbox`].

use std::ops::Deref;

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_platform::testing::MemoryTable;
use uuid::Uuid;

use crate::model::AttendanceRecord;
use crate::overlap::first_among;
use crate::store::{AttendanceStore, RecordsQuery, StoreError, sortable};

/// Records by id, with their events.
#[derive(Default)]
pub struct MemoryAttendanceStore(MemoryTable<AttendanceRecord>);

impl Deref for MemoryAttendanceStore {
    type Target = MemoryTable<AttendanceRecord>;

    fn deref(&self) -> &MemoryTable<AttendanceRecord> {
        &self.0
    }
}

impl MemoryAttendanceStore {
    /// Stores a new record with its events, unless its id is taken or its
    /// employee has an open one.
    fn write_new(&self, record: &AttendanceRecord, events: &[HrmsEvent]) -> Result<(), StoreError> {
        let id = record.record_id;
        self.0.write(id, record, events, |rows| {
            if rows.contains_key(&id) {
                return Err(StoreError::Conflict(format!("attendance record {id} exists")));
            }
            if rows.values().any(|r| r.employee_id == record.employee_id && r.is_open()) {
                return Err(StoreError::Conflict("checked in already: check out first".into()));
            }
            Ok(first_among(record, rows.values())?)
        })
    }

    /// Replaces `before` by `after` with its events, if the stored version
    /// is `before`'s and `after` is the next, not reopened.
    fn write_next(
        &self,
        before: &AttendanceRecord,
        after: &AttendanceRecord,
        events: &[HrmsEvent],
    ) -> Result<(), StoreError> {
        let id = after.record_id;
        if after.version != before.version + 1 || (after.is_open() && !before.is_open()) {
            return Err(StoreError::Conflict(format!(
                "attendance record {id} cannot go from version {} to {}, or be reopened",
                before.version, after.version
            )));
        }
        self.0.write(id, after, events, |rows| match rows.get(&id) {
            Some(stored) if stored.version == before.version => Ok(first_among(after, rows.values())?),
            _ => Err(StoreError::Conflict(format!("attendance record {id} changed since it was read"))),
        })
    }
}

impl AttendanceStore for MemoryAttendanceStore {
    fn insert<'a>(
        &'a self,
        record: &'a AttendanceRecord,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let inserted = self.write_new(record, events);
        Box::pin(async move { inserted })
    }

    fn update<'a>(
        &'a self,
        before: &'a AttendanceRecord,
        after: &'a AttendanceRecord,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let updated = self.write_next(before, after, events);
        Box::pin(async move { updated })
    }

    fn get(&self, record_id: Uuid) -> BoxFuture<'_, Result<Option<AttendanceRecord>, StoreError>> {
        let found = self.0.get(record_id);
        Box::pin(async move { Ok(found) })
    }

    fn open(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<AttendanceRecord>, StoreError>> {
        let found = self.rows().values().find(|r| r.employee_id == employee_id && r.is_open()).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn list<'a>(
        &'a self,
        query: &'a RecordsQuery,
    ) -> BoxFuture<'a, Result<Vec<AttendanceRecord>, StoreError>> {
        let (from, to) = (sortable(query.from), sortable(query.to));
        let mut found: Vec<(String, AttendanceRecord)> = self
            .rows()
            .values()
            .filter(|r| query.employee_id.is_none_or(|id| r.employee_id == id))
            .map(|r| (sortable(r.check_in), r.clone()))
            .filter(|(check_in, _)| from <= *check_in && *check_in < to)
            .collect();
        found.sort_by(|(a, r), (b, s)| (a, r.record_id).cmp(&(b, s.record_id)));
        let found = found.into_iter().take(query.limit).map(|(_, r)| r).collect();
        Box::pin(async move { Ok(found) })
    }
}
