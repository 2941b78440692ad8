//! A mapping's batch as MSK and self-managed Kafka deliver it, built from
//! records the producer's codec encodes (so keys and headers are real ones).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::future::BoxFuture;
use hrms_events::{EventType, HrmsEvent, fixtures};
use hrms_kafka::codec::EncodedRecord;
use hrms_kafka::dlq::{self, DeadLetterRecord};
use hrms_platform::consume::tests::Recorder;
use hrms_platform::publish::PublishError;
use rdkafka::message::{Headers, Message};
use serde_json::{Value, json};

use super::*;

/// The JSON of a mapping's record of `event` at `partition`/`offset`.
pub fn record_json(event: &HrmsEvent, topic: &str, partition: i64, offset: i64) -> Value {
    let r = EncodedRecord::encode(event).expect("encodes");
    let headers: Vec<Value> = r
        .headers
        .iter()
        .map(|h| {
            let bytes: Vec<i8> = h.value.unwrap_or_default().iter().map(|b| *b as i8).collect();
            json!({ h.key: bytes })
        })
        .collect();
    json!({
        "topic": topic, "partition": partition, "offset": offset,
        "timestamp": 1_765_000_000_000i64, "timestampType": "CREATE_TIME",
        "key": STANDARD.encode(r.key), "value": STANDARD.encode(r.payload), "headers": headers,
    })
}

/// A mapping's event of `records` (JSON), grouped by topic-partition.
pub fn event_json(source: &str, records: Vec<Value>) -> Value {
    let mut groups = serde_json::Map::new();
    for r in records {
        let name = format!("{}-{}", r["topic"].as_str().unwrap_or_default(), r["partition"]);
        groups.entry(name).or_insert_with(|| json!([])).as_array_mut().expect("array").push(r);
    }
    let mut event = json!({"eventSource": source, "records": groups});
    if source == MSK {
        event["eventSourceArn"] = json!("arn:aws:kafka:eu-west-1:123456789012:cluster/hrms/abc");
    }
    event["bootstrapServers"] = json!("b-1.hrms:9098");
    event
}

/// A dead letter as written: topic, key, headers.
type Written = (String, Option<Vec<u8>>, Vec<(String, String)>);

#[derive(Default)]
struct Letters {
    written: Mutex<Vec<Written>>,
    down: bool,
}

impl DeadLetterWriter for Letters {
    fn write<'a>(&'a self, letter: &'a DeadLetterRecord) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(async move {
            if self.down {
                return Err(PublishError::Retryable { reason: "broker down".into(), cause: None });
            }
            let headers = letter
                .headers
                .iter()
                .map(|h| {
                    (h.key.to_owned(), String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned())
                })
                .collect();
            self.written.lock().unwrap().push((letter.topic.clone(), letter.key.clone(), headers));
            Ok(())
        })
    }
}

fn target(handler: Arc<Recorder>, letters: Arc<Letters>) -> KafkaTarget {
    let marks = Arc::new(marks::MemoryMarks::default());
    KafkaTarget { handler, group: "audit-service".into(), dead_letters: letters, marks }
}

fn events(n: usize) -> Vec<HrmsEvent> {
    (0..n).map(|_| fixtures::sample(EventType::AuditEmployeeUpdated)).collect()
}

fn parse(event: Value) -> KafkaEvent {
    serde_json::from_value(event).expect("a Kafka event")
}

#[test]
fn both_sources_give_each_partitions_records_in_offset_order_as_produced() {
    let sent = events(3);
    for source in [MSK, SELF_MANAGED] {
        let event = parse(event_json(
            source,
            vec![
                record_json(&sent[2], "audit-queue", 0, 12),
                record_json(&sent[0], "audit-queue", 0, 10),
                record_json(&sent[1], "audit-queue", 1, 4),
            ],
        ));
        let partitions = partitions(&event);
        let places: Vec<Vec<(i32, i64)>> = partitions
            .iter()
            .map(|p| p.iter().map(|r| (r.message.partition(), r.message.offset())).collect())
            .collect();
        assert_eq!(places, vec![vec![(0, 10), (0, 12)], vec![(1, 4)]], "{source}");
        assert!(partitions.iter().flatten().all(|r| r.malformed.is_none()));
        let first = &partitions[0][0].message;
        assert_eq!(first.topic(), "audit-queue");
        assert_eq!(first.key(), Some(sent[0].partition_key().as_bytes()));
        assert_eq!(hrms_kafka::codec::decode(first).expect("the codec reads it"), sent[0]);
    }
}

/// The dead letters' values of header `key`.
fn letter_headers(letters: &Letters, key: &str) -> Vec<String> {
    let written = letters.written.lock().unwrap();
    written.iter().filter_map(|(_, _, h)| h.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())).collect()
}

#[tokio::test]
async fn a_record_that_is_not_base64_is_dead_lettered_as_it_came_and_the_rest_is_handled() {
    // The mapping would deliver a failed batch again and again: the record
    // must not block its partition.
    let sent = events(3);
    let mut bad_value = record_json(&sent[1], "audit-queue", 0, 2);
    bad_value["value"] = json!("%%%");
    let mut bad_key = record_json(&sent[2], "audit-queue", 0, 3);
    bad_key["key"] = json!("not base64!");
    let event = parse(event_json(MSK, vec![record_json(&sent[0], "audit-queue", 0, 1), bad_value, bad_key]));
    let (handler, letters) = (Arc::new(Recorder::default()), Arc::new(Letters::default()));
    let report = handle(&target(handler.clone(), letters.clone()), &event).await.expect("taken");

    assert_eq!(report, BatchReport { handled: 1, dead_lettered: 2, dead_lettered_before: 0 });
    let handled: Vec<_> = handler.handled.lock().unwrap().iter().map(|d| d.event.id).collect();
    assert_eq!(handled, vec![sent[0].id]);
    let written = letters.written.lock().unwrap().clone();
    assert!(written.iter().all(|(topic, ..)| topic == "audit-queue.dlq"), "{written:?}");
    assert_eq!(written[1].1.as_deref(), Some(&b"not base64!"[..]), "the key as it came");
    let reasons = letter_headers(&letters, dlq::REASON);
    assert!(
        reasons[0].contains("value is not base64") && reasons[1].contains("key is not base64"),
        "{reasons:?}"
    );
    assert_eq!(letter_headers(&letters, dlq::ORIGINAL_OFFSET), vec!["2", "3"]);
    assert_eq!(letter_headers(&letters, dlq::GROUP), vec!["audit-service", "audit-service"]);
}

#[tokio::test]
async fn a_partition_beyond_i32_is_dead_lettered_not_truncated() {
    let sent = events(1);
    let huge = i64::from(i32::MAX) + 1;
    let event = parse(event_json(SELF_MANAGED, vec![record_json(&sent[0], "audit-queue", huge, 5)]));
    let (handler, letters) = (Arc::new(Recorder::default()), Arc::new(Letters::default()));
    let report = handle(&target(handler.clone(), letters.clone()), &event).await.expect("taken");

    assert_eq!(report, BatchReport { handled: 0, dead_lettered: 1, dead_lettered_before: 0 });
    assert!(handler.handled.lock().unwrap().is_empty(), "never handled as partition 0 or any other");
    let reasons = letter_headers(&letters, dlq::REASON);
    assert!(reasons[0].contains(&format!("partition {huge} is out of range")), "{reasons:?}");
    assert_eq!(letter_headers(&letters, dlq::ORIGINAL_PARTITION), vec!["-1"]);
}

#[tokio::test]
async fn a_poison_record_goes_to_the_dlq_with_its_headers_and_the_rest_is_handled() {
    let sent = events(3);
    let mut poison = record_json(&sent[1], "audit-queue", 0, 8);
    poison["value"] = json!(STANDARD.encode(b"\x00not json"));
    let event = parse(event_json(
        SELF_MANAGED,
        vec![record_json(&sent[0], "audit-queue", 0, 7), poison, record_json(&sent[2], "audit-queue", 0, 9)],
    ));
    let (handler, letters) = (Arc::new(Recorder::default()), Arc::new(Letters::default()));
    let report = handle(&target(handler.clone(), letters.clone()), &event).await.expect("taken");

    assert_eq!(report, BatchReport { handled: 2, dead_lettered: 1, dead_lettered_before: 0 });
    let handled: Vec<_> = handler.handled.lock().unwrap().iter().map(|d| d.event.id).collect();
    assert_eq!(handled, vec![sent[0].id, sent[2].id]);
    let written = letters.written.lock().unwrap();
    let (topic, key, headers) = &written[0];
    assert_eq!((written.len(), topic.as_str()), (1, "audit-queue.dlq"));
    assert_eq!(key.as_deref(), Some(sent[1].partition_key().as_bytes()));
    let get = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert!(get(dlq::REASON).is_some_and(|r| r.starts_with("undecodable")), "{headers:?}");
    assert_eq!(get(dlq::ORIGINAL_TOPIC), Some("audit-queue"));
    assert_eq!(get(dlq::ORIGINAL_OFFSET), Some("8"));
    assert_eq!(get(dlq::GROUP), Some("audit-service"));
    assert_eq!(get(dlq::ATTEMPTS), Some("0"));
    assert_eq!(get("ce_id"), Some(sent[1].id.to_string().as_str()), "the original headers are kept");
}

#[tokio::test]
async fn a_batch_delivered_again_writes_no_dead_letter_twice() {
    let sent = events(2);
    let mut poison = record_json(&sent[1], "audit-queue", 0, 8);
    poison["value"] = json!(STANDARD.encode(b"\x00not json"));
    let event = parse(event_json(MSK, vec![record_json(&sent[0], "audit-queue", 0, 7), poison]));
    let (handler, letters) = (Arc::new(Recorder::default()), Arc::new(Letters::default()));
    let target = target(handler, letters.clone());
    let first = handle(&target, &event).await.expect("taken");
    let again = handle(&target, &event).await.expect("taken");

    assert_eq!(first, BatchReport { handled: 1, dead_lettered: 1, dead_lettered_before: 0 });
    assert_eq!(again, BatchReport { handled: 1, dead_lettered: 0, dead_lettered_before: 1 });
    assert_eq!(letter_headers(&letters, dlq::ORIGINAL_OFFSET), vec!["8"], "one dead letter");
}

#[tokio::test]
async fn an_event_the_handler_refuses_is_isolated_and_dead_lettered() {
    let sent = events(3);
    let handler =
        Arc::new(Recorder { poison: Mutex::new(HashSet::from([sent[1].id])), ..Recorder::default() });
    let letters = Arc::new(Letters::default());
    let records = sent.iter().zip(20..).map(|(e, offset)| record_json(e, "audit-queue", 0, offset)).collect();
    let report = handle(&target(handler.clone(), letters.clone()), &parse(event_json(MSK, records))).await;

    assert_eq!(report.expect("taken"), BatchReport { handled: 2, dead_lettered: 1, dead_lettered_before: 0 });
    let handled: Vec<_> = handler.handled.lock().unwrap().iter().map(|d| d.event.id).collect();
    assert_eq!(handled, vec![sent[0].id, sent[2].id], "in order, without the refused one");
    let written = letters.written.lock().unwrap();
    let reason = written[0].2.iter().find(|(k, _)| k == dlq::REASON).map(|(_, v)| v.clone());
    assert!(reason.is_some_and(|r| r.contains(&sent[1].id.to_string())));
}

#[tokio::test]
async fn a_transient_failure_fails_the_invocation_and_dead_letters_nothing() {
    let handler = Arc::new(Recorder { transient_failures: Mutex::new(1), ..Recorder::default() });
    let letters = Arc::new(Letters::default());
    let records =
        events(2).iter().zip(0..).map(|(e, offset)| record_json(e, "audit-queue", 0, offset)).collect();
    let error = handle(&target(handler.clone(), letters.clone()), &parse(event_json(MSK, records)))
        .await
        .expect_err("to be retried");
    assert!(matches!(error, BatchError::Transient { partition: 0, .. }), "{error}");
    assert!(letters.written.lock().unwrap().is_empty() && handler.handled.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_dead_letter_that_cannot_be_written_fails_the_invocation_and_is_not_marked() {
    let mut poison = record_json(&events(1)[0], "audit-queue", 0, 3);
    poison["headers"] = json!([]);
    let letters = Arc::new(Letters { down: true, ..Letters::default() });
    let target = target(Arc::new(Recorder::default()), letters);
    let error = handle(&target, &parse(event_json(MSK, vec![poison]))).await.expect_err("to be retried");
    assert!(matches!(error, BatchError::DeadLetter { offset: 3, .. }), "{error}");
    let origin =
        marks::Origin { group: "audit-service".into(), topic: "audit-queue".into(), partition: 0, offset: 3 };
    assert!(!target.marks.marked(&origin).await.expect("read"), "written on the next delivery");
}
