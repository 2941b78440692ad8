//! JSON request bodies that fail as problems: malformed JSON is 400, a body
//! of the wrong shape is 422 naming the field at fault.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::problem::Problem;

mod duplicates;

/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 256 * 1024;

/// A JSON body of type `T`.
pub struct ProblemJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ProblemJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        if !json {
            return Err(Problem::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| Problem::new(e.status(), format!("cannot read the body: {}", e.body_text())))?;
        parse(&bytes).map(ProblemJson)
    }
}

/// Parses `bytes` as `T`, or says what is wrong and where. A body is a
/// JSON object (or `null`, for a `T` that may be absent); a number with no fraction (`3.0`) is read as the integer it
/// is, as JSON Schema's `integer` allows. A key repeated in an object is
/// refused (400 naming it), not read as its last value.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut value: Value =
        serde_json::from_slice(bytes).map_err(|e| Problem::bad_request(format!("malformed JSON: {e}")))?;
    if !(value.is_object() || value.is_null()) {
        return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "the body must be a JSON object"));
    }
    if let Some(field) = duplicates::duplicate_key(bytes) {
        return Err(
            Problem::bad_request(format!("{field}: the key appears more than once")).with_field(field)
        );
    }
    integral(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // serde names a missing field in its message only: `missing field `x``.
        let missing = message.strip_prefix("missing field `").and_then(|m| m.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_owned(),
            (_, Some(name)) => format!("{path}.{name}"),
            _ => path,
        };
        if field == "." {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, message)
        } else {
            Problem::unprocessable(field.clone(), format!("{field}: {message}"))
        }
    })
}

/// Rewrites every float with no fraction that fits an `i64` as that integer.
fn integral(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral),
        Value::Object(fields) => fields.values_mut().for_each(integral),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        hours: f64,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
    }

    #[test]
    fn malformed_json_is_400_and_a_wrong_field_is_422_named() {
        assert_eq!(parse::<Outer>(b"{\"name\":").expect_err("malformed").status, 400);
        let wrong = parse::<Outer>(br#"{"name": "a", "inner": {"hours": "many"}}"#).expect_err("wrong type");
        assert_eq!((wrong.status, wrong.field.as_deref()), (422, Some("inner.hours")));
        let missing = parse::<Outer>(br#"{"name": "a", "inner": {}}"#).expect_err("missing");
        assert_eq!((missing.status, missing.field.as_deref()), (422, Some("inner.hours")));
        let top = parse::<Outer>(br#"{"inner": {"hours": 1}}"#).expect_err("missing");
        assert_eq!(top.field.as_deref(), Some("name"));
        assert!(missing.detail.contains("hours"), "{}", missing.detail);
    }

    #[test]
    fn a_repeated_key_is_400_named_not_its_last_value() {
        let twice = parse::<Outer>(br#"{"name": "employee", "name": "admin", "inner": {"hours": 1}}"#)
            .expect_err("a repeated key");
        assert_eq!((twice.status, twice.field.as_deref()), (400, Some("name")));
        let nested =
            parse::<Outer>(br#"{"name": "a", "inner": {"hours": 1, "hours": 2}}"#).expect_err("nested");
        assert_eq!((nested.status, nested.field.as_deref()), (400, Some("inner.hours")));
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Either {
        #[serde(rename = "a")]
        A { n: u64 },
        #[serde(rename = "b")]
        B { n: u64 },
    }

    #[test]
    fn a_body_is_an_object_whose_whole_floats_are_integers() {
        assert_eq!(parse::<Either>(br#"{"a": {"n": 207515787666.0}}"#), Ok(Either::A { n: 207_515_787_666 }));
        let fraction = parse::<Either>(br#"{"a": {"n": 1.5}}"#).expect_err("a fraction");
        assert_eq!((fraction.status, fraction.field.as_deref()), (422, Some("a.n")));
        // Two variants at once is a body of the wrong shape, not malformed JSON.
        assert_eq!(parse::<Either>(br#"{"a": {"n": 1}, "b": {"n": 2}}"#).expect_err("both").status, 422);
        assert_eq!(parse::<Outer>(br#"["a", {"hours": 1}]"#).expect_err("an array").status, 422);
    }
}
