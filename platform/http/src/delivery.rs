//! Events pushed over HTTP, as Knative's KafkaSource delivers the records of
//! a topic to its sink: one POST per event, a CloudEvent in binary mode
//! (`ce-*` headers, JSON body) or structured mode
//! (`application/cloudevents+json`), with the record's partition and offset
//! in the `knativekafkapartition` and `knativekafkaoffset` extensions (-1
//! when absent). [`route`] runs the same [`Handler`] the Kafka consumer
//! runs, on that one event:
//!
//! ```
//! # use std::sync::Arc;
//! # use hrms_platform::Handler;
//! # use hrms_http::delivery::{self, DeliverySettings};
//! # fn app(audit: Arc<impl Handler + 'static>) -> Result<axum::Router, delivery::WeakToken> {
//! let settings = DeliverySettings::from_env()?; // HRMS_DELIVERY_TOKEN
//! Ok(axum::Router::new().route("/events", delivery::route(audit, "audit-queue", settings)))
//! # }
//! ```
//!
//! The answer follows Knative's delivery rules, which retry 5xx, 404, 408,
//! 409 and 429, and dead-letter the other 4xx:
//!
//! | answer | when |
//! | --- | --- |
//! | 202, empty | the handler returned `Ok` (it is durable by then) |
//! | 400, problem naming the attribute (`data` for the payload) | not a CloudEvent of our contract: missing attribute, unknown type, unknown schema version, bad payload |
//! | 422, problem | [`HandlerError::Permanent`]: the source dead-letters it |
//! | 503 with `Retry-After` | [`HandlerError::Transient`] after a few quick attempts: the source retries |
//! | 401, problem | a token is required and was not given ([`DeliverySettings::token`]) |
//!
//! A few quick attempts ([`DeliverySettings::retry`], bounded, about half a
//! second in all by default) keep each request well within Knative's
//! delivery timeout; the source's own retries do the rest. Answers are
//! counted in `hrms_delivery_requests_total{handler,outcome}` (outcome
//! `handled`, `invalid`, `permanent`, `transient`, `unauthorized`), and
//! handled events feed `hrms_event_age_seconds`.
//!
//! # Who may call
//! Bearer JWTs ([`super::auth`]) name people and their roles; the
//! KafkaSource dispatcher is no person and sends no token. So this route
//! takes its own credential, in the same header: when `HRMS_DELIVERY_TOKEN`
//! is set (at least 32 characters, like `HRMS_JWT_SECRET`), a request must
//! carry `Authorization: Bearer <that token>` (compared in constant time),
//! or it gets 401 — for senders that can add a header: a mesh sidecar, a
//! replay tool, tests. The KafkaSource itself cannot, so in production the
//! token is unset and the route must be reachable only from inside the
//! cluster: the function's NetworkPolicy admits only the
//! `kafka-source-dispatcher` pods of `knative-eventing`, and no ingress
//! exposes the route (the deployment manifests are still to come).
//! Knative Eventing's OIDC sender tokens (service-account JWTs) would be the
//! next step; our authenticator expects our own claims, not those.

pub mod binding;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};

pub use binding::{EXT_KAFKA_OFFSET, EXT_KAFKA_PARTITION, InvalidEvent, Pushed, decode};

use super::json::MAX_BODY;
use super::problem::Problem;
use hrms_platform::consume::{GaveUp, handle_with_retries, record_event_ages};
use hrms_platform::{Delivery, Handler, HandlerError, RetryPolicy};

/// The shared secret a caller must present as `Authorization: Bearer`.
#[derive(Clone)]
pub struct DeliveryToken(Arc<str>);

/// A delivery token too short to be a secret.
#[derive(Debug, thiserror::Error)]
#[error("HRMS_DELIVERY_TOKEN must be at least 32 characters")]
pub struct WeakToken;

impl DeliveryToken {
    /// A token of at least 32 characters.
    pub fn new(token: &str) -> Result<Self, WeakToken> {
        if token.chars().count() < 32 { Err(WeakToken) } else { Ok(Self(token.into())) }
    }

    /// Whether `presented` is the token, in time independent of where they differ.
    fn admits(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for DeliveryToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeliveryToken(..)")
    }
}

/// How the route checks callers and retries.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// `HRMS_DELIVERY_TOKEN`: the bearer token callers must send; `None`
    /// admits every caller that can reach the route (see the module docs).
    pub token: Option<DeliveryToken>,
    /// Attempts within one request (default 3, pauses of 50 to 200 ms);
    /// always bounded.
    pub retry: RetryPolicy,
    /// `Retry-After` of a 503 (default 5 s).
    pub retry_after: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            token: None,
            retry: RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(50),
                max_backoff: Duration::from_millis(200),
                ..RetryPolicy::default()
            },
            retry_after: Duration::from_secs(5),
        }
    }
}

impl DeliverySettings {
    /// The defaults, with the token from `HRMS_DELIVERY_TOKEN` when it is set.
    pub fn from_env() -> Result<Self, WeakToken> {
        let token = std::env::var("HRMS_DELIVERY_TOKEN").ok().filter(|t| !t.is_empty());
        Ok(Self { token: token.as_deref().map(DeliveryToken::new).transpose()?, ..Self::default() })
    }
}

struct Sink<H: ?Sized> {
    handler: Arc<H>,
    topic: &'static str,
    settings: DeliverySettings,
}

/// `POST` taking the events of `topic` for `handler`.
pub fn route<H, S>(handler: Arc<H>, topic: &'static str, settings: DeliverySettings) -> MethodRouter<S>
where
    H: Handler + ?Sized + 'static,
    S: Clone + Send + Sync + 'static,
{
    post(deliver::<H>).with_state(Arc::new(Sink { handler, topic, settings }))
}

/// How a request ended, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Handled,
    Invalid,
    Permanent,
    Transient,
    Unauthorized,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Handled => "handled",
            Self::Invalid => "invalid",
            Self::Permanent => "permanent",
            Self::Transient => "transient",
            Self::Unauthorized => "unauthorized",
        }
    }
}

async fn deliver<H: Handler + ?Sized>(State(sink): State<Arc<Sink<H>>>, request: Request) -> Response {
    let (outcome, response) = sink.answer(request).await;
    let handler = sink.handler.name().to_owned();
    metrics::counter!("hrms_delivery_requests_total", "handler" => handler, "outcome" => outcome.as_str())
        .increment(1);
    response
}

impl<H: Handler + ?Sized> Sink<H> {
    async fn answer(&self, request: Request) -> (Outcome, Response) {
        let (parts, body) = request.into_parts();
        if let Err(problem) = self.authorize(&parts.headers) {
            return (Outcome::Unauthorized, problem.into_response());
        }
        let pushed = match axum::body::to_bytes(body, MAX_BODY).await {
            Err(_) => Err(InvalidEvent {
                attribute: Some("data".into()),
                reason: format!("the body is larger than {MAX_BODY} bytes"),
            }),
            Ok(bytes) => decode(&parts.headers, bytes),
        };
        let pushed = match pushed {
            Ok(pushed) => pushed,
            Err(invalid) => {
                tracing::info!(handler = self.handler.name(), %invalid, "refused a pushed event");
                let problem = Problem::bad_request(invalid.reason);
                let problem = match invalid.attribute {
                    Some(attribute) => problem.with_field(attribute),
                    None => problem,
                };
                return (Outcome::Invalid, problem.into_response());
            }
        };
        let delivery = Delivery {
            event: pushed.event,
            topic: self.topic.to_owned(),
            partition: pushed.partition,
            offset: pushed.offset,
        };
        let batch = std::slice::from_ref(&delivery);
        match handle_with_retries(&*self.handler, batch, &self.settings.retry).await {
            Ok(()) => {
                record_event_ages(self.handler.name(), batch);
                (Outcome::Handled, StatusCode::ACCEPTED.into_response())
            }
            Err(GaveUp { error: error @ HandlerError::Permanent { .. }, attempts }) => {
                let reason = error.explain();
                tracing::warn!(handler = self.handler.name(), event_id = %delivery.event.id, %reason, attempts, "refused for good");
                let problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, reason);
                (Outcome::Permanent, problem.into_response())
            }
            Err(GaveUp { error: error @ HandlerError::Transient { .. }, attempts }) => {
                let reason = error.explain();
                tracing::warn!(handler = self.handler.name(), event_id = %delivery.event.id, %reason, attempts, "not handled yet");
                let mut response = Problem::unavailable(reason).into_response();
                let seconds = self.settings.retry_after.as_secs().max(1);
                response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
                (Outcome::Transient, response)
            }
        }
    }

    fn authorize(&self, headers: &HeaderMap) -> Result<(), Problem> {
        let Some(token) = &self.settings.token else { return Ok(()) };
        let presented = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| Problem::unauthorized("an Authorization: Bearer token is required"))?;
        if token.admits(presented) {
            Ok(())
        } else {
            Err(Problem::unauthorized("the token is not the delivery token"))
        }
    }
}
