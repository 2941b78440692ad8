//! The outbox on SQLite with the relay: events exist only with their
//! committed change, go out in write order per key, wait for a key's failed
//! event, and are set aside when they can never be published.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use hrms_events::{EventType, HrmsEvent, fixtures};
use rusqlite::params;
use uuid::Uuid;

use crate::outbox::{self as sqlite, SqliteOutbox};
use hrms_platform::inprocess::InProcessBus;
use hrms_platform::outbox::{OutboxStore, Relay, RelaySettings};
use hrms_platform::publish::{EventPublisher, PublishError};

/// A service database: one entity table plus the outbox.
struct Db {
    _dir: tempdir::Dir,
    path: std::path::PathBuf,
}

mod tempdir {
    /// A directory removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!("hrms-outbox-{}", uuid::Uuid::now_v7()));
            std::fs::create_dir_all(&path).expect("temp dir");
            Self(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Db {
    fn new() -> Self {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("service.db");
        let conn = sqlite::connect(&path).expect("db");
        sqlite::migrate(&conn).expect("outbox tables");
        conn.execute("CREATE TABLE employee (id TEXT PRIMARY KEY, name TEXT NOT NULL)", [])
            .expect("entity table");
        Self { _dir: dir, path }
    }

    /// One service operation: the entity row and its events, in one transaction.
    fn write(&self, id: &str, events: &[HrmsEvent]) -> rusqlite::Result<()> {
        let mut conn = sqlite::connect(&self.path)?;
        let tx = conn.transaction()?;
        sqlite::append(&tx, &sqlite::encode(events))?;
        tx.execute("INSERT INTO employee (id, name) VALUES (?1, ?2)", params![id, "Ada"])?;
        tx.commit()
    }

    fn outbox(&self) -> Arc<SqliteOutbox> {
        Arc::new(SqliteOutbox::open(&self.path).expect("outbox"))
    }
}

/// The in-process bus, refusing chosen events as a transport would; keeps
/// the ids it published, in order.
#[derive(Default)]
struct Refusing {
    bus: InProcessBus,
    refuse: Mutex<HashMap<Uuid, PublishError>>,
    published: Mutex<Vec<Uuid>>,
    /// An event whose publish never ends (a relay cut off mid-way), and
    /// whether it was reached.
    stall: Mutex<Option<Uuid>>,
    stalled: std::sync::atomic::AtomicBool,
}

impl Refusing {
    fn published(&self) -> Vec<Uuid> {
        self.published.lock().expect("lock").clone()
    }
}

impl EventPublisher for Refusing {
    fn publish<'a>(&'a self, events: &'a [HrmsEvent]) -> BoxFuture<'a, Vec<Result<(), PublishError>>> {
        Box::pin(async move {
            let refuse = self.refuse.lock().expect("lock").clone();
            let mut results = Vec::new();
            for e in events {
                if *self.stall.lock().expect("lock") == Some(e.id) {
                    self.stalled.store(true, std::sync::atomic::Ordering::SeqCst);
                    std::future::pending::<()>().await;
                }
                results.push(match refuse.get(&e.id) {
                    Some(error) => Err(error.clone()),
                    None => {
                        self.published.lock().expect("lock").push(e.id);
                        self.bus.publish_all(std::slice::from_ref(e)).await
                    }
                });
            }
            results
        })
    }
}

fn leave_events(n: usize) -> Vec<HrmsEvent> {
    (0..n).map(|_| fixtures::sample(EventType::LeaveRequested)).collect()
}

fn quick() -> RelaySettings {
    RelaySettings { batch: 3, ..RelaySettings::default() }
}

#[tokio::test]
async fn events_exist_only_if_their_change_commits() {
    let db = Db::new();
    let committed = leave_events(2);
    db.write("e1", &committed).expect("committed");
    let refused = leave_events(2);
    assert!(db.write("e1", &refused).is_err(), "duplicate key: the store write fails");

    let outbox = db.outbox();
    let pending: Vec<_> =
        outbox.pending(10).await.expect("pending").entries.into_iter().map(|e| e.event).collect();
    assert_eq!(pending, committed, "read back equal, in write order, and nothing of the failed write");
    let created: String = sqlite::connect(&db.path)
        .expect("db")
        .query_row("SELECT created_at FROM outbox LIMIT 1", [], |r| r.get(0))
        .expect("row");
    let at = chrono::DateTime::parse_from_rfc3339(&created).expect("an RFC 3339 time");
    assert!((chrono::Utc::now() - at.to_utc()).num_seconds().abs() < 60, "{created} is about now");
    assert_eq!(created.len(), "2026-11-27T09:00:00.000Z".len(), "UTC, milliseconds: {created}");

    let publisher = Arc::new(Refusing::default());
    let relay = Relay::new(outbox.clone(), publisher.clone(), quick());
    let report = relay.drain().await.expect("drained");
    assert_eq!((report.published, report.interrupted), (2, false));
    assert_eq!(outbox.backlog().await.expect("backlog"), 0);
    assert_eq!(publisher.bus.backlog("notification-queue", "reader"), 2);
}

#[tokio::test]
async fn a_failed_event_holds_back_its_key_and_no_other() {
    let db = Db::new();
    let one_key = leave_events(3);
    let other_key = [fixtures::sample(EventType::LeaveRequested)].map(|mut e| {
        if let hrms_events::Payload::LeaveRequested(p) = &mut e.payload {
            p.employee_id = Uuid::now_v7();
        }
        e
    });
    db.write("e1", &one_key).expect("committed");
    db.write("e2", &other_key).expect("committed");

    let publisher = Arc::new(Refusing::default());
    publisher
        .refuse
        .lock()
        .expect("lock")
        .insert(one_key[1].id, PublishError::Retryable { reason: "broker busy".into(), cause: None });
    let outbox = db.outbox();
    let relay = Relay::new(outbox.clone(), publisher.clone(), RelaySettings::default());
    let report = relay.drain().await.expect("drained");
    assert!(report.interrupted);
    assert_eq!(report.published, 2, "the first event of the key and the other key's");
    let left: Vec<_> =
        outbox.pending(10).await.expect("pending").entries.iter().map(|e| e.event.id).collect();
    assert_eq!(left, vec![one_key[1].id, one_key[2].id], "the failed event and its key's later one wait");

    publisher.refuse.lock().expect("lock").clear();
    relay.drain().await.expect("drained");
    assert_eq!(outbox.backlog().await.expect("backlog"), 0);
}

#[tokio::test]
async fn an_event_the_transport_can_never_take_is_set_aside() {
    let db = Db::new();
    let events = leave_events(3);
    db.write("e1", &events).expect("committed");
    let publisher = Arc::new(Refusing::default());
    publisher
        .refuse
        .lock()
        .expect("lock")
        .insert(events[0].id, PublishError::Fatal { reason: "record too large".into(), cause: None });
    let outbox = db.outbox();
    let report = Relay::new(outbox.clone(), publisher.clone(), quick()).drain().await.expect("drained");
    assert_eq!((report.published, report.dead), (2, 1));
    assert_eq!(outbox.backlog().await.expect("backlog"), 0);
    let conn = sqlite::connect(&db.path).expect("db");
    let (id, reason): (String, String) = conn
        .query_row("SELECT event_id, reason FROM outbox_dead", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("kept with its reason");
    assert_eq!((id, reason), (events[0].id.to_string(), "record too large".to_owned()));
}

#[tokio::test]
async fn a_woken_relay_publishes_at_once() {
    let db = Db::new();
    let publisher = Arc::new(Refusing::default());
    let settings = RelaySettings { interval: Duration::from_secs(3600), ..RelaySettings::default() };
    let relay = Relay::new(db.outbox(), publisher.clone(), settings);
    let waker = relay.waker();
    let events = leave_events(2);
    let operation = async {
        db.write("e1", &events).expect("committed");
        waker.wake();
        tokio::time::timeout(Duration::from_secs(10), async {
            while publisher.bus.backlog("notification-queue", "reader") < 2 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("published without waiting for the interval");
    };
    relay.run(operation).await;
}

/// A service's store whose commits hand their events over to the relay,
/// and how often the relay read the outbox.
struct Fed {
    _dir: tempdir::Dir,
    db: crate::Database,
    reads: Arc<std::sync::atomic::AtomicUsize>,
}

/// The relay's view of the outbox, counting its reads.
struct Counting {
    outbox: SqliteOutbox,
    reads: Arc<std::sync::atomic::AtomicUsize>,
}

impl OutboxStore for Counting {
    fn pending(&self, limit: usize) -> BoxFuture<'_, Result<super::Pending, super::OutboxError>> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.outbox.pending(limit)
    }
    fn settle<'a>(
        &'a self,
        published: &'a [i64],
        dead: &'a [(i64, String)],
    ) -> BoxFuture<'a, Result<(), super::OutboxError>> {
        self.outbox.settle(published, dead)
    }
    fn backlog(&self) -> BoxFuture<'_, Result<u64, super::OutboxError>> {
        self.outbox.backlog()
    }
}

impl Fed {
    /// The store and its relay, which reads the store only at start-up and
    /// after failures (its interval is an hour).
    fn new(publisher: Arc<Refusing>, settings: RelaySettings) -> (Self, Relay) {
        let dir = tempdir::Dir::new();
        let db =
            crate::Database::open(dir.0.join("service.db"), &["CREATE TABLE employee (id TEXT PRIMARY KEY)"])
                .expect("db");
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let outbox = Counting { outbox: SqliteOutbox::of(db.clone()), reads: reads.clone() };
        let settings = RelaySettings { interval: Duration::from_secs(3600), ..settings };
        let relay = Relay::new(Arc::new(outbox), publisher, settings);
        let db = db.with_relay(relay.waker());
        (Self { _dir: dir, db, reads }, relay)
    }

    /// One operation: a row and its events, committed together.
    async fn write(&self, events: &[HrmsEvent]) {
        let id = Uuid::now_v7().to_string();
        let written = self.db.commit(events, move |tx| {
            tx.execute("INSERT INTO employee (id) VALUES (?1)", [id]).map(|_| Ok::<(), String>(()))
        });
        written.await.expect("store").expect("committed");
    }

    fn reads(&self) -> usize {
        self.reads.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn backlog(&self) -> u64 {
        SqliteOutbox::of(self.db.clone()).backlog().await.expect("backlog")
    }
}

/// Waits (at most 10 s) until `publisher` has published `n` events.
async fn published(publisher: &Refusing, n: usize) -> Vec<Uuid> {
    hrms_platform::testing::until(Duration::from_secs(10), || publisher.published().len() >= n).await;
    publisher.published()
}

fn ids(events: &[HrmsEvent]) -> Vec<Uuid> {
    events.iter().map(|e| e.id).collect()
}

#[tokio::test]
async fn committed_events_go_out_once_in_commit_order_without_reading_them_back() {
    let publisher = Arc::new(Refusing::default());
    let (fed, relay) = Fed::new(publisher.clone(), RelaySettings::default());
    let in_order: Vec<_> = (0..20).map(|_| leave_events(2)).collect();
    let together: Vec<_> = (0..40).map(|_| leave_events(1)).collect();
    let operation = async {
        for events in &in_order {
            fed.write(events).await;
        }
        futures::future::join_all(together.iter().map(|events| fed.write(events))).await;
        let all = published(&publisher, 80).await;
        assert_eq!(all[..40], ids(&in_order.concat()), "one after the other: in commit order");
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 80, "each once");
        tokio::time::timeout(Duration::from_secs(10), async {
            while fed.backlog().await > 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
        .await
        .expect("settled: the outbox is empty");
    };
    relay.run(operation).await;
    assert_eq!(fed.reads(), 1, "the store was read at start-up only");
}

#[tokio::test]
async fn events_handed_over_before_the_relay_runs_go_out_once() {
    // Committed before the relay runs: its start-up read publishes them,
    // and it drops their hand-overs, also when there were more than it holds.
    for held in [100, 4] {
        let publisher = Arc::new(Refusing::default());
        let (fed, relay) = Fed::new(publisher.clone(), RelaySettings { held, ..RelaySettings::default() });
        let events = leave_events(10);
        for pair in events.chunks(2) {
            fed.write(pair).await;
        }
        let later = leave_events(2);
        relay
            .run(async {
                fed.write(&later).await;
                assert_eq!(published(&publisher, 12).await, ids(&[events.clone(), later.clone()].concat()));
            })
            .await;
        assert_eq!(publisher.published().len(), 12, "none twice (holding {held})");
        assert_eq!(fed.backlog().await, 0);
    }
}

#[tokio::test]
async fn a_failed_event_goes_out_before_the_later_events_of_its_key() {
    let publisher = Arc::new(Refusing::default());
    let quick_backoff = RelaySettings {
        backoff: hrms_platform::consume::RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            ..RelaySettings::default().backoff
        },
        ..RelaySettings::default()
    };
    let (fed, relay) = Fed::new(publisher.clone(), quick_backoff);
    let key = leave_events(3); // one employee: one key
    let other = [fixtures::sample(EventType::LeaveRequested)].map(|mut e| {
        if let hrms_events::Payload::LeaveRequested(p) = &mut e.payload {
            p.employee_id = Uuid::now_v7();
        }
        e
    });
    publisher
        .refuse
        .lock()
        .expect("lock")
        .insert(key[0].id, PublishError::Retryable { reason: "broker busy".into(), cause: None });
    relay
        .run(async {
            fed.write(&key[..1]).await;
            fed.write(&key[1..]).await;
            fed.write(&other).await;
            // The other key goes on.
            hrms_platform::testing::until(Duration::from_secs(10), || {
                publisher.published().contains(&other[0].id)
            })
            .await;
            assert_eq!(fed.backlog().await, 3, "the failed event and its key's later ones wait");
            publisher.refuse.lock().expect("lock").clear();
            tokio::time::timeout(Duration::from_secs(10), async {
                while fed.backlog().await > 0 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
            .await
            .expect("all published once the transport takes the failed one");
        })
        .await;
    // Consumers keep the first copy of each id: the key's first copies
    // must be in write order, none of its later events before the failed one.
    let all = publisher.published();
    let first = |id: Uuid| all.iter().position(|p| *p == id).expect("published");
    assert!(first(key[0].id) < first(key[1].id) && first(key[1].id) < first(key[2].id), "{all:?}");
    for e in &key {
        assert_eq!(all.iter().filter(|p| **p == e.id).count(), 1, "each of the key's events once");
    }
    assert_eq!(all.iter().filter(|p| **p == other[0].id).count(), 1, "the other key's event once");
}

#[tokio::test]
async fn a_relay_cut_off_mid_drain_has_settled_the_rounds_before() {
    let db = Db::new();
    let events = leave_events(3); // one key: three rounds
    db.write("e1", &events).expect("committed");
    let publisher = Arc::new(Refusing::default());
    *publisher.stall.lock().expect("lock") = Some(events[2].id);
    let outbox = db.outbox();
    let relay = Relay::new(outbox.clone(), publisher.clone(), RelaySettings::default());
    tokio::select! {
        _ = relay.drain() => panic!("the third publish never ends"),
        _ = hrms_platform::testing::until(Duration::from_secs(10), || {
            publisher.stalled.load(std::sync::atomic::Ordering::SeqCst)
        }) => {}
    }
    // The drain is dropped, as a crash or a Lambda's timeout would end it.
    let left: Vec<_> =
        outbox.pending(10).await.expect("pending").entries.iter().map(|e| e.event.id).collect();
    assert_eq!(left, vec![events[2].id], "the acknowledged events are not sent again");
}

#[tokio::test]
async fn a_key_with_more_events_than_rounds_goes_out_whole_in_order() {
    let db = Db::new();
    let events = leave_events(70); // one key, past the rounds of one publish
    db.write("e1", &events).expect("committed");
    let publisher = Arc::new(Refusing::default());
    let outbox = db.outbox();
    let report = Relay::new(outbox.clone(), publisher.clone(), RelaySettings::default()).drain().await;
    assert_eq!(report.expect("drained").published, 70);
    assert_eq!(publisher.published(), ids(&events), "in write order");
    assert_eq!(outbox.backlog().await.expect("backlog"), 0);
}
