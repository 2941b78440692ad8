//! The Attendance store's contract, on SQLite and on DynamoDB (moto): one
//! open record per employee, each write on the stored version, a closed
//! record never reopened, listings by check-in for one employee or
//! everyone (a correction moves the record), no two records of an employee
//! overlapping however old, even written at once through two handles (as
//! two processes would), and a write that fails leaves neither change nor
//! event.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use hrms_attendance::{AttendanceRecord, AttendanceStore, RecordsQuery, StoreError};
use hrms_events::attendance::{AttendanceMarked, Mark};
use hrms_events::{HrmsEvent, Payload, fixtures};
use uuid::Uuid;

use hrms_platform::outbox::OutboxStore;

/// An empty Attendance store, a second handle on the same data (as
/// another process opens it), and its outbox.
pub struct Stores {
    pub store: Arc<dyn AttendanceStore>,
    pub other: Arc<dyn AttendanceStore>,
    pub outbox: Arc<dyn OutboxStore>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

/// The store in memory, its outbox beside it.
fn on_memory() -> Stores {
    let store = Arc::new(hrms_attendance::memory::MemoryAttendanceStore::default());
    Stores { outbox: store.outbox(), other: store.clone(), store, _keep: Box::new(()) }
}

#[cfg(feature = "sqlite")]
fn on_sqlite() -> Stores {
    use crate::sqlite::SqliteAttendanceStore;
    use hrms_sqlite::Store;
    let dir = hrms_platform::testing::TempDir::new("attendance-conformance");
    let path = dir.0.join("attendance.db");
    let store = <SqliteAttendanceStore as Store>::open(&path).expect("attendance store");
    let other = <SqliteAttendanceStore as Store>::open(&path).expect("second handle");
    Stores {
        outbox: Arc::new(store.outbox()),
        store: Arc::new(store),
        other: Arc::new(other),
        _keep: Box::new(dir),
    }
}

#[cfg(feature = "dynamodb")]
async fn on_dynamodb() -> Stores {
    use crate::dynamodb::DynamoAttendanceStore;
    use hrms_dynamodb::Store as _;
    use hrms_dynamodb::outbox::DynamoOutbox;
    let tables = hrms_dynamodb::testing::tables(&["attendance"]).await;
    let table = tables.table("attendance");
    Stores {
        store: Arc::new(DynamoAttendanceStore::new(tables.client.clone(), &table)),
        other: Arc::new(DynamoAttendanceStore::new(tables.client.clone(), &table)),
        outbox: Arc::new(DynamoOutbox::new(tables.client.clone(), &table)),
        _keep: Box::new(()),
    }
}

hrms_platform::suite!(
    a_record_reads_back_as_written,
    an_employee_has_one_open_record,
    an_update_needs_the_stored_version_and_never_reopens,
    records_are_listed_by_check_in_for_one_or_everyone,
    a_correction_moves_the_record_in_listings,
    an_overlap_is_refused_however_old,
    records_may_touch,
    of_two_overlapping_writes_at_once_one_wins,
    a_terminated_employees_open_record_is_closed_once,
);

mod overlap;
mod terminated;
use overlap::{
    an_overlap_is_refused_however_old, of_two_overlapping_writes_at_once_one_wins, records_may_touch,
};
use terminated::a_terminated_employees_open_record_is_closed_once;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, day, hour, 0, 0).single().expect("valid")
}

/// An open record of `employee_id` from `check_in`.
fn open(employee_id: Uuid, check_in: DateTime<Utc>) -> AttendanceRecord {
    AttendanceRecord {
        record_id: Uuid::now_v7(),
        employee_id,
        check_in,
        check_out: None,
        time_zone: "Europe/Lisbon".into(),
        worked_minutes: None,
        corrected: false,
        correction_reason: None,
        closed_at_termination: false,
        version: 1,
        created_at: check_in,
        updated_at: check_in,
    }
}

/// `record` changed as the next write would: one version more.
fn next(record: &AttendanceRecord, change: impl FnOnce(&mut AttendanceRecord)) -> AttendanceRecord {
    let mut after = record.clone();
    change(&mut after);
    after.version += 1;
    after.worked_minutes = hrms_attendance::model::worked_minutes(after.check_in, after.check_out);
    after
}

fn closed_at(record: &AttendanceRecord, out: DateTime<Utc>) -> AttendanceRecord {
    next(record, |r| r.check_out = Some(out))
}

fn marked(record: &AttendanceRecord) -> Vec<HrmsEvent> {
    let payload = Payload::AttendanceMarked(AttendanceMarked {
        record_id: record.record_id,
        employee_id: record.employee_id,
        mark: if record.is_open() { Mark::CheckIn } else { Mark::CheckOut },
        at: record.check_out.unwrap_or(record.check_in),
        time_zone: record.time_zone.clone(),
        worked_minutes: record.worked_minutes,
    });
    vec![HrmsEvent::new(payload, &fixtures::hr_actor())]
}

async fn queued(stores: &Stores) -> Vec<HrmsEvent> {
    let pending = stores.outbox.pending(1000).await.expect("pending");
    pending.entries.into_iter().map(|e| e.event).collect()
}

fn assert_conflict(result: Result<(), StoreError>, cause: &str) {
    match result {
        Err(StoreError::Conflict(why)) => assert!(why.contains(cause), "want {cause:?} in {why:?}"),
        other => panic!("want a conflict ({cause}), got {other:?}"),
    }
}

fn ids(records: &[AttendanceRecord]) -> Vec<Uuid> {
    records.iter().map(|r| r.record_id).collect()
}

async fn a_record_reads_back_as_written(stores: Stores) {
    let record = open(Uuid::now_v7(), at(4, 8));
    let events = marked(&record);
    stores.store.insert(&record, &events).await.expect("inserted");
    assert_eq!(stores.store.get(record.record_id).await.expect("read"), Some(record.clone()));
    assert_eq!(stores.store.open(record.employee_id).await.expect("read"), Some(record.clone()));
    assert_eq!(stores.store.get(Uuid::now_v7()).await.expect("read"), None);
    assert_eq!(stores.store.open(Uuid::now_v7()).await.expect("read"), None);
    assert_eq!(queued(&stores).await, events, "its events, as written");
}

async fn an_employee_has_one_open_record(stores: Stores) {
    let ada = Uuid::now_v7();
    let first = open(ada, at(4, 8));
    stores.store.insert(&first, &marked(&first)).await.expect("inserted");
    let second = open(ada, at(4, 17));
    assert_conflict(stores.store.insert(&second, &marked(&second)).await, "checked in");
    assert_eq!(stores.store.get(second.record_id).await.expect("read"), None);
    assert_eq!(queued(&stores).await.len(), 1, "the refused insert queued nothing");
    let twin = AttendanceRecord { employee_id: Uuid::now_v7(), ..first.clone() };
    assert_conflict(stores.store.insert(&twin, &[]).await, "exists");

    // Someone else may check in; and Ada again once she is out.
    stores.store.insert(&open(Uuid::now_v7(), at(4, 9)), &[]).await.expect("another employee");
    let out = closed_at(&first, at(4, 16));
    stores.store.update(&first, &out, &marked(&out)).await.expect("checked out");
    assert_eq!(stores.store.open(ada).await.expect("read"), None);
    stores.store.insert(&second, &[]).await.expect("checked in again");
    assert_eq!(stores.store.open(ada).await.expect("read"), Some(second));
}

async fn an_update_needs_the_stored_version_and_never_reopens(stores: Stores) {
    let record = open(Uuid::now_v7(), at(4, 8));
    stores.store.insert(&record, &[]).await.expect("inserted");
    let out = closed_at(&record, at(4, 16));
    let events = marked(&out);
    stores.store.update(&record, &out, &events).await.expect("checked out");
    assert_eq!(stores.store.get(record.record_id).await.expect("read"), Some(out.clone()));

    // A writer that read version 1 too.
    let stale = next(&record, |r| r.check_in = at(4, 7));
    assert_conflict(stores.store.update(&record, &stale, &marked(&stale)).await, "changed");
    let skipping = next(&out, |r| r.version += 1);
    assert_conflict(stores.store.update(&out, &skipping, &[]).await, "version");
    let reopened = next(&out, |r| r.check_out = None);
    assert_conflict(stores.store.update(&out, &reopened, &[]).await, "reopened");
    assert_eq!(stores.store.get(record.record_id).await.expect("read"), Some(out));
    assert_eq!(stores.store.open(record.employee_id).await.expect("read"), None);
    assert_eq!(queued(&stores).await, events, "only the check-out's event");
}

async fn records_are_listed_by_check_in_for_one_or_everyone(stores: Stores) {
    let (ada, grace) = (Uuid::now_v7(), Uuid::now_v7());
    let mut written = Vec::new();
    for (who, day, hour) in [(ada, 4, 8), (grace, 4, 23), (ada, 5, 8), (grace, 6, 0), (ada, 6, 8)] {
        let record = open(who, at(day, hour));
        stores.store.insert(&record, &[]).await.expect("inserted");
        let out = closed_at(&record, at(day, hour) + Duration::hours(1));
        stores.store.update(&record, &out, &[]).await.expect("closed");
        written.push(out);
    }
    let query = |employee_id, from, to, limit| RecordsQuery { employee_id, from, to, limit };
    let all = stores.store.list(&query(None, at(4, 0), at(7, 0), 100)).await.expect("listed");
    assert_eq!(all, written, "everyone's, by check-in, across days");
    let adas = stores.store.list(&query(Some(ada), at(4, 0), at(7, 0), 100)).await.expect("listed");
    assert_eq!(ids(&adas), ids(&[written[0].clone(), written[2].clone(), written[4].clone()]));
    // From included, to excluded.
    let window = stores.store.list(&query(None, at(4, 23), at(6, 8), 100)).await.expect("listed");
    assert_eq!(ids(&window), ids(&written[1..4]));
    let first_two = stores.store.list(&query(None, at(4, 0), at(7, 0), 2)).await.expect("listed");
    assert_eq!(ids(&first_two), ids(&written[..2]));
    let nobody =
        stores.store.list(&query(Some(Uuid::now_v7()), at(4, 0), at(7, 0), 100)).await.expect("listed");
    assert!(nobody.is_empty());
}

async fn a_correction_moves_the_record_in_listings(stores: Stores) {
    let ada = Uuid::now_v7();
    let record = open(ada, at(4, 8));
    stores.store.insert(&record, &[]).await.expect("inserted");
    let closed = closed_at(&record, at(4, 16));
    stores.store.update(&record, &closed, &[]).await.expect("closed");
    let moved = next(&closed, |r| {
        r.check_in = at(3, 22);
        r.corrected = true;
    });
    stores.store.update(&closed, &moved, &[]).await.expect("corrected");

    let on = |day: u32, employee_id: Option<Uuid>| RecordsQuery {
        employee_id,
        from: at(day, 0),
        to: at(day, 0) + Duration::days(1),
        limit: 10,
    };
    for who in [None, Some(ada)] {
        assert!(stores.store.list(&on(4, who)).await.expect("listed").is_empty(), "gone from the 4th");
        assert_eq!(stores.store.list(&on(3, who)).await.expect("listed"), vec![moved.clone()], "on the 3rd");
    }
    // A correction of an open record keeps it open.
    let again = open(ada, at(5, 8));
    stores.store.insert(&again, &[]).await.expect("in");
    let earlier = next(&again, |r| r.check_in = at(5, 7));
    stores.store.update(&again, &earlier, &[]).await.expect("corrected");
    assert_eq!(stores.store.open(ada).await.expect("read"), Some(earlier));
}
