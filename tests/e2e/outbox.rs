//! Zero loss across a broker outage and a process restart: a change
//! committed while the broker is down keeps its events in the outbox, and a
//! restarted process publishes them once the broker is back.

use std::sync::Arc;

use hrms_e2e::{Broker, TempDir};
use hrms_events::{EventType, HrmsEvent, fixtures};
use hrms_kafka::codec::decode;
use hrms_kafka::{KafkaPublisher, ensure_topics};
use hrms_platform::outbox::{OutboxStore, Relay, RelaySettings};
use hrms_sqlite::outbox::{self as sqlite, SqliteOutbox, rusqlite};

use crate::round_trip::read_from_start;

/// A service operation: its change and its events in one transaction.
fn commit(db: &std::path::Path, id: &str, events: &[HrmsEvent]) {
    let mut conn = sqlite::connect(db).expect("db");
    let tx = conn.transaction().expect("tx");
    sqlite::append(&tx, &sqlite::encode(events)).expect("outbox");
    tx.execute("INSERT INTO employee (id) VALUES (?1)", rusqlite::params![id]).expect("change");
    tx.commit().expect("committed");
}

#[tokio::test(flavor = "multi_thread")]
async fn events_committed_while_the_broker_is_down_arrive_after_both_restart() {
    let mut broker = Broker::start_persistent();
    let config = broker.config();
    ensure_topics(&config, &hrms_events::TOPICS).await.expect("topics");
    let dir = TempDir::new();
    let db = dir.0.join("employee.db");
    {
        let conn = sqlite::connect(&db).expect("db");
        sqlite::migrate(&conn).expect("outbox tables");
        conn.execute("CREATE TABLE employee (id TEXT PRIMARY KEY)", []).expect("entity table");
    }

    // The first process: the broker goes down, the request still succeeds.
    broker.stop();
    let events =
        [fixtures::sample(EventType::EmployeeCreated), fixtures::sample(EventType::AuditEmployeeCreated)];
    commit(&db, "e1", &events);
    {
        let outbox = Arc::new(SqliteOutbox::open(&db).expect("outbox"));
        let relay = Relay::new(
            outbox.clone(),
            Arc::new(KafkaPublisher::new(&config).expect("producer")),
            RelaySettings::default(),
        );
        let report = relay.drain().await.expect("drained");
        assert!(report.interrupted && report.published == 0, "{report:?}");
        assert_eq!(outbox.backlog().await.expect("backlog"), 2, "kept for later");
    } // the process ends

    // The broker comes back; a new process relays what was left.
    broker.restart();
    let outbox = Arc::new(SqliteOutbox::open(&db).expect("outbox"));
    let relay = Relay::new(
        outbox.clone(),
        Arc::new(KafkaPublisher::new(&config).expect("producer")),
        RelaySettings::default(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while outbox.backlog().await.expect("backlog") > 0 {
        assert!(std::time::Instant::now() < deadline, "outbox not drained");
        relay.drain().await.expect("drained");
    }
    let stored: Vec<_> = read_from_start(&config, &["notification-queue", "audit-queue"], 2)
        .iter()
        .filter_map(|r| decode(r).ok())
        .collect();
    for e in &events {
        assert!(stored.contains(e), "{} arrived unchanged", e.event_type());
    }
}
