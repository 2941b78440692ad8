//! The sync clients: how a function calls another over HTTP when they run
//! apart (User calls Employee and Compliance; Employee calls Compliance).
//! A call goes out with the *caller's own* token, so the callee authorizes
//! the person, not the calling service.
//!
//! A route's state holds, per callee, an `Arc<dyn ForCaller<dyn Client>>`:
//! [`HttpCompliance`] / [`HttpEmployee`] when the callee runs apart, or the
//! in-process client itself (any `Arc<dyn Client>`, which needs no token).
//! Per request, the handler binds the caller with [`ForCaller::for_caller`]:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use hrms_compliance::ComplianceClient;
//! use hrms_runtime::http::client::{ClientSettings, ForCaller, Forward, HttpCompliance};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = ClientSettings::from_env()?; // HRMS_COMPLIANCE_URL, HRMS_CALL_TIMEOUT_MS, ...
//! let http = settings.http_client()?;
//! let compliance: Arc<dyn ForCaller<dyn ComplianceClient>> =
//!     Arc::new(HttpCompliance::from_settings(&settings, &http).ok_or("HRMS_COMPLIANCE_URL is unset")?);
//! // in a handler taking `caller: Caller, forward: Forward`:
//! # let forward = Forward::token("the caller's JWT");
//! let client: Arc<dyn ComplianceClient> = compliance.for_caller(&forward);
//! # Ok(()) }
//! ```
//!
//! Retries ([`ServiceClient::send`]): connect errors always (nothing was
//! sent); 502/503/504 only for idempotent calls (GET, and POST /employees
//! naming its `employee_id`); never timeouts, never PATCH (a retry after a
//! lost answer would read as a stale version). Backoff is exponential with
//! jitter, within a budget per call. A breaker per callee ([`breaker`])
//! fails fast while the callee is down.
//!
//! # Layout
//! - [`settings`]: [`ClientSettings`] from the environment, the shared pool.
//! - [`service`]: [`ServiceClient`], one callee: send, retry, decode, metrics.
//! - [`breaker`]: the circuit breaker.
//! - [`answer`]: [`Failure`] and the problem bodies callees answer.
//! - [`compliance`], [`employee`]: the clients of the functions' traits.

pub mod answer;
pub mod breaker;
pub mod compliance;
pub mod employee;
pub mod service;
pub mod settings;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

pub use answer::{Failure, RemoteProblem};
pub use breaker::{Breaker, BreakerSettings};
pub use compliance::HttpCompliance;
pub use employee::HttpEmployee;
pub use service::{Call, ServiceClient};
pub use settings::{ClientSettings, SettingsError, base_url};

use super::auth::bearer_token;
use super::problem::Problem;

/// What a sync call carries on from the request that caused it: the
/// caller's bearer token and the W3C `traceparent`. As an extractor it
/// reads both (401 without a bearer token; verify it with `Caller` too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    pub bearer: String,
    pub traceparent: Option<String>,
}

impl Forward {
    /// Just a token.
    pub fn token(bearer: impl Into<String>) -> Self {
        Self { bearer: bearer.into(), traceparent: None }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Forward {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let bearer = bearer_token(parts)?.to_owned();
        let traceparent = parts.headers.get("traceparent").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Self { bearer, traceparent })
    }
}

/// A callee's client bound, per request, to the caller (`C` is the
/// callee's trait object, e.g. `dyn ComplianceClient`). An in-process
/// client (`Arc<dyn ComplianceClient>`, `Arc<dyn EmployeeClient>`) binds to
/// itself: the caller is already in its arguments.
pub trait ForCaller<C: ?Sized>: Send + Sync {
    fn for_caller(&self, forward: &Forward) -> Arc<C>;
}
