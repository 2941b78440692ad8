//! JSON request bodies that fail as problems: malformed JSON is 400, a body
//! of the wrong shape is 422 naming the field at fault.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::problem::Problem;

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

/// Parses `bytes` as `T`, or says what is wrong and where.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            Problem::bad_request(format!("malformed JSON: {inner}"))
        } else {
            let message = inner.to_string();
            // serde names a missing field in its message only: `missing field `x``.
            let missing = message.strip_prefix("missing field `").and_then(|m| m.split('`').next());
            let field = match (path.as_str(), missing) {
                (".", Some(name)) => name.to_owned(),
                (_, Some(name)) => format!("{path}.{name}"),
                _ => path,
            };
            if field == "." {
                Problem::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, message)
            } else {
                Problem::unprocessable(field.clone(), format!("{field}: {message}"))
            }
        }
    })
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
}
