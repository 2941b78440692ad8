//! The envelope: [`HrmsEvent`] is a typed payload with its CloudEvents
//! attributes, converted to and from a `cloudevents::Event` without any
//! transport in between.

use chrono::{DateTime, SubsecRound, Utc};
use cloudevents::event::{Data, ExtensionValue, SpecVersion};
use cloudevents::message::{self, BinaryDeserializer, BinarySerializer, MessageAttributeValue};
use cloudevents::{AttributesReader, Event};
use uuid::Uuid;

use crate::catalogue::{EventType, Payload, parse_schema_uri};
use crate::common::Actor;
use crate::error::DecodeError;
use crate::service::Service;

/// The only content type our events carry.
pub const CONTENT_TYPE: &str = "application/json";
/// Extension: the id that orders the events (the Kafka record key).
pub const EXT_PARTITION_KEY: &str = "partitionkey";
/// Extension: who caused the event.
pub const EXT_ACTOR: &str = "actor";
/// Extension: W3C trace context, when the operation was traced.
pub const EXT_TRACEPARENT: &str = "traceparent";

/// One HRMS event: typed payload plus envelope attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct HrmsEvent {
    /// UUIDv7: unique, and sortable by creation time.
    pub id: Uuid,
    pub time: DateTime<Utc>,
    /// The `actor` extension (see [`Actor::id`]).
    pub actor: String,
    pub traceparent: Option<String>,
    pub payload: Payload,
}

impl HrmsEvent {
    /// A new event of `payload`, caused by `actor`, stamped now.
    pub fn new(payload: Payload, actor: &Actor) -> Self {
        Self {
            id: Uuid::now_v7(),
            // CloudEvents time travels as RFC 3339; keep what survives the trip.
            time: Utc::now().trunc_subsecs(6),
            actor: actor.id(),
            traceparent: None,
            payload,
        }
    }

    /// Carries the caller's W3C `traceparent`.
    pub fn with_traceparent(mut self, traceparent: impl Into<String>) -> Self {
        self.traceparent = Some(traceparent.into());
        self
    }

    pub fn event_type(&self) -> EventType {
        self.payload.event_type()
    }

    pub fn service(&self) -> Service {
        self.event_type().service()
    }

    pub fn subject(&self) -> String {
        self.payload.subject()
    }

    pub fn partition_key(&self) -> String {
        self.payload.partition_key()
    }

    /// The topic it is routed to.
    pub fn topic(&self) -> &'static str {
        self.event_type().topic().name
    }

    /// The CloudEvent 1.0 that carries it, with JSON data (so that the
    /// structured mode writes `data`, not `data_base64`).
    pub fn to_cloudevent(&self) -> Event {
        // Every attribute is set from typed fields and the schema URI is
        // well-formed by construction, so building cannot fail.
        let mut event = BinaryDeserializer::into_event(self)
            .unwrap_or_else(|e| unreachable!("envelope attributes are complete: {e}"));
        event.set_data(CONTENT_TYPE, Data::Json(self.payload.to_json()));
        event
    }

    /// Reads and checks a CloudEvent: every attribute the contract requires,
    /// a known type, a schema version readers accept (the written one or one
    /// of [`OTHER_VERSIONS`](crate::versions::OTHER_VERSIONS), read into the
    /// written payload), and a payload of that schema.
    pub fn from_cloudevent(event: &Event) -> Result<Self, DecodeError> {
        if event.specversion() != SpecVersion::V10 {
            return Err(DecodeError::SpecVersion(event.specversion().to_string()));
        }
        Self::from_parts(Parts {
            ty: event.ty(),
            id: event.id(),
            source: &event.source().to_string(),
            dataschema: event.dataschema().map(|s| s.as_str()),
            datacontenttype: event.datacontenttype(),
            time: event.time().copied(),
            subject: event.subject(),
            actor: string_extension(event, EXT_ACTOR)?,
            partition_key: string_extension(event, EXT_PARTITION_KEY)?,
            traceparent: string_extension(event, EXT_TRACEPARENT)?,
            data: event.data().map(|data| match data {
                Data::Binary(bytes) => PartsData::Bytes(bytes),
                Data::String(text) => PartsData::Bytes(text.as_bytes()),
                Data::Json(value) => PartsData::Value(value.clone()),
            }),
        })
    }

    /// The checks of [`HrmsEvent::from_cloudevent`] over attributes read by
    /// any means.
    pub(crate) fn from_parts(parts: Parts<'_>) -> Result<Self, DecodeError> {
        let ty = EventType::parse(parts.ty).ok_or_else(|| DecodeError::UnknownType(parts.ty.to_owned()))?;
        let id = Uuid::parse_str(parts.id).map_err(|_| DecodeError::invalid("id", "not a UUID"))?;
        if Service::from_source(parts.source) != Some(ty.service()) {
            return Err(DecodeError::invalid("source", "does not match the event type"));
        }
        let schema = parts.dataschema.ok_or(DecodeError::Missing("dataschema"))?;
        let version = match parse_schema_uri(schema) {
            Some((name, version)) if name == ty.as_str() && ty.reads(version) => version,
            _ => return Err(DecodeError::SchemaVersion { ty: ty.as_str(), dataschema: schema.to_owned() }),
        };
        match parts.datacontenttype {
            Some(CONTENT_TYPE) => {}
            Some(other) => return Err(DecodeError::ContentType(other.to_owned())),
            None => return Err(DecodeError::Missing("datacontenttype")),
        }
        let time = parts.time.ok_or(DecodeError::Missing("time"))?;
        let subject = parts.subject.ok_or(DecodeError::Missing("subject"))?;
        let actor = parts.actor.ok_or(DecodeError::Missing(EXT_ACTOR))?;
        let key = parts.partition_key.ok_or(DecodeError::Missing(EXT_PARTITION_KEY))?;

        let data = parts.data.ok_or(DecodeError::Missing("data"))?;
        let Some(read) = Payload::read_version(ty, version, data) else {
            return Err(DecodeError::SchemaVersion { ty: ty.as_str(), dataschema: schema.to_owned() });
        };
        let payload = read.map_err(|source| DecodeError::Payload { ty: ty.as_str(), source })?;

        if payload.subject() != subject {
            return Err(DecodeError::invalid("subject", "does not match the payload"));
        }
        if payload.partition_key() != key {
            return Err(DecodeError::invalid(EXT_PARTITION_KEY, "does not match the payload"));
        }
        Ok(Self { id, time, actor, traceparent: parts.traceparent, payload })
    }
}

/// A CloudEvent's attributes and data as [`HrmsEvent::from_parts`] checks
/// them, however they were read.
pub(crate) struct Parts<'a> {
    pub ty: &'a str,
    pub id: &'a str,
    pub source: &'a str,
    pub dataschema: Option<&'a str>,
    pub datacontenttype: Option<&'a str>,
    pub time: Option<DateTime<Utc>>,
    pub subject: Option<&'a str>,
    pub actor: Option<String>,
    pub partition_key: Option<String>,
    pub traceparent: Option<String>,
    pub data: Option<PartsData<'a>>,
}

/// An event's data: JSON text, or JSON already parsed.
pub(crate) enum PartsData<'a> {
    Bytes(&'a [u8]),
    Value(serde_json::Value),
}

fn string_extension(event: &Event, name: &'static str) -> Result<Option<String>, DecodeError> {
    match event.extension(name) {
        None => Ok(None),
        Some(ExtensionValue::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DecodeError::invalid(name, "not a string")),
    }
}

/// An event writes itself into any binding's serializer (binary content
/// mode) without building a `cloudevents::Event` first: the Kafka and HTTP
/// bindings use this directly, and [`HrmsEvent::to_cloudevent`] through it.
impl BinaryDeserializer for &HrmsEvent {
    fn deserialize_binary<R: Sized, V: BinarySerializer<R>>(self, serializer: V) -> message::Result<R> {
        use MessageAttributeValue::{DateTime, String as Text};
        let ty = self.event_type();
        let mut s = serializer
            .set_spec_version(SpecVersion::V10)?
            .set_attribute("id", Text(self.id.to_string()))?
            .set_attribute("source", Text(self.service().source()))?
            .set_attribute("type", Text(ty.as_str().to_owned()))?
            .set_attribute("subject", Text(self.subject()))?
            .set_attribute("time", DateTime(self.time))?
            .set_attribute("datacontenttype", Text(CONTENT_TYPE.to_owned()))?
            .set_attribute("dataschema", Text(ty.schema_uri()))?
            .set_extension(EXT_PARTITION_KEY, Text(self.partition_key()))?
            .set_extension(EXT_ACTOR, Text(self.actor.clone()))?;
        if let Some(tp) = &self.traceparent {
            s = s.set_extension(EXT_TRACEPARENT, Text(tp.clone()))?;
        }
        s.end_with_data(self.payload.to_bytes())
    }
}
