//! The Notification function as a [`Handler`]: each event's deliveries are
//! prepared and recorded durably (in-app ones are then in the inbox) before
//! the handler answers; a [`Dispatcher`] sends the others, retrying with
//! backoff and jitter off the partition's path, so a slow or failing
//! channel never holds back the events behind it. A round sends to up to
//! [`SENDS`] recipients at once, each recipient's mails one after the other
//! in the order they fell due.
//!
//! Many dispatchers may share one store (replicas, the `-events` twin):
//! each claims a delivery ([`NotificationStore::claim`], a conditional
//! write with a [`Lease`]) before sending it, so one of them sends it, and
//! notes the attempt only while it holds the claim; a sent delivery never
//! changes again. A send not noted leaves its claim to lapse, and after the
//! lease another dispatcher sends the delivery again (a mail twice, with
//! the same Message-ID): when the dispatcher dies mid-send, when the note
//! fails [`NOTE_TRIES`] times, or when the send outlasts the lease (a send
//! timeout over half the lease is refused: [`Lease::allows`]).
//!
//! Metrics: `hrms_notifications_total{channel,outcome}` (outcome `sent`;
//! `failed` for every failed attempt, then `retried` or `dead`),
//! `hrms_dead_letters_total{topic}` (dead deliveries written to
//! `notification-queue.dlq`), `hrms_notification_delivered_seconds` (event
//! time to accepted by the channel, a histogram).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use futures::future::BoxFuture;
use hrms_notification::{
    Attempt, Channel, Delivery, Directory, NotificationStore, PrepareError, Preparer, Status, Templates,
};
use tokio::sync::Notify;

use crate::channels::{Email, Mailer, Subscribers, message_id};
use hrms_platform::Chain;
use hrms_platform::consume::{Delivery as Record, Handler, HandlerError, RetryPolicy};
use hrms_platform::publish::{DeadLetter, DeadLetterSink};
use hrms_platform::traces;
use tracing::Instrument;

/// The consumer group of the Notification function.
pub const GROUP: &str = "notification-service";

/// Prepares and records each event's deliveries.
pub struct NotificationHandler {
    pub store: Arc<dyn NotificationStore>,
    pub templates: Arc<Templates>,
    pub directory: Option<Arc<dyn Directory>>,
    /// The webhook subscribers (their subscriptions decide the deliveries).
    pub subscribers: Arc<Subscribers>,
    /// Rung once deliveries wait to be sent.
    pub wake: Arc<Notify>,
}

impl Handler for NotificationHandler {
    fn name(&self) -> &str {
        "notification"
    }

    fn handle<'a>(&'a self, batch: &'a [Record]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let preparer = Preparer {
                store: self.store.as_ref(),
                templates: &self.templates,
                directory: self.directory.as_deref(),
                webhooks: &self.subscribers.webhooks,
            };
            let mut deliveries = Vec::new();
            for record in batch {
                deliveries.extend(preparer.prepare(&record.event).await.map_err(|e| match e {
                    PrepareError::Template(_) | PrepareError::Encode(..) => {
                        HandlerError::permanent("cannot prepare the deliveries", e)
                    }
                    PrepareError::Store(_) | PrepareError::Directory(_) => {
                        HandlerError::transient("cannot prepare the deliveries", e)
                    }
                })?);
            }
            if deliveries.is_empty() {
                return Ok(());
            }
            let events = batch.iter().map(|r| r.event.clone()).collect();
            let stored = self
                .store
                .record(deliveries, events)
                .await
                .map_err(|e| HandlerError::transient("cannot record the deliveries", e))?;
            if stored.iter().any(|d| matches!(d.status, Status::Pending | Status::Failed)) {
                self.wake.notify_one();
            }
            Ok(())
        })
    }
}

/// Tries to note an attempt before leaving it to the lease (about 5 s in all).
pub const NOTE_TRIES: u32 = 12;

/// A dispatcher's claims: who it is, and how long a claim holds.
#[derive(Debug, Clone)]
pub struct Lease {
    /// The dispatcher's name in its claims, unique per dispatcher.
    pub owner: String,
    /// How long a claim holds: longer than any send takes (SMTP and
    /// webhooks time out in seconds), as a crashed dispatcher's claims wait
    /// this long for another.
    pub length: Duration,
}

/// Why `HRMS_DISPATCH_LEASE_MS` was refused.
#[derive(Debug, thiserror::Error)]
#[error("HRMS_DISPATCH_LEASE_MS: {0:?} is not a whole number of milliseconds over 0")]
pub struct BadLease(String);

/// A channel's send timeout too long for the lease.
#[derive(Debug, thiserror::Error)]
#[error("{what} ({timeout:?}) must be at most half the dispatcher's lease ({lease:?})")]
pub struct TimeoutOverLease {
    what: String,
    timeout: Duration,
    lease: Duration,
}

impl Lease {
    /// Refuses a send `timeout` (named `what`, e.g. `HRMS_SMTP_TIMEOUT_MS`)
    /// over half the lease: a send that outlasts the claim is sent twice.
    pub fn allows(&self, what: &str, timeout: Duration) -> Result<(), TimeoutOverLease> {
        if timeout > self.length / 2 {
            return Err(TimeoutOverLease { what: what.to_owned(), timeout, lease: self.length });
        }
        Ok(())
    }
}

impl Lease {
    /// How long a claim holds unless `HRMS_DISPATCH_LEASE_MS` says: three
    /// times the default send timeouts (10 s), so the deliveries a crashed
    /// dispatcher held wait half a minute for another.
    pub const LENGTH: Duration = Duration::from_secs(30);

    /// [`Lease::default`] with the length `HRMS_DISPATCH_LEASE_MS` gives.
    pub fn from_env() -> Result<Self, BadLease> {
        Self::with_setting(std::env::var("HRMS_DISPATCH_LEASE_MS").ok())
    }

    /// [`Lease::default`] with the length `setting` gives in milliseconds
    /// (none or blank: [`Lease::LENGTH`]).
    pub fn with_setting(setting: Option<String>) -> Result<Self, BadLease> {
        let mut lease = Self::default();
        if let Some(v) = setting.filter(|v| !v.trim().is_empty()) {
            let ms = v.trim().parse::<u64>().ok().filter(|ms| *ms > 0).ok_or(BadLease(v))?;
            lease.length = Duration::from_millis(ms);
        }
        Ok(lease)
    }
}

impl Default for Lease {
    /// The host's name and a fresh id; [`Lease::LENGTH`].
    fn default() -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "dispatcher".into());
        Self { owner: format!("{host}/{}", uuid::Uuid::now_v7()), length: Self::LENGTH }
    }
}

/// Deliveries a dispatcher takes in one round.
pub const DUE_BATCH: usize = 256;

/// Recipients a dispatcher sends to at a time. The SMTP pool bounds the
/// mails on the wire (`HRMS_SMTP_POOL_SIZE`); more attempts than that in
/// flight keep it busy while others claim and note theirs in the store
/// (16 made 520-870 mails/s on 2 busy cores where 64 made 1,200).
pub const SENDS: usize = 64;

/// `due` (in the order it is due) as one queue per recipient (channel and
/// address), in the order of each one's first delivery: a round attempts
/// a recipient's deliveries one after the other, in order, and different
/// recipients' at once. A failed one does not hold the next back: it is
/// tried again after its backoff.
fn by_recipient(due: Vec<Delivery>) -> Vec<Vec<Delivery>> {
    let mut queues: Vec<Vec<Delivery>> = Vec::new();
    let mut index: HashMap<(Channel, String), usize> = HashMap::new();
    for d in due {
        match index.entry((d.channel, d.address.clone())) {
            Entry::Occupied(at) => queues[*at.get()].push(d),
            Entry::Vacant(slot) => {
                slot.insert(queues.len());
                queues.push(vec![d]);
            }
        }
    }
    queues
}

/// Sends the recorded deliveries that are due, retries the failed ones, and
/// writes those given up on to `notification-queue.dlq`.
pub struct Dispatcher {
    pub store: Arc<dyn NotificationStore>,
    /// Where dead deliveries' events go (the transport's dead-letter topics).
    pub dead_letters: Arc<dyn DeadLetterSink>,
    pub mailer: Arc<dyn Mailer>,
    pub subscribers: Arc<Subscribers>,
    /// The sender of the mails.
    pub from: String,
    /// Attempts per delivery and the backoff between them (default: 5 over about a minute).
    pub retry: RetryPolicy,
    pub wake: Arc<Notify>,
    /// Its claims on the deliveries it sends.
    pub lease: Lease,
}

impl Dispatcher {
    /// The default retries: 5 attempts, 2 s doubling to at most 30 s, with jitter.
    pub fn retry() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(30),
            ..RetryPolicy::default()
        }
    }

    /// Sends what is due until `shutdown`; looks again when woken or every second.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let due = match self.store.due(Utc::now(), DUE_BATCH).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %Chain(&e), "cannot read the deliveries due");
                    Vec::new()
                }
            };
            let taken = due.len();
            let recorded = futures::stream::iter(by_recipient(due))
                .map(|queue| async move {
                    let mut recorded = 0;
                    for d in queue {
                        recorded += usize::from(self.claim_and_attempt(d).await);
                    }
                    recorded
                })
                .buffer_unordered(SENDS)
                .fold(0, |all, recorded| std::future::ready(all + recorded))
                .await;
            let dead_lettered = self.write_dead_letters().await;
            // More may be due; but when attempts could not be recorded, the
            // same deliveries are due again: wait rather than resend at once.
            if (taken > 0 && recorded == taken) || dead_lettered {
                continue;
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Writes the dead deliveries' events to their dead-letter topic, with
    /// the reason; whether any was written (more may wait). One that cannot
    /// be written stays for the next round.
    async fn write_dead_letters(&self) -> bool {
        let dead = match self.store.dead_letters(64).await {
            Ok(dead) => dead,
            Err(e) => {
                tracing::warn!(error = %Chain(&e), "cannot read the dead deliveries");
                return false;
            }
        };
        let mut written = false;
        for d in dead {
            let letter = DeadLetter {
                event: d.event,
                group: GROUP.to_owned(),
                reason: format!(
                    "{} delivery {} failed: {}",
                    d.delivery.channel.as_str(),
                    d.delivery.id,
                    d.delivery.last_error.as_deref().unwrap_or("given up")
                ),
                attempts: d.delivery.attempts,
            };
            if let Err(e) = self.dead_letters.dead_letter(&letter).await {
                tracing::error!(delivery = %d.delivery.id, error = %Chain(&e), "cannot write a dead letter; retrying");
                metrics::counter!("hrms_dead_letter_failures_total", "topic" => "notification-queue.dlq")
                    .increment(1);
                return written;
            }
            if let Err(e) = self.store.dead_lettered(d.delivery.id).await {
                // Written again next round: a duplicate dead letter, never a lost one.
                tracing::warn!(delivery = %d.delivery.id, error = %Chain(&e), "cannot note a dead letter written");
                return written;
            }
            written = true;
        }
        written
    }

    /// Claims `d` and tries it once; whether it was settled here (claimed
    /// by another dispatcher counts: it is not due here any more).
    async fn claim_and_attempt(&self, d: Delivery) -> bool {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(self.lease.length).unwrap_or(chrono::Duration::MAX);
        match self.store.claim(d.id, &self.lease.owner, now, until).await {
            Ok(Some(claimed)) => self.attempt(claimed).await,
            Ok(None) => true,
            Err(e) => {
                tracing::warn!(delivery = %d.id, error = %Chain(&e), "cannot claim a delivery");
                false
            }
        }
    }

    /// Tries `d` (claimed) once; whether the attempt was recorded.
    async fn attempt(&self, d: Delivery) -> bool {
        // In the trace of the event's handling, when this process handled it.
        let span = traces::after(&format!("send {}", d.channel.as_str()), d.event_id);
        let sent = async {
            match d.channel {
                Channel::Email => {
                    let email = Email {
                        from: self.from.clone(),
                        to: d.address.clone(),
                        subject: d.subject.clone(),
                        text: d.text.clone(),
                        html: Some(d.html.clone()),
                        message_id: message_id(d.event_id, d.channel.as_str(), &d.address),
                    };
                    self.mailer.send(&email).await
                }
                Channel::InApp => Ok(()),
                Channel::Webhook => self.subscribers.send(&d.address, &d.id.to_string(), &d.text).await,
            }
        }
        .instrument(span.clone())
        .await;
        if let Err(e) = &sent {
            traces::failed(&span, &Chain(e).to_string());
        }
        let attempts = d.attempts + 1;
        let channel = d.channel.as_str();
        if sent.is_err() {
            metrics::counter!("hrms_notifications_total", "channel" => channel, "outcome" => "failed")
                .increment(1);
        }
        let delay = (Utc::now() - d.event_time).num_microseconds().unwrap_or(0).max(0) as f64 / 1e6;
        let attempt = match sent {
            Ok(()) => Attempt { status: Status::Sent, attempts, last_error: None, next_attempt_at: None },
            Err(e) if e.is_transient() && attempts < self.retry.max_attempts => {
                metrics::counter!("hrms_notifications_total", "channel" => channel, "outcome" => "retried")
                    .increment(1);
                tracing::warn!(delivery = %d.id, attempts, error = %Chain(&e), "delivery failed; retrying");
                let pause = chrono::Duration::from_std(self.retry.backoff(attempts)).unwrap_or_default();
                Attempt {
                    status: Status::Failed,
                    attempts,
                    last_error: Some(Chain(&e).to_string()),
                    next_attempt_at: Some(Utc::now() + pause),
                }
            }
            Err(e) => {
                metrics::counter!("hrms_notifications_total", "channel" => channel, "outcome" => "dead")
                    .increment(1);
                tracing::error!(delivery = %d.id, attempts, error = %Chain(&e), "delivery given up");
                Attempt {
                    status: Status::Dead,
                    attempts,
                    last_error: Some(Chain(&e).to_string()),
                    next_attempt_at: None,
                }
            }
        };
        let noted = self.note(d.id, &attempt).await;
        if noted == Some(true) && attempt.status == Status::Sent {
            // Counted once noted: a send not noted is sent again.
            metrics::histogram!("hrms_notification_delivered_seconds", "channel" => channel).record(delay);
            metrics::counter!("hrms_notifications_total", "channel" => channel, "outcome" => "sent")
                .increment(1);
        }
        noted.is_some()
    }

    /// Notes `attempt`, trying again for a while if the store fails: a send
    /// not noted is sent again once the lease is over. Whether it was
    /// noted (`Some(false)`: not, the claim being lost), `None` if the
    /// store kept failing.
    async fn note(&self, id: uuid::Uuid, attempt: &Attempt) -> Option<bool> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.store.attempted(id, &self.lease.owner, attempt).await {
                Ok(true) => return Some(true),
                Ok(false) => {
                    // The lease ran out during the send and another claimed
                    // it (or an earlier try noted it, its reply lost).
                    tracing::warn!(delivery = %id, "a delivery's claim was lost before its attempt was noted");
                    return Some(false);
                }
                Err(e) if tries < NOTE_TRIES => {
                    tracing::warn!(delivery = %id, tries, error = %Chain(&e), "cannot record a delivery attempt; retrying");
                    tokio::time::sleep(Duration::from_millis(50) * tries).await;
                }
                Err(e) => {
                    // It stays claimed and is tried again when the lease
                    // ends: a mail may then go twice, with the same
                    // Message-ID for the receiver to spot.
                    tracing::error!(delivery = %id, error = %Chain(&e), "cannot record a delivery attempt");
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
