//! [`ServiceClient`]: one callee's base URL, the shared connection pool, its
//! breaker and the retry policy; sends one JSON call with the caller's
//! token and decodes the answer or the problem. Metrics, per attempt:
//! `hrms_sync_calls_total{callee,outcome}` (outcome `ok`, `refused` (4xx),
//! `server_error` (5xx), `timeout`, `connect_error`, `error`, `bad_answer`,
//! `circuit_open`) and `hrms_sync_call_seconds{callee}`.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use url::Url;

use hrms_platform::error::{BoxError, Cause, Chain};
use hrms_platform::traces;
use tracing::Instrument;

use super::Forward;
use super::answer::{Failure, RemoteProblem};
use super::breaker::{Breaker, Open};
use super::settings::ClientSettings;

/// Largest answer body read, in bytes.
const MAX_ANSWER: usize = 1 << 20;

/// One call: method, path below the base URL, JSON body, and whether
/// sending it twice does no harm.
#[derive(Debug, Clone)]
pub struct Call {
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
    idempotent: bool,
}

impl Call {
    /// A GET: idempotent.
    pub fn get(path: impl Into<String>) -> Self {
        Self { method: Method::GET, path: path.into(), body: None, idempotent: true }
    }

    /// A call with a JSON body, not idempotent unless said so.
    pub fn json(
        method: Method,
        path: impl Into<String>,
        body: &impl Serialize,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self { method, path: path.into(), body: Some(serde_json::to_vec(body)?), idempotent: false })
    }

    /// Marks the call safe to send again (e.g. a create that names its id).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

/// How one attempt ended, when it gave no result.
enum Miss {
    /// Worth another attempt if the call allows it.
    Retry(Failure),
    Final(Failure),
}

/// One callee.
#[derive(Debug)]
pub struct ServiceClient {
    callee: &'static str,
    base: Url,
    http: reqwest::Client,
    settings: ClientSettings,
    breaker: Breaker,
}

impl ServiceClient {
    /// `base` should end with `/` ([`super::base_url`] makes sure of it).
    pub fn new(callee: &'static str, base: Url, http: reqwest::Client, settings: &ClientSettings) -> Self {
        let breaker = Breaker::new(callee, settings.breaker);
        Self { callee, base, http, settings: settings.clone(), breaker }
    }

    pub fn callee(&self) -> &'static str {
        self.callee
    }

    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// Sends `call` with `forward`'s token, retrying what may be retried:
    /// connect errors always (nothing was sent), 502, 503 and 504 for
    /// idempotent calls only; never a timeout (the callee may still be
    /// working) nor an open circuit. All within the call budget.
    pub async fn send<T: DeserializeOwned>(&self, forward: &Forward, call: &Call) -> Result<T, Failure> {
        let deadline = Instant::now() + self.settings.budget;
        let mut retries = 0;
        loop {
            let failure = match self.attempt(forward, call, deadline).await {
                Ok(answer) => return Ok(answer),
                Err(Miss::Final(failure)) => return Err(failure),
                Err(Miss::Retry(failure)) => failure,
            };
            let pause = self.backoff(retries);
            if retries >= self.settings.retries || Instant::now() + pause >= deadline {
                return Err(failure);
            }
            retries += 1;
            tracing::debug!(callee = self.callee, failure = %Chain(&failure), ?pause, retries, "retrying");
            tokio::time::sleep(pause).await;
        }
    }

    /// Exponential, with jitter: between half and all of `backoff * 2^n`.
    fn backoff(&self, n: u32) -> Duration {
        let cap = self.settings.backoff.saturating_mul(2u32.saturating_pow(n)).min(self.settings.max_backoff);
        let half = cap.as_millis() as u64 / 2;
        Duration::from_millis(half + fastrand::u64(0..=half))
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        forward: &Forward,
        call: &Call,
        deadline: Instant,
    ) -> Result<T, Miss> {
        let permit = self.breaker.admit().map_err(|Open| {
            self.count("circuit_open");
            Miss::Final(self.unavailable("circuit open".into()))
        })?;
        let timeout = self.settings.timeout.min(deadline.saturating_duration_since(Instant::now()));
        let span = traces::http_client(call.method.as_str(), self.callee, &call.path);
        let request = self.request(forward, call, &span).map_err(Miss::Final)?.timeout(timeout);
        let started = Instant::now();
        let answer = async {
            match request.send().await {
                Ok(response) => read(response).await,
                Err(e) => Err(e),
            }
        }
        .instrument(span.clone())
        .await;
        if let Ok((status, _)) = &answer {
            traces::http_status(&span, *status);
        }
        metrics::histogram!("hrms_sync_call_seconds", "callee" => self.callee)
            .record(started.elapsed().as_secs_f64());
        let (status, body) = match answer {
            Ok(answer) => answer,
            Err(e) => {
                permit.failed();
                let (outcome, what) = if e.is_connect() {
                    ("connect_error", "cannot connect".to_owned())
                } else if e.is_timeout() {
                    ("timeout", format!("no answer within {timeout:?}"))
                } else {
                    ("error", "the exchange failed".to_owned())
                };
                self.count(outcome);
                let connect = e.is_connect();
                let failure = self.unavailable_by(what, e);
                return Err(if connect { Miss::Retry(failure) } else { Miss::Final(failure) });
            }
        };
        if status >= 500 {
            permit.failed();
            self.count("server_error");
            let problem = RemoteProblem::decode(status, &body);
            let failure = self.unavailable(format!("answered {status}: {}", problem.detail));
            let retry = call.idempotent && matches!(status, 502..=504);
            return Err(if retry { Miss::Retry(failure) } else { Miss::Final(failure) });
        }
        permit.succeeded();
        if (400..500).contains(&status) {
            self.count("refused");
            let problem = Box::new(RemoteProblem::decode(status, &body));
            return Err(Miss::Final(Failure::Problem { callee: self.callee, problem }));
        }
        match (200..300).contains(&status).then(|| serde_json::from_slice(&body)) {
            Some(Ok(answer)) => {
                self.count("ok");
                Ok(answer)
            }
            Some(Err(e)) => {
                self.count("bad_answer");
                Err(Miss::Final(self.unavailable_by(format!("answered {status} with an unreadable body"), e)))
            }
            None => {
                self.count("bad_answer");
                Err(Miss::Final(self.unavailable(format!("answered an unexpected {status}"))))
            }
        }
    }

    /// The request of `call`, with the trace context of `span` (else the one
    /// the caller came with).
    fn request(
        &self,
        forward: &Forward,
        call: &Call,
        span: &tracing::Span,
    ) -> Result<reqwest::RequestBuilder, Failure> {
        let url = self.base.join(&call.path).map_err(|e| self.unavailable_by("bad path".into(), e))?;
        let bearer = HeaderValue::try_from(format!("Bearer {}", forward.bearer))
            .map_err(|e| self.unavailable_by("the caller's token cannot be sent on".into(), e))?;
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .header(AUTHORIZATION, bearer)
            .header(ACCEPT, "application/json, application/problem+json");
        let traceparent = traces::traceparent_of(span).or_else(|| forward.traceparent.clone());
        if let Some(traceparent) = traceparent.and_then(|t| HeaderValue::try_from(t).ok()) {
            request = request.header("traceparent", traceparent);
        }
        if let Some(body) = &call.body {
            request = request.header(CONTENT_TYPE, "application/json").body(body.clone());
        }
        Ok(request)
    }

    fn unavailable(&self, reason: String) -> Failure {
        Failure::Unavailable { callee: self.callee, reason, cause: None }
    }

    fn unavailable_by(&self, reason: String, cause: impl Into<BoxError>) -> Failure {
        Failure::Unavailable { callee: self.callee, reason, cause: Some(Cause::new(cause)) }
    }

    fn count(&self, outcome: &'static str) {
        metrics::counter!("hrms_sync_calls_total", "callee" => self.callee, "outcome" => outcome)
            .increment(1);
    }
}

/// The status and the body, cut at [`MAX_ANSWER`] (which no answer of ours
/// reaches; a cut JSON body then fails to decode).
async fn read(mut response: reqwest::Response) -> Result<(u16, Vec<u8>), reqwest::Error> {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_ANSWER {
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}
