//! The Notification store on DynamoDB (table `<prefix>notification`):
//! contacts, preferences, deliveries with their copies in the listings the
//! dispatcher and the inbox read, dead letters, and the events still needed
//! for them. Every listing is one strongly consistent `Query` of a
//! partition written in the transaction of the change, so the dispatcher
//! never sees a delivery as due after its attempt is recorded.
//!
//! # Items
//! | item | `pk` | `sk` | attributes |
//! | --- | --- | --- | --- |
//! | contact, by account | `USER#<user id>` | `CONTACT` | `record` ([`Contact`] JSON), `version` N |
//! | contact, by employee record | `EMPLOYEE#<employee id>` | `CONTACT` | `record`, `version` N |
//! | active hr contact | `HR` | `<user id>` | `record` |
//! | preferences | `USER#<user id>` | `PREFERENCES` | `record` ([`Preferences`] JSON) |
//! | delivery | `DELIVERY#<delivery id>` | `DELIVERY` | `record` ([`Delivery`] JSON), `version` N, `sent_at` once sent |
//! | … due (pending or failed) | `DUE` | `<next claimable>#<delivery id>` | `record` |
//! | … in its owner's inbox | `INBOX#<user id>` | `<created>#<delivery id>` | `record` |
//! | … dead, not yet in the topic | `DEAD` | `<failed>#<delivery id>` | `record`, `event_id` |
//! | kept event | `EVENT#<event id>` | `EVENT` | `event` (structured CloudEvent JSON), `waiting` (SS of delivery ids) |
//!
//! Times in sort keys are RFC 3339 in UTC to the microsecond, so they sort
//! as text. A contact known by both ids has a copy under each key, written
//! together on one `version`; a learn reads the copies, merges as the
//! SQLite store does, and writes every copy it changes (deleting those of
//! ids the contact lost) on the versions read, and its `HR` item. A
//! delivery's copies follow its status: `DUE` while it waits for an
//! attempt, `DEAD` from its last attempt until `dead_lettered`, `INBOX` for
//! in-app ones; each write of the delivery is conditioned on its `version`
//! and moves them in the same transaction. A dispatcher's claim and its
//! attempt are such writes, conditioned as well on the item having no
//! `sent_at` (`attribute_not_exists`): a sent delivery is final; a claimed
//! one sits in `DUE` at its lease's end, when another may claim it. An event is kept while `waiting`
//! names a delivery that may still need it (pending, failed, or dead and
//! not yet in the topic); the write that takes the last one out is followed
//! by a delete conditioned on `waiting` being gone.
//!
//! A write that loses a race (a failed condition) is read and made again, a
//! few times. `due` is polled every second: one `Query` of `DUE`, which one
//! partition takes at about 1,000 writes a second (two per e-mail or
//! webhook), far beyond an HR system's notices.
//!
//! # Layout
//! This file owns the keys, items and writes; `contacts` the contacts,
//! their `HR` items and the preferences; `deliveries` the deliveries and
//! their copies; `events` the kept events and the dead letters.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_notification::contacts::{Contact, ContactUpdate};
use hrms_notification::{Attempt, DeadDelivery, Delivery, NotificationStore, Preferences, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use uuid::Uuid;

use hrms_dynamodb::{Failure, Item, MAX_TRANSACTION_ITEMS, get_item, s, string};
use hrms_platform::store::StoreContext;

mod contacts;
mod deliveries;
mod events;

/// Writes in flight at once, by default.
const WRITERS: usize = 16;
/// Tries of a write that keeps losing races.
const TRIES: usize = 5;
/// What a failed condition means, for every item of a transaction.
const CHANGED: [&str; MAX_TRANSACTION_ITEMS] =
    ["a notification item changed since it was read"; MAX_TRANSACTION_ITEMS];

/// Contacts, preferences and deliveries in the function's table.
#[derive(Clone)]
pub struct DynamoNotificationStore {
    client: Client,
    table: String,
    writers: Arc<Semaphore>,
}

/// What a write expects of the item it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Anything,
    Absent,
    Version(u64),
    /// That version, and not sent (no `sent_at`): a sent delivery is final.
    Unsent(u64),
}

impl Expect {
    /// The condition expression, and the values it names.
    fn condition(self) -> (Option<String>, Option<HashMap<String, AttributeValue>>) {
        match self {
            Self::Anything => (None, None),
            Self::Absent => (Some("attribute_not_exists(pk)".into()), None),
            Self::Version(v) => (Some("version = :v".into()), Some(HashMap::from([(":v".into(), n(v))]))),
            Self::Unsent(v) => (
                Some("version = :v AND attribute_not_exists(sent_at)".into()),
                Some(HashMap::from([(":v".into(), n(v))])),
            ),
        }
    }
}

/// A record as read, with the version its next write is conditioned on.
#[derive(Debug, Clone)]
struct Stored<T> {
    value: T,
    version: u64,
}

impl DynamoNotificationStore {
    /// The store in `table` (see [`hrms_dynamodb::ensure_table`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), writers: Arc::new(Semaphore::new(WRITERS)) }
    }

    /// Makes at most `writers` writes at once (default 16; 1 on moto, which
    /// cannot take a write to a table during a transaction on it).
    pub fn with_writers(mut self, writers: usize) -> Self {
        self.writers = Arc::new(Semaphore::new(writers.max(1)));
        self
    }

    /// Whether the table answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(hrms_dynamodb::ping(&self.client, &self.table).await?)
    }

    /// A put of `item` if the stored one is as `expect`ed.
    fn put(&self, item: Item, expect: Expect) -> Result<TransactWriteItem, Failure> {
        let (condition, values) = expect.condition();
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = put.set_condition_expression(condition).set_expression_attribute_values(values);
        Ok(TransactWriteItem::builder().put(put.build().map_err(hrms_dynamodb::error::build)?).build())
    }

    /// A delete of `key` if the stored item is as `expect`ed.
    fn delete(&self, key: Item, expect: Expect) -> Result<TransactWriteItem, Failure> {
        let (condition, values) = expect.condition();
        let delete = Delete::builder().table_name(&self.table).set_key(Some(key));
        let delete = delete.set_condition_expression(condition).set_expression_attribute_values(values);
        Ok(TransactWriteItem::builder().delete(delete.build().map_err(hrms_dynamodb::error::build)?).build())
    }

    /// Writes `items` in one transaction (nothing when there are none).
    async fn commit(&self, items: Vec<TransactWriteItem>) -> Result<(), Failure> {
        if items.is_empty() {
            return Ok(());
        }
        let _permit = self.writers.acquire().await.context("waiting for a writer")?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| hrms_dynamodb::error::from_transaction(e, &CHANGED))?;
        Ok(())
    }

    /// The record at `key` and its version.
    async fn stored<T: DeserializeOwned>(&self, key: Item, what: &str) -> Result<Option<Stored<T>>, Failure> {
        let item = get_item(&self.client, &self.table, key, what).await?;
        item.map(|item| Ok(Stored { value: record(&item)?, version: version(&item)? })).transpose()
    }
}

/// Runs `write` again while it loses a race, up to [`TRIES`] times.
async fn retrying<T, F, Fut>(mut write: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    for _ in 1..TRIES {
        match write().await {
            Err(Failure::Conflict(_)) => continue,
            done => return Ok(done?),
        }
    }
    write().await.map_err(|e| Failure::unavailable(format!("contended after {TRIES} tries"), e).into())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A time as it sorts in keys.
fn sortable(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn json<T: Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string(value).context("cannot encode a record")
}

/// The `record` of `item`.
fn record<T: DeserializeOwned>(item: &Item) -> Result<T, Failure> {
    serde_json::from_str(string(item, "record")?).context("unreadable notification record")
}

/// `key` with `record` set to `body`.
fn with_record(mut key: Item, body: &str) -> Item {
    key.insert("record".into(), s(body));
    key
}

fn version(item: &Item) -> Result<u64, Failure> {
    match item.get("version") {
        Some(AttributeValue::N(v)) => v.parse().with_context(|| format!("unreadable version {v}")),
        _ => Err(Failure::unusable("item without version")),
    }
}

impl NotificationStore for DynamoNotificationStore {
    fn learn<'a>(&'a self, update: &'a ContactUpdate) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(retrying(move || self.learn_once(update)))
    }

    fn contact_by_user(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<Contact>, StoreError>> {
        Box::pin(async move { Ok(self.contact(contacts::user_key(user_id)).await?.map(|c| c.value)) })
    }

    fn contact_by_employee(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Contact>, StoreError>> {
        Box::pin(async move { Ok(self.contact(contacts::employee_key(employee_id)).await?.map(|c| c.value)) })
    }

    fn hr(&self) -> BoxFuture<'_, Result<Vec<Contact>, StoreError>> {
        Box::pin(async move { Ok(self.hr_contacts().await?) })
    }

    fn preferences(&self, user_id: Uuid) -> BoxFuture<'_, Result<Preferences, StoreError>> {
        Box::pin(async move { Ok(self.read_preferences(user_id).await?) })
    }

    fn set_preferences<'a>(
        &'a self,
        user_id: Uuid,
        preferences: &'a Preferences,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { Ok(self.write_preferences(user_id, preferences).await?) })
    }

    fn record(
        &self,
        deliveries: Vec<Delivery>,
        events: Vec<HrmsEvent>,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        Box::pin(async move { retrying(|| self.record_once(&deliveries, &events)).await })
    }

    fn claim<'a>(
        &'a self,
        id: Uuid,
        owner: &'a str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Delivery>, StoreError>> {
        Box::pin(async move {
            for _ in 0..TRIES {
                match self.claim_once(id, owner, now, until).await {
                    Err(Failure::Conflict(_)) => continue,
                    done => return Ok(done?),
                }
            }
            // Other dispatchers kept writing it: not claimed here.
            Ok(None)
        })
    }

    fn attempted<'a>(
        &'a self,
        id: Uuid,
        owner: &'a str,
        attempt: &'a Attempt,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let (noted, event) = match retrying(|| self.attempt_once(id, owner, attempt)).await? {
                Some(sent) => (true, sent),
                // Not noted now; but if an earlier try of this note was (its
                // reply lost), its event may still wait for the delete.
                None => (false, self.sent_already(id, attempt).await?),
            };
            if let Some(event) = event {
                // Best effort: the attempt is noted; the event item stays
                // until a later delete (its deliveries' last) goes through.
                if let Err(e) = self.forget_when_done(event).await {
                    tracing::warn!(%event, error = %hrms_platform::Chain(&e), "cannot delete a sent delivery's event");
                }
            }
            Ok(noted)
        })
    }

    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadDelivery>, StoreError>> {
        Box::pin(async move { Ok(self.read_dead_letters(limit).await?) })
    }

    fn dead_lettered(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move { Ok(self.drop_dead_letter(id).await?) })
    }

    fn due(&self, now: DateTime<Utc>, limit: usize) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        Box::pin(async move { Ok(self.read_due(now, limit).await?) })
    }

    fn get(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Delivery>, StoreError>> {
        Box::pin(async move { Ok(self.delivery(id).await?.map(|d| d.value)) })
    }

    fn inbox(&self, user_id: Uuid, limit: usize) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        Box::pin(async move { Ok(self.read_inbox(user_id, limit).await?) })
    }

    fn mark_read(&self, id: Uuid, user_id: Uuid) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(retrying(move || self.mark_read_once(id, user_id)))
    }
}

#[cfg(test)]
impl DynamoNotificationStore {
    /// How many events are kept (a scan, for the conformance suite).
    pub(crate) async fn kept_events(&self) -> usize {
        let scan = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("begins_with(pk, :event)")
            .expression_attribute_values(":event", s("EVENT#"))
            .consistent_read(true)
            .send();
        scan.await.expect("scan").items().len()
    }
}
