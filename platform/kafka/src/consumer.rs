//! The Kafka batch consumer: reads up to `max_records` records or
//! `max_wait`, handles each partition's records in order (partitions in
//! parallel), dead-letters what cannot be handled, and commits a partition's
//! offset only past records that were handled or dead-lettered. Its lag is
//! exported as `hrms_consumer_lag{group,topic,partition}` from librdkafka's
//! statistics (see [`lag`](super::lag)).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{Offset, Statistics, TopicPartitionList};
use tokio::sync::watch;
use tokio::time::Instant;

use super::auth::{AuthError, KafkaContext};
use super::codec::admit;
use super::config::{ConsumerSettings, KafkaConfig};
use super::dlq::DeadLetterRecord;
use super::lag::LagGauges;
use super::producer::KafkaPublisher;
use hrms_platform::Chain;
use hrms_platform::consume::{Delivery, Handler, process_partition, record_event_ages};

/// Reports the outcome of asynchronous offset commits, and the lag from
/// librdkafka's statistics; authenticates as [`KafkaContext`].
pub struct CommitReporter {
    group: String,
    lag: LagGauges,
    auth: KafkaContext,
}

impl CommitReporter {
    pub(crate) fn new(group: &str, auth: KafkaContext) -> Self {
        Self { group: group.to_owned(), lag: LagGauges::new(group), auth }
    }
}

impl ClientContext for CommitReporter {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = KafkaContext::ENABLE_REFRESH_OAUTH_TOKEN;

    fn stats(&self, statistics: Statistics) {
        self.lag.record(&statistics);
    }

    fn generate_oauth_token(&self, config: Option<&str>) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        self.auth.generate_oauth_token(config)
    }
}

impl ConsumerContext for CommitReporter {
    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        if let Err(e) = result {
            // The records are handled; after a restart or rebalance they come
            // again, and idempotent handlers skip them.
            tracing::warn!(group = %self.group, error = %Chain(&e), "commit failed");
            metrics::counter!("hrms_consumer_commit_failures_total", "group" => self.group.clone())
                .increment(1);
        }
    }
}

/// A consumer group member bound to its topics.
pub struct KafkaConsumer {
    consumer: StreamConsumer<CommitReporter>,
    dead_letters: KafkaPublisher,
    settings: ConsumerSettings,
}

/// Why the consumer could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("kafka authentication")]
    Auth(#[from] AuthError),
}

/// What one partition's share of a batch came to.
struct PartitionOutcome {
    topic: String,
    partition: i32,
    /// The offset to commit: just past the last record settled in order.
    next_offset: Option<i64>,
    handled: u64,
    dead_lettered: u64,
}

impl KafkaConsumer {
    /// Joins `settings.group_id` and subscribes to `topics`.
    pub fn new(
        config: &KafkaConfig,
        settings: ConsumerSettings,
        topics: &[&str],
    ) -> Result<Self, ConsumeError> {
        let auth = config.context()?;
        let dead_letters = KafkaPublisher::with_context(config, auth.clone())?;
        let reporter = CommitReporter::new(&settings.group_id, auth);
        let consumer: StreamConsumer<CommitReporter> =
            config.consumer_config(&settings).create_with_context(reporter)?;
        consumer.subscribe(topics)?;
        Ok(Self { consumer, dead_letters, settings })
    }

    /// Runs `handler` until `shutdown` resolves. The batch in hand is finished
    /// and committed before returning, except where unbounded retries
    /// ([`OnTransient::Retry`](hrms_platform::consume::OnTransient::Retry)) were under
    /// way: those records stay uncommitted, to be read again.
    pub async fn run<H: Handler + ?Sized>(
        &self,
        handler: &H,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ConsumeError> {
        let (stop, stopping) = watch::channel(false);
        let work = self.run_until(handler, stopping);
        tokio::pin!(work);
        tokio::select! {
            result = &mut work => result,
            _ = shutdown => {
                let _ = stop.send(true);
                work.await
            }
        }
    }

    /// Leaves the group, waiting at most `limit` (closing waits for commits
    /// in flight, which an unreachable broker can stall). What was handled
    /// but not committed is delivered again; handlers are idempotent.
    pub async fn close(self, limit: Duration) {
        let group = self.settings.group_id.clone();
        let closing = tokio::task::spawn_blocking(move || drop(self));
        if tokio::time::timeout(limit, closing).await.is_err() {
            tracing::warn!(%group, ?limit, "consumer did not close in time; its last commits may be lost");
        }
    }

    async fn run_until<H: Handler + ?Sized>(
        &self,
        handler: &H,
        stopping: watch::Receiver<bool>,
    ) -> Result<(), ConsumeError> {
        let group = self.settings.group_id.clone();
        loop {
            let first = tokio::select! {
                _ = stopped(stopping.clone()) => break,
                first = self.consumer.recv() => first,
            };
            let first = match first {
                Ok(m) => m.detach(),
                Err(e) => {
                    tracing::warn!(%group, error = %Chain(&e), "consumer error");
                    metrics::counter!("hrms_consumer_errors_total", "group" => group.clone()).increment(1);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let mut batch = vec![first];
            let deadline = Instant::now() + self.settings.max_wait;
            while batch.len() < self.settings.max_records {
                tokio::select! {
                    _ = stopped(stopping.clone()) => break,
                    next = tokio::time::timeout_at(deadline, self.consumer.recv()) => match next {
                        Ok(Ok(m)) => batch.push(m.detach()),
                        Ok(Err(e)) => { tracing::warn!(%group, error = %Chain(&e), "consumer error"); break }
                        Err(_) => break,
                    },
                }
            }
            self.process(handler, batch, &stopping).await?;
        }
        tracing::info!(%group, "consumer stopped");
        Ok(())
    }

    async fn process<H: Handler + ?Sized>(
        &self,
        handler: &H,
        batch: Vec<OwnedMessage>,
        stopping: &watch::Receiver<bool>,
    ) -> Result<(), ConsumeError> {
        metrics::histogram!("hrms_consumer_batch_size", "group" => self.settings.group_id.clone())
            .record(batch.len() as f64);
        let mut partitions: BTreeMap<(String, i32), Vec<OwnedMessage>> = BTreeMap::new();
        for m in batch {
            partitions.entry((m.topic().to_owned(), m.partition())).or_default().push(m);
        }
        let outcomes = futures::future::join_all(
            partitions.into_values().map(|records| self.process_partition(handler, records, stopping)),
        )
        .await;

        let mut offsets = TopicPartitionList::new();
        for o in &outcomes {
            if let Some(next) = o.next_offset {
                offsets.add_partition_offset(&o.topic, o.partition, Offset::Offset(next))?;
            }
            let group = self.settings.group_id.clone();
            metrics::counter!("hrms_consumer_records_total", "group" => group.clone(), "outcome" => "handled").increment(o.handled);
            metrics::counter!("hrms_consumer_records_total", "group" => group, "outcome" => "dead_lettered")
                .increment(o.dead_lettered);
        }
        // Asynchronous: a commit never blocks the loop (a synchronous one
        // waits without bound for an unreachable coordinator). Closing the
        // consumer waits for the commits in flight; failures are reported by
        // `CommitReporter`.
        if offsets.count() > 0 {
            self.consumer.commit(&offsets, CommitMode::Async)?;
        }
        Ok(())
    }

    async fn process_partition<H: Handler + ?Sized>(
        &self,
        handler: &H,
        records: Vec<OwnedMessage>,
        stopping: &watch::Receiver<bool>,
    ) -> PartitionOutcome {
        let (topic, partition) = (records[0].topic().to_owned(), records[0].partition());
        let mut dead: BTreeMap<usize, (String, u32)> = BTreeMap::new();
        let mut deliveries = Vec::with_capacity(records.len());
        let mut positions = Vec::with_capacity(records.len());
        for (i, m) in records.iter().enumerate() {
            // Checked as the HTTP intake checks it: a refused event is
            // dead-lettered untried.
            match admit(m) {
                Ok(event) => {
                    deliveries.push(Delivery { event, topic: topic.clone(), partition, offset: m.offset() });
                    positions.push(i);
                }
                Err(reason) => {
                    dead.insert(i, (reason, 0));
                }
            }
        }
        let progress =
            process_partition(handler, &deliveries, &self.settings.retry, stopped(stopping.clone())).await;
        for f in progress.failures {
            dead.insert(positions[f.index], (f.reason, f.attempts));
        }
        record_event_ages(handler.name(), &deliveries[..progress.settled]);
        // Records from the first one unsettled (shutdown during unbounded
        // retries) stay uncommitted.
        let unsettled = positions.get(progress.settled).copied().unwrap_or(records.len());

        // Settle in order: a dead letter that cannot be written stops the
        // commit there, so the record is read again rather than lost.
        let mut next_offset = None;
        let mut dead_lettered = 0;
        for (i, m) in records.iter().enumerate().take(unsettled) {
            if let Some((reason, attempts)) = dead.get(&i) {
                tracing::warn!(handler = handler.name(), %topic, partition, offset = m.offset(), %reason, "dead-lettering");
                if !self.write_dead_letter(m, reason, *attempts, stopped(stopping.clone())).await {
                    break;
                }
                dead_lettered += 1;
            }
            next_offset = Some(m.offset() + 1);
        }
        let settled = next_offset.map_or(0, |n| (n - records[0].offset()) as u64);
        PartitionOutcome { topic, partition, next_offset, handled: settled - dead_lettered, dead_lettered }
    }

    /// Writes one dead letter, retrying until the broker acknowledges it or
    /// shutdown is asked; false if it was not written.
    async fn write_dead_letter(
        &self,
        m: &OwnedMessage,
        reason: &str,
        attempts: u32,
        shutdown: impl Future<Output = ()>,
    ) -> bool {
        let letter = DeadLetterRecord::new(m, &self.settings.group_id, reason, attempts);
        tokio::pin!(shutdown);
        let mut attempt = 1;
        loop {
            let written = match self.dead_letters.enqueue(letter.record()).await {
                Ok(delivery) => self.dead_letters.acknowledged(delivery).await,
                Err(e) => Err(e),
            };
            match written {
                Ok(_) => {
                    metrics::counter!("hrms_dead_letters_total", "topic" => letter.topic.clone())
                        .increment(1);
                    return true;
                }
                Err(e) => {
                    tracing::error!(topic = %letter.topic, error = %Chain(&e), "cannot write dead letter; retrying");
                    metrics::counter!("hrms_dead_letter_failures_total", "topic" => letter.topic.clone())
                        .increment(1);
                    tokio::select! {
                        _ = &mut shutdown => return false,
                        _ = tokio::time::sleep(self.settings.retry.backoff(attempt)) => attempt += 1,
                    }
                }
            }
        }
    }
}

/// Resolves once shutdown was asked.
async fn stopped(mut stopping: watch::Receiver<bool>) {
    // A dropped sender means the consumer is being torn down: stop as well.
    let _ = stopping.wait_for(|stop| *stop).await;
}
