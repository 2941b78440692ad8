//! The consumer runtime shared by every transport: a [`Handler`] receives the
//! events of one partition in order, in batches; failures are retried with
//! backoff, and a record that keeps failing is isolated and dead-lettered so
//! that its partition moves on.
//!
//! Transports (Kafka, in-process) fetch batches, call [`process_partition`]
//! per partition, write the dead letters it returns, and only then commit.

use std::time::Duration;

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;

/// One event as a consumer sees it: decoded, with its place on the topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub event: HrmsEvent,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// Why a handler did not take a batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying: a store or downstream service is briefly unavailable.
    #[error("transient: {0}")]
    Transient(String),
    /// Retrying cannot help: the event itself is unacceptable.
    #[error("permanent: {0}")]
    Permanent(String),
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

/// Bounded retries with exponential backoff and full jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
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

/// Handles one partition's deliveries in order and returns those that must be
/// dead-lettered. The batch is tried as a whole first; if it keeps failing,
/// each delivery is tried alone so that one bad record does not take its
/// neighbours with it.
pub async fn process_partition<H: Handler + ?Sized>(
    handler: &H,
    deliveries: &[Delivery],
    policy: &RetryPolicy,
) -> Vec<Failure> {
    if deliveries.is_empty() {
        return Vec::new();
    }
    let Err((error, attempts)) = with_retries(handler, deliveries, policy).await else {
        return Vec::new();
    };
    if deliveries.len() == 1 {
        return vec![Failure { index: 0, reason: error.to_string(), attempts }];
    }
    tracing::warn!(handler = handler.name(), %error, size = deliveries.len(), "batch failed; isolating records");
    let mut failures = Vec::new();
    for (index, delivery) in deliveries.iter().enumerate() {
        if let Err((error, attempts)) = with_retries(handler, std::slice::from_ref(delivery), policy).await {
            failures.push(Failure { index, reason: error.to_string(), attempts });
        }
    }
    failures
}

async fn with_retries<H: Handler + ?Sized>(
    handler: &H,
    batch: &[Delivery],
    policy: &RetryPolicy,
) -> Result<(), (HandlerError, u32)> {
    let mut attempt = 1;
    loop {
        match handler.handle(batch).await {
            Ok(()) => return Ok(()),
            Err(e @ HandlerError::Permanent(_)) => return Err((e, attempt)),
            Err(e) if attempt >= policy.max_attempts => return Err((e, attempt)),
            Err(e) => {
                metrics::counter!("hrms_handler_retries_total", "handler" => handler.name().to_owned())
                    .increment(1);
                tracing::debug!(handler = handler.name(), %e, attempt, "retrying");
                tokio::time::sleep(policy.backoff(attempt)).await;
                attempt += 1;
            }
        }
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

#[cfg(test)]
pub(crate) mod tests {
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
                        return Err(HandlerError::Transient("store busy".into()));
                    }
                }
                let bad = {
                    let poison = self.poison.lock().unwrap();
                    batch.iter().find(|d| poison.contains(&d.event.id)).map(|d| d.event.id)
                };
                if let Some(bad) = bad {
                    return Err(HandlerError::Permanent(format!("cannot take {bad}")));
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
        }
    }

    #[tokio::test]
    async fn a_batch_is_handled_in_one_call() {
        let handler = Recorder::default();
        let batch = deliveries(10);
        assert_eq!(process_partition(&handler, &batch, &quick()).await, vec![]);
        assert_eq!(*handler.calls.lock().unwrap(), 1);
        assert_eq!(*handler.handled.lock().unwrap(), batch);
    }

    #[tokio::test]
    async fn transient_failures_are_retried() {
        let handler = Recorder { transient_failures: Mutex::new(2), ..Default::default() };
        let batch = deliveries(4);
        assert_eq!(process_partition(&handler, &batch, &quick()).await, vec![]);
        assert_eq!(*handler.calls.lock().unwrap(), 3);
        assert_eq!(*handler.handled.lock().unwrap(), batch);
    }

    #[tokio::test]
    async fn a_poison_record_is_isolated_and_its_neighbours_kept_in_order() {
        let batch = deliveries(5);
        let handler = Recorder::default();
        handler.poison.lock().unwrap().insert(batch[2].event.id);
        let failures = process_partition(&handler, &batch, &quick()).await;
        assert_eq!(failures.len(), 1);
        assert_eq!((failures[0].index, failures[0].attempts), (2, 1));
        assert!(failures[0].reason.contains("permanent"), "{}", failures[0].reason);
        let handled: Vec<i64> = handler.handled.lock().unwrap().iter().map(|d| d.offset).collect();
        assert_eq!(handled, vec![0, 1, 3, 4]);
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let handler = Recorder { transient_failures: Mutex::new(u32::MAX), ..Default::default() };
        let failures = process_partition(&handler, &deliveries(1), &quick()).await;
        assert_eq!(failures, vec![Failure { index: 0, reason: "transient: store busy".into(), attempts: 3 }]);
        assert_eq!(*handler.calls.lock().unwrap(), 3);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
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
