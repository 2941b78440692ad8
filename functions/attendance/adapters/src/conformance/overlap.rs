//! No two records of one employee overlap, however old; records may touch;
//! of two overlapping writes at once (through two handles, as two
//! processes), exactly one wins.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hrms_attendance::overlap::overlaps;
use hrms_attendance::{AttendanceRecord, StoreError};
use uuid::Uuid;

use super::{Stores, at, closed_at, marked, next, open, queued};

/// Work of `employee_id` from `from`, `hours` long, stored (in, then out).
async fn worked(stores: &Stores, employee_id: Uuid, from: DateTime<Utc>, hours: i64) -> AttendanceRecord {
    let record = open(employee_id, from);
    stores.store.insert(&record, &[]).await.expect("in");
    let out = closed_at(&record, from + Duration::hours(hours));
    stores.store.update(&record, &out, &[]).await.expect("out");
    out
}

/// `record` corrected to `[from, to)`.
fn moved(record: &AttendanceRecord, from: DateTime<Utc>, to: DateTime<Utc>) -> AttendanceRecord {
    next(record, |r| {
        r.check_in = from;
        r.check_out = Some(to);
        r.corrected = true;
    })
}

fn assert_overlaps(result: Result<(), StoreError>, other: &AttendanceRecord) {
    match result {
        Err(StoreError::Overlap(overlap)) => assert_eq!(overlap.record_id, other.record_id, "{overlap}"),
        result => panic!("want an overlap of {}, got {result:?}", other.record_id),
    }
}

/// The one of two results that is refused, and which (0 or 1) won.
fn one_wins(results: [Result<(), StoreError>; 2]) -> (usize, StoreError) {
    match results {
        [Ok(()), Err(e)] => (0, e),
        [Err(e), Ok(())] => (1, e),
        both => panic!("want exactly one write to win, got {both:?}"),
    }
}

pub async fn an_overlap_is_refused_however_old(stores: Stores) {
    let ada = Uuid::now_v7();
    let autumn = Utc.with_ymd_and_hms(2026, 9, 1, 8, 0, 0).single().expect("valid");
    let old = worked(&stores, ada, autumn, 8).await;
    for day in 4..8 {
        worked(&stores, ada, at(day, 8), 8).await;
    }
    let recent = worked(&stores, ada, at(11, 8), 8).await;
    let written = queued(&stores).await.len();

    let into_old = moved(&recent, autumn + Duration::hours(2), autumn + Duration::hours(4));
    assert_overlaps(stores.store.update(&recent, &into_old, &marked(&into_old)).await, &old);
    let across_its_start = moved(&recent, autumn - Duration::hours(1), autumn + Duration::hours(1));
    assert_overlaps(stores.store.update(&recent, &across_its_start, &[]).await, &old);
    let old_into_recent = moved(&old, at(11, 15), at(11, 17));
    assert_overlaps(stores.store.update(&old, &old_into_recent, &marked(&old_into_recent)).await, &recent);
    // A check-in before them all would run through them all.
    let long_ago = open(ada, autumn - Duration::days(30));
    let refused = stores.store.insert(&long_ago, &marked(&long_ago)).await;
    assert!(matches!(refused, Err(StoreError::Overlap(_))), "{refused:?}");

    assert_eq!(stores.store.get(recent.record_id).await.expect("read"), Some(recent));
    assert_eq!(stores.store.get(old.record_id).await.expect("read"), Some(old));
    assert_eq!(stores.store.get(long_ago.record_id).await.expect("read"), None);
    assert_eq!(queued(&stores).await.len(), written, "the refused writes queued nothing");
}

pub async fn records_may_touch(stores: Stores) {
    let ada = Uuid::now_v7();
    let first = worked(&stores, ada, at(4, 8), 8).await;
    let second = worked(&stores, ada, at(4, 18), 2).await;
    let after_first = moved(&second, at(4, 16), at(4, 18));
    stores.store.update(&second, &after_first, &[]).await.expect("starts as the first ends");
    let before_first = moved(&after_first, at(4, 6), at(4, 8));
    stores.store.update(&after_first, &before_first, &[]).await.expect("ends as the first starts");
    let again = open(ada, at(4, 16));
    stores.store.insert(&again, &[]).await.expect("checks in as the first ends");
    let out = closed_at(&again, at(4, 17));
    stores.store.update(&again, &out, &[]).await.expect("out");
    // One second earlier, it would not.
    let early = next(&out, |r| r.check_in = at(4, 16) - Duration::seconds(1));
    assert_overlaps(stores.store.update(&out, &early, &[]).await, &first);
}

pub async fn of_two_overlapping_writes_at_once_one_wins(stores: Stores) {
    // Two check-ins of one person.
    let ada = Uuid::now_v7();
    let tries = [open(ada, at(4, 8)), open(ada, at(4, 9))];
    let (a, b) = tokio::join!(stores.store.insert(&tries[0], &[]), stores.other.insert(&tries[1], &[]));
    let (won, refused) = one_wins([a, b]);
    assert!(matches!(refused, StoreError::Conflict(_) | StoreError::Overlap(_)), "{refused:?}");
    assert_eq!(stores.other.open(ada).await.expect("read"), Some(tries[won].clone()));
    assert_eq!(stores.store.get(tries[1 - won].record_id).await.expect("read"), None);

    // Two corrections, each fine alone, that overlap each other.
    let grace = Uuid::now_v7();
    let morning = worked(&stores, grace, at(5, 8), 2).await;
    let noon = worked(&stores, grace, at(5, 12), 2).await;
    let written = queued(&stores).await.len();
    let later = moved(&morning, at(5, 9), at(5, 11));
    let earlier = moved(&noon, at(5, 10), at(5, 13));
    let events = [marked(&later), marked(&earlier)];
    let (a, b) = tokio::join!(
        stores.store.update(&morning, &later, &events[0]),
        stores.other.update(&noon, &earlier, &events[1]),
    );
    let (won, refused) = one_wins([a, b]);
    assert!(matches!(refused, StoreError::Overlap(_)), "{refused:?}");
    let stored = [
        stores.store.get(morning.record_id).await.expect("read").expect("kept"),
        stores.store.get(noon.record_id).await.expect("read").expect("kept"),
    ];
    assert_eq!(stored[won], [&later, &earlier][won].clone(), "the winner is stored");
    assert_eq!(stored[1 - won], [&morning, &noon][1 - won].clone(), "the other is as it was");
    assert!(!overlaps(&stored[0], &stored[1]));
    assert_eq!(queued(&stores).await.len(), written + 1, "the winner's event only");
}
