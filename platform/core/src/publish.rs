//! Handing events to a transport. A function's events are published through
//! [`EventPublisher`]; which transport sits behind it is configuration.

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;

use crate::error::{BoxError, Cause, Chain};

/// Why an event was not stored by the transport: `reason` for people,
/// `cause` the error beneath, if any.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PublishError {
    /// The broker is unreachable, slow or briefly refusing: publish again later.
    #[error("retryable publish failure: {reason}")]
    Retryable {
        reason: String,
        #[source]
        cause: Option<Cause>,
    },
    /// The event can never be stored as it is (too large, not authorised, ...).
    #[error("fatal publish failure: {reason}")]
    Fatal {
        reason: String,
        #[source]
        cause: Option<Cause>,
    },
}

impl PublishError {
    /// Retryable: `reason`, because of `cause`.
    pub fn retryable(reason: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::Retryable { reason: reason.into(), cause: Some(Cause::new(cause)) }
    }

    /// Fatal: `reason`, because of `cause`.
    pub fn fatal(reason: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::Fatal { reason: reason.into(), cause: Some(Cause::new(cause)) }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, PublishError::Retryable { .. })
    }

    /// The reason and the chain of its cause, without the kind: what an
    /// event set aside is kept with.
    pub fn explain(&self) -> String {
        let (Self::Retryable { reason, cause } | Self::Fatal { reason, cause }) = self;
        match cause {
            Some(cause) => format!("{reason}: {}", Chain(cause)),
            None => reason.clone(),
        }
    }
}

/// Counts one event's publication in `hrms_events_published_total` and
/// `hrms_publish_ack_seconds` (since `started`), or its failure in
/// `hrms_publish_failures_total{kind}`: the same metrics on every transport.
pub fn count(topic: &'static str, started: std::time::Instant, result: &Result<(), PublishError>) {
    match result {
        Ok(()) => {
            metrics::counter!("hrms_events_published_total", "topic" => topic).increment(1);
            metrics::histogram!("hrms_publish_ack_seconds", "topic" => topic)
                .record(started.elapsed().as_secs_f64());
        }
        Err(e) => {
            let kind = if e.is_retryable() { "retryable" } else { "fatal" };
            metrics::counter!("hrms_publish_failures_total", "topic" => topic, "kind" => kind).increment(1);
        }
    }
}

/// A transport that stores events durably on their topics.
///
/// `publish` resolves once every event is acknowledged or has failed, and
/// reports each in input order; events with one partition key keep their order.
pub trait EventPublisher: Send + Sync {
    fn publish<'a>(&'a self, events: &'a [HrmsEvent]) -> BoxFuture<'a, Vec<Result<(), PublishError>>>;

    /// Publishes all events; the first failure, if any.
    fn publish_all<'a>(&'a self, events: &'a [HrmsEvent]) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(async move { self.publish(events).await.into_iter().collect() })
    }
}

/// Where a function sends an event it gave up on after taking it off its
/// topic (e.g. a notification that could not be delivered): the event's
/// dead-letter topic, `<topic>.dlq`, with why, so that `hrms dlq redrive`
/// can publish it again.
pub trait DeadLetterSink: Send + Sync {
    /// Resolves once the dead letter is stored.
    fn dead_letter<'a>(&'a self, letter: &'a DeadLetter) -> BoxFuture<'a, Result<(), PublishError>>;
}

/// An event given up on, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub event: HrmsEvent,
    /// Who gave up: a consumer group (e.g. `notification-service`).
    pub group: String,
    pub reason: String,
    pub attempts: u32,
}
