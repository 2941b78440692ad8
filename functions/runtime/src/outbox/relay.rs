//! The outbox relay: publishes pending events in write order and removes
//! what the transport acknowledged.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::{OutboxError, OutboxStore};
use crate::consume::RetryPolicy;
use crate::publish::{EventPublisher, PublishError};

/// How the relay paces itself.
#[derive(Debug, Clone, Copy)]
pub struct RelaySettings {
    /// Events per publish call.
    pub batch: usize,
    /// How often to look for pending events without being woken.
    pub interval: Duration,
    /// Backoff after a failed round (its attempts bound is unused: the relay
    /// keeps trying until the transport takes the events).
    pub backoff: RetryPolicy,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch: 500,
            interval: Duration::from_secs(1),
            backoff: RetryPolicy {
                max_attempts: u32::MAX,
                initial_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(10),
                ..RetryPolicy::default()
            },
        }
    }
}

/// Wakes the relay after a commit, so that events go out at once.
#[derive(Clone)]
pub struct RelayWaker(Arc<Notify>);

impl RelayWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// What one drain achieved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrainReport {
    pub published: u64,
    /// Events set aside because the transport can never take them.
    pub dead: u64,
    /// Whether a retryable failure stopped the drain (events remain).
    pub interrupted: bool,
}

/// Publishes an [`OutboxStore`]'s pending events.
pub struct Relay {
    store: Arc<dyn OutboxStore>,
    publisher: Arc<dyn EventPublisher>,
    wake: Arc<Notify>,
    settings: RelaySettings,
}

impl Relay {
    pub fn new(
        store: Arc<dyn OutboxStore>,
        publisher: Arc<dyn EventPublisher>,
        settings: RelaySettings,
    ) -> Self {
        Self { store, publisher, wake: Arc::new(Notify::new()), settings }
    }

    pub fn waker(&self) -> RelayWaker {
        RelayWaker(self.wake.clone())
    }

    /// Publishes until nothing is pending or a retryable failure stops it.
    pub async fn drain(&self) -> Result<DrainReport, OutboxError> {
        let mut report = DrainReport::default();
        loop {
            let pending = self.store.pending(self.settings.batch).await?;
            if pending.entries.is_empty() && pending.unreadable.is_empty() {
                break;
            }
            let mut dead = pending.unreadable;
            let events: Vec<_> = pending.entries.iter().map(|e| e.event.clone()).collect();
            let results = self.publisher.publish(&events).await;

            // Per key, keep write order: after a retryable failure the key's
            // later events stay pending, even if they went through (they go
            // again, with the same ids, after the one that failed).
            let mut blocked: HashSet<String> = HashSet::new();
            let mut published = Vec::new();
            for (entry, result) in pending.entries.iter().zip(results) {
                let key = entry.event.partition_key();
                match result {
                    _ if blocked.contains(&key) => {}
                    Ok(()) => published.push(entry.seq),
                    Err(PublishError::Fatal(reason)) => {
                        tracing::error!(event_id = %entry.event.id, %reason, "outbox event can never be published; set aside");
                        dead.push((entry.seq, reason));
                    }
                    Err(PublishError::Retryable(reason)) => {
                        tracing::warn!(event_id = %entry.event.id, %reason, "publish failed; will retry");
                        report.interrupted = true;
                        blocked.insert(key);
                    }
                }
            }
            self.store.settle(&published, &dead).await?;
            report.published += published.len() as u64;
            report.dead += dead.len() as u64;
            metrics::counter!("hrms_outbox_dead_total").increment(dead.len() as u64);
            if report.interrupted || events.len() < self.settings.batch {
                break;
            }
        }
        if let Ok(backlog) = self.store.backlog().await {
            metrics::gauge!("hrms_outbox_backlog").set(backlog as f64);
        }
        Ok(report)
    }

    /// Drains at start, then whenever woken or every `interval`, backing off
    /// while the transport fails, until `shutdown` resolves.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut failures = 0;
        loop {
            let pause = match self.drain().await {
                Ok(report) if !report.interrupted => {
                    failures = 0;
                    self.settings.interval
                }
                Ok(_) => {
                    failures += 1;
                    self.settings.backoff.backoff(failures)
                }
                Err(e) => {
                    failures += 1;
                    tracing::error!(error = %e, "outbox relay cannot read its store");
                    self.settings.backoff.backoff(failures)
                }
            };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.wake.notified(), if failures == 0 => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}
