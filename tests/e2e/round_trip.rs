//! Every event type through the broker: decoded equals original, the record
//! key is the partition key, and one key's events arrive in order.

use std::collections::HashMap;
use std::time::Duration;

use hrms_e2e::Broker;
use hrms_events::{HrmsEvent, fixtures};
use hrms_kafka::codec::decode;
use hrms_kafka::{KafkaPublisher, ensure_topics};
use hrms_platform::EventPublisher;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::OwnedMessage;

/// Reads `topics` from the beginning until `want` records or 60 s.
pub fn read_from_start(config: &hrms_kafka::KafkaConfig, topics: &[&str], want: usize) -> Vec<OwnedMessage> {
    let settings = hrms_e2e::consumer_settings(&format!("reader-{}", uuid::Uuid::now_v7()));
    let consumer: BaseConsumer = config.consumer_config(&settings).create().expect("reader");
    consumer.subscribe(topics).expect("subscribed");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut out = Vec::new();
    while out.len() < want && std::time::Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            out.push(m.detach());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_round_trips_with_its_key_and_order() {
    let broker = Broker::start();
    let config = broker.config();
    ensure_topics(&config, &hrms_events::TOPICS).await.expect("topics");
    let publisher = KafkaPublisher::new(&config).expect("producer");

    // Three rounds of every type: many events per key, so order matters.
    let sent: Vec<HrmsEvent> = (0..3).flat_map(|_| fixtures::all()).collect();
    publisher.publish_all(&sent).await.expect("acknowledged");

    let records = read_from_start(&config, &["notification-queue", "audit-queue"], sent.len());
    assert_eq!(records.len(), sent.len());
    let by_id: HashMap<_, _> = sent.iter().map(|e| (e.id, e)).collect();
    let mut seen_per_partition: HashMap<(String, i32), Vec<(i64, usize)>> = HashMap::new();
    for record in &records {
        let event = decode(record).expect("decodes");
        let original = by_id.get(&event.id).expect("an event we sent");
        assert_eq!(&event, *original, "decoded equals original");
        assert_eq!(record.key(), Some(event.partition_key().as_bytes()), "key is the partitionkey");
        assert_eq!(record.topic(), event.topic(), "routed by type");
        let sent_at = sent.iter().position(|e| e.id == event.id).expect("sent");
        seen_per_partition
            .entry((record.topic().into(), record.partition()))
            .or_default()
            .push((record.offset(), sent_at));
    }
    for ((topic, partition), mut seen) in seen_per_partition {
        seen.sort();
        let order: Vec<usize> = seen.iter().map(|(_, sent_at)| *sent_at).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{topic}/{partition} out of order: {order:?}");
    }
}
