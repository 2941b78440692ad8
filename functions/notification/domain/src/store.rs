//! Where the Notification function keeps contacts, preferences and
//! deliveries.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use uuid::Uuid;

use crate::contacts::{Contact, ContactUpdate};
use crate::delivery::{Delivery, Status};
use crate::preferences::Preferences;

/// What a store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store is unreachable or failed; nothing was written. The source
    /// says why, down to the database's error.
    #[error("notification store unavailable")]
    Unavailable(#[source] hrms_platform::error::BoxError),
}

/// How a delivery attempt went.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub status: Status,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery given up on (dead), with the event it came from, waiting to
/// be written to the event's dead-letter topic.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadDelivery {
    pub delivery: Delivery,
    pub event: HrmsEvent,
}

/// The Notification function's storage.
pub trait NotificationStore: Send + Sync {
    /// Applies `update` to the contact with its user or employee id (one
    /// contact once an event names both).
    fn learn<'a>(&'a self, update: &'a ContactUpdate) -> BoxFuture<'a, Result<(), StoreError>>;

    fn contact_by_user(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<Contact>, StoreError>>;

    fn contact_by_employee(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Contact>, StoreError>>;

    /// Active contacts whose account has the role hr.
    fn hr(&self) -> BoxFuture<'_, Result<Vec<Contact>, StoreError>>;

    /// A user's preferences (none set: the default).
    fn preferences(&self, user_id: Uuid) -> BoxFuture<'_, Result<Preferences, StoreError>>;

    fn set_preferences<'a>(
        &'a self,
        user_id: Uuid,
        preferences: &'a Preferences,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Records each delivery whose id is not recorded yet, durably, and
    /// returns all of them as stored: one recorded before keeps its status,
    /// so a redelivered event sends nothing twice; a dead one is tried again
    /// from the start (a redrive). `events` are those the deliveries came
    /// from: each is kept while a delivery of it is still to be sent, for
    /// its dead letter.
    fn record(
        &self,
        deliveries: Vec<Delivery>,
        events: Vec<HrmsEvent>,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>>;

    /// Claims delivery `id` for dispatcher `owner` until `until`, in one
    /// conditional write that succeeds only if the delivery is claimable at
    /// `now` ([`Delivery::claimable`]: waiting, due, and unclaimed or its
    /// lease over): of dispatchers claiming it at once, one gets it. The
    /// delivery as claimed, or `None` (not claimable, or another got it).
    fn claim<'a>(
        &'a self,
        id: Uuid,
        owner: &'a str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Delivery>, StoreError>>;

    /// Notes `owner`'s attempt at delivery `id` and releases the claim, in
    /// one conditional write that succeeds only while `owner` holds the
    /// claim and the delivery waits for an attempt: a sent delivery never
    /// changes state again. Whether it was noted. A delivery that ends
    /// [`Status::Dead`] waits, in the same write, among the
    /// [`dead_letters`](Self::dead_letters).
    fn attempted<'a>(
        &'a self,
        id: Uuid,
        owner: &'a str,
        attempt: &'a Attempt,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Dead deliveries not yet in the dead-letter topic, oldest first.
    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadDelivery>, StoreError>>;

    /// Notes that dead delivery `id` is in the dead-letter topic.
    fn dead_lettered(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Deliveries claimable at `now` ([`Delivery::claimable`]), oldest due first.
    fn due(&self, now: DateTime<Utc>, limit: usize) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>>;

    fn get(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Delivery>, StoreError>>;

    /// A user's inbox (in-app deliveries), newest first.
    fn inbox(&self, user_id: Uuid, limit: usize) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>>;

    /// Marks an inbox delivery of `user_id` read; false if there is none.
    fn mark_read(&self, id: Uuid, user_id: Uuid) -> BoxFuture<'_, Result<bool, StoreError>>;
}

/// The Notification store retries the writes whose condition failed; a
/// failure left over is one like any other.
impl From<hrms_platform::StoreFailure> for StoreError {
    fn from(failure: hrms_platform::StoreFailure) -> Self {
        Self::Unavailable(failure.into())
    }
}
