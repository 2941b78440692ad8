//! The consumer runtime shared by every transport: a [`Handler`] receives the
//! events of one partition in order, in batches; failures are retried with
//! backoff, and a record that keeps failing is isolated and dead-lettered so
//! that its partition moves on.
//!
//! Transports (Kafka, in-process) fetch batches, call [`process_partition`]
//! per partition, write the dead letters it returns, and only then commit.
//!
//! A consumer that must never dead-letter a record for a passing outage (the
//! audit trail: the dead-letter topic is for poison records only) sets
//! [`OnTransient::Retry`]: transient failures are then retried until the
//! record is handled or the consumer is asked to stop.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;

use crate::error::{BoxError, Cause, Chain};
use crate::traces;
use tracing::Instrument;

/// One event as a consumer sees it: decoded, with its place on the topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub event: HrmsEvent,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// Why a handler did not take a batch: `reason` for people, `cause` the
/// error beneath, if any.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying: a store or downstream service is briefly unavailable.
    #[error("transient: {reason}")]
    Transient {
        reason: String,
        #[source]
        cause: Option<Cause>,
    },
    /// Retrying cannot help: the event itself is unacceptable.
    #[error("permanent: {reason}")]
    Permanent {
        reason: String,
        #[source]
        cause: Option<Cause>,
    },
}

impl HandlerError {
    /// Transient: `reason`, because of `cause`.
    pub fn transient(reason: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::Transient { reason: reason.into(), cause: Some(Cause::new(cause)) }
    }

    /// Permanent: `reason`, because of `cause`.
    pub fn permanent(reason: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::Permanent { reason: reason.into(), cause: Some(Cause::new(cause)) }
    }

    /// The reason and the chain of its cause, without the kind: what a
    /// refusal answers.
    pub fn explain(&self) -> String {
        let (Self::Transient { reason, cause } | Self::Permanent { reason, cause }) = self;
        match cause {
            Some(cause) => format!("{reason}: {}", Chain(cause)),
            None => reason.clone(),
        }
    }
}

/// A Kafka-triggered function: takes the events of one partition, in order.
///
/// It succeeds only once the whole batch is durably handled; on error the
/// runtime retries (the batch, then each event alone), so handlers must be
/// idempotent on the event id.
pub trait Handler: Send + Sync {
    /// A short name for logs and metrics.
    fn name(&self) -> &str;

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>>;
}

/// Retries with exponential backoff and jitter: bounded by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (for transient failures, only
    /// with [`OnTransient::DeadLetter`]).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// What becomes of a record that keeps failing transiently.
    pub on_transient: OnTransient,
}

/// What a consumer does with a record whose handler keeps failing
/// transiently. Permanent failures are dead-lettered either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnTransient {
    /// Dead-letter it after `max_attempts` (the default).
    #[default]
    DeadLetter,
    /// Retry it without bound, the pause capped at `max_backoff`, until it is
    /// handled or the consumer is asked to stop; the record and those after
    /// it are then left uncommitted, to be read again. The batch in hand can
    /// take longer than `max.poll.interval.ms`: the Kafka member then leaves
    /// its group and the records go to another member, as after a crash.
    Retry,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            on_transient: OnTransient::DeadLetter,
        }
    }
}

impl RetryPolicy {
    /// This policy with transient failures retried until handled
    /// ([`OnTransient::Retry`]).
    pub fn retry_transient_forever(self) -> Self {
        Self { on_transient: OnTransient::Retry, ..self }
    }

    /// The pause before attempt `attempt + 1`: a random share of
    /// `initial * 2^(attempt-1)`, capped at `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.initial_backoff.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_backoff);
        cap.mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

/// A record to dead-letter: its index in the partition batch and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub index: usize,
    pub reason: String,
    pub attempts: u32,
}

/// How far [`process_partition`] got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The deliveries settled, from the first: handled, or to dead-letter.
    /// Fewer than all only when `stop` ended unbounded retries
    /// ([`OnTransient::Retry`]); the rest must not be committed.
    pub settled: usize,
    /// The settled deliveries to dead-letter.
    pub failures: Vec<Failure>,
}

/// Handles one partition's deliveries in order and says which must be
/// dead-lettered. The batch is tried as a whole first; if it keeps failing,
/// each delivery is tried alone so that one bad record does not take its
/// neighbours with it.
///
/// `stop` (the consumer's shutdown) is heeded only by unbounded retries: it
/// ends the pause between two attempts, or a retry in flight. Bounded retries
/// run to the end, so that a consumer finishes the batch in hand.
pub async fn process_partition<H: Handler + ?Sized>(
    handler: &H,
    deliveries: &[Delivery],
    policy: &RetryPolicy,
    stop: impl Future<Output = ()>,
) -> Progress {
    // A span per delivery, in its event's trace; a lone delivery's is
    // current while it is handled (a batch's handling belongs to none).
    let spans: Vec<_> =
        deliveries.iter().map(|d| traces::handling(handler.name(), &d.topic, &d.event)).collect();
    let current = if let [span] = spans.as_slice() { span.clone() } else { tracing::Span::none() };
    let progress = settle(handler, deliveries, policy, stop).instrument(current).await;
    for failure in &progress.failures {
        traces::failed(&spans[failure.index], &failure.reason);
    }
    progress
}

async fn settle<H: Handler + ?Sized>(
    handler: &H,
    deliveries: &[Delivery],
    policy: &RetryPolicy,
    stop: impl Future<Output = ()>,
) -> Progress {
    let all = deliveries.len();
    if all == 0 {
        return Progress { settled: 0, failures: Vec::new() };
    }
    tokio::pin!(stop);
    let error = match with_retries(handler, deliveries, policy, stop.as_mut()).await {
        Ok(()) => return Progress { settled: all, failures: Vec::new() },
        Err(Unhandled::Stopped) => return Progress { settled: 0, failures: Vec::new() },
        Err(Unhandled::GaveUp(GaveUp { error, attempts })) if all == 1 => {
            return Progress {
                settled: 1,
                failures: vec![Failure { index: 0, reason: Chain(&error).to_string(), attempts }],
            };
        }
        Err(Unhandled::GaveUp(gave_up)) => gave_up.error,
    };
    tracing::warn!(handler = handler.name(), error = %Chain(&error), size = all, "batch failed; isolating records");
    let mut failures = Vec::new();
    for (index, delivery) in deliveries.iter().enumerate() {
        match with_retries(handler, std::slice::from_ref(delivery), policy, stop.as_mut()).await {
            Ok(()) => {}
            Err(Unhandled::GaveUp(GaveUp { error, attempts })) => {
                failures.push(Failure { index, reason: Chain(&error).to_string(), attempts })
            }
            Err(Unhandled::Stopped) => return Progress { settled: index, failures },
        }
    }
    Progress { settled: all, failures }
}

/// Tries `batch` as one unit with `policy`'s retries, always bounded (its
/// `on_transient` is ignored): for a delivery whose sender retries it
/// itself, such as an HTTP push. The last error if the handler never took it.
pub async fn handle_with_retries<H: Handler + ?Sized>(
    handler: &H,
    batch: &[Delivery],
    policy: &RetryPolicy,
) -> Result<(), GaveUp> {
    let bounded = RetryPolicy { on_transient: OnTransient::DeadLetter, ..*policy };
    let never = std::pin::pin!(std::future::pending::<()>());
    let spans: Vec<_> = batch.iter().map(|d| traces::handling(handler.name(), &d.topic, &d.event)).collect();
    let current = if let [span] = spans.as_slice() { span.clone() } else { tracing::Span::none() };
    let handled = with_retries(handler, batch, &bounded, never).instrument(current).await;
    if let Err(Unhandled::GaveUp(gave_up)) = &handled {
        spans.iter().for_each(|span| traces::failed(span, &gave_up.error.explain()));
    }
    match handled {
        Ok(()) => Ok(()),
        Err(Unhandled::GaveUp(gave_up)) => Err(gave_up),
        // Bounded retries do not heed a stop signal, and this one never comes.
        Err(Unhandled::Stopped) => {
            let error = HandlerError::Transient { reason: "retries were stopped".into(), cause: None };
            Err(GaveUp { error, attempts: 0 })
        }
    }
}

/// A batch the handler did not take: its last error and the attempts made.
#[derive(Debug, Clone)]
pub struct GaveUp {
    pub error: HandlerError,
    pub attempts: u32,
}

enum Unhandled {
    GaveUp(GaveUp),
    /// Asked to stop during unbounded retries.
    Stopped,
}

async fn with_retries<H: Handler + ?Sized>(
    handler: &H,
    batch: &[Delivery],
    policy: &RetryPolicy,
    mut stop: Pin<&mut impl Future<Output = ()>>,
) -> Result<(), Unhandled> {
    let unbounded = policy.on_transient == OnTransient::Retry;
    let mut attempt: u32 = 1;
    loop {
        let handled = if unbounded && attempt > 1 {
            // Already failing: a stop need not wait for one more slow attempt.
            tokio::select! {
                handled = handler.handle(batch) => handled,
                _ = stop.as_mut() => return Err(Unhandled::Stopped),
            }
        } else {
            handler.handle(batch).await
        };
        let error = match handled {
            Ok(()) => return Ok(()),
            Err(e @ HandlerError::Permanent { .. }) => {
                return Err(Unhandled::GaveUp(GaveUp { error: e, attempts: attempt }));
            }
            Err(e) if attempt >= policy.max_attempts && !unbounded => {
                return Err(Unhandled::GaveUp(GaveUp { error: e, attempts: attempt }));
            }
            Err(e) => e,
        };
        metrics::counter!("hrms_handler_retries_total", "handler" => handler.name().to_owned()).increment(1);
        if attempt == policy.max_attempts {
            tracing::warn!(handler = handler.name(), error = %Chain(&error), attempt, "still failing; retrying until handled");
        } else {
            tracing::debug!(handler = handler.name(), error = %Chain(&error), attempt, "retrying");
        }
        let pause = tokio::time::sleep(policy.backoff(attempt));
        if unbounded {
            tokio::select! {
                _ = pause => {}
                _ = stop.as_mut() => return Err(Unhandled::Stopped),
            }
        } else {
            pause.await;
        }
        attempt = attempt.saturating_add(1);
    }
}

/// Seconds from an event's time to now: the end-to-end delay a handler adds
/// to, recorded as `hrms_event_age_seconds`.
pub fn record_event_ages(handler: &str, batch: &[Delivery]) {
    let now = chrono::Utc::now();
    for d in batch {
        let age = (now - d.event.time).num_microseconds().unwrap_or(0).max(0) as f64 / 1e6;
        metrics::histogram!("hrms_event_age_seconds", "handler" => handler.to_owned()).record(age);
    }
}

/// Handlers and settings for tests of consumers, here and in the transports' crates.
#[cfg(any(test, feature = "testing"))]
#[allow(dead_code)]
pub mod tests {
    use std::collections::HashSet;
    use std::sync::Mutex;

    use super::*;
    use hrms_events::{EventType, fixtures};

    /// Records what it handled; fails for chosen event ids.
    #[derive(Default)]
    pub struct Recorder {
        pub handled: Mutex<Vec<Delivery>>,
        pub calls: Mutex<u32>,
        pub poison: Mutex<HashSet<uuid::Uuid>>,
        pub transient_failures: Mutex<u32>,
        /// Never returns after recording: a process that dies mid-batch.
        pub hang: bool,
    }

    impl Handler for Recorder {
        fn name(&self) -> &str {
            "recorder"
        }
        fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
            Box::pin(async move {
                *self.calls.lock().unwrap() += 1;
                {
                    let mut left = self.transient_failures.lock().unwrap();
                    if *left > 0 {
                        *left -= 1;
                        return Err(HandlerError::Transient { reason: "store busy".into(), cause: None });
                    }
                }
                let bad = {
                    let poison = self.poison.lock().unwrap();
                    batch.iter().find(|d| poison.contains(&d.event.id)).map(|d| d.event.id)
                };
                if let Some(bad) = bad {
                    return Err(HandlerError::Permanent {
                        reason: format!("cannot take {bad}"),
                        cause: None,
                    });
                }
                self.handled.lock().unwrap().extend_from_slice(batch);
                if self.hang {
                    std::future::pending::<()>().await;
                }
                Ok(())
            })
        }
    }

    pub fn deliveries(n: usize) -> Vec<Delivery> {
        (0..n)
            .map(|i| Delivery {
                event: fixtures::sample(EventType::ALL[i % EventType::ALL.len()]),
                topic: "t".into(),
                partition: 0,
                offset: i as i64,
            })
            .collect()
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            ..RetryPolicy::default()
        }
    }

    /// Never asked to stop.
    fn running() -> std::future::Pending<()> {
        std::future::pending()
    }

    fn settled(all: usize, failures: Vec<Failure>) -> Progress {
        Progress { settled: all, failures }
    }

    #[tokio::test]
    async fn a_batch_is_handled_in_one_call() {
        let handler = Recorder::default();
        let batch = deliveries(10);
        assert_eq!(process_partition(&handler, &batch, &quick(), running()).await, settled(10, vec![]));
        assert_eq!(*handler.calls.lock().unwrap(), 1);
        assert_eq!(*handler.handled.lock().unwrap(), batch);
    }

    #[tokio::test]
    async fn transient_failures_are_retried() {
        let handler = Recorder { transient_failures: Mutex::new(2), ..Default::default() };
        let batch = deliveries(4);
        // Asked to stop at once: bounded retries still finish the batch.
        let stop = std::future::ready(());
        assert_eq!(process_partition(&handler, &batch, &quick(), stop).await, settled(4, vec![]));
        assert_eq!(*handler.calls.lock().unwrap(), 3);
        assert_eq!(*handler.handled.lock().unwrap(), batch);
    }

    #[tokio::test]
    async fn a_poison_record_is_isolated_and_its_neighbours_kept_in_order() {
        let batch = deliveries(5);
        let handler = Recorder::default();
        handler.poison.lock().unwrap().insert(batch[2].event.id);
        let progress = process_partition(&handler, &batch, &quick(), running()).await;
        assert_eq!(progress.settled, 5);
        let failures = progress.failures;
        assert_eq!(failures.len(), 1);
        assert_eq!((failures[0].index, failures[0].attempts), (2, 1));
        assert!(failures[0].reason.contains("permanent"), "{}", failures[0].reason);
        let handled: Vec<i64> = handler.handled.lock().unwrap().iter().map(|d| d.offset).collect();
        assert_eq!(handled, vec![0, 1, 3, 4]);
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let handler = Recorder { transient_failures: Mutex::new(u32::MAX), ..Default::default() };
        let progress = process_partition(&handler, &deliveries(1), &quick(), running()).await;
        let failure = Failure { index: 0, reason: "transient: store busy".into(), attempts: 3 };
        assert_eq!(progress, settled(1, vec![failure]));
        assert_eq!(*handler.calls.lock().unwrap(), 3);
    }

    #[tokio::test]
    async fn unbounded_retries_outlast_max_attempts_and_dead_letter_nothing() {
        let handler = Recorder { transient_failures: Mutex::new(7), ..Default::default() };
        let batch = deliveries(4);
        let policy = quick().retry_transient_forever();
        assert_eq!(process_partition(&handler, &batch, &policy, running()).await, settled(4, vec![]));
        assert_eq!(*handler.calls.lock().unwrap(), 8, "7 failures, more than max_attempts 3, then success");
        assert_eq!(*handler.handled.lock().unwrap(), batch);
    }

    #[tokio::test]
    async fn unbounded_retries_still_dead_letter_poison() {
        let batch = deliveries(3);
        let handler = Recorder { transient_failures: Mutex::new(5), ..Default::default() };
        handler.poison.lock().unwrap().insert(batch[1].event.id);
        let progress =
            process_partition(&handler, &batch, &quick().retry_transient_forever(), running()).await;
        assert_eq!(progress.settled, 3);
        assert_eq!(progress.failures.iter().map(|f| f.index).collect::<Vec<_>>(), vec![1]);
        let handled: Vec<i64> = handler.handled.lock().unwrap().iter().map(|d| d.offset).collect();
        assert_eq!(handled, vec![0, 2]);
    }

    #[tokio::test]
    async fn a_stop_ends_a_retry_in_flight_without_settling_it() {
        let handler = Recorder { transient_failures: Mutex::new(1), hang: true, ..Default::default() };
        let stop = crate::testing::until(Duration::from_secs(5), || *handler.calls.lock().unwrap() >= 2);
        let progress = tokio::time::timeout(
            Duration::from_secs(10),
            process_partition(&handler, &deliveries(3), &quick().retry_transient_forever(), stop),
        )
        .await
        .expect("the hanging retry was given up at the stop");
        assert_eq!(progress, settled(0, vec![]));
    }

    #[tokio::test]
    async fn unbounded_retries_end_when_asked_to_stop_and_settle_nothing() {
        let handler = Recorder { transient_failures: Mutex::new(u32::MAX), ..Default::default() };
        let policy =
            RetryPolicy { max_backoff: Duration::from_secs(3600), ..quick().retry_transient_forever() };
        let stop = crate::testing::until(Duration::from_secs(5), || *handler.calls.lock().unwrap() >= 5);
        let progress = tokio::time::timeout(
            Duration::from_secs(10),
            process_partition(&handler, &deliveries(3), &policy, stop),
        )
        .await
        .expect("stopped promptly, not after an hour's pause");
        assert_eq!(progress, settled(0, vec![]));
        assert!(handler.handled.lock().unwrap().is_empty());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        for _ in 0..100 {
            let first = p.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100), "{first:?}");
            let third = p.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400), "{third:?}");
            assert!(p.backoff(30) <= Duration::from_secs(1));
        }
    }
}
