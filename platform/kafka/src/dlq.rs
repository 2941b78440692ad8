//! Dead letters: a record its consumer gave up on goes unchanged (key, value,
//! headers) to `<topic>.dlq`, with headers that say why and where it came from.

use rdkafka::Message;
use rdkafka::message::{Header, Headers, OwnedHeaders, OwnedMessage};
use rdkafka::producer::FutureRecord;

use super::codec::EncodedRecord;
use super::producer::KafkaPublisher;
use hrms_platform::publish::{DeadLetter, DeadLetterSink, PublishError};

/// Header: why the record was dead-lettered.
pub const REASON: &str = "dlq_reason";
/// Header: how many times the handler was tried (0 for undecodable records).
pub const ATTEMPTS: &str = "dlq_attempts";
/// Header: the topic the record was read from.
pub const ORIGINAL_TOPIC: &str = "dlq_original_topic";
/// Header: its partition there.
pub const ORIGINAL_PARTITION: &str = "dlq_original_partition";
/// Header: its offset there.
pub const ORIGINAL_OFFSET: &str = "dlq_original_offset";
/// Header: the consumer group that gave up.
pub const GROUP: &str = "dlq_group";
/// Header: when (RFC 3339).
pub const FAILED_AT: &str = "dlq_failed_at";

/// Whether header `key` says why a record was dead-lettered (`dlq_*`, or
/// `ce_dlq*` when it came through a KafkaSink): a redrive drops these.
pub fn is_reason(key: &str) -> bool {
    key.starts_with("dlq_") || key.starts_with("ce_dlq")
}

/// A dead letter ready to produce.
pub struct DeadLetterRecord {
    pub topic: String,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub headers: OwnedHeaders,
}

impl DeadLetterRecord {
    pub fn new(original: &OwnedMessage, group: &str, reason: &str, attempts: u32) -> Self {
        let mut headers = OwnedHeaders::new();
        if let Some(hs) = original.headers() {
            for h in hs.iter() {
                headers = headers.insert(Header { key: h.key, value: h.value });
            }
        }
        let (partition, offset) = (original.partition().to_string(), original.offset().to_string());
        let headers = why(headers, original.topic(), group, reason, attempts)
            .insert(Header { key: ORIGINAL_PARTITION, value: Some(partition.as_str()) })
            .insert(Header { key: ORIGINAL_OFFSET, value: Some(offset.as_str()) });
        Self {
            topic: hrms_events::topics::dlq_name(original.topic()),
            key: original.key().map(<[u8]>::to_vec),
            payload: original.payload().map(<[u8]>::to_vec),
            headers,
        }
    }

    /// The dead letter of an event given up on after it left its topic (its
    /// partition and offset there are no longer known), encoded as it was
    /// published, so that a redrive publishes it unchanged.
    pub fn of_event(letter: &DeadLetter) -> Result<Self, PublishError> {
        let event = &letter.event;
        let r = EncodedRecord::encode(event)
            .map_err(|e| PublishError::fatal(format!("cannot encode {}", event.id), e))?;
        Ok(Self {
            topic: hrms_events::topics::dlq_name(event.topic()),
            key: Some(r.key.into_bytes()),
            payload: Some(r.payload),
            headers: why(r.headers, event.topic(), &letter.group, &letter.reason, letter.attempts),
        })
    }

    pub fn record(&self) -> FutureRecord<'_, [u8], [u8]> {
        let mut r = FutureRecord::to(&self.topic).headers(self.headers.clone());
        if let Some(k) = &self.key {
            r = r.key(k.as_slice());
        }
        if let Some(p) = &self.payload {
            r = r.payload(p.as_slice());
        }
        r
    }
}

/// The headers that say why and where from.
fn why(headers: OwnedHeaders, topic: &str, group: &str, reason: &str, attempts: u32) -> OwnedHeaders {
    let (attempts, now) = (attempts.to_string(), chrono::Utc::now().to_rfc3339());
    [(REASON, reason), (ATTEMPTS, &attempts), (ORIGINAL_TOPIC, topic), (GROUP, group), (FAILED_AT, &now)]
        .into_iter()
        .fold(headers, |headers, (key, value)| headers.insert(Header { key, value: Some(value) }))
}

impl DeadLetterSink for KafkaPublisher {
    fn dead_letter<'a>(
        &'a self,
        letter: &'a DeadLetter,
    ) -> futures::future::BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(async move {
            let record = DeadLetterRecord::of_event(letter)?;
            let delivery = self.enqueue(record.record()).await?;
            self.acknowledged(delivery).await?;
            metrics::counter!("hrms_dead_letters_total", "topic" => record.topic).increment(1);
            Ok(())
        })
    }
}
