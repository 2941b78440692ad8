//! The CloudEvents HTTP protocol binding, read side, for events pushed to
//! us: binary mode (`ce-*` headers with percent-encoded values,
//! `datacontenttype` in `Content-Type`, the data as body) and structured
//! mode (`application/cloudevents+json`). Every refusal names the attribute
//! at fault. No I/O here.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use hrms_events::cloudevents::Event;
use hrms_events::cloudevents::event::{EventBuilderError, ExtensionValue, SpecVersion};
use hrms_events::cloudevents::message::{
    self, BinaryDeserializer, BinarySerializer, Encoding, MessageAttributeValue, MessageDeserializer,
    StructuredDeserializer, StructuredSerializer,
};
use hrms_events::{DecodeError, HrmsEvent};
use serde_json::Value;

const SPEC_VERSION_HEADER: &str = "ce-specversion";
const STRUCTURED: &str = "application/cloudevents+json";
/// Extensions Knative's Kafka dispatchers add: the record's place on its topic.
pub const EXT_KAFKA_PARTITION: &str = "knativekafkapartition";
pub const EXT_KAFKA_OFFSET: &str = "knativekafkaoffset";

/// An event pushed over HTTP, with its place on the topic when the sender
/// named it (-1 otherwise).
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    pub event: HrmsEvent,
    pub partition: i32,
    pub offset: i64,
}

/// A request that is not a CloudEvent of our contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct InvalidEvent {
    /// The attribute at fault (`data` for the payload), where there is one.
    pub attribute: Option<String>,
    pub reason: String,
}

impl InvalidEvent {
    fn new(attribute: Option<&str>, reason: impl Into<String>) -> Self {
        Self { attribute: attribute.map(str::to_owned), reason: reason.into() }
    }
}

/// Reads the event a request carries, in binary or structured mode.
pub fn decode(headers: &HeaderMap, body: Bytes) -> Result<Pushed, InvalidEvent> {
    let reader = Reader { headers, body };
    if reader.encoding() == Encoding::STRUCTURED {
        reader.check_structured()?;
    }
    let event = MessageDeserializer::into_event(reader).map_err(binding_error)?;
    let pushed = HrmsEvent::from_cloudevent(&event).map_err(contract_error)?;
    Ok(Pushed {
        event: pushed,
        partition: integer_extension(&event, EXT_KAFKA_PARTITION)
            .and_then(|p| p.try_into().ok())
            .unwrap_or(-1),
        offset: integer_extension(&event, EXT_KAFKA_OFFSET).unwrap_or(-1),
    })
}

/// An extension as a number: binary mode carries it as text, structured
/// mode as a JSON number or text.
fn integer_extension(event: &Event, name: &str) -> Option<i64> {
    match event.extension(name)? {
        ExtensionValue::Integer(n) => Some(*n),
        ExtensionValue::String(s) => s.trim().parse().ok(),
        ExtensionValue::Boolean(_) => None,
    }
}

fn binding_error(e: message::Error) -> InvalidEvent {
    use message::Error as E;
    match e {
        E::WrongEncoding {} => {
            InvalidEvent::new(Some("specversion"), "not a CloudEvent: no ce-specversion header")
        }
        E::UnknownSpecVersion { source } => InvalidEvent::new(Some("specversion"), source.to_string()),
        E::EventBuilderError { source } => {
            let attribute = match &source {
                EventBuilderError::MissingRequiredAttribute { attribute_name }
                | EventBuilderError::ParseTimeError { attribute_name, .. }
                | EventBuilderError::ParseUrlError { attribute_name, .. }
                | EventBuilderError::InvalidUriRefError { attribute_name } => *attribute_name,
            };
            InvalidEvent::new(Some(attribute), source.to_string())
        }
        E::Other { source } => match source.downcast::<InvalidEvent>() {
            Ok(invalid) => *invalid,
            Err(other) => InvalidEvent::new(None, other.to_string()),
        },
        other => InvalidEvent::new(None, format!("malformed CloudEvent: {other}")),
    }
}

fn contract_error(e: DecodeError) -> InvalidEvent {
    let attribute = match &e {
        DecodeError::Envelope(_) => None,
        DecodeError::SpecVersion(_) => Some("specversion"),
        DecodeError::UnknownType(_) => Some("type"),
        DecodeError::SchemaVersion { .. } => Some("dataschema"),
        DecodeError::ContentType(_) => Some("datacontenttype"),
        DecodeError::Missing(name) | DecodeError::Invalid { name, .. } => Some(*name),
        DecodeError::Payload { .. } => Some("data"),
    };
    InvalidEvent::new(attribute, e.to_string())
}

/// A request seen through the CloudEvents message traits.
struct Reader<'a> {
    headers: &'a HeaderMap,
    body: Bytes,
}

impl Reader<'_> {
    /// Names a missing required attribute of a structured event, which the
    /// SDK's JSON reader would only describe.
    fn check_structured(&self) -> Result<(), InvalidEvent> {
        let json: Value = serde_json::from_slice(&self.body)
            .map_err(|e| InvalidEvent::new(None, format!("malformed CloudEvent: {e}")))?;
        for name in ["specversion", "id", "source", "type"] {
            if !json.get(name).is_some_and(Value::is_string) {
                return Err(InvalidEvent::new(Some(name), format!("the CloudEvent has no {name}")));
            }
        }
        Ok(())
    }
}

impl MessageDeserializer for Reader<'_> {
    fn encoding(&self) -> Encoding {
        let content_type = self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if content_type.starts_with(STRUCTURED) {
            Encoding::STRUCTURED
        } else if self.headers.contains_key(SPEC_VERSION_HEADER) {
            Encoding::BINARY
        } else {
            Encoding::UNKNOWN
        }
    }
}

impl BinaryDeserializer for Reader<'_> {
    fn deserialize_binary<R: Sized, V: BinarySerializer<R>>(self, mut visitor: V) -> message::Result<R> {
        let spec = self.headers.get(SPEC_VERSION_HEADER).ok_or(message::Error::WrongEncoding {})?;
        let spec = SpecVersion::try_from(header_text("specversion", spec.as_bytes())?.as_str())?;
        let names = spec.attribute_names();
        visitor = visitor.set_spec_version(spec)?;
        for (key, value) in self.headers {
            let Some(name) = key.as_str().strip_prefix("ce-") else { continue };
            if name == "specversion" {
                continue;
            }
            let text = MessageAttributeValue::String(header_text(name, value.as_bytes())?);
            visitor = if names.contains(&name) {
                visitor.set_attribute(name, text).map_err(|e| invalid(name, e))?
            } else {
                visitor.set_extension(name, text).map_err(|e| invalid(name, e))?
            };
        }
        if let Some(content_type) = self.headers.get(CONTENT_TYPE) {
            let content_type = media_type(&header_text("datacontenttype", content_type.as_bytes())?);
            visitor = visitor
                .set_attribute("datacontenttype", MessageAttributeValue::String(content_type))
                .map_err(|e| invalid("datacontenttype", e))?;
        }
        if self.body.is_empty() { visitor.end() } else { visitor.end_with_data(self.body.to_vec()) }
    }
}

impl StructuredDeserializer for Reader<'_> {
    fn deserialize_structured<R: Sized, V: StructuredSerializer<R>>(self, visitor: V) -> message::Result<R> {
        visitor.set_structured_event(self.body.to_vec())
    }
}

/// `application/json; charset=utf-8` is `application/json`: JSON is UTF-8.
fn media_type(content_type: &str) -> String {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence == hrms_events::envelope::CONTENT_TYPE { essence } else { content_type.to_owned() }
}

fn invalid(attribute: &str, e: impl std::fmt::Display) -> message::Error {
    message::Error::Other { source: Box::new(InvalidEvent::new(Some(attribute), e.to_string())) }
}

/// A header value, percent-decoded as the HTTP binding asks (§3.1.3.2).
fn header_text(attribute: &str, raw: &[u8]) -> message::Result<String> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = raw.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (raw[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                bytes.push(byte);
                i += 3;
            }
            (byte, _) => {
                bytes.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(bytes).map_err(|_| invalid(attribute, "the header is not UTF-8 once percent-decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_percent_decoded() {
        let text = |raw: &str| header_text("subject", raw.as_bytes()).expect("text");
        assert_eq!(text("Ren%C3%A9e %22R%22 100%25"), "Renée \"R\" 100%");
        assert_eq!(text("50% off"), "50% off", "a lone % stays");
        assert!(header_text("subject", b"%FF").is_err(), "not UTF-8");
    }

    #[test]
    fn json_with_a_charset_is_json() {
        assert_eq!(media_type("Application/JSON; charset=utf-8"), "application/json");
        assert_eq!(media_type("text/plain"), "text/plain");
    }
}
