//! The outbox relay: publishes pending events in write order and removes
//! what the transport acknowledged.
//!
//! It publishes what commits hand over ([`RelayWaker::hand_over`]) as it
//! is, and reads the store instead at start-up, after a failure, when woken
//! without a hand-over ([`RelayWaker::wake`]), when the hand-overs overflow,
//! and every `interval`. A store read yields the events up to some `seq`;
//! hand-overs at or below the highest `seq` read are dropped (they went out
//! with it), so each event goes once, in write order; a key's event goes
//! only after its earlier ones are acknowledged (see `publish`).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::feed::{Feed, Next, RelayWaker};
use super::{OutboxEntry, OutboxError, OutboxStore};
use crate::consume::RetryPolicy;
use crate::error::Chain;
use crate::publish::{EventPublisher, PublishError};
use crate::traces;

/// How the relay paces itself.
#[derive(Debug, Clone, Copy)]
pub struct RelaySettings {
    /// Events read (from the store or the hand-overs) at a time.
    pub batch: usize,
    /// How often to read the store for pending events.
    pub interval: Duration,
    /// Most handed-over events held for publishing; beyond them the relay
    /// reads them from the store.
    pub held: usize,
    /// Backoff after a failed round (its attempts bound is unused: the relay
    /// keeps trying until the transport takes the events).
    pub backoff: RetryPolicy,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch: 500,
            interval: Duration::from_secs(1),
            held: 20_000,
            backoff: RetryPolicy {
                max_attempts: u32::MAX,
                initial_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(10),
                ..RetryPolicy::default()
            },
        }
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
    /// The highest `seq` read from the store (0: none).
    pub read_up_to: i64,
}

/// Most rounds of one publish: the events of a key past them (a key with
/// that many events in one read) wait for the next read.
const MAX_ROUNDS: usize = 32;

/// Publishes an [`OutboxStore`]'s pending events.
pub struct Relay {
    store: Arc<dyn OutboxStore>,
    publisher: Arc<dyn EventPublisher>,
    feed: Arc<Feed>,
    settings: RelaySettings,
}

impl Relay {
    pub fn new(
        store: Arc<dyn OutboxStore>,
        publisher: Arc<dyn EventPublisher>,
        settings: RelaySettings,
    ) -> Self {
        Self { store, publisher, feed: Arc::new(Feed::new(settings.held)), settings }
    }

    /// What the store's commits call to wake this relay.
    pub fn waker(&self) -> RelayWaker {
        RelayWaker(self.feed.clone())
    }

    /// Publishes what the store holds until nothing is pending or a
    /// retryable failure stops it.
    pub async fn drain(&self) -> Result<DrainReport, OutboxError> {
        let mut report = DrainReport::default();
        loop {
            let pending = self.store.pending(self.settings.batch).await?;
            if pending.entries.is_empty() && pending.unreadable.is_empty() {
                break;
            }
            let read = pending.entries.len();
            let last = pending.entries.iter().map(|e| e.seq).chain(pending.unreadable.iter().map(|u| u.0));
            report.read_up_to = report.read_up_to.max(last.max().unwrap_or(0));
            // Events past the rounds of one publish stay pending: read again.
            let left = self.publish(&pending.entries, pending.unreadable, &mut report).await?;
            if report.interrupted || (left.is_empty() && read < self.settings.batch) {
                break;
            }
        }
        if let Ok(backlog) = self.store.backlog().await {
            metrics::gauge!("hrms_outbox_backlog").set(backlog as f64);
        }
        Ok(report)
    }

    /// Publishes the handed-over events above `read_up_to` until a batch
    /// empties the feed or a retryable failure stops it; `None` when the
    /// store must be read instead.
    async fn drain_handed_over(&self, read_up_to: i64) -> Result<Option<DrainReport>, OutboxError> {
        let mut report = DrainReport::default();
        loop {
            let entries = match self.feed.next(self.settings.batch) {
                Next::LookInStore => return Ok(None),
                Next::Entries(entries) => entries,
            };
            let taken = entries.len();
            let mut entries: Vec<_> = entries.into_iter().filter(|e| e.seq > read_up_to).collect();
            while !entries.is_empty() && !report.interrupted {
                entries = self.publish(&entries, Vec::new(), &mut report).await?;
            }
            if report.interrupted || taken < self.settings.batch {
                break;
            }
        }
        metrics::gauge!("hrms_outbox_backlog").set(self.feed.len() as f64);
        Ok(Some(report))
    }

    /// Publishes `entries` (in write order) and settles them with `dead`;
    /// returns those not tried, in write order: the events of a key past
    /// [`MAX_ROUNDS`] (none after a retryable failure).
    ///
    /// Per key, write order holds through failures: each round publishes
    /// the next event of every key still going, so a key's event is sent
    /// only once its earlier one was acknowledged (or set aside); after a
    /// retryable failure the key's later events are not sent at all and
    /// stay pending behind it. Keys with one event each go in one round.
    /// Each round is settled before the next, so a crash (or a Lambda's
    /// timeout) re-sends at most the round under way.
    async fn publish(
        &self,
        entries: &[OutboxEntry],
        mut dead: Vec<(i64, String)>,
        report: &mut DrainReport,
    ) -> Result<Vec<OutboxEntry>, OutboxError> {
        let mut keys: HashMap<String, usize> = HashMap::new();
        let mut queues: Vec<VecDeque<&OutboxEntry>> = Vec::new();
        for entry in entries {
            let next = keys.len();
            let i = *keys.entry(entry.event.partition_key()).or_insert(next);
            if i == queues.len() {
                queues.push(VecDeque::new());
            }
            queues[i].push_back(entry);
        }
        for _ in 0..MAX_ROUNDS {
            let round: Vec<&OutboxEntry> = queues.iter_mut().filter_map(VecDeque::pop_front).collect();
            if round.is_empty() {
                break;
            }
            let mut published = Vec::new();
            // A publish span per event, in its trace; the event sent carries it.
            let (spans, events): (Vec<_>, Vec<_>) = round
                .iter()
                .map(|e| {
                    let (span, event) = traces::publishing(&e.event);
                    (span, event.into_owned())
                })
                .unzip();
            let results = self.publisher.publish(&events).await;
            for (span, result) in spans.iter().zip(&results) {
                if let Err(e) = result {
                    traces::failed(span, &e.explain());
                }
            }
            for (entry, result) in round.iter().zip(results) {
                match result {
                    Ok(()) => published.push(entry.seq),
                    Err(e @ PublishError::Fatal { .. }) => {
                        let reason = e.explain();
                        tracing::error!(event_id = %entry.event.id, %reason, "outbox event can never be published; set aside");
                        dead.push((entry.seq, reason));
                    }
                    Err(e @ PublishError::Retryable { .. }) => {
                        tracing::warn!(event_id = %entry.event.id, reason = %e.explain(), "publish failed; will retry");
                        report.interrupted = true;
                        // Its key's later events wait for it.
                        queues[keys[&entry.event.partition_key()]].clear();
                    }
                }
            }
            self.settle(&published, std::mem::take(&mut dead), report).await?;
        }
        // Unreadable events when nothing was read.
        self.settle(&[], dead, report).await?;
        if report.interrupted {
            return Ok(Vec::new());
        }
        let mut left: Vec<OutboxEntry> = queues.into_iter().flatten().cloned().collect();
        left.sort_by_key(|e| e.seq);
        Ok(left)
    }

    /// Marks `published` done and sets `dead` aside.
    async fn settle(
        &self,
        published: &[i64],
        dead: Vec<(i64, String)>,
        report: &mut DrainReport,
    ) -> Result<(), OutboxError> {
        if published.is_empty() && dead.is_empty() {
            return Ok(());
        }
        self.store.settle(published, &dead).await?;
        report.published += published.len() as u64;
        report.dead += dead.len() as u64;
        metrics::counter!("hrms_outbox_dead_total").increment(dead.len() as u64);
        Ok(())
    }

    /// Reads the store at start, then publishes what is handed over (or
    /// reads the store, see the module's doc) whenever woken and every
    /// `interval`, backing off while the transport fails, until `shutdown`
    /// resolves.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut failures = 0;
        let mut read_store = true;
        let mut last_read = Instant::now();
        let mut read_up_to = 0;
        loop {
            let round = if read_store || last_read.elapsed() >= self.settings.interval {
                last_read = Instant::now();
                self.drain().await.map(|report| {
                    read_up_to = read_up_to.max(report.read_up_to);
                    Some(report)
                })
            } else {
                self.drain_handed_over(read_up_to).await
            };
            // Anything but a whole round reads the store next: what was
            // taken from the feed and not settled is there.
            read_store = true;
            let pause = match round {
                Ok(Some(report)) if !report.interrupted => {
                    failures = 0;
                    read_store = false;
                    self.settings.interval
                }
                Ok(None) => continue,
                Ok(Some(_)) => {
                    failures += 1;
                    self.settings.backoff.backoff(failures)
                }
                Err(e) => {
                    failures += 1;
                    tracing::error!(error = %Chain(&e), "outbox relay cannot read its store");
                    self.settings.backoff.backoff(failures)
                }
            };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.feed.notify.notified(), if failures == 0 => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}
