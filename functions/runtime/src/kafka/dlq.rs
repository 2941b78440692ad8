//! Dead letters: a record its consumer gave up on goes unchanged (key, value,
//! headers) to `<topic>.dlq`, with headers that say why and where it came from.

use rdkafka::Message;
use rdkafka::message::{Header, Headers, OwnedHeaders, OwnedMessage};
use rdkafka::producer::FutureRecord;

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
        let attempts = attempts.to_string();
        let now = chrono::Utc::now().to_rfc3339();
        for (key, value) in [
            (REASON, reason),
            (ATTEMPTS, attempts.as_str()),
            (ORIGINAL_TOPIC, original.topic()),
            (ORIGINAL_PARTITION, partition.as_str()),
            (ORIGINAL_OFFSET, offset.as_str()),
            (GROUP, group),
            (FAILED_AT, now.as_str()),
        ] {
            headers = headers.insert(Header { key, value: Some(value) });
        }
        Self {
            topic: hrms_events::topics::dlq_name(original.topic()),
            key: original.key().map(<[u8]>::to_vec),
            payload: original.payload().map(<[u8]>::to_vec),
            headers,
        }
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
