//! Versioned readers on the real broker: a producer that ships
//! `leave.requested` v2 before its readers are updated
//! (`fixtures::leave_requested_v2`) is read by this build's consumers,
//! which know v1 and v2; v3, which they do not know, is dead-lettered as
//! before.

use std::time::Duration;

use hrms_e2e::{Broker, Collect, consumer_settings, eventually};
use hrms_events::cloudevents::AttributesReader;
use hrms_events::cloudevents::event::Data;
use hrms_events::{EventType, HrmsEvent, fixtures};
use hrms_kafka::codec::EncodedRecord;
use hrms_kafka::{KafkaConsumer, dlq, ensure_topics};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::round_trip::read_from_start;

const TOPIC: &str = "notification-queue";

/// The record of `event` as a producer writing version `version` of its
/// payload sends it: `dataschema` `...:v<version>`, `data` as the value.
fn record_at(event: &HrmsEvent, version: u32, data: &[u8]) -> (String, OwnedHeaders, Vec<u8>) {
    let record = EncodedRecord::encode(event).expect("encoded");
    let schema = format!("urn:hrms:schema:{}:v{version}", event.event_type());
    let headers = record.headers.iter().fold(OwnedHeaders::new(), |headers, h| {
        let value = if h.key == "ce_dataschema" { Some(schema.as_bytes()) } else { h.value };
        headers.insert(Header { key: h.key, value })
    });
    (record.key, headers, data.to_vec())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_known_newer_version_is_handled_and_an_unknown_one_dead_lettered() {
    let broker = Broker::start();
    let config = broker.config();
    ensure_topics(&config, &hrms_events::TOPICS).await.expect("topics");
    let producer: FutureProducer = config.producer_config().create().expect("producer");
    let produce = |(key, headers, payload): (String, OwnedHeaders, Vec<u8>)| {
        let producer = producer.clone();
        async move {
            let record = FutureRecord::to(TOPIC).key(&key).headers(headers).payload(&payload);
            producer.send(record, Duration::from_secs(10)).await.expect("produced");
        }
    };
    let v2_data = |cloudevent: &hrms_events::cloudevents::Event| match cloudevent.data() {
        Some(Data::Json(json)) => serde_json::to_vec(json).expect("JSON"),
        other => panic!("JSON data, not {other:?}"),
    };
    let (v2, expected) = fixtures::leave_requested_v2();
    let (v3, unknown) = fixtures::leave_requested_v2();
    assert_eq!(v2.dataschema().map(|u| u.as_str()), Some("urn:hrms:schema:leave.requested:v2"));
    produce(record_at(&expected, 2, &v2_data(&v2))).await;
    produce(record_at(&unknown, 3, &v2_data(&v3))).await;
    let after = fixtures::sample(EventType::LeaveApproved);
    let record = EncodedRecord::encode(&after).expect("encoded");
    produce((record.key, record.headers, record.payload)).await;

    let handler = Collect::default();
    let consumer =
        KafkaConsumer::new(&config, consumer_settings("notification-service"), &[TOPIC]).expect("consumer");
    let done =
        eventually("the v2 and the v1 event handled", Duration::from_secs(60), || handler.count() >= 2);
    consumer.run(&handler, done).await.expect("ran");

    let handled: Vec<HrmsEvent> = handler.deliveries().into_iter().map(|d| d.event).collect();
    assert_eq!(handled, [expected, after], "v2 read as the v1 payload, in order; v3 not handled");

    let letters = read_from_start(&config, &["notification-queue.dlq"], 1);
    assert_eq!(letters.len(), 1, "v3 alone is dead-lettered");
    let header = |k: &str| {
        letters[0].headers().and_then(|hs| {
            hs.iter()
                .find(|h| h.key == k)
                .and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned()))
        })
    };
    assert_eq!(header("ce_id"), Some(unknown.id.to_string()));
    let reason = header(dlq::REASON).unwrap_or_default();
    assert!(reason.contains("schema version") && reason.contains(":v3"), "{reason}");
}
