//! The Leave store's contract: an overlapping request is refused in the
//! write that would store it (opposite halves of a day are not an
//! overlap), each write needs the stored versions of the request and of
//! the balances it moves (both years' for a request across 31 December),
//! a refused write leaves neither change nor event, and listings filter
//! and order alike.
//!
//! `hrms_platform::suite!` makes one test of each suite function per
//! implementation, on a store of its own.

use std::sync::Arc;

use chrono::NaiveDate;
use hrms_events::leave::{HalfDay, LeaveCancelled, LeaveStatus};
use hrms_events::{HrmsEvent, Payload, fixtures};
use hrms_leave::fixtures::{date, leave};
use hrms_leave::{Balance, Leave, LeaveQuery, LeaveStore, StoreError};
use uuid::Uuid;

use hrms_platform::outbox::OutboxStore;

/// A fresh Leave store and its outbox.
pub struct LeaveStores {
    pub store: Box<dyn LeaveStore>,
    pub outbox: Arc<dyn OutboxStore>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

/// The store in memory, its outbox beside it.
fn on_memory() -> LeaveStores {
    let store = hrms_leave::memory::MemoryLeaveStore::default();
    LeaveStores { outbox: store.outbox(), store: Box::new(store), _keep: Box::new(()) }
}

#[cfg(feature = "sqlite")]
fn on_sqlite() -> LeaveStores {
    use hrms_sqlite::Store as _;
    /// A directory removed on drop.
    struct TempDir(std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let dir = TempDir(std::env::temp_dir().join(format!("hrms-leave-conformance-{}", Uuid::now_v7())));
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    let store = crate::sqlite::SqliteLeaveStore::open(dir.0.join("leave.db")).expect("leave store");
    LeaveStores { outbox: Arc::new(store.outbox()), store: Box::new(store), _keep: Box::new(dir) }
}

#[cfg(feature = "dynamodb")]
async fn on_dynamodb() -> LeaveStores {
    use crate::dynamodb::DynamoLeaveStore;
    use hrms_dynamodb::Store as _;
    use hrms_dynamodb::outbox::DynamoOutbox;
    let tables = hrms_dynamodb::testing::tables(&["leave"]).await;
    let table = tables.table("leave");
    LeaveStores {
        store: Box::new(DynamoLeaveStore::new(tables.client.clone(), &table)),
        outbox: Arc::new(DynamoOutbox::new(tables.client.clone(), &table)),
        _keep: Box::new(()),
    }
}

impl LeaveStores {
    /// The events waiting in the outbox, in write order.
    async fn queued(&self) -> Vec<HrmsEvent> {
        let pending = self.outbox.pending(1000).await.expect("pending");
        assert!(pending.unreadable.is_empty(), "unreadable: {:?}", pending.unreadable);
        pending.entries.into_iter().map(|e| e.event).collect()
    }

    async fn read(&self, leave: &Leave) -> Option<Leave> {
        self.store.get(leave.leave_id).await.expect("read")
    }

    async fn taken(&self, employee_id: Uuid, year: i32) -> Vec<(String, f64, u64)> {
        let stored = self.store.balances(employee_id, year).await.expect("balances");
        stored.into_iter().map(|b| (b.leave_type, b.taken, b.version)).collect()
    }
}

/// `n` events about `leave`.
fn events(leave: &Leave, n: usize) -> Vec<HrmsEvent> {
    (0..n)
        .map(|i| {
            let payload = Payload::LeaveCancelled(LeaveCancelled {
                leave_id: leave.leave_id,
                employee_id: leave.employee_id,
                approver_id: leave.approver_id,
                cancelled_by: Uuid::now_v7(),
                leave_type: leave.leave_type.clone(),
                start_date: leave.start_date,
                end_date: leave.end_date,
                was_approved: false,
                reason: Some(format!("reason {i}")),
            });
            HrmsEvent::new(payload, &fixtures::hr_actor())
        })
        .collect()
}

/// `leave` as the next write stores it.
fn next(leave: &Leave, status: LeaveStatus) -> Leave {
    Leave { status, version: leave.version + 1, ..leave.clone() }
}

fn on(day: u32) -> NaiveDate {
    date(2027, 3, day)
}

fn assert_conflict(result: Result<(), StoreError>, cause: &str) {
    match result {
        Err(StoreError::Conflict(why)) => assert!(why.contains(cause), "want {cause:?} in {why:?}"),
        other => panic!("want a conflict ({cause}), got {other:?}"),
    }
}

pub async fn a_request_reads_back_as_written(s: LeaveStores) {
    let l = Leave { half_day: Some(HalfDay::SecondHalf), days: 0.5, ..leave(Uuid::now_v7(), on(3), on(3)) };
    let written = events(&l, 2);
    s.store.insert(&l, &[], &written).await.expect("inserted");
    assert_eq!(s.read(&l).await, Some(l.clone()));
    assert_eq!(s.store.get(Uuid::now_v7()).await.expect("read"), None, "unknown id");
    assert_eq!(s.store.list(&LeaveQuery::of(l.employee_id, 10)).await.expect("list"), vec![l.clone()]);
    assert_eq!(s.queued().await, written, "its events, as written");
    assert_conflict(
        s.store.insert(&Leave { start_date: on(20), end_date: on(20), ..l.clone() }, &[], &[]).await,
        "exists",
    );
}

pub async fn an_overlapping_request_is_refused_unless_it_is_the_other_half(s: LeaveStores) {
    let employee = Uuid::now_v7();
    let week = leave(employee, on(1), on(5));
    s.store.insert(&week, &[], &events(&week, 1)).await.expect("inserted");

    for (start, end) in [(on(5), on(9)), (on(2), on(3)), (date(2027, 2, 26), on(1))] {
        let clash = leave(employee, start, end);
        match s.store.insert(&clash, &[], &events(&clash, 1)).await {
            Err(StoreError::Overlap(other)) => assert_eq!(other, week.leave_id),
            other => panic!("{start}..{end}: want an overlap, got {other:?}"),
        }
        assert_eq!(s.read(&clash).await, None);
    }
    assert_eq!(s.queued().await.len(), 1, "the refused inserts queued nothing");
    s.store.insert(&leave(employee, on(8), on(9)), &[], &[]).await.expect("the week after");
    s.store.insert(&leave(Uuid::now_v7(), on(1), on(5)), &[], &[]).await.expect("someone else");

    let half = |h| Leave { half_day: Some(h), days: 0.5, ..leave(employee, on(10), on(10)) };
    s.store.insert(&half(HalfDay::FirstHalf), &[], &[]).await.expect("a morning");
    s.store.insert(&half(HalfDay::SecondHalf), &[], &[]).await.expect("the afternoon of the same day");
    assert!(matches!(s.store.insert(&half(HalfDay::FirstHalf), &[], &[]).await, Err(StoreError::Overlap(_))));

    // A cancelled request frees its days.
    s.store.update(&next(&week, LeaveStatus::Cancelled), &[], &[]).await.expect("cancelled");
    s.store.insert(&leave(employee, on(2), on(3)), &[], &[]).await.expect("free again");
}

pub async fn an_update_needs_the_stored_version(s: LeaveStores) {
    let l = leave(Uuid::now_v7(), on(1), on(2));
    s.store.insert(&l, &[], &[]).await.expect("inserted");
    let approved = next(&l, LeaveStatus::Approved);
    let written = events(&approved, 1);
    s.store.update(&approved, &[], &written).await.expect("right version");
    assert_eq!(s.read(&l).await, Some(approved.clone()));

    // A writer that read version 1 too.
    assert_conflict(s.store.update(&next(&l, LeaveStatus::Rejected), &[], &events(&l, 1)).await, "changed");
    let skipping = Leave { version: 4, ..approved.clone() };
    assert_conflict(s.store.update(&skipping, &[], &[]).await, "changed");
    let unknown = next(&leave(Uuid::now_v7(), on(1), on(2)), LeaveStatus::Approved);
    assert_conflict(s.store.update(&unknown, &[], &[]).await, "changed");
    assert_eq!(s.read(&l).await, Some(approved));
    assert_eq!(s.queued().await, written, "only the successful update's event");
}

pub async fn a_balance_moves_with_its_request_and_needs_its_version(s: LeaveStores) {
    let employee = Uuid::now_v7();
    let first = leave(employee, on(1), on(2));
    let second = leave(employee, on(8), on(10));
    s.store.insert(&first, &[], &[]).await.expect("inserted");
    s.store.insert(&second, &[], &[]).await.expect("inserted");

    let empty = Balance::empty(employee, "annual", 2027);
    let debited = empty.taking(2.0);
    s.store
        .update(&next(&first, LeaveStatus::Approved), std::slice::from_ref(&debited), &events(&first, 1))
        .await
        .expect("approved");
    assert_eq!(s.taken(employee, 2027).await, [("annual".to_owned(), 2.0, 1)]);

    // Approving the second with the balance as it was before the first:
    // refused whole, the request included.
    let stale = empty.taking(3.0);
    let approved = next(&second, LeaveStatus::Approved);
    assert_conflict(s.store.update(&approved, &[stale], &events(&second, 1)).await, "balance");
    assert_eq!(s.read(&second).await, Some(second.clone()), "the request unchanged");
    assert_eq!(s.taken(employee, 2027).await, [("annual".to_owned(), 2.0, 1)]);
    assert_eq!(s.queued().await.len(), 1);

    s.store.update(&approved, &[debited.taking(3.0)], &[]).await.expect("read afresh");
    assert_eq!(s.taken(employee, 2027).await, [("annual".to_owned(), 5.0, 2)]);
    // A request approved when made moves its balance in the insert.
    let sick =
        Leave { leave_type: "sick".into(), status: LeaveStatus::Approved, ..leave(employee, on(15), on(15)) };
    s.store.insert(&sick, &[Balance::empty(employee, "sick", 2027).taking(1.0)], &[]).await.expect("sick");
    let stale_sick = Leave { leave_id: Uuid::now_v7(), start_date: on(16), end_date: on(16), ..sick.clone() };
    let again = Balance::empty(employee, "sick", 2027).taking(1.0);
    assert_conflict(s.store.insert(&stale_sick, &[again], &[]).await, "balance");
    assert_eq!(s.read(&stale_sick).await, None, "not inserted without its balance");
    assert_eq!(s.taken(employee, 2027).await, [("annual".to_owned(), 5.0, 2), ("sick".to_owned(), 1.0, 1)]);
    assert!(s.taken(employee, 2028).await.is_empty(), "per year");
    assert!(s.taken(Uuid::now_v7(), 2027).await.is_empty(), "per employee");
}

pub async fn a_request_across_new_year_moves_both_balances_or_neither(s: LeaveStores) {
    let employee = Uuid::now_v7();
    let across = Leave {
        days: 6.0,
        next_year_days: Some(4.0),
        ..leave(employee, date(2027, 12, 29), date(2028, 1, 7))
    };
    s.store.insert(&across, &[], &[]).await.expect("inserted");
    assert_eq!(s.read(&across).await, Some(across.clone()), "its days per year read back");
    let this_year = Balance::empty(employee, "annual", 2027).taking(2.0);
    let next_year = Balance::empty(employee, "annual", 2028).taking(4.0);

    // The next year's balance moved meanwhile: refused whole.
    let approved = next(&across, LeaveStatus::Approved);
    let stale = Balance { version: 2, ..next_year.clone() };
    let refused = s.store.update(&approved, &[this_year.clone(), stale], &events(&across, 1)).await;
    assert_conflict(refused, "balance of 2028");
    assert_eq!(s.read(&across).await, Some(across.clone()), "the request unchanged");
    assert!(s.taken(employee, 2027).await.is_empty(), "nor this year's balance");
    assert!(s.queued().await.is_empty(), "nor an event");

    s.store.update(&approved, &[this_year, next_year], &events(&across, 1)).await.expect("approved");
    assert_eq!(s.taken(employee, 2027).await, [("annual".to_owned(), 2.0, 1)]);
    assert_eq!(s.taken(employee, 2028).await, [("annual".to_owned(), 4.0, 1)]);
    assert_eq!(s.queued().await.len(), 1);
}

pub async fn listings_filter_and_order_alike(s: LeaveStores) {
    let (ada, grace, manager) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mine = |start, end| Leave { approver_id: Some(manager), ..leave(ada, start, end) };
    let (march, may, june) = (
        mine(on(1), on(3)),
        mine(date(2027, 5, 3), date(2027, 5, 7)),
        mine(date(2027, 6, 1), date(2027, 6, 1)),
    );
    let theirs = leave(grace, on(2), on(2));
    for l in [&march, &may, &june, &theirs] {
        s.store.insert(l, &[], &[]).await.expect("inserted");
    }
    let may = next(&may, LeaveStatus::Approved);
    s.store.update(&may, &[], &[]).await.expect("approved");

    let ids = |found: Vec<Leave>| found.into_iter().map(|l| l.leave_id).collect::<Vec<_>>();
    let list = async |q: LeaveQuery| ids(s.store.list(&q).await.expect("list"));
    let everyone = LeaveQuery { employee_id: None, ..LeaveQuery::of(ada, 100) };
    assert_eq!(list(everyone.clone()).await, [june.leave_id, may.leave_id, theirs.leave_id, march.leave_id]);
    assert_eq!(list(LeaveQuery::of(ada, 100)).await, [june.leave_id, may.leave_id, march.leave_id]);
    let team = LeaveQuery { approver_id: Some(manager), ..everyone.clone() };
    assert_eq!(list(team).await, [june.leave_id, may.leave_id, march.leave_id]);
    let approved = LeaveQuery { status: Some(LeaveStatus::Approved), ..everyone.clone() };
    assert_eq!(list(approved).await, [may.leave_id]);
    let spring = LeaveQuery { from: Some(on(3)), to: Some(date(2027, 5, 3)), ..everyone.clone() };
    assert_eq!(list(spring).await, [may.leave_id, march.leave_id], "overlapping the dates");
    assert_eq!(list(LeaveQuery { limit: 2, ..everyone.clone() }).await, [june.leave_id, may.leave_id]);
    let later = LeaveQuery { from: Some(date(2027, 5, 8)), limit: 1, ..everyone };
    assert_eq!(list(later).await, [june.leave_id], "the limit counts the matches only");
    assert_eq!(s.store.get(may.leave_id).await.expect("read").map(|l| l.status), Some(LeaveStatus::Approved));
}

hrms_platform::suite!(
    a_request_reads_back_as_written,
    an_overlapping_request_is_refused_unless_it_is_the_other_half,
    an_update_needs_the_stored_version,
    a_balance_moves_with_its_request_and_needs_its_version,
    a_request_across_new_year_moves_both_balances_or_neither,
    listings_filter_and_order_alike,
);

mod reassign;
