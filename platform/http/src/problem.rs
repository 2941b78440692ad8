//! RFC 9457 problem details: every error an HTTP route returns, as
//! `application/problem+json`, naming the offending field where there is one.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hrms_events::compliance::Verdict;
use hrms_platform::CallError;
use serde::Serialize;
use serde_json::{Map, Value};

/// An error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The request field at fault (422, 400).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Members particular to the problem (RFC 9457 extensions), e.g. the
    /// violated rules of a compliance refusal.
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            extensions: Map::new(),
        }
    }

    /// Adds an extension member.
    pub fn with(mut self, name: &str, value: impl Serialize) -> Self {
        self.extensions.insert(name.to_owned(), serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }

    /// Names the request field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }
    pub fn unprocessable(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail).with_field(field)
    }
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, detail)
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 422 for a record Compliance refused: the first violated field, and
    /// every finding under `violations` (with `check_id`, `policy_version`).
    pub fn refused(verdict: &Verdict) -> Self {
        let field = verdict.violations().next().map(|f| f.field.clone()).unwrap_or_default();
        let rules: Vec<&str> = verdict.violations().map(|f| f.rule_id.as_str()).collect();
        Self::unprocessable(field, format!("refused by the compliance policy: {}", rules.join(", ")))
            .with("violations", &verdict.findings)
            .with("check_id", verdict.check_id)
            .with("policy_version", &verdict.policy_version)
    }
}

impl From<CallError> for Problem {
    /// A callee that is down is 503; one that refused passes its status on.
    fn from(e: CallError) -> Self {
        match e {
            e @ CallError::Unavailable { service, .. } => {
                tracing::warn!(service, reason = %hrms_platform::Chain(&e), "dependency unavailable");
                Self::unavailable(format!("the {service} service is unavailable; nothing was changed"))
            }
            CallError::Refused { service, status, detail } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                Self::new(status, format!("{service}: {detail}"))
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, Json(self)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
