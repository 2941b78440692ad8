//! A Kafka event source mapping's batch (`aws:kafka` from MSK,
//! `SelfManagedKafka`): records grouped by topic-partition, key and value in
//! base64, headers as arrays of bytes. Each record becomes the rdkafka
//! message the consumer would have read, so that the same codec decodes it
//! and the same dead-letter record is written.
//!
//! Failure semantics (the mapping retries a failed batch as a whole and
//! never skips a record):
//! - a transient failure (store unavailable) fails the invocation, and the
//!   mapping delivers the batch again;
//! - a permanent one (a record whose key or value is not base64 or whose
//!   partition is out of range, kept as it came; an undecodable record, a
//!   contract violation, a handler's permanent error) is written to
//!   `<topic>.dlq` with the consumer's `dlq_*` headers, and the rest of the
//!   batch proceeds.
//!
//! Each event's handling continues its trace, as the Kafka consumer's does
//! ([`hrms_platform::traces::handling`]).
//!
//! Each partition's records are handled in offset order, so the order of a
//! key is kept. Handlers are idempotent on the event id, and dead letters
//! on the record's topic-partition-offset ([`marks`]): a batch delivered
//! again changes nothing twice and writes no dead letter twice.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_lambda_events::event::kafka::{KafkaEvent, KafkaRecord};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::future::BoxFuture;
use hrms_kafka::KafkaPublisher;
use hrms_kafka::codec::admit;
use hrms_kafka::dlq::DeadLetterRecord;
use hrms_platform::Chain;
use hrms_platform::consume::{Delivery, Handler, HandlerError, record_event_ages};
use hrms_platform::publish::PublishError;
use hrms_platform::traces;
use rdkafka::Timestamp;
use rdkafka::message::{Header, Message, OwnedHeaders, OwnedMessage};
use tracing::Instrument;

use self::marks::{DeadLetterMarks, Origin};

pub mod marks;

/// The `eventSource` of MSK's mapping.
pub const MSK: &str = "aws:kafka";
/// The `eventSource` of a self-managed Kafka mapping.
pub const SELF_MANAGED: &str = "SelfManagedKafka";

/// A Kafka-triggered function on Lambda: its handler, its consumer group
/// (named in the dead letters' `dlq_group`, and the mapping's group id),
/// where dead letters go, and the marks of those written.
#[derive(Clone)]
pub struct KafkaTarget {
    pub handler: Arc<dyn Handler>,
    pub group: String,
    pub dead_letters: Arc<dyn DeadLetterWriter>,
    pub marks: Arc<dyn DeadLetterMarks>,
}

/// Writes dead letters, returning once they are stored.
pub trait DeadLetterWriter: Send + Sync {
    fn write<'a>(&'a self, letter: &'a DeadLetterRecord) -> BoxFuture<'a, Result<(), PublishError>>;
}

impl DeadLetterWriter for KafkaPublisher {
    fn write<'a>(&'a self, letter: &'a DeadLetterRecord) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(async move {
            let delivery = self.enqueue(letter.record()).await?;
            self.acknowledged(delivery).await?;
            Ok(())
        })
    }
}

/// Why a batch was not taken: the invocation fails and the mapping retries it.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{topic}/{partition}: the handler failed transiently; the batch is to be retried")]
    Transient {
        topic: String,
        partition: i32,
        #[source]
        source: HandlerError,
    },
    #[error("cannot write the dead letter of {topic}/{partition}@{offset}")]
    DeadLetter {
        topic: String,
        partition: i32,
        offset: i64,
        #[source]
        source: PublishError,
    },
    #[error("cannot read or record the dead-letter mark of {topic}/{partition}@{offset}")]
    Mark {
        topic: String,
        partition: i32,
        offset: i64,
        #[source]
        source: hrms_platform::StoreFailure,
    },
}

/// What a batch came to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchReport {
    pub handled: u64,
    /// Dead letters written by this invocation.
    pub dead_lettered: u64,
    /// Records whose dead letter an earlier delivery of the batch wrote.
    pub dead_lettered_before: u64,
}

/// A record of a batch as a consumer would have read it.
#[derive(Debug)]
pub struct Record {
    pub message: OwnedMessage,
    /// Why the record could not be read as it was sent (then `message`
    /// holds what came: a field that is not base64 as its text, an out of
    /// range partition as -1): it is to be dead-lettered.
    pub malformed: Option<String>,
}

/// The records of `event`, one list per topic-partition in offset order.
pub fn partitions(event: &KafkaEvent) -> Vec<Vec<Record>> {
    let mut by_partition: BTreeMap<(String, i64), Vec<Record>> = BTreeMap::new();
    for (name, records) in &event.records {
        for record in records {
            // The map's key is `topic-partition`; records name their topic too.
            let topic = match &record.topic {
                Some(topic) => topic.clone(),
                None => name.rsplit_once('-').map_or(name.as_str(), |(t, _)| t).to_owned(),
            };
            let read = self::record(&topic, record);
            by_partition.entry((topic, record.partition)).or_default().push(read);
        }
    }
    by_partition
        .into_values()
        .map(|mut records| {
            records.sort_by_key(|r| r.message.offset());
            records
        })
        .collect()
}

/// The rdkafka message a consumer would have read for `record`, and what
/// was malformed in it.
fn record(topic: &str, record: &KafkaRecord) -> Record {
    let mut malformed = Vec::new();
    let mut bytes = |field: &str, value: &Option<String>| {
        let text = value.as_deref()?;
        Some(STANDARD.decode(text).unwrap_or_else(|e| {
            malformed.push(format!("its {field} is not base64 ({e})"));
            text.as_bytes().to_vec()
        }))
    };
    let (payload, key) = (bytes("value", &record.value), bytes("key", &record.key));
    let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
    for header in &record.headers {
        // Each element is a one-entry map: name -> signed bytes.
        let mut entries: Vec<_> = header.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (key, value) in entries {
            let value: Vec<u8> = value.iter().map(|b| *b as u8).collect();
            headers = headers.insert(Header { key, value: Some(&value) });
        }
    }
    let timestamp = match record.timestamp_type.as_deref() {
        Some("LOG_APPEND_TIME") => Timestamp::LogAppendTime(record.timestamp.timestamp_millis()),
        _ => Timestamp::CreateTime(record.timestamp.timestamp_millis()),
    };
    let partition = i32::try_from(record.partition).unwrap_or_else(|_| {
        malformed.push(format!("its partition {} is out of range", record.partition));
        -1
    });
    Record {
        message: OwnedMessage::new(
            payload,
            key,
            topic.to_owned(),
            timestamp,
            partition,
            record.offset,
            Some(headers),
        ),
        malformed: (!malformed.is_empty()).then(|| format!("malformed record: {}", malformed.join("; "))),
    }
}

/// Handles a mapping's batch with `target` (see the module's doc for what
/// fails the invocation).
pub async fn handle(target: &KafkaTarget, event: &KafkaEvent) -> Result<BatchReport, BatchError> {
    let partitions = partitions(event);
    let outcomes =
        futures::future::join_all(partitions.iter().map(|records| handle_partition(target, records))).await;
    let mut report = BatchReport::default();
    for outcome in outcomes {
        let o = outcome?;
        report.handled += o.handled;
        report.dead_lettered += o.dead_lettered;
        report.dead_lettered_before += o.dead_lettered_before;
    }
    Ok(report)
}

async fn handle_partition(target: &KafkaTarget, records: &[Record]) -> Result<BatchReport, BatchError> {
    let Some(first) = records.first().map(|r| &r.message) else { return Ok(BatchReport::default()) };
    let (topic, partition) = (first.topic().to_owned(), first.partition());
    let handler = target.handler.as_ref();
    let mut dead: BTreeMap<usize, (String, u32)> = BTreeMap::new();
    let mut deliveries = Vec::with_capacity(records.len());
    let mut positions = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let m = &record.message;
        if let Some(reason) = &record.malformed {
            dead.insert(i, (reason.clone(), 0));
            continue;
        }
        // Checked as every consumer checks it (`hrms_events::checks`).
        match admit(m) {
            Ok(event) => {
                deliveries.push(Delivery { event, topic: topic.clone(), partition, offset: m.offset() });
                positions.push(i);
            }
            Err(reason) => {
                dead.insert(i, (reason, 0));
            }
        }
    }
    // A span per delivery, in its event's trace, as the consumer's: a lone
    // delivery's is current while it is handled (a batch's belongs to none).
    let spans: Vec<_> =
        deliveries.iter().map(|d| traces::handling(handler.name(), &d.topic, &d.event)).collect();
    let transient = |source: HandlerError| {
        spans.iter().for_each(|span| traces::failed(span, &Chain(&source).to_string()));
        BatchError::Transient { topic: topic.clone(), partition, source }
    };
    if !deliveries.is_empty() {
        let current = if let [span] = spans.as_slice() { span.clone() } else { tracing::Span::none() };
        match handler.handle(&deliveries).instrument(current).await {
            Ok(()) => {}
            Err(e @ HandlerError::Transient { .. }) => return Err(transient(e)),
            // One record spoils the batch: each alone, so that it goes
            // to the DLQ and its neighbours are handled.
            Err(HandlerError::Permanent { .. }) => {
                for (k, delivery) in deliveries.iter().enumerate() {
                    match handler.handle(std::slice::from_ref(delivery)).instrument(spans[k].clone()).await {
                        Ok(()) => {}
                        Err(e @ HandlerError::Transient { .. }) => return Err(transient(e)),
                        Err(e @ HandlerError::Permanent { .. }) => {
                            let reason = Chain(&e).to_string();
                            traces::failed(&spans[k], &reason);
                            dead.insert(positions[k], (reason, 1));
                        }
                    }
                }
            }
        }
        record_event_ages(handler.name(), &deliveries);
    }
    let mut before = 0;
    for (i, (reason, attempts)) in &dead {
        let m = &records[*i].message;
        let origin =
            Origin { group: target.group.clone(), topic: topic.clone(), partition, offset: m.offset() };
        let mark_failed =
            |source| BatchError::Mark { topic: topic.clone(), partition, offset: m.offset(), source };
        if target.marks.marked(&origin).await.map_err(mark_failed)? {
            tracing::info!(handler = handler.name(), %topic, partition, offset = m.offset(), "dead-lettered before");
            before += 1;
            continue;
        }
        tracing::warn!(handler = handler.name(), %topic, partition, offset = m.offset(), %reason, "dead-lettering");
        let letter = DeadLetterRecord::new(m, &target.group, reason, *attempts);
        target.dead_letters.write(&letter).await.map_err(|source| BatchError::DeadLetter {
            topic: topic.clone(),
            partition,
            offset: m.offset(),
            source,
        })?;
        target.marks.mark(&origin).await.map_err(mark_failed)?;
    }
    let dead = dead.len() as u64;
    Ok(BatchReport {
        handled: records.len() as u64 - dead,
        dead_lettered: dead - before,
        dead_lettered_before: before,
    })
}

#[cfg(test)]
pub(crate) mod tests;
