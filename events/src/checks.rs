//! What a consumer checks of an event beyond its shape, before any handler
//! sees it: the event is checked, not trusted. [`check`] refuses
//! - a `time` more than [`MAX_FUTURE`] ahead of the reader's clock, or older
//!   than [`max_age`] of its type (its topic's retention plus its dead-letter
//!   topic's: the longest a genuine event can wait before it is read);
//! - a payload value outside the range its JSON Schema states (`minimum`,
//!   `maximum`, `minLength`, `maxLength`, wherever they stand in the schema,
//!   `$ref`s, optional fields and lists included). The schemas state the
//!   ranges of this module's constants ([`WORKED_MINUTES`], [`WEEKLY_HOURS`],
//!   [`LEAVE_DAYS`], [`LEAVE_BALANCE`]); the check reads the schema, so what
//!   is checked is what is published.
//!
//! A `source` that may not emit the type is refused earlier, when the event
//! is read ([`crate::HrmsEvent::from_cloudevent`]: the source must be the
//! service that owns the type in the catalogue).
//!
//! ```
//! use hrms_events::{EventType, Payload, checks, fixtures};
//! let mut event = fixtures::sample(EventType::AttendanceMarked);
//! assert!(checks::check(&event, event.time).is_ok());
//! if let Payload::AttendanceMarked(p) = &mut event.payload {
//!     p.worked_minutes = Some(i64::MAX);
//! }
//! let refused = checks::check(&event, event.time).unwrap_err();
//! assert_eq!(refused.attribute, "data.worked_minutes");
//! ```

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};

use crate::catalogue::EventType;
use crate::envelope::HrmsEvent;

/// How far ahead of the reader's clock an event's `time` may be (clocks of
/// the producers and consumers differ by less).
pub const MAX_FUTURE: Duration = Duration::from_secs(5 * 60);

/// Minutes of one attendance record: a record left open (a forgotten
/// check-out) is closed at most a year later.
pub const WORKED_MINUTES: (i64, i64) = (0, 366 * 24 * 60);
/// Contracted hours of a week: at most the hours a week has.
pub const WEEKLY_HOURS: (f64, f64) = (0.0, 168.0);
/// Working days of one leave: at most a year's (a leave type's allowance is
/// at most 366 days).
pub const LEAVE_DAYS: (f64, f64) = (0.0, 366.0);
/// What is left of an allowance: negative when a lowered allowance was
/// already taken.
pub const LEAVE_BALANCE: (f64, f64) = (-366.0, 366.0);

/// An event a consumer refuses: the attribute at fault (`time`, or
/// `data.<field path>` for the payload) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{attribute}: {reason}")]
pub struct Unacceptable {
    pub attribute: String,
    pub reason: String,
}

impl Unacceptable {
    fn new(attribute: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { attribute: attribute.into(), reason: reason.into() }
    }
}

/// The oldest an event of type `ty` may be when read: its topic's retention
/// plus that of the topic's dead letters (redriven letters included).
pub fn max_age(ty: EventType) -> Duration {
    let topic = ty.topic();
    topic.retention() + topic.dlq().retention()
}

/// Checks `event` as read at `now` (see the module docs).
pub fn check(event: &HrmsEvent, now: DateTime<Utc>) -> Result<(), Unacceptable> {
    check_time(event, now)?;
    check_span(event)?;
    let ty = event.event_type();
    let schema = schemas().get(&ty).ok_or_else(|| Unacceptable::new("type", "no schema"))?;
    Walk { root: schema }.check(schema, &event.payload.to_json(), "data")
}

fn check_time(event: &HrmsEvent, now: DateTime<Utc>) -> Result<(), Unacceptable> {
    let ty = event.event_type();
    let ahead = TimeDelta::from_std(MAX_FUTURE).unwrap_or(TimeDelta::MAX);
    if now.checked_add_signed(ahead).is_some_and(|latest| event.time > latest) {
        return Err(Unacceptable::new(
            "time",
            format!("{} is more than {} s ahead of the reader's clock", event.time, MAX_FUTURE.as_secs()),
        ));
    }
    let age = TimeDelta::from_std(max_age(ty)).unwrap_or(TimeDelta::MAX);
    if now.checked_sub_signed(age).is_some_and(|earliest| event.time < earliest) {
        let days = max_age(ty).as_secs() / 86_400;
        return Err(Unacceptable::new(
            "time",
            format!(
                "{} is more than {days} days ago: older than any {ty} event still on {} or its dead letters",
                event.time,
                ty.topic().name
            ),
        ));
    }
    Ok(())
}

/// An attendance record spans at most [`WORKED_MINUTES`], whatever its
/// `worked_minutes` says: its consumers walk its days.
fn check_span(event: &HrmsEvent) -> Result<(), Unacceptable> {
    use crate::catalogue::Payload;
    let span = match &event.payload {
        Payload::AttendanceUpdated(p) => p.check_out.map(|out| (p.check_in, out)),
        Payload::AuditAttendanceMarked(p) | Payload::AuditAttendanceUpdated(p) => {
            p.after.check_out.map(|out| (p.after.check_in, out))
        }
        _ => None,
    };
    let Some((check_in, check_out)) = span else { return Ok(()) };
    let minutes = (check_out - check_in).num_minutes();
    if minutes > WORKED_MINUTES.1 {
        return Err(Unacceptable::new(
            "data.check_out",
            format!("{minutes} minutes after the check-in, more than the contract's {}", WORKED_MINUTES.1),
        ));
    }
    Ok(())
}

/// The current schema of every type, made once.
fn schemas() -> &'static BTreeMap<EventType, Value> {
    static SCHEMAS: OnceLock<BTreeMap<EventType, Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| EventType::ALL.iter().map(|ty| (*ty, crate::schema::current(*ty))).collect())
}

/// A payload's JSON against the range keywords of its schema. Types and
/// required fields are not checked again: the payload was read into its
/// Rust type already.
struct Walk<'a> {
    root: &'a Value,
}

impl<'a> Walk<'a> {
    fn check(&self, schema: &'a Value, data: &Value, at: &str) -> Result<(), Unacceptable> {
        let schema = self.resolve(schema);
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                self.one_of(branches, data, at)?;
            }
        }
        for branch in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            self.check(branch, data, at)?;
        }
        match data {
            Value::Number(n) => bounds(schema, n.as_f64().unwrap_or(f64::NAN), at),
            Value::String(s) => lengths(schema, s, at),
            Value::Object(fields) => self.fields(schema, fields, at),
            Value::Array(items) => match schema.get("items") {
                Some(item) => {
                    items.iter().enumerate().try_for_each(|(i, v)| self.check(item, v, &format!("{at}[{i}]")))
                }
                None => Ok(()),
            },
            Value::Null | Value::Bool(_) => Ok(()),
        }
    }

    fn fields(&self, schema: &'a Value, fields: &Map<String, Value>, at: &str) -> Result<(), Unacceptable> {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return Ok(()) };
        for (name, value) in fields {
            if let Some(property) = properties.get(name) {
                self.check(property, value, &format!("{at}.{name}"))?;
            }
        }
        Ok(())
    }

    /// The branches `data`'s JSON type fits: one of them must hold.
    fn one_of(&self, branches: &'a [Value], data: &Value, at: &str) -> Result<(), Unacceptable> {
        let mut refused = None;
        for branch in branches.iter().map(|b| self.resolve(b)).filter(|b| fits(b, data)) {
            match self.check(branch, data, at) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    refused.get_or_insert(e);
                }
            }
        }
        refused.map_or(Ok(()), Err)
    }

    /// `schema` with its `$ref`s to `#/$defs/...` followed.
    fn resolve(&self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..8 {
            let Some(name) =
                schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/"))
            else {
                break;
            };
            match self.root.get("$defs").and_then(|defs| defs.get(name)) {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }
}

/// Whether `data`'s JSON type is one `schema` allows (any, without `type`).
fn fits(schema: &Value, data: &Value) -> bool {
    let allowed = |name: &str| match data {
        Value::Null => name == "null",
        Value::Bool(_) => name == "boolean",
        Value::Number(n) => name == "number" || (name == "integer" && (n.is_i64() || n.is_u64())),
        Value::String(_) => name == "string",
        Value::Array(_) => name == "array",
        Value::Object(_) => name == "object",
    };
    match schema.get("type") {
        Some(Value::String(name)) => allowed(name),
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).any(allowed),
        _ => true,
    }
}

fn bounds(schema: &Value, n: f64, at: &str) -> Result<(), Unacceptable> {
    let limit = |key| schema.get(key).and_then(Value::as_f64);
    let refused = |what: &str, limit: f64| {
        Err(Unacceptable::new(at, format!("{n} is {what} {limit}, outside the range the contract states")))
    };
    match (limit("minimum"), limit("maximum"), limit("exclusiveMinimum"), limit("exclusiveMaximum")) {
        _ if n.is_nan() => Err(Unacceptable::new(at, "not a number")),
        (Some(min), ..) if n < min => refused("below the minimum", min),
        (_, Some(max), ..) if n > max => refused("above the maximum", max),
        (_, _, Some(min), _) if n <= min => refused("not above", min),
        (.., Some(max)) if n >= max => refused("not below", max),
        _ => Ok(()),
    }
}

fn lengths(schema: &Value, s: &str, at: &str) -> Result<(), Unacceptable> {
    let limit = |key| schema.get(key).and_then(Value::as_u64).map(|n| n as usize);
    let chars = s.chars().count();
    match (limit("minLength"), limit("maxLength")) {
        (Some(min), _) if chars < min => {
            Err(Unacceptable::new(at, format!("{chars} characters, fewer than the contract's {min}")))
        }
        (_, Some(max)) if chars > max => {
            Err(Unacceptable::new(at, format!("{chars} characters, more than the contract's {max}")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
