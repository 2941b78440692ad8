//! The audit log: appends kept once and chained per subject, listings and
//! their pages, the read model and its replay (both by event time: a late
//! event does not become current), verification of an intact log.
//!
//! Each suite function takes a fresh, empty store; [`audit_conformance!`]
//! makes one test of it per implementation.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use hrms_audit::fixtures::employee_updated;
use hrms_audit::history::{replay, state_at};
use hrms_audit::store::{Cursor, Order};
use hrms_audit::verify::verify;
use hrms_audit::{AuditStore, NewEntry, Query, States, entry::GENESIS, persist};
use hrms_events::HrmsEvent;
use uuid::Uuid;

fn at(second: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).single().expect("time") + Duration::seconds(second)
}

/// `n` updates of each of `subjects`, one second apart, alternating two actors.
fn history(subjects: &[Uuid], n: u64, actors: [Uuid; 2]) -> Vec<HrmsEvent> {
    let mut events = Vec::new();
    for v in 1..=n {
        for (i, s) in subjects.iter().enumerate() {
            let second = (v * subjects.len() as u64 + i as u64) as i64;
            events.push(employee_updated(*s, v, at(second), actors[(v % 2) as usize]));
        }
    }
    events
}

pub async fn appends_are_kept_once_and_chained_per_subject(store: Box<dyn AuditStore>) {
    let subjects = [Uuid::now_v7(), Uuid::now_v7()];
    let events = history(&subjects, 3, [Uuid::now_v7(), Uuid::now_v7()]);
    let first = persist(store.as_ref(), &events[..4]).await.expect("persisted");
    assert_eq!((first.recorded, first.duplicates), (4, 0));
    // A redelivery of what was kept, with what was not, in one batch; and
    // one event twice in a batch.
    let mut again = events.clone();
    again.push(events[5].clone());
    let second = persist(store.as_ref(), &again).await.expect("persisted");
    assert_eq!((second.recorded, second.duplicates), (2, 5));

    for subject in subjects {
        let chain = store.chain(&subject.to_string()).await.expect("chain");
        assert_eq!(chain.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
        let want: Vec<Uuid> =
            events.iter().filter(|e| e.subject() == subject.to_string()).map(|e| e.id).collect();
        assert_eq!(chain.iter().map(|e| e.event_id).collect::<Vec<_>>(), want, "in the order given");
        assert_eq!(chain[0].prev_hash, GENESIS);
        for pair in chain.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash);
        }
        let original = events.iter().find(|e| e.id == chain[0].event_id).expect("event");
        assert_eq!(
            chain[0].event,
            NewEntry::new(original).expect("canonical").event,
            "the canonical form is what is kept"
        );
    }
    let heads = store.heads().await.expect("heads");
    assert_eq!(heads.len(), 2);
    assert!(heads.iter().all(|h| h.seq == 3));
    let report = verify(store.as_ref()).await.expect("verified");
    assert_eq!((report.chains, report.rows), (2, 6));
    assert!(report.is_intact(), "{:?}", report.findings);
}

pub async fn listings_filter_and_page_without_gaps(store: Box<dyn AuditStore>) {
    let subjects = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
    let actors = [Uuid::now_v7(), Uuid::now_v7()];
    let events = history(&subjects, 5, actors);
    for batch in events.chunks(4) {
        persist(store.as_ref(), batch).await.expect("persisted");
    }
    let mut newest_first: Vec<Uuid> = {
        let mut sorted = events.clone();
        sorted.sort_by_key(|e| (e.time, e.id));
        sorted.iter().rev().map(|e| e.id).collect()
    };

    for order in [Order::NewestFirst, Order::OldestFirst] {
        let mut seen = Vec::new();
        let mut query = Query { limit: 4, order, ..Query::default() };
        loop {
            let page = store.query(&query).await.expect("page");
            assert!(page.entries.len() <= 4);
            seen.extend(page.entries.iter().map(|e| e.event_id));
            match page.next {
                // The cursor survives its text form.
                Some(next) => query.after = Cursor::decode(&next.encode()),
                None => break,
            }
        }
        assert_eq!(seen, newest_first, "{order:?}: every row once, in order");
        newest_first.reverse();
    }

    let ids = |filter: Query| {
        let store = &store;
        async move {
            let page = store.query(&Query { limit: 100, ..filter.clone() }).await.expect("page");
            let count = store.count(&filter).await.expect("count");
            assert_eq!(count, page.entries.len() as u64, "count agrees with the listing");
            page.entries.into_iter().map(|e| e.event_id).collect::<HashSet<_>>()
        }
    };
    let want = |keep: &dyn Fn(&HrmsEvent) -> bool| events.iter().filter(|e| keep(e)).map(|e| e.id).collect();
    let subject = subjects[1].to_string();
    assert_eq!(
        ids(Query { subject: Some(subject.clone()), ..Query::default() }).await,
        want(&|e| e.subject() == subject)
    );
    let actor = format!("{}", actors[0]);
    assert_eq!(
        ids(Query { actor: Some(actor.clone()), ..Query::default() }).await,
        want(&|e| e.actor == actor)
    );
    let ty = "audit.employee.updated".to_owned();
    assert_eq!(ids(Query { event_type: Some(ty), ..Query::default() }).await.len(), events.len());
    let none = Query { event_type: Some("audit.user.created".into()), ..Query::default() };
    assert!(ids(none).await.is_empty());
    let (from, to) = (at(5), at(9));
    let window = Query { from: Some(from), to: Some(to), ..Query::default() };
    assert_eq!(ids(window).await, want(&|e| e.time >= from && e.time < to));
    let both = Query { actor: Some(actor.clone()), from: Some(from), ..Query::default() };
    assert_eq!(ids(both).await, want(&|e| e.actor == actor && e.time >= from));
}

pub async fn states_follow_the_log_and_replay_rebuilds_them(store: Box<dyn AuditStore>) {
    let subjects = [Uuid::now_v7(), Uuid::now_v7()];
    let events = history(&subjects, 3, [Uuid::now_v7(), Uuid::now_v7()]);
    persist(store.as_ref(), &events).await.expect("persisted");
    let subject = subjects[0].to_string();
    let current = store.state(&subject).await.expect("state").expect("a state");
    assert_eq!((current.seq, current.state["version"].as_u64()), (3, Some(3)));
    assert_eq!(current.event_type, "audit.employee.updated");

    let chain = store.chain(&subject).await.expect("chain");
    let middle = chain[1].time;
    assert_eq!(state_at(&chain, middle).map(|s| s.state["version"].as_u64()), Some(Some(2)));
    assert_eq!(state_at(&chain, middle - Duration::milliseconds(1)).map(|s| s.seq), Some(1));
    assert_eq!(state_at(&chain, chain[0].time - Duration::seconds(1)), None, "not yet there");

    // The read model is a projection: emptied, replay brings it back.
    store.put_states(&[], States::First).await.expect("emptied");
    assert_eq!(store.state(&subject).await.expect("state"), None);
    let mut progress = Vec::new();
    assert_eq!(replay(store.as_ref(), |n| progress.push(n)).await.expect("replayed"), 2);
    assert_eq!(progress.last(), Some(&2));
    assert_eq!(store.state(&subject).await.expect("state"), Some(current));
}

pub async fn an_older_event_appended_late_does_not_become_the_current_state(store: Box<dyn AuditStore>) {
    let (subject, actor) = (Uuid::now_v7(), Uuid::now_v7());
    let [first, second, third] = [1, 2, 3].map(|v| employee_updated(subject, v, at(v as i64 * 10), actor));
    let key = subject.to_string();
    let version =
        |state: Option<hrms_audit::store::SubjectState>| state.and_then(|s| s.state["version"].as_u64());

    // The second update dead-lettered, the third consumed, then the second redriven.
    persist(store.as_ref(), [&first, &third]).await.expect("persisted");
    persist(store.as_ref(), [&second]).await.expect("redriven");
    assert_eq!(version(store.state(&key).await.expect("state")), Some(3), "the latest by event time");
    let chain = store.chain(&key).await.expect("chain");
    assert_eq!(chain.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3], "appended in arrival order");
    assert_eq!(version(state_at(&chain, at(25))), Some(2), "at a time: by event time");
    assert_eq!(version(state_at(&chain, at(35))), Some(3));

    // Late in one batch too, and through a replay.
    let (other, late) = (Uuid::now_v7(), at(5));
    let newer = employee_updated(other, 2, at(50), actor);
    let older = employee_updated(other, 1, late, actor);
    persist(store.as_ref(), [&newer, &older]).await.expect("persisted");
    assert_eq!(version(store.state(&other.to_string()).await.expect("state")), Some(2));
    store.put_states(&[], States::First).await.expect("emptied");
    replay(store.as_ref(), |_| {}).await.expect("replayed");
    assert_eq!(version(store.state(&key).await.expect("state")), Some(3), "replay follows event time");
    assert_eq!(version(store.state(&other.to_string()).await.expect("state")), Some(2));
}

pub async fn subjects_are_listed_in_pages(store: Box<dyn AuditStore>) {
    let mut subjects: Vec<Uuid> = (0..7).map(|_| Uuid::now_v7()).collect();
    persist(store.as_ref(), &history(&subjects, 1, [Uuid::now_v7(); 2])).await.expect("persisted");
    subjects.sort();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.subjects(after.as_deref(), 3).await.expect("subjects");
        let Some(last) = page.last().cloned() else { break };
        seen.extend(page);
        after = Some(last);
    }
    assert_eq!(seen, subjects.iter().map(Uuid::to_string).collect::<Vec<_>>());
}

/// An empty audit log in memory.
fn on_memory() -> Box<dyn AuditStore> {
    Box::new(hrms_audit::memory::MemoryAuditStore::default())
}

/// An empty audit log in a directory of its own.
#[cfg(feature = "sqlite")]
fn on_sqlite() -> (Box<dyn AuditStore>, hrms_platform::testing::TempDir) {
    let dir = hrms_platform::testing::TempDir::new("audit-conformance");
    (Box::new(crate::sqlite::SqliteAuditStore::open(dir.0.join("audit.db")).expect("audit store")), dir)
}

/// An empty audit log in a table of its own.
#[cfg(feature = "dynamodb")]
async fn on_dynamodb() -> Box<dyn AuditStore> {
    Box::new(crate::dynamodb::testing::audit_store(&crate::dynamodb::testing::tables().await))
}

/// One `#[tokio::test]` per audit suite function and implementation.
macro_rules! audit_conformance {
    ($($suite:ident),* $(,)?) => {
        mod on_memory {
            $(
                #[tokio::test]
                async fn $suite() {
                    super::$suite(super::on_memory()).await;
                }
            )*
        }

        #[cfg(feature = "sqlite")]
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $suite() {
                    let (store, _dir) = super::on_sqlite();
                    super::$suite(store).await;
                }
            )*
        }

        #[cfg(feature = "dynamodb")]
        mod on_dynamodb {
            $(
                #[tokio::test]
                async fn $suite() {
                    super::$suite(super::on_dynamodb().await).await;
                }
            )*
        }
    };
}

audit_conformance!(
    appends_are_kept_once_and_chained_per_subject,
    listings_filter_and_page_without_gaps,
    states_follow_the_log_and_replay_rebuilds_them,
    an_older_event_appended_late_does_not_become_the_current_state,
    subjects_are_listed_in_pages,
);
