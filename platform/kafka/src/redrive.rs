//! Reading and redriving dead-letter topics: what `hrms dlq list|redrive`
//! does. Listing reads a DLQ from its start to its end without a group of
//! its own; redriving produces each dead letter back to its original topic
//! (key, value and headers, without the `dlq_*` ones) and commits it in the
//! group `hrms-dlq-redrive`, so that a letter is redriven once.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

use super::auth::{AuthError, KafkaContext};
use super::codec::decode;
use super::config::{ConsumerSettings, KafkaConfig};
use super::dlq;

/// The group whose commits mark letters redriven.
pub const REDRIVE_GROUP: &str = "hrms-dlq-redrive";

/// One dead letter, as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub partition: i32,
    pub offset: i64,
    /// The event's id and type, when the record is one of ours.
    pub event: Option<(String, String)>,
    pub reason: String,
    pub attempts: String,
    pub original_topic: String,
    pub failed_at: String,
}

impl DeadLetter {
    fn of(m: &OwnedMessage) -> Self {
        // Written by the Kafka transport (`dlq_reason`) or through a
        // KafkaSink (the extension `dlqreason`, header `ce_dlqreason`).
        let header = |name: &str| {
            let extension = format!("ce_{}", name.replace('_', ""));
            m.headers()
                .and_then(|hs| hs.iter().find(|h| h.key == name || h.key == extension))
                .and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned()))
                .unwrap_or_default()
        };
        Self {
            partition: m.partition(),
            offset: m.offset(),
            event: decode(m).ok().map(|e| (e.id.to_string(), e.event_type().as_str().to_owned())),
            // A KafkaSource's dead letters say why in `knativeerror*` extensions.
            reason: Some(header(dlq::REASON))
                .filter(|r| !r.is_empty())
                .or_else(|| {
                    let code = header("ce_knativeerrorcode");
                    (!code.is_empty())
                        .then(|| format!("delivery answered {code}: {}", header("ce_knativeerrordata")))
                })
                .unwrap_or_default(),
            attempts: header(dlq::ATTEMPTS),
            original_topic: header(dlq::ORIGINAL_TOPIC),
            failed_at: header(dlq::FAILED_AT),
        }
    }
}

/// Why a DLQ could not be read or redriven.
#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("{0} is not a dead-letter topic (its name ends in .dlq)")]
    NotADlq(String),
    #[error("kafka authentication")]
    Auth(#[from] AuthError),
}

/// Every letter of `dlq` (`<topic>.dlq`), oldest first per partition.
pub fn list(config: &KafkaConfig, dlq: &str) -> Result<Vec<DeadLetter>, RedriveError> {
    let group = format!("hrms-dlq-list-{}", uuid::Uuid::now_v7());
    Ok(read(&consumer(config, &group)?, dlq, false)?.iter().map(DeadLetter::of).collect())
}

/// Produces every letter of `dlq` not redriven yet back to its original
/// topic; `progress` hears (done, total). Returns how many were redriven.
pub async fn redrive(
    config: &KafkaConfig,
    dlq: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, RedriveError> {
    let Some(original) = dlq.strip_suffix(".dlq") else { return Err(RedriveError::NotADlq(dlq.to_owned())) };
    let consumer = consumer(config, REDRIVE_GROUP)?;
    let letters = read(&consumer, dlq, true)?;
    let producer: FutureProducer<KafkaContext> =
        config.producer_config().create_with_context(config.context()?)?;
    let total = letters.len() as u64;
    for (done, letter) in letters.iter().enumerate() {
        let mut headers = OwnedHeaders::new();
        for h in letter.headers().into_iter().flat_map(|hs| hs.iter()).filter(|h| !dlq::is_reason(h.key)) {
            headers = headers.insert(Header { key: h.key, value: h.value });
        }
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(original).headers(headers);
        if let Some(k) = letter.key() {
            record = record.key(k);
        }
        if let Some(p) = letter.payload() {
            record = record.payload(p);
        }
        producer.send(record, Duration::from_secs(30)).await.map_err(|(e, _)| e)?;
        // Committed once it is back on its topic: a redrive that stops
        // midway goes on from there, and a letter goes back once.
        let mut offsets = TopicPartitionList::new();
        offsets.add_partition_offset(dlq, letter.partition(), Offset::Offset(letter.offset() + 1))?;
        consumer.commit(&offsets, CommitMode::Sync)?;
        progress(done as u64 + 1, total);
    }
    Ok(total)
}

fn consumer(config: &KafkaConfig, group: &str) -> Result<BaseConsumer<KafkaContext>, RedriveError> {
    let settings = ConsumerSettings { statistics_interval: Duration::ZERO, ..ConsumerSettings::new(group) };
    let context = config.context()?;
    let consumer: BaseConsumer<KafkaContext> =
        config.consumer_config(&settings).create_with_context(context.clone())?;
    // Its metadata is asked before its first poll serves a token request.
    context.prime(consumer.client())?;
    Ok(consumer)
}

/// The records of `topic` from the group's committed offsets (`resume`) or
/// from the start, up to each partition's end as it is now (blocking: for
/// the command line).
fn read(
    consumer: &BaseConsumer<KafkaContext>,
    topic: &str,
    resume: bool,
) -> Result<Vec<OwnedMessage>, RedriveError> {
    let timeout = Duration::from_secs(10);
    let metadata = consumer.fetch_metadata(Some(topic), timeout)?;
    let partitions: Vec<i32> =
        metadata.topics().iter().flat_map(|t| t.partitions().iter().map(|p| p.id())).collect();
    let mut assignment = TopicPartitionList::new();
    let mut ends = Vec::new();
    for p in &partitions {
        let (low, high) = consumer.fetch_watermarks(topic, *p, timeout)?;
        assignment.add_partition_offset(topic, *p, Offset::Offset(low))?;
        ends.push((*p, high));
    }
    if resume {
        let stored = consumer.committed_offsets(assignment.clone(), timeout)?;
        for e in stored.elements() {
            if let Offset::Offset(o) = e.offset() {
                assignment.set_partition_offset(topic, e.partition(), Offset::Offset(o))?;
            }
        }
    }
    let mut position: std::collections::HashMap<i32, i64> = assignment
        .elements()
        .iter()
        .map(|e| {
            (
                e.partition(),
                match e.offset() {
                    Offset::Offset(o) => o,
                    _ => 0,
                },
            )
        })
        .collect();
    consumer.assign(&assignment)?;
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while ends.iter().any(|(p, high)| position.get(p).copied().unwrap_or(0) < *high) {
        if std::time::Instant::now() > deadline {
            break;
        }
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                position.insert(m.partition(), m.offset() + 1);
                out.push(m.detach());
            }
            Some(Err(e)) => return Err(e.into()),
            None => {}
        }
    }
    Ok(out)
}
