//! The structured content mode (a CloudEvent as one JSON object) written
//! and read straight from an [`HrmsEvent`] with serde, without building a
//! `cloudevents::Event` in between: what the outboxes keep. The JSON is the
//! SDK's structured form of [`HrmsEvent::to_cloudevent`] (tested: the SDK
//! reads it back as that event), and reading accepts what the SDK writes.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::catalogue::PayloadData;
use crate::envelope::{CONTENT_TYPE, HrmsEvent, Parts, PartsData};
use crate::error::DecodeError;

/// The attributes (the extensions among them, as the spec has them), then
/// the data.
#[derive(Serialize)]
struct Write<'a> {
    specversion: &'static str,
    id: String,
    #[serde(rename = "type")]
    ty: &'static str,
    source: String,
    datacontenttype: &'static str,
    dataschema: String,
    subject: String,
    time: DateTime<Utc>,
    partitionkey: String,
    actor: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    traceparent: Option<&'a str>,
    data: PayloadData<'a>,
}

#[derive(Deserialize)]
struct Read<'a> {
    #[serde(borrow)]
    specversion: Cow<'a, str>,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(borrow)]
    source: Cow<'a, str>,
    #[serde(borrow)]
    datacontenttype: Option<Cow<'a, str>>,
    #[serde(borrow)]
    dataschema: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subject: Option<Cow<'a, str>>,
    time: Option<DateTime<Utc>>,
    partitionkey: Option<String>,
    actor: Option<String>,
    traceparent: Option<String>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

impl HrmsEvent {
    /// The structured-mode JSON of [`HrmsEvent::to_cloudevent`].
    pub fn to_structured_json(&self) -> String {
        let ty = self.event_type();
        let event = Write {
            specversion: "1.0",
            id: self.id.to_string(),
            ty: ty.as_str(),
            source: self.service().source(),
            datacontenttype: CONTENT_TYPE,
            dataschema: ty.schema_uri(),
            subject: self.subject(),
            time: self.time,
            partitionkey: self.partition_key(),
            actor: &self.actor,
            traceparent: self.traceparent.as_deref(),
            data: self.payload.data(),
        };
        // Strings, a time and plain payload data with string keys:
        // serialising cannot fail.
        serde_json::to_string(&event).unwrap_or_else(|e| unreachable!("an event is plain JSON: {e}"))
    }

    /// Reads structured-mode JSON with the checks of
    /// [`HrmsEvent::from_cloudevent`]. Text that is not a structured
    /// CloudEvent of ours is read by the SDK, for its error.
    pub fn from_structured_json(text: &str) -> Result<Self, DecodeError> {
        let Ok(read) = serde_json::from_str::<Read<'_>>(text) else {
            let event: cloudevents::Event =
                serde_json::from_str(text).map_err(|e| DecodeError::Envelope(e.to_string()))?;
            return Self::from_cloudevent(&event);
        };
        if read.specversion != "1.0" {
            return Err(DecodeError::SpecVersion(read.specversion.into_owned()));
        }
        Self::from_parts(Parts {
            ty: &read.ty,
            id: &read.id,
            source: &read.source,
            dataschema: read.dataschema.as_deref(),
            datacontenttype: read.datacontenttype.as_deref(),
            time: read.time,
            subject: read.subject.as_deref(),
            actor: read.actor,
            partition_key: read.partitionkey,
            traceparent: read.traceparent,
            data: read.data.map(|d| PartsData::Bytes(d.get().as_bytes())),
        })
    }
}

#[cfg(test)]
mod tests {
    use cloudevents::Event;

    use crate::fixtures;

    use super::*;

    #[test]
    fn the_sdk_reads_every_event_as_its_cloudevent() {
        for event in fixtures::all() {
            let traced =
                event.clone().with_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            for e in [event, traced] {
                let read: Event =
                    serde_json::from_str(&e.to_structured_json()).expect("a structured CloudEvent");
                assert_eq!(read, e.to_cloudevent(), "{}", e.event_type());
            }
        }
    }

    #[test]
    fn every_event_reads_back_from_its_json_and_from_the_sdks() {
        for event in fixtures::all() {
            let ours = HrmsEvent::from_structured_json(&event.to_structured_json()).expect("read back");
            assert_eq!(ours, event);
            let by_sdk = serde_json::to_string(&event.to_cloudevent()).expect("json");
            let theirs = HrmsEvent::from_structured_json(&by_sdk).expect("read from the SDK's");
            assert_eq!(theirs, event, "{}", event.event_type());
        }
    }

    #[test]
    fn what_the_checks_refuse_is_refused_here_too() {
        let event = fixtures::all().remove(0);
        let json: serde_json::Value = serde_json::from_str(&event.to_structured_json()).expect("json");
        let with = |key: &str, value: serde_json::Value| {
            let mut changed = json.clone();
            changed[key] = value;
            HrmsEvent::from_structured_json(&changed.to_string())
        };
        assert!(matches!(with("specversion", "0.3".into()), Err(DecodeError::SpecVersion(_))));
        assert!(matches!(with("type", "nobody.knows".into()), Err(DecodeError::UnknownType(_))));
        assert!(matches!(with("dataschema", "urn:x".into()), Err(DecodeError::SchemaVersion { .. })));
        assert!(matches!(with("subject", "someone-else".into()), Err(DecodeError::Invalid { .. })));
        assert!(matches!(with("data", serde_json::json!({})), Err(DecodeError::Payload { .. })));
        let mut without = json.clone();
        without.as_object_mut().expect("object").remove("actor");
        let missing = HrmsEvent::from_structured_json(&without.to_string());
        assert!(matches!(missing, Err(DecodeError::Missing("actor"))), "{missing:?}");
        assert!(HrmsEvent::from_structured_json("not json").is_err());
    }
}
