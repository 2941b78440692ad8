//! `hrms dlq`'s reading and redriving on the real broker: a poison record's
//! letter is listed with its reason, goes back to its topic once, without
//! its `dlq_*` headers.

use std::time::Duration;

use hrms_e2e::{Broker, Collect, consumer_settings, eventually};
use hrms_events::{EventType, fixtures};
use hrms_kafka::redrive::{list, redrive};
use hrms_kafka::{KafkaConsumer, KafkaPublisher, codec, ensure_topics};
use hrms_platform::EventPublisher;
use rdkafka::message::{Headers, Message};

use crate::round_trip::read_from_start;

const TOPIC: &str = "notification-queue";

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_letter_is_listed_and_redriven_once_without_its_dlq_headers() {
    let broker = Broker::start();
    let config = broker.config();
    ensure_topics(&config, &hrms_events::TOPICS).await.expect("topics");
    let sent: Vec<_> = (0..5).map(|_| fixtures::sample(EventType::LeaveApproved)).collect();
    KafkaPublisher::new(&config).expect("producer").publish_all(&sent).await.expect("published");
    let handler = Collect::default();
    handler.refuse.lock().expect("lock").push(sent[2].id);
    let consumer =
        KafkaConsumer::new(&config, consumer_settings("notification-service"), &[TOPIC]).expect("consumer");
    let done = eventually("4 handled", Duration::from_secs(60), || handler.count() >= 4);
    consumer.run(&handler, done).await.expect("ran");
    drop(consumer);
    // The letter is written before the offset past it is committed; wait for it.
    assert_eq!(read_from_start(&config, &["notification-queue.dlq"], 1).len(), 1);

    let letters = list(&config, "notification-queue.dlq").expect("listed");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].event.as_ref().map(|(id, _)| id.clone()), Some(sent[2].id.to_string()));
    assert!(letters[0].reason.contains("refused") && letters[0].original_topic == TOPIC, "{letters:?}");

    let mut seen = Vec::new();
    assert_eq!(
        redrive(&config, "notification-queue.dlq", |d, t| seen.push((d, t))).await.expect("redriven"),
        1
    );
    assert_eq!(seen, vec![(1, 1)]);
    assert_eq!(redrive(&config, "notification-queue.dlq", |_, _| {}).await.expect("redriven"), 0, "once");

    let back = read_from_start(&config, &[TOPIC], 6);
    assert_eq!(back.len(), 6, "the five and the redriven one");
    let redriven: Vec<_> =
        back.iter().filter(|m| codec::decode(*m).is_ok_and(|e| e.id == sent[2].id)).collect();
    assert_eq!(redriven.len(), 2, "the original and its redrive");
    let last = redriven.iter().max_by_key(|m| (m.partition(), m.offset())).expect("redriven");
    assert!(last.headers().is_none_or(|hs| hs.iter().all(|h| !h.key.starts_with("dlq_"))));
    assert_eq!(last.key(), Some(sent[2].partition_key().as_bytes()));
}
