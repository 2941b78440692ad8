//! The sync clients: how a function calls another over HTTP when they run
//! apart (User calls Employee and Compliance; Employee calls Compliance;
//! Leave, Attendance and Notification call Employee). A call goes out with
//! the *caller's own* token, so the callee authorizes the person, not the
//! calling service.
//!
//! A router's state holds, per callee, a [`Callee`]: the function itself in
//! one process ([`Callee::local`]), or, apart, its HTTP client bound to each
//! request's [`Bearer`] token ([`Callee::per_token`]). Those clients live
//! with the functions they call (`hrms_compliance_adapters::client`,
//! `hrms_employee_adapters::client`), each on a [`ServiceClient`]:
//!
//! ```no_run
//! use hrms_http::client::{Call, ClientSettings, Forward, ServiceClient};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = ClientSettings::from_env()?; // HRMS_EMPLOYEE_URL, HRMS_CALL_TIMEOUT_MS, ...
//! let http = settings.http_client()?; // one pool for every callee
//! let base = settings.employee_url.clone().ok_or("HRMS_EMPLOYEE_URL is unset")?;
//! let employees = ServiceClient::new("employee", base, http, &settings);
//! // The caller's own token, from the request being served.
//! let forward = Forward::token("<the caller's bearer token>");
//! let id = "0190aaaa-0000-7000-8000-000000000002";
//! let record: serde_json::Value = employees.send(&forward, &Call::get(format!("employees/{id}"))).await?;
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
//! - [`remote`]: [`FunctionClient`], a function's client shared by all requests,
//!   which makes for each request its caller's client ([`Bind`]).
//!
//! The clients of the functions' traits live with the functions
//! (`hrms_compliance_adapters::client`, `hrms_employee_adapters::client`).

pub mod answer;
pub mod breaker;
pub mod remote;
pub mod service;
pub mod settings;

pub use answer::{Failure, RemoteProblem};
pub use breaker::{Breaker, BreakerSettings};
pub use remote::{Bind, FunctionClient};
pub use service::{Call, ServiceClient};
pub use settings::{ClientSettings, SettingsError, base_url};

#[cfg(doc)]
use super::{Bearer, Callee};

/// What a sync call carries on from the request that caused it: the
/// caller's bearer token and, if known, the W3C `traceparent`.
#[derive(Clone, PartialEq, Eq)]
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

/// The token stays out of logs.
impl std::fmt::Debug for Forward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forward").field("bearer", &"..").field("traceparent", &self.traceparent).finish()
    }
}
