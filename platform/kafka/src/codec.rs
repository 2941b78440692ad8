//! The CloudEvents Kafka protocol binding, binary content mode: attributes in
//! `ce_*` headers, `datacontenttype` in `content-type`, the JSON payload as
//! the record value and `partitionkey` as the record key. Structured mode
//! (`content-type: application/cloudevents+json`) is read too. No I/O here.

use hrms_events::cloudevents::Event;
use hrms_events::cloudevents::event::SpecVersion;
use hrms_events::cloudevents::message::{
    self, BinaryDeserializer, BinarySerializer, Encoding, MessageAttributeValue, MessageDeserializer,
    StructuredDeserializer, StructuredSerializer,
};
use hrms_events::{DecodeError, HrmsEvent};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};

const SPEC_VERSION_HEADER: &str = "ce_specversion";
const CONTENT_TYPE_HEADER: &str = "content-type";
const STRUCTURED_CONTENT_TYPE: &str = "application/cloudevents+json";

/// An event ready to produce: key, headers and value.
#[derive(Debug, Clone)]
pub struct EncodedRecord {
    pub topic: &'static str,
    pub key: String,
    pub headers: OwnedHeaders,
    pub payload: Vec<u8>,
}

impl EncodedRecord {
    /// Encodes `event` in binary content mode.
    pub fn encode(event: &HrmsEvent) -> Result<Self, message::Error> {
        let builder = HeaderWriter { headers: OwnedHeaders::new_with_capacity(10), payload: Vec::new() };
        let written = BinaryDeserializer::deserialize_binary(event, builder)?;
        Ok(Self {
            topic: event.topic(),
            key: event.partition_key(),
            headers: written.headers,
            payload: written.payload,
        })
    }

    /// Bytes on the wire, headers included: what `hrms-bench produce` compares.
    pub fn size(&self) -> usize {
        let headers: usize = self.headers.iter().map(|h| h.key.len() + h.value.map_or(0, <[u8]>::len)).sum();
        self.key.len() + headers + self.payload.len()
    }
}

struct HeaderWriter {
    headers: OwnedHeaders,
    payload: Vec<u8>,
}

impl HeaderWriter {
    fn insert(mut self, key: &str, value: &str) -> Self {
        self.headers = self.headers.insert(Header { key, value: Some(value) });
        self
    }
}

impl BinarySerializer<HeaderWriter> for HeaderWriter {
    fn set_spec_version(self, spec_version: SpecVersion) -> message::Result<Self> {
        Ok(self.insert(SPEC_VERSION_HEADER, spec_version.as_str()))
    }

    fn set_attribute(self, name: &str, value: MessageAttributeValue) -> message::Result<Self> {
        let value = match value {
            MessageAttributeValue::String(s) => s,
            other => other.to_string(),
        };
        Ok(match header_name(name) {
            Some(key) => self.insert(key, &value),
            None => self.insert(&format!("ce_{name}"), &value),
        })
    }

    fn set_extension(self, name: &str, value: MessageAttributeValue) -> message::Result<Self> {
        self.set_attribute(name, value)
    }

    fn end_with_data(mut self, bytes: Vec<u8>) -> message::Result<HeaderWriter> {
        self.payload = bytes;
        Ok(self)
    }

    fn end(self) -> message::Result<HeaderWriter> {
        Ok(self)
    }
}

/// The header of each attribute and extension we write, without formatting.
fn header_name(attribute: &str) -> Option<&'static str> {
    Some(match attribute {
        "datacontenttype" => CONTENT_TYPE_HEADER,
        "id" => "ce_id",
        "source" => "ce_source",
        "type" => "ce_type",
        "subject" => "ce_subject",
        "time" => "ce_time",
        "dataschema" => "ce_dataschema",
        "partitionkey" => "ce_partitionkey",
        "actor" => "ce_actor",
        "traceparent" => "ce_traceparent",
        _ => return None,
    })
}

/// Why a record could not be read as an HRMS event. Such records go to the
/// dead-letter topic at once.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("not a CloudEvent: {0}")]
    Binding(#[from] message::Error),
    #[error(transparent)]
    Contract(#[from] DecodeError),
    #[error("record key {key:?} differs from partitionkey {partition_key:?}")]
    KeyMismatch { key: Option<String>, partition_key: String },
}

/// Reads a consumed record as an HRMS event.
pub fn decode(record: &impl Message) -> Result<HrmsEvent, RecordError> {
    let event = RecordReader::new(record).into_event()?;
    let event = HrmsEvent::from_cloudevent(&event)?;
    let key = record.key().map(|k| String::from_utf8_lossy(k).into_owned());
    if key.as_deref() != Some(event.partition_key().as_str()) {
        return Err(RecordError::KeyMismatch { key, partition_key: event.partition_key() });
    }
    Ok(event)
}

/// Reads a consumed record and checks it as every consumer checks an event
/// ([`hrms_events::checks`], as the HTTP intake does); the reason to
/// dead-letter it (`undecodable: ...`, `refused: <attribute>: ...`) if not.
pub fn admit(record: &impl Message) -> Result<HrmsEvent, String> {
    let event = decode(record).map_err(|e| format!("undecodable: {}", hrms_platform::Chain(&e)))?;
    hrms_events::checks::check(&event, chrono::Utc::now())
        .map_err(|refused| format!("refused: {refused}"))?;
    Ok(event)
}

/// A consumed record seen through the CloudEvents message traits. Headers
/// with null values are skipped (the upstream binding would panic on them).
struct RecordReader {
    headers: Vec<(String, Vec<u8>)>,
    payload: Option<Vec<u8>>,
}

impl RecordReader {
    fn new(record: &impl Message) -> Self {
        let headers = record
            .headers()
            .map(|hs| hs.iter().filter_map(|h| Some((h.key.to_owned(), h.value?.to_vec()))).collect())
            .unwrap_or_default();
        Self { headers, payload: record.payload().map(<[u8]>::to_vec) }
    }

    fn header(&self, key: &str) -> Option<&[u8]> {
        self.headers.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
    }

    fn into_event(self) -> message::Result<Event> {
        MessageDeserializer::into_event(self)
    }
}

fn utf8(bytes: Vec<u8>) -> message::Result<String> {
    String::from_utf8(bytes).map_err(|e| message::Error::Other { source: Box::new(e) })
}

impl MessageDeserializer for RecordReader {
    fn encoding(&self) -> Encoding {
        let structured = self
            .header(CONTENT_TYPE_HEADER)
            .is_some_and(|ct| ct.starts_with(STRUCTURED_CONTENT_TYPE.as_bytes()));
        match (structured, self.header(SPEC_VERSION_HEADER).is_some()) {
            (true, _) => Encoding::STRUCTURED,
            (false, true) => Encoding::BINARY,
            (false, false) => Encoding::UNKNOWN,
        }
    }
}

impl BinaryDeserializer for RecordReader {
    fn deserialize_binary<R: Sized, V: BinarySerializer<R>>(self, mut visitor: V) -> message::Result<R> {
        let spec = self.header(SPEC_VERSION_HEADER).ok_or(message::Error::WrongEncoding {})?;
        let spec = SpecVersion::try_from(utf8(spec.to_vec())?.as_str())?;
        let names = spec.attribute_names();
        visitor = visitor.set_spec_version(spec)?;
        for (key, value) in self.headers {
            if key == CONTENT_TYPE_HEADER {
                visitor =
                    visitor.set_attribute("datacontenttype", MessageAttributeValue::String(utf8(value)?))?;
                continue;
            }
            let Some(name) = key.strip_prefix("ce_") else { continue };
            if key == SPEC_VERSION_HEADER {
                continue;
            }
            let value = MessageAttributeValue::String(utf8(value)?);
            visitor = if names.contains(&name) {
                visitor.set_attribute(name, value)?
            } else {
                visitor.set_extension(name, value)?
            };
        }
        match self.payload {
            Some(bytes) => visitor.end_with_data(bytes),
            None => visitor.end(),
        }
    }
}

impl StructuredDeserializer for RecordReader {
    fn deserialize_structured<R: Sized, V: StructuredSerializer<R>>(self, visitor: V) -> message::Result<R> {
        visitor.set_structured_event(self.payload.ok_or(message::Error::WrongEncoding {})?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hrms_events::{EventType, fixtures};
    use rdkafka::Timestamp;
    use rdkafka::message::OwnedMessage;

    fn consumed(key: Option<&str>, headers: OwnedHeaders, payload: Option<Vec<u8>>) -> OwnedMessage {
        OwnedMessage::new(
            payload,
            key.map(|k| k.as_bytes().to_vec()),
            "t".into(),
            Timestamp::NotAvailable,
            0,
            0,
            Some(headers),
        )
    }

    fn header_map(headers: &OwnedHeaders) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|h| (h.key.to_owned(), String::from_utf8_lossy(h.value.unwrap_or_default()).into()))
            .collect()
    }

    #[test]
    fn binary_mode_headers_key_and_value() {
        let event = fixtures::sample(EventType::LeaveApproved)
            .with_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        let record = EncodedRecord::encode(&event).expect("encodes");
        assert_eq!(record.topic, "notification-queue");
        assert_eq!(record.key, event.partition_key());
        let headers = header_map(&record.headers);
        let get = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("ce_specversion"), Some("1.0"));
        assert_eq!(get("ce_id"), Some(event.id.to_string().as_str()));
        assert_eq!(get("ce_type"), Some("leave.approved"));
        assert_eq!(get("ce_source"), Some("/hrms/leave"));
        assert_eq!(get("ce_subject"), Some(event.subject().as_str()));
        assert_eq!(get("ce_dataschema"), Some("urn:hrms:schema:leave.approved:v1"));
        assert_eq!(get("ce_partitionkey"), Some(event.partition_key().as_str()));
        assert_eq!(get("ce_actor"), Some(fixtures::HR.to_string().as_str()));
        assert_eq!(get("ce_traceparent"), event.traceparent.as_deref());
        assert_eq!(get("content-type"), Some("application/json"));
        assert!(get("ce_time").is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()));
        let value: serde_json::Value = serde_json::from_slice(&record.payload).expect("JSON value");
        assert_eq!(value, event.payload.to_json());
    }

    #[test]
    fn every_type_decodes_back() {
        for event in fixtures::all() {
            let r = EncodedRecord::encode(&event).expect("encodes");
            let decoded = decode(&consumed(Some(&r.key), r.headers, Some(r.payload))).expect("decodes");
            assert_eq!(decoded, event);
        }
    }

    #[test]
    fn structured_mode_is_read() {
        let event = fixtures::sample(EventType::AuditEmployeeUpdated);
        let json = serde_json::to_vec(&event.to_cloudevent()).expect("serialises");
        let headers = OwnedHeaders::new().insert(Header {
            key: "content-type",
            value: Some("application/cloudevents+json; charset=utf-8"),
        });
        assert_eq!(
            decode(&consumed(Some(&event.partition_key()), headers, Some(json))).expect("decodes"),
            event
        );
    }

    #[test]
    fn bad_records_are_errors_not_panics() {
        let event = fixtures::sample(EventType::UserCreated);
        let r = EncodedRecord::encode(&event).expect("encodes");

        let no_headers = consumed(Some(&r.key), OwnedHeaders::new(), Some(r.payload.clone()));
        assert!(matches!(decode(&no_headers), Err(RecordError::Binding(_))));

        let null_header = r.headers.clone().insert(Header::<&[u8]> { key: "ce_extra", value: None });
        assert!(decode(&consumed(Some(&r.key), null_header, Some(r.payload.clone()))).is_ok());

        let bad_utf8 = r.headers.clone().insert(Header { key: "ce_subject", value: Some(&[0xff, 0xfe][..]) });
        assert!(decode(&consumed(Some(&r.key), bad_utf8, Some(r.payload.clone()))).is_err());

        let wrong_key = consumed(Some("other"), r.headers.clone(), Some(r.payload.clone()));
        assert!(matches!(decode(&wrong_key), Err(RecordError::KeyMismatch { .. })));

        let garbage = consumed(Some(&r.key), r.headers.clone(), Some(b"\x00not json".to_vec()));
        assert!(matches!(decode(&garbage), Err(RecordError::Contract(DecodeError::Payload { .. }))));

        let no_value = consumed(Some(&r.key), r.headers, None);
        assert!(matches!(decode(&no_value), Err(RecordError::Contract(DecodeError::Missing("data")))));

        let structured_garbage = OwnedHeaders::new()
            .insert(Header { key: "content-type", value: Some("application/cloudevents+json") });
        assert!(matches!(
            decode(&consumed(None, structured_garbage, Some(b"{".to_vec()))),
            Err(RecordError::Binding(_))
        ));
    }
}
