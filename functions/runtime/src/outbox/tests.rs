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

use super::sqlite::{self, SqliteOutbox};
use super::{OutboxStore, Relay, RelaySettings};
use crate::inprocess::InProcessBus;
use crate::publish::{EventPublisher, PublishError};

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

/// The in-process bus, refusing chosen events as a transport would.
#[derive(Default)]
struct Refusing {
    bus: InProcessBus,
    refuse: Mutex<HashMap<Uuid, PublishError>>,
}

impl EventPublisher for Refusing {
    fn publish<'a>(&'a self, events: &'a [HrmsEvent]) -> BoxFuture<'a, Vec<Result<(), PublishError>>> {
        Box::pin(async move {
            let refuse = self.refuse.lock().expect("lock").clone();
            let mut results = Vec::new();
            for e in events {
                results.push(match refuse.get(&e.id) {
                    Some(error) => Err(error.clone()),
                    None => self.bus.publish_all(std::slice::from_ref(e)).await,
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
        .insert(one_key[1].id, PublishError::Retryable("broker busy".into()));
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
        .insert(events[0].id, PublishError::Fatal("record too large".into()));
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
