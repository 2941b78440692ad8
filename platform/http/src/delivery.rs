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
//! # fn app(audit: Arc<impl Handler + 'static>) -> Result<axum::Router, delivery::IntakeConfigError> {
//! let settings = DeliverySettings::from_env()?; // HRMS_INTAKE_*, HRMS_DELIVERY_TOKEN
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
//! | 400, problem naming the attribute | an event the checks refuse (see "What is checked") |
//! | 422, problem | [`HandlerError::Permanent`]: the source dead-letters it |
//! | 503 with `Retry-After` | [`HandlerError::Transient`] after a few quick attempts: the source retries |
//! | 401, problem | no valid credential ([`DeliverySettings::auth`]) |
//! | 403, problem | a valid sender token of a subject not let in |
//! | 503, problem | a sender token while the issuer's keys could never be fetched: the source retries |
//!
//! A few quick attempts ([`DeliverySettings::retry`], bounded, about half a
//! second in all by default) keep each request well within Knative's
//! delivery timeout; the source's own retries do the rest. Answers are
//! counted in `hrms_delivery_requests_total{handler,outcome}` (outcome
//! `handled`, `invalid`, `permanent`, `transient`, `unauthorized`,
//! `forbidden`), and handled events feed `hrms_event_age_seconds`.
//!
//! # Who may call
//! Bearer JWTs of people ([`super::auth`]) do not open this route: the
//! KafkaSource dispatcher is no person. [`DeliverySettings::auth`]
//! ([`IntakeAuth`], see [`super::intake_auth`]) checks the sender's own
//! credential in the same header: a Knative Eventing OIDC token (a
//! service-account JWT for this function's audience, verified against the
//! cluster issuer's JWKS, of a subject let in), or the shared
//! `HRMS_DELIVERY_TOKEN` where OIDC is off. Without a credential: 401; a
//! valid token of a subject not let in: 403 (both dead-lettered by the
//! source, never handled). An intake with neither configured admits nobody,
//! and `hrms serve` refuses to start one unless told `--insecure-open-intake`.
//!
//! # What is checked
//! Before the handler sees it, the event is checked as every consumer
//! checks it ([`hrms_events::checks`]; the Kafka consumers do the same): its
//! `source` must be the service that owns its type, its `time` at most 5
//! minutes ahead and no older than its topic's retention plus its dead
//! letters', and its payload's numbers within the ranges its JSON Schema
//! states. A refusal is a 400 naming the attribute (`time`, `source`,
//! `data.worked_minutes`, ...), which the source dead-letters.

pub mod binding;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};

pub use binding::{EXT_KAFKA_OFFSET, EXT_KAFKA_PARTITION, InvalidEvent, Pushed, decode};

pub use super::intake_auth::{DeliveryToken, IntakeAuth, IntakeConfigError, WeakToken};
use super::json::MAX_BODY;
use super::problem::Problem;
use hrms_platform::consume::{GaveUp, handle_with_retries, record_event_ages};
use hrms_platform::{Delivery, Handler, HandlerError, RetryPolicy};

/// How the route checks callers and retries.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Who may call ([`IntakeAuth`]); by default nobody.
    pub auth: Arc<IntakeAuth>,
    /// Attempts within one request (default 3, pauses of 50 to 200 ms);
    /// always bounded.
    pub retry: RetryPolicy,
    /// `Retry-After` of a 503 (default 5 s).
    pub retry_after: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            auth: Arc::default(),
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
    /// The defaults, letting in whom `auth` admits.
    pub fn new(auth: Arc<IntakeAuth>) -> Self {
        Self { auth, ..Self::default() }
    }

    /// The defaults, with the callers of [`IntakeAuth::from_env`].
    pub fn from_env() -> Result<Self, IntakeConfigError> {
        Ok(Self::new(Arc::new(IntakeAuth::from_env()?)))
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
    Forbidden,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Handled => "handled",
            Self::Invalid => "invalid",
            Self::Permanent => "permanent",
            Self::Transient => "transient",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
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
        if let Err(problem) = self.settings.auth.admit(&parts.headers).await {
            let outcome = match problem.status() {
                StatusCode::FORBIDDEN => Outcome::Forbidden,
                StatusCode::SERVICE_UNAVAILABLE => Outcome::Transient,
                _ => Outcome::Unauthorized,
            };
            return (outcome, problem.into_response());
        }
        let pushed = match axum::body::to_bytes(body, MAX_BODY).await {
            Err(_) => Err(InvalidEvent {
                attribute: Some("data".into()),
                reason: format!("the body is larger than {MAX_BODY} bytes"),
            }),
            Ok(bytes) => decode(&parts.headers, bytes).and_then(|pushed| {
                match hrms_events::checks::check(&pushed.event, chrono::Utc::now()) {
                    Ok(()) => Ok(pushed),
                    Err(refused) => {
                        Err(InvalidEvent { attribute: Some(refused.attribute), reason: refused.reason })
                    }
                }
            }),
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
}
