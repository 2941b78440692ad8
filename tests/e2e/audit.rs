//! The Audit function on the real broker: every audit event kept exactly
//! once in its subject's order; poison records dead-lettered while the rest
//! is kept. (A consumer killed before its commit is fault injection: on
//! librdkafka's mock cluster, in `hrms-kafka`'s tests.)

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use hrms_audit::fixtures::employee_updated;
use hrms_audit::verify::verify;
use hrms_audit::{AuditStore, Query};
use hrms_audit_adapters::consumer::{AuditHandler, GROUP};
use hrms_audit_adapters::sqlite::SqliteAuditStore;
use hrms_e2e::{Broker, TempDir, consumer_settings};
use hrms_events::HrmsEvent;
use hrms_kafka::codec::EncodedRecord;
use hrms_kafka::{KafkaConsumer, KafkaPublisher, ensure_topics};
use hrms_platform::EventPublisher;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use uuid::Uuid;

use crate::round_trip::read_from_start;

const TOPIC: &str = "audit-queue";

/// `per_subject` updates of each of `subjects` new employees, interleaved.
fn updates(subjects: usize, per_subject: u64) -> Vec<HrmsEvent> {
    let ids: Vec<Uuid> = (0..subjects).map(|_| Uuid::now_v7()).collect();
    (1..=per_subject)
        .flat_map(|v| ids.iter().map(move |id| employee_updated(*id, v, Utc::now(), Uuid::now_v7())))
        .collect()
}

async fn rows(store: &dyn AuditStore) -> u64 {
    store.count(&Query::default()).await.expect("count")
}

/// Resolves once `condition` holds; panics with `what` after `limit`.
async fn until<F: Future<Output = bool>>(what: &str, limit: Duration, mut condition: impl FnMut() -> F) {
    let deadline = Instant::now() + limit;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Each subject's chain holds its events in the order they were produced.
async fn assert_chains(store: &dyn AuditStore, sent: &[HrmsEvent]) {
    let mut subjects: Vec<String> = sent.iter().map(HrmsEvent::subject).collect();
    subjects.dedup();
    subjects.sort();
    subjects.dedup();
    for subject in subjects {
        let want: Vec<Uuid> = sent.iter().filter(|e| e.subject() == subject).map(|e| e.id).collect();
        let chain = store.chain(&subject).await.expect("chain");
        assert_eq!(chain.iter().map(|e| e.event_id).collect::<Vec<_>>(), want, "subject {subject} in order");
    }
    let report = verify(store).await.expect("verified");
    assert!(report.is_intact(), "{:?}", report.findings);
}

#[tokio::test(flavor = "multi_thread")]
async fn n_events_produced_make_exactly_n_rows_in_subject_order() {
    let broker = Broker::start();
    let config = broker.config();
    ensure_topics(&config, &hrms_events::TOPICS).await.expect("topics");
    let sent = updates(40, 25);
    KafkaPublisher::new(&config).expect("producer").publish_all(&sent).await.expect("published");

    let dir = TempDir::new();
    let store = Arc::new(SqliteAuditStore::open(dir.0.join("audit.db")).expect("store"));
    let handler = AuditHandler { store: store.clone() };
    let consumer = KafkaConsumer::new(&config, consumer_settings(GROUP), &[TOPIC]).expect("consumer");
    let done = until("1000 rows", Duration::from_secs(90), || async { rows(store.as_ref()).await >= 1000 });
    consumer.run(&handler, done).await.expect("ran");
    assert_eq!(rows(store.as_ref()).await, 1000, "exactly one row per event");
    assert_chains(store.as_ref(), &sent).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn poison_records_are_dead_lettered_and_the_rest_persisted() {
    let broker = Broker::start();
    let config = broker.config();
    ensure_topics(&config, &hrms_events::TOPICS).await.expect("topics");
    let sent = updates(1, 10);
    let producer: FutureProducer = config.producer_config().create().expect("producer");
    let produce = |key: String, headers: OwnedHeaders, payload: Vec<u8>| {
        let producer = producer.clone();
        async move {
            let record = FutureRecord::to(TOPIC).key(&key).headers(headers).payload(&payload);
            producer.send(record, Duration::from_secs(10)).await.expect("produced");
        }
    };
    let key = sent[0].partition_key();
    for (i, event) in sent.iter().enumerate() {
        let record = EncodedRecord::encode(event).expect("encoded");
        produce(record.key, record.headers, record.payload).await;
        if i == 3 {
            // Not a CloudEvent at all, on the same partition.
            produce(key.clone(), OwnedHeaders::new(), b"{not json".to_vec()).await;
        }
        if i == 6 {
            // A schema version this build does not know.
            let mut headers = OwnedHeaders::new();
            for h in record_headers(event) {
                let value = if h.0 == "ce_dataschema" { h.1.replace(":v1", ":v9") } else { h.1 };
                headers = headers.insert(Header { key: &h.0, value: Some(&value) });
            }
            produce(key.clone(), headers, EncodedRecord::encode(event).expect("encoded").payload).await;
        }
    }

    let dir = TempDir::new();
    let store = Arc::new(SqliteAuditStore::open(dir.0.join("audit.db")).expect("store"));
    let handler = AuditHandler { store: store.clone() };
    let consumer = KafkaConsumer::new(&config, consumer_settings(GROUP), &[TOPIC]).expect("consumer");
    let done = until("10 rows", Duration::from_secs(90), || async { rows(store.as_ref()).await >= 10 });
    consumer.run(&handler, done).await.expect("ran");
    assert_chains(store.as_ref(), &sent).await;

    let letters = read_from_start(&config, &["audit-queue.dlq"], 2);
    assert_eq!(letters.len(), 2, "both poison records, nothing else");
    let reasons: Vec<String> = letters
        .iter()
        .map(|l| {
            l.headers()
                .and_then(|hs| hs.iter().find(|h| h.key == hrms_kafka::dlq::REASON))
                .and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned()))
                .unwrap_or_default()
        })
        .collect();
    assert!(reasons.iter().all(|r| r.contains("undecodable")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("v9")), "the reason names the unknown version: {reasons:?}");
}

/// `event`'s binary-mode headers as (name, value) pairs.
fn record_headers(event: &HrmsEvent) -> Vec<(String, String)> {
    let record = EncodedRecord::encode(event).expect("encoded");
    record
        .headers
        .iter()
        .map(|h| {
            (h.key.to_owned(), h.value.map(|v| String::from_utf8_lossy(v).into_owned()).unwrap_or_default())
        })
        .collect()
}
