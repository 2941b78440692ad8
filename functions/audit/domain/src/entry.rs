//! A row of the audit log: an event in canonical form with its link in its
//! subject's chain.

use chrono::{DateTime, SecondsFormat, Utc};
use hrms_events::HrmsEvent;
use hrms_events::envelope::{CONTENT_TYPE, EXT_ACTOR, EXT_PARTITION_KEY, EXT_TRACEPARENT};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::canonical::{self, Object};

/// The `prev_hash` of the first row of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event ready to be appended: its canonical form and what the store
/// indexes, before it has a place in a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub event_id: Uuid,
    pub subject: String,
    pub event_type: String,
    pub actor: String,
    pub time: DateTime<Utc>,
    /// The canonical form ([`canonical`]).
    pub event: String,
}

impl NewEntry {
    /// Fails only for a payload with no canonical form (a map keyed by
    /// something other than strings or integers).
    pub fn new(event: &HrmsEvent) -> Result<Self, canonical::Error> {
        Ok(Self {
            event_id: event.id,
            subject: event.subject(),
            event_type: event.event_type().as_str().to_owned(),
            actor: event.actor.clone(),
            time: event.time,
            event: canonical(event)?,
        })
    }

    /// This entry as row `seq` of its chain, after a row hashed `prev_hash`.
    pub fn link(self, seq: u64, prev_hash: &str, recorded_at: DateTime<Utc>) -> Entry {
        let hash = chain_hash(prev_hash, &self.event);
        Entry {
            event_id: self.event_id,
            subject: self.subject,
            seq,
            event_type: self.event_type,
            actor: self.actor,
            time: self.time,
            recorded_at,
            event: self.event,
            prev_hash: prev_hash.to_owned(),
            hash,
        }
    }
}

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub event_id: Uuid,
    pub subject: String,
    /// Its place in the subject's chain, from 1.
    pub seq: u64,
    pub event_type: String,
    pub actor: String,
    /// When the event happened.
    pub time: DateTime<Utc>,
    /// When the Audit function stored it.
    pub recorded_at: DateTime<Utc>,
    /// The event in canonical form.
    pub event: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The event, parsed (it is JSON by construction; `Null` if the row was
    /// damaged).
    pub fn event_json(&self) -> Value {
        serde_json::from_str(&self.event).unwrap_or(Value::Null)
    }

    /// The state this event left (`data.after`).
    pub fn state(&self) -> Value {
        match self.event_json() {
            Value::Object(mut o) => match o.remove("data") {
                Some(Value::Object(mut d)) => d.remove("after").unwrap_or(Value::Null),
                _ => Value::Null,
            },
            _ => Value::Null,
        }
    }
}

/// `SHA-256(prev_hash || "\n" || event)` in lower-case hex.
pub fn chain_hash(prev_hash: &str, event: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(event.as_bytes());
    hex::encode(hasher.finalize())
}

/// Times as the log writes them: RFC 3339, UTC, microseconds (sortable as text).
pub fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The canonical form of an event: its structured-mode CloudEvent (every
/// attribute, extensions included, and `data` as JSON), serialized as
/// compact JSON with the keys of every object in lexicographic order.
pub fn canonical(event: &HrmsEvent) -> Result<String, canonical::Error> {
    attributes(event)?.into_string()
}

fn attributes(event: &HrmsEvent) -> Result<Object, canonical::Error> {
    let ty = event.event_type();
    let mut o = Object::default();
    o.member("specversion", "1.0")?;
    o.member("id", &event.id)?;
    o.member("source", &ty.service().source())?;
    o.member("type", ty.as_str())?;
    o.member("subject", &event.subject())?;
    o.member("time", &format_time(&event.time))?;
    o.member("datacontenttype", CONTENT_TYPE)?;
    o.member("dataschema", &ty.schema_uri())?;
    o.member(EXT_PARTITION_KEY, &event.partition_key())?;
    o.member(EXT_ACTOR, &event.actor)?;
    if let Some(tp) = &event.traceparent {
        o.member(EXT_TRACEPARENT, tp)?;
    }
    o.member("data", &event.payload.data())?;
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hrms_events::{EventType, fixtures};

    #[test]
    fn the_canonical_form_is_the_structured_cloudevent_with_sorted_keys() {
        for ty in EventType::ALL.iter().filter(|t| t.is_audit()) {
            let event = fixtures::sample(*ty);
            let text = canonical(&event).expect("canonical");
            let value: Value = serde_json::from_str(&text).expect("json");
            // An independent reader decodes it as the same event.
            let decoded: hrms_events::cloudevents::Event = serde_json::from_str(&text).expect("cloudevent");
            assert_eq!(HrmsEvent::from_cloudevent(&decoded).expect("decodes"), event, "{ty:?}");
            // Keys in order at every level, no whitespace.
            fn check(v: &Value) {
                if let Value::Object(o) = v {
                    let keys: Vec<_> = o.keys().collect();
                    let mut want = keys.clone();
                    want.sort();
                    assert_eq!(keys, want);
                    o.values().for_each(check);
                }
            }
            check(&value);
            assert!(!text.contains(": ") && !text.contains(", "));
            assert_eq!(text, oracle(&event), "{ty:?}: as the sorted serde_json value writes it");
        }
    }

    /// The canonical form as first defined: the CloudEvent built as a
    /// `serde_json::Value` (whose maps sort their keys) and written.
    fn oracle(event: &HrmsEvent) -> String {
        let ty = event.event_type();
        let mut attributes = serde_json::json!({
            "specversion": "1.0",
            "id": event.id.to_string(),
            "source": ty.service().source(),
            "type": ty.as_str(),
            "subject": event.subject(),
            "time": format_time(&event.time),
            "datacontenttype": CONTENT_TYPE,
            "dataschema": ty.schema_uri(),
            EXT_PARTITION_KEY: event.partition_key(),
            EXT_ACTOR: event.actor,
            "data": event.payload.to_json(),
        });
        if let (Some(tp), Value::Object(o)) = (&event.traceparent, &mut attributes) {
            o.insert(EXT_TRACEPARENT.to_owned(), Value::String(tp.clone()));
        }
        attributes.to_string()
    }

    #[test]
    fn a_link_hashes_the_previous_hash_and_the_event() {
        let event = fixtures::sample(EventType::AuditEmployeeCreated);
        let entry = NewEntry::new(&event).expect("canonical");
        assert_eq!(entry.subject, event.subject());
        let first = entry.clone().link(1, GENESIS, Utc::now());
        assert_eq!(first.hash, chain_hash(GENESIS, &first.event));
        assert_eq!(first.hash.len(), 64);
        let second = entry.link(2, &first.hash, Utc::now());
        assert_ne!(second.hash, first.hash, "the same event elsewhere in the chain hashes differently");
        assert_eq!(first.state(), event.payload.to_json()["after"]);
    }
}
