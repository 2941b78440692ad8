//! An in-memory bus with the semantics of the Kafka transport (topics,
//! consumer groups with their own cursors, batches, dead letters), so that
//! `hrms dev` and unit tests run without a broker.
//!
//! ```
//! # use hrms_platform::inprocess::InProcessBus;
//! # use hrms_platform::EventPublisher;
//! # async fn demo() {
//! let bus = InProcessBus::default();
//! let event = hrms_events::fixtures::sample(hrms_events::EventType::UserCreated);
//! bus.publish_all(std::slice::from_ref(&event)).await.unwrap();
//! assert_eq!(bus.backlog("notification-queue", "notification-service"), 1);
//! # }
//! ```
//!
//! Each topic is one partition. Records are kept until every group that has
//! subscribed to the topic has passed them. Consumers check each event as
//! the Kafka consumers and the HTTP intake do (`hrms_events::checks`): one
//! refused is dead-lettered untried, its reason `refused: <attribute>: ...`.
//!
//! Like the Kafka consumer, the bus exports the gauge
//! `hrms_consumer_lag{group,topic,partition}`: the records of the topic that
//! the group has not passed yet (partition `0`), set whenever a group
//! subscribes, its cursor moves, or a record is published.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use tokio::sync::Notify;

use crate::consume::{Delivery, Handler, RetryPolicy, process_partition, record_event_ages};
use crate::publish::{self, DeadLetterSink, EventPublisher, PublishError};

/// How an in-process consumer batches.
#[derive(Debug, Clone, Copy)]
pub struct BatchSettings {
    pub max_records: usize,
    pub max_wait: Duration,
    pub retry: RetryPolicy,
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self { max_records: 500, max_wait: Duration::from_millis(20), retry: RetryPolicy::default() }
    }
}

/// A record the consumer gave up on, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub delivery: Delivery,
    pub reason: String,
    pub attempts: u32,
}

#[derive(Default)]
struct TopicLog {
    records: VecDeque<HrmsEvent>,
    /// Offset of `records[0]`.
    first_offset: i64,
    cursors: HashMap<String, i64>,
    dead_letters: Vec<DeadLetter>,
    notify: Arc<Notify>,
}

impl TopicLog {
    fn end_offset(&self) -> i64 {
        self.first_offset + self.records.len() as i64
    }

    /// Sets `hrms_consumer_lag` of every group subscribed to this topic.
    fn report_lag(&self, topic: &str) {
        let end = self.end_offset();
        for (group, cursor) in &self.cursors {
            metrics::gauge!("hrms_consumer_lag", "group" => group.clone(), "topic" => topic.to_owned(), "partition" => "0")
                .set((end - cursor) as f64);
        }
    }

    /// Drops what every subscribed group has passed.
    fn trim(&mut self) {
        let Some(min) = self.cursors.values().min().copied() else { return };
        while self.first_offset < min && self.records.pop_front().is_some() {
            self.first_offset += 1;
        }
    }
}

/// The in-memory bus; cheap to clone, all clones share the topics.
#[derive(Clone, Default)]
pub struct InProcessBus {
    topics: Arc<Mutex<HashMap<String, TopicLog>>>,
}

impl InProcessBus {
    fn topics(&self) -> MutexGuard<'_, HashMap<String, TopicLog>> {
        // A panic while holding the lock leaves plain data behind; keep going.
        self.topics.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records of `topic` that `group` has not handled yet.
    pub fn backlog(&self, topic: &str, group: &str) -> i64 {
        let topics = self.topics();
        let Some(log) = topics.get(topic) else { return 0 };
        log.end_offset() - log.cursors.get(group).copied().unwrap_or(log.first_offset)
    }

    /// What consumers of `topic` dead-lettered.
    pub fn dead_letters(&self, topic: &str) -> Vec<DeadLetter> {
        self.topics().get(topic).map(|log| log.dead_letters.clone()).unwrap_or_default()
    }

    fn subscribe(&self, topic: &str, group: &str) -> Arc<Notify> {
        let mut topics = self.topics();
        let log = topics.entry(topic.to_owned()).or_default();
        let start = log.first_offset;
        log.cursors.entry(group.to_owned()).or_insert(start);
        log.report_lag(topic);
        log.notify.clone()
    }

    fn next_batch(&self, topic: &str, group: &str, max: usize) -> Vec<Delivery> {
        let topics = self.topics();
        let Some(log) = topics.get(topic) else { return Vec::new() };
        let cursor = log.cursors.get(group).copied().unwrap_or(log.first_offset);
        let skip = (cursor - log.first_offset).max(0) as usize;
        log.records
            .iter()
            .skip(skip)
            .take(max)
            .enumerate()
            .map(|(i, event)| Delivery {
                event: event.clone(),
                topic: topic.to_owned(),
                partition: 0,
                offset: cursor + i as i64,
            })
            .collect()
    }

    fn commit(&self, topic: &str, group: &str, next: i64, dead: Vec<DeadLetter>) {
        let mut topics = self.topics();
        let log = topics.entry(topic.to_owned()).or_default();
        log.cursors.insert(group.to_owned(), next);
        log.dead_letters.extend(dead);
        log.trim();
        log.report_lag(topic);
    }

    /// Runs `handler` as consumer group `group` of `topic` until `shutdown`
    /// resolves; the batch in hand is finished first, except records under
    /// unbounded retries ([`OnTransient::Retry`](crate::consume::OnTransient::Retry)),
    /// which stay for the group's next consumer.
    pub async fn consume<H: Handler + ?Sized>(
        &self,
        topic: &str,
        group: &str,
        handler: &H,
        settings: BatchSettings,
        shutdown: impl Future<Output = ()>,
    ) {
        let notify = self.subscribe(topic, group);
        // Shared: awaited in several places, and again once resolved.
        let shutdown = shutdown.shared();
        loop {
            if shutdown.peek().is_some() {
                return;
            }
            let waiting = notify.notified();
            let mut batch = self.next_batch(topic, group, settings.max_records);
            if batch.is_empty() {
                tokio::select! {
                    _ = shutdown.clone() => return,
                    _ = waiting => continue,
                }
            }
            if batch.len() < settings.max_records {
                // Give a burst a moment to fill the batch.
                tokio::select! {
                    _ = tokio::time::sleep(settings.max_wait) => {}
                    _ = shutdown.clone() => {}
                }
                batch = self.next_batch(topic, group, settings.max_records);
            }
            // Checked as the Kafka consumers and the HTTP intake check it
            // (`hrms_events::checks`): a refused event is dead-lettered untried.
            let now = chrono::Utc::now();
            let (mut admitted, mut refused) = (Vec::with_capacity(batch.len()), Vec::new());
            for d in &batch {
                match hrms_events::checks::check(&d.event, now) {
                    Ok(()) => admitted.push(d.clone()),
                    Err(why) => refused.push((d.clone(), format!("refused: {why}"))),
                }
            }
            let progress = process_partition(handler, &admitted, &settings.retry, shutdown.clone()).await;
            let settled = &admitted[..progress.settled];
            record_event_ages(handler.name(), settled);
            // Up to the first record left unsettled (all of them if none).
            let next = match admitted.get(progress.settled) {
                Some(unsettled) => unsettled.offset,
                None => batch.last().map_or(0, |d| d.offset + 1),
            };
            let mut dead: Vec<DeadLetter> = progress
                .failures
                .into_iter()
                .map(|f| DeadLetter {
                    delivery: admitted[f.index].clone(),
                    reason: f.reason,
                    attempts: f.attempts,
                })
                .collect();
            let failed = dead.len();
            dead.extend(
                refused.into_iter().filter(|(d, _)| d.offset < next).map(|(delivery, reason)| DeadLetter {
                    delivery,
                    reason,
                    attempts: 0,
                }),
            );
            dead.sort_by_key(|d| d.delivery.offset);
            for d in &dead {
                tracing::warn!(handler = handler.name(), event_id = %d.delivery.event.id, reason = %d.reason, "dead-lettered");
            }
            metrics::counter!("hrms_consumer_records_total", "group" => group.to_owned(), "outcome" => "dead_lettered")
                .increment(dead.len() as u64);
            metrics::counter!("hrms_consumer_records_total", "group" => group.to_owned(), "outcome" => "handled")
                .increment((settled.len() - failed) as u64);
            if batch.first().is_some_and(|first| next > first.offset) {
                self.commit(topic, group, next, dead);
            }
        }
    }
}

impl EventPublisher for InProcessBus {
    fn publish<'a>(&'a self, events: &'a [HrmsEvent]) -> BoxFuture<'a, Vec<Result<(), PublishError>>> {
        Box::pin(async move {
            // Per topic touched: how many events, and its consumers' wake-up.
            let mut touched: Vec<(&str, u64, Arc<Notify>)> = Vec::new();
            {
                let mut topics = self.topics();
                for event in events {
                    let topic = event.topic();
                    let log = match topics.get_mut(topic) {
                        Some(log) => log,
                        None => topics.entry(topic.to_owned()).or_default(),
                    };
                    log.records.push_back(event.clone());
                    match touched.iter_mut().find(|(t, ..)| *t == topic) {
                        Some((_, n, _)) => *n += 1,
                        None => touched.push((topic, 1, log.notify.clone())),
                    }
                }
                for (topic, ..) in &touched {
                    if let Some(log) = topics.get(*topic) {
                        log.report_lag(topic);
                    }
                }
            }
            for (topic, n, notify) in touched {
                metrics::counter!("hrms_events_published_total", "topic" => topic).increment(n);
                notify.notify_waiters();
            }
            events.iter().map(|_| Ok(())).collect()
        })
    }
}

impl DeadLetterSink for InProcessBus {
    fn dead_letter<'a>(&'a self, letter: &'a publish::DeadLetter) -> BoxFuture<'a, Result<(), PublishError>> {
        let topic = letter.event.topic();
        let dead = DeadLetter {
            delivery: Delivery {
                event: letter.event.clone(),
                topic: topic.to_owned(),
                partition: 0,
                offset: -1,
            },
            reason: letter.reason.clone(),
            attempts: letter.attempts,
        };
        self.topics().entry(topic.to_owned()).or_default().dead_letters.push(dead);
        metrics::counter!("hrms_dead_letters_total", "topic" => hrms_events::topics::dlq_name(topic))
            .increment(1);
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consume::tests::Recorder;
    use crate::testing::{metric, recorder, until};
    use hrms_events::{EventType, fixtures};

    #[tokio::test]
    async fn groups_each_get_every_event_in_order_and_the_log_is_trimmed() {
        let bus = InProcessBus::default();
        let (a, b) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        for (group, handler) in [("a", a.clone()), ("b", b.clone())] {
            let (bus, mut stop) = (bus.clone(), stop_rx.clone());
            tasks.push(tokio::spawn(async move {
                let shutdown = async move { while stop.changed().await.is_ok() && !*stop.borrow() {} };
                bus.consume("notification-queue", group, &*handler, BatchSettings::default(), shutdown).await;
            }));
        }
        until(Duration::from_secs(5), || {
            bus.topics().get("notification-queue").is_some_and(|l| l.cursors.len() == 2)
        })
        .await;
        let events: Vec<_> = (0..50).map(|_| fixtures::sample(EventType::LeaveRequested)).collect();
        bus.publish_all(&events).await.expect("published");
        until(Duration::from_secs(5), || {
            bus.backlog("notification-queue", "a") == 0 && bus.backlog("notification-queue", "b") == 0
        })
        .await;
        for handler in [&a, &b] {
            let ids: Vec<_> = handler.handled.lock().unwrap().iter().map(|d| d.event.id).collect();
            assert_eq!(ids, events.iter().map(|e| e.id).collect::<Vec<_>>());
        }
        assert!(bus.topics()["notification-queue"].records.is_empty());
        stop_tx.send(true).expect("consumers listening");
        for t in tasks {
            t.await.expect("consumer stopped cleanly");
        }
    }

    #[tokio::test]
    async fn a_poison_event_is_dead_lettered_and_the_rest_handled() {
        let bus = InProcessBus::default();
        let events: Vec<_> = (0..5).map(|_| fixtures::sample(EventType::AuditLeaveApproved)).collect();
        let handler = Recorder::default();
        handler.poison.lock().unwrap().insert(events[1].id);
        bus.publish_all(&events).await.expect("published");
        let settings = BatchSettings {
            retry: RetryPolicy { max_attempts: 2, ..RetryPolicy::default() },
            ..Default::default()
        };
        let stop = async { until(Duration::from_secs(5), || bus.backlog("audit-queue", "audit") == 0).await };
        bus.consume("audit-queue", "audit", &handler, settings, stop).await;
        assert_eq!(handler.handled.lock().unwrap().len(), 4);
        let dead = bus.dead_letters("audit-queue");
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].delivery.event.id, events[1].id);
    }

    #[tokio::test]
    async fn events_the_checks_refuse_are_dead_lettered_untried_and_the_cursor_passes_them() {
        let bus = InProcessBus::default();
        let marked = || fixtures::sample(EventType::AttendanceMarked);
        let mut future = marked();
        future.time += chrono::TimeDelta::days(1);
        let mut huge = marked();
        if let hrms_events::Payload::AttendanceMarked(p) = &mut huge.payload {
            p.worked_minutes = Some(i64::MAX);
        }
        let events = [marked(), future, marked(), huge];
        bus.publish_all(&events).await.expect("published");
        let handler = Recorder::default();
        let stop = async {
            until(Duration::from_secs(5), || bus.backlog("notification-queue", "checks") == 0).await
        };
        bus.consume("notification-queue", "checks", &handler, BatchSettings::default(), stop).await;
        let handled: Vec<_> = handler.handled.lock().unwrap().iter().map(|d| d.event.id).collect();
        assert_eq!(handled, [events[0].id, events[2].id]);
        let dead: Vec<_> = bus
            .dead_letters("notification-queue")
            .into_iter()
            .map(|d| {
                (d.delivery.event.id, d.reason.split(':').take(2).collect::<Vec<_>>().join(":"), d.attempts)
            })
            .collect();
        assert_eq!(
            dead,
            [
                (events[1].id, "refused: time".to_owned(), 0),
                (events[3].id, "refused: data.worked_minutes".to_owned(), 0)
            ]
        );
    }

    #[tokio::test]
    async fn the_lag_gauge_follows_publishing_and_the_group_cursor() {
        let recorder = recorder();
        let metrics = recorder.handle();
        let _local = metrics::set_default_local_recorder(&recorder);
        let lag = || {
            let labels = [("group", "audit"), ("topic", "audit-queue"), ("partition", "0")];
            metric(&metrics.render(), "hrms_consumer_lag", &labels)
        };
        let bus = InProcessBus::default();
        let events: Vec<_> = (0..3).map(|_| fixtures::sample(EventType::AuditLeaveApproved)).collect();
        bus.publish_all(&events).await.expect("published");
        assert_eq!(lag(), None, "no group yet");

        {
            // A member that takes a batch and never finishes it.
            let stuck = Recorder { hang: true, ..Default::default() };
            let settings = BatchSettings { max_records: 2, max_wait: Duration::ZERO, ..Default::default() };
            let consuming = bus.consume("audit-queue", "audit", &stuck, settings, std::future::pending());
            tokio::pin!(consuming);
            tokio::select! {
                _ = &mut consuming => panic!("the consumer returned"),
                _ = until(Duration::from_secs(5), || !stuck.handled.lock().unwrap().is_empty()) => {}
            }
            assert_eq!(lag(), Some(3.0), "subscribed, nothing committed");
            bus.publish_all(&events[..1]).await.expect("published");
            assert_eq!(lag(), Some(4.0), "published");
        }

        let handler = Recorder::default();
        let settings = BatchSettings { max_records: 2, max_wait: Duration::ZERO, ..Default::default() };
        let caught_up = until(Duration::from_secs(5), || bus.backlog("audit-queue", "audit") == 0);
        bus.consume("audit-queue", "audit", &handler, settings, caught_up).await;
        assert_eq!(handler.handled.lock().unwrap().len(), 4);
        assert_eq!(lag(), Some(0.0), "the cursor moved to the end");
    }

    #[tokio::test]
    async fn with_unbounded_retries_an_outage_dead_letters_nothing() {
        let bus = InProcessBus::default();
        let events: Vec<_> = (0..5).map(|_| fixtures::sample(EventType::AuditLeaveApproved)).collect();
        bus.publish_all(&events).await.expect("published");
        // The store is down for 12 attempts; records are dead-lettered after 2.
        let handler = Recorder { transient_failures: Mutex::new(12), ..Default::default() };
        let retry = RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            ..RetryPolicy::default()
        };
        let settings = BatchSettings { retry: retry.retry_transient_forever(), ..Default::default() };
        let stop = until(Duration::from_secs(5), || bus.backlog("audit-queue", "audit") == 0);
        bus.consume("audit-queue", "audit", &handler, settings, stop).await;
        assert_eq!(handler.handled.lock().unwrap().len(), 5);
        assert!(bus.dead_letters("audit-queue").is_empty());
    }

    #[tokio::test]
    async fn shutdown_ends_unbounded_retries_and_leaves_the_batch_to_the_next_consumer() {
        let bus = InProcessBus::default();
        let events: Vec<_> = (0..3).map(|_| fixtures::sample(EventType::AuditLeaveApproved)).collect();
        bus.publish_all(&events).await.expect("published");
        let down = Recorder { transient_failures: Mutex::new(u32::MAX), ..Default::default() };
        let retry = RetryPolicy { initial_backoff: Duration::from_millis(1), ..RetryPolicy::default() };
        let settings = BatchSettings { retry: retry.retry_transient_forever(), ..Default::default() };
        let stop = until(Duration::from_secs(5), || *down.calls.lock().unwrap() > 6);
        tokio::time::timeout(
            Duration::from_secs(10),
            bus.consume("audit-queue", "audit", &down, settings, stop),
        )
        .await
        .expect("stopped promptly");
        assert_eq!(bus.backlog("audit-queue", "audit"), 3, "nothing committed");
        assert!(bus.dead_letters("audit-queue").is_empty());

        let up = Recorder::default();
        let stop = until(Duration::from_secs(5), || bus.backlog("audit-queue", "audit") == 0);
        bus.consume("audit-queue", "audit", &up, settings, stop).await;
        assert_eq!(up.handled.lock().unwrap().len(), 3);
    }
}
