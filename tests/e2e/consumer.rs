//! The batch consumer on the real broker: every record handled once,
//! offsets committed on shutdown, poison records dead-lettered.

use std::time::Duration;

use hrms_e2e::{Broker, Collect, consumer_settings, eventually};
use hrms_events::{EventType, HrmsEvent, fixtures};
use hrms_kafka::dlq;
use hrms_kafka::{KafkaConsumer, KafkaPublisher, ensure_topics};
use hrms_platform::EventPublisher;
use rdkafka::message::{Headers, Message};
use tokio::sync::oneshot;

use crate::round_trip::read_from_start;

const TOPIC: &str = "audit-queue";

fn events(n: usize) -> Vec<HrmsEvent> {
    let types =
        [EventType::AuditLeaveRequested, EventType::AuditUserCreated, EventType::AuditComplianceValidated];
    (0..n).map(|i| fixtures::sample(types[i % types.len()])).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_handles_every_record_once_and_resumes_after_its_commit() {
    let broker = Broker::start();
    let config = broker.config();
    ensure_topics(&config, &hrms_events::TOPICS).await.expect("topics");
    let publisher = KafkaPublisher::new(&config).expect("producer");
    let first_batch = events(300);
    publisher.publish_all(&first_batch).await.expect("published");

    let handler = Collect::default();
    let consumer =
        KafkaConsumer::new(&config, consumer_settings("audit-service"), &[TOPIC]).expect("consumer");
    let (stop, stopped) = oneshot::channel::<()>();
    let run = consumer.run(&handler, async move {
        let _ = stopped.await;
    });
    let watch = async {
        eventually("300 records handled", Duration::from_secs(60), || handler.count() >= first_batch.len())
            .await;
        let _ = stop.send(());
    };
    let (result, ()) = tokio::join!(run, watch);
    result.expect("consumer stopped cleanly");
    let mut ids: Vec<_> = handler.deliveries().iter().map(|d| d.event.id).collect();
    assert_eq!(ids.len(), first_batch.len(), "each record once");
    ids.sort();
    let mut want: Vec<_> = first_batch.iter().map(|e| e.id).collect();
    want.sort();
    assert_eq!(ids, want);
    drop(consumer);

    // A new member of the group starts after the commit: only new records.
    let second_batch = events(10);
    publisher.publish_all(&second_batch).await.expect("published");
    let handler = Collect::default();
    let consumer =
        KafkaConsumer::new(&config, consumer_settings("audit-service"), &[TOPIC]).expect("consumer");
    let done = eventually("10 new records", Duration::from_secs(60), || handler.count() >= 10);
    consumer.run(&handler, done).await.expect("ran");
    let got: Vec<_> = handler.deliveries().iter().map(|d| d.event.id).collect();
    let want: Vec<_> = second_batch.iter().map(|e| e.id).collect();
    assert_eq!(got.len(), 10, "nothing committed came again: {got:?}");
    assert!(got.iter().all(|id| want.contains(id)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poison_record_is_dead_lettered_and_the_rest_handled() {
    let broker = Broker::start();
    let config = broker.config();
    ensure_topics(&config, &hrms_events::TOPICS).await.expect("topics");
    let sent = events(20);
    KafkaPublisher::new(&config).expect("producer").publish_all(&sent).await.expect("published");

    let handler = Collect::default();
    handler.refuse.lock().expect("lock").push(sent[7].id);
    let consumer =
        KafkaConsumer::new(&config, consumer_settings("audit-service"), &[TOPIC]).expect("consumer");
    let done = eventually("19 records handled", Duration::from_secs(60), || handler.count() >= 19);
    consumer.run(&handler, done).await.expect("ran");
    assert!(handler.deliveries().iter().all(|d| d.event.id != sent[7].id));

    let letters = read_from_start(&config, &["audit-queue.dlq"], 1);
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    let header = |k: &str| {
        letter.headers().and_then(|hs| {
            hs.iter()
                .find(|h| h.key == k)
                .and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned()))
        })
    };
    assert_eq!(hrms_kafka::codec::decode(letter).expect("unchanged").id, sent[7].id);
    assert_eq!(header(dlq::ORIGINAL_TOPIC).as_deref(), Some(TOPIC));
    assert_eq!(header(dlq::GROUP).as_deref(), Some("audit-service"));
    assert!(header(dlq::REASON).is_some_and(|r| r.contains("refused")));
    assert_eq!(letter.key(), Some(sent[7].partition_key().as_bytes()));
}
