//! The Notification store on SQLite (`<data dir>/notification.db`):
//! contacts, preferences and deliveries. Each record is kept as JSON with
//! the columns it is found by. The events of deliveries still to be sent are
//! kept too (as structured CloudEvents), for the dead letters of those given
//! up on: `dead_letter` lists the dead deliveries not yet in the topic.
//!
//! A dispatcher claims a delivery and notes its attempt with conditional
//! `UPDATE`s (`WHERE status IN ('pending', 'failed') AND ...`): a claim
//! takes only a claimable delivery, an attempt is noted only by the claim's
//! holder, and a sent delivery is never written by either.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hrms_events::{HrmsEvent, Role};
use hrms_notification::contacts::{Contact, ContactUpdate};
use hrms_notification::{
    Attempt, DeadDelivery, Delivery, NotificationStore, Preferences, Status, StoreError,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use hrms_platform::store::StoreContext;
use hrms_sqlite::{Database, Store};

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE contact (
        id INTEGER PRIMARY KEY,
        user_id TEXT UNIQUE,
        employee_id TEXT UNIQUE,
        is_hr INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TABLE preference (user_id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE delivery (
        id TEXT PRIMARY KEY,
        user_id TEXT,
        channel TEXT NOT NULL,
        status TEXT NOT NULL,
        next_attempt_at TEXT,
        created_at TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX delivery_inbox ON delivery (user_id, channel, created_at);
    CREATE INDEX delivery_due ON delivery (next_attempt_at) WHERE next_attempt_at IS NOT NULL;",
    "ALTER TABLE delivery ADD COLUMN event_id TEXT;
    CREATE INDEX delivery_event ON delivery (event_id);
    CREATE TABLE event (id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE dead_letter (
        delivery_id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        failed_at TEXT NOT NULL
    ) WITHOUT ROWID;",
    // HR's contacts are looked up for every notice to hr: without an index
    // that read the whole table, which grows with every person.
    "CREATE INDEX contact_hr ON contact (id) WHERE is_hr = 1;",
    // Dispatchers claim a delivery before sending it: `claimed_by` holds
    // the claim, and `next_attempt_at` from now on holds when it is next
    // claimable (`Delivery::due_at`: its next attempt, or its lease's end).
    "ALTER TABLE delivery ADD COLUMN claimed_by TEXT;",
];

const HR_CONTACTS: &str = "SELECT body FROM contact WHERE is_hr = 1 ORDER BY id";

/// Contacts, preferences and deliveries in the function's database.
#[derive(Clone)]
pub struct SqliteNotificationStore {
    db: Database,
}

impl Store for SqliteNotificationStore {
    const NAME: &'static str = "notification";
    const MIGRATIONS: &'static [&'static str] = MIGRATIONS;
    type Error = StoreError;

    fn from_database(db: Database) -> Self {
        Self { db }
    }

    fn database(&self) -> &Database {
        &self.db
    }
}

impl SqliteNotificationStore {
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let run = self.db.run(f);
        Box::pin(async move { Ok(run.await.context("reading")?) })
    }

    fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let written = self.db.apply(f);
        Box::pin(async move { Ok(written.await.context("writing")?) })
    }

    fn contact_where(
        &self,
        column: &'static str,
        id: Uuid,
    ) -> BoxFuture<'_, Result<Option<Contact>, StoreError>> {
        let sql = format!("SELECT body FROM contact WHERE {column} = ?1");
        Box::pin(self.read(move |conn| {
            conn.prepare_cached(&sql)?
                .query_row([id.to_string()], |r| r.get::<_, String>(0))
                .optional()?
                .map(json)
                .transpose()
        }))
    }
}

fn json<T: DeserializeOwned>(text: String) -> rusqlite::Result<T> {
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

fn text<T: Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Pending => "pending",
        Status::Sent => "sent",
        Status::Failed => "failed",
        Status::Dead => "dead",
    }
}

/// Writes `d` whole (insert or replace); `next_attempt_at` is when it is
/// next claimable.
fn put(tx: &Connection, d: &Delivery) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO delivery
         (id, event_id, user_id, channel, status, next_attempt_at, created_at, body, claimed_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        d.id.to_string(),
        d.event_id.to_string(),
        d.user_id.map(|u| u.to_string()),
        d.channel.as_str(),
        status(d.status),
        d.due_at().as_ref().map(time),
        time(&d.created_at),
        text(d)?,
        d.claimed_by,
    ])?;
    Ok(())
}

/// Drops the kept event once none of its deliveries may still need it.
fn forget_event_when_done(tx: &Connection, event_id: Uuid) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "DELETE FROM event WHERE id = ?1
         AND NOT EXISTS (SELECT 1 FROM delivery WHERE event_id = ?1 AND status IN ('pending', 'failed'))
         AND NOT EXISTS (SELECT 1 FROM dead_letter WHERE event_id = ?1)",
    )?
    .execute([event_id.to_string()])?;
    Ok(())
}

fn get(conn: &Connection, id: Uuid) -> rusqlite::Result<Option<Delivery>> {
    conn.prepare_cached("SELECT body FROM delivery WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get::<_, String>(0))
        .optional()?
        .map(json)
        .transpose()
}

impl NotificationStore for SqliteNotificationStore {
    fn learn<'a>(&'a self, update: &'a ContactUpdate) -> BoxFuture<'a, Result<(), StoreError>> {
        let update = update.clone();
        Box::pin(self.write(move |tx| {
            let find = |column: &str, id: Option<Uuid>| -> rusqlite::Result<Option<(i64, Contact)>> {
                let Some(id) = id else { return Ok(None) };
                tx.prepare_cached(&format!("SELECT id, body FROM contact WHERE {column} = ?1"))?
                    .query_row([id.to_string()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                    .optional()?
                    .map(|(row, body)| json(body).map(|c| (row, c)))
                    .transpose()
            };
            let by_user = find("user_id", update.user_id)?;
            let by_employee = find("employee_id", update.employee_id)?;
            // An event that names both links an account to its employee record.
            let (row, known) = match (by_user, by_employee) {
                (Some((a, user)), Some((b, employee))) if a != b => {
                    tx.execute("DELETE FROM contact WHERE id = ?1", [b])?;
                    let merged = ContactUpdate {
                        employee_id: employee.employee_id,
                        manager_id: Some(employee.manager_id),
                        ..ContactUpdate::default()
                    }
                    .apply(Some(user));
                    (Some(a), Some(merged))
                }
                (Some((a, c)), _) | (None, Some((a, c))) => (Some(a), Some(c)),
                (None, None) => (None, None),
            };
            let contact = update.apply(known);
            let values = params![
                contact.user_id.map(|u| u.to_string()),
                contact.employee_id.map(|e| e.to_string()),
                contact.role == Some(Role::Hr) && contact.active,
                text(&contact)?,
            ];
            match row {
                Some(row) => tx.execute(
                    "UPDATE contact SET user_id = ?1, employee_id = ?2, is_hr = ?3, body = ?4 WHERE id = ?5",
                    params![values[0], values[1], values[2], values[3], row],
                )?,
                None => tx.execute(
                    "INSERT INTO contact (user_id, employee_id, is_hr, body) VALUES (?1, ?2, ?3, ?4)",
                    values,
                )?,
            };
            Ok(())
        }))
    }

    fn contact_by_user(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<Contact>, StoreError>> {
        self.contact_where("user_id", user_id)
    }

    fn contact_by_employee(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Contact>, StoreError>> {
        self.contact_where("employee_id", employee_id)
    }

    fn hr(&self) -> BoxFuture<'_, Result<Vec<Contact>, StoreError>> {
        Box::pin(self.read(|conn| {
            let mut select = conn.prepare_cached(HR_CONTACTS)?;
            let rows = select.query_map([], |r| r.get::<_, String>(0))?;
            rows.map(|r| r.and_then(json)).collect()
        }))
    }

    fn preferences(&self, user_id: Uuid) -> BoxFuture<'_, Result<Preferences, StoreError>> {
        Box::pin(self.read(move |conn| {
            let body = conn
                .prepare_cached("SELECT body FROM preference WHERE user_id = ?1")?
                .query_row([user_id.to_string()], |r| r.get::<_, String>(0))
                .optional()?;
            Ok(match body {
                Some(b) => json(b)?,
                None => Preferences::default(),
            })
        }))
    }

    fn set_preferences<'a>(
        &'a self,
        user_id: Uuid,
        preferences: &'a Preferences,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let body = text(preferences);
        Box::pin(self.write(move |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO preference (user_id, body) VALUES (?1, ?2)",
                params![user_id.to_string(), body?],
            )?;
            Ok(())
        }))
    }

    fn record(
        &self,
        deliveries: Vec<Delivery>,
        events: Vec<HrmsEvent>,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        Box::pin(self.write(move |tx| {
            let mut stored = Vec::with_capacity(deliveries.len());
            for d in deliveries {
                match get(tx, d.id)? {
                    // Redriven from the dead letters: tried again from the start.
                    Some(dead) if dead.status == Status::Dead => {
                        let again = Delivery {
                            status: Status::Pending,
                            attempts: 0,
                            next_attempt_at: d.next_attempt_at,
                            updated_at: d.updated_at,
                            ..dead
                        };
                        put(tx, &again)?;
                        tx.prepare_cached("DELETE FROM dead_letter WHERE delivery_id = ?1")?
                            .execute([again.id.to_string()])?;
                        stored.push(again);
                    }
                    Some(known) => stored.push(known),
                    None => {
                        put(tx, &d)?;
                        stored.push(d);
                    }
                }
            }
            let to_send =
                |e: &HrmsEvent| stored.iter().any(|d| d.event_id == e.id && d.status == Status::Pending);
            for event in events.iter().filter(|e| to_send(e)) {
                tx.prepare_cached("INSERT OR IGNORE INTO event (id, body) VALUES (?1, ?2)")?
                    .execute(params![event.id.to_string(), text(&event.to_cloudevent())?])?;
            }
            Ok(stored)
        }))
    }

    fn claim<'a>(
        &'a self,
        id: Uuid,
        owner: &'a str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Delivery>, StoreError>> {
        let owner = owner.to_owned();
        Box::pin(self.write(move |tx| {
            let Some(claimed) = get(tx, id)?.and_then(|d| d.claim(&owner, now, until)) else {
                return Ok(None);
            };
            // Claimable: waiting, and due with no live lease by `now`.
            let changed = tx
                .prepare_cached(
                    "UPDATE delivery SET next_attempt_at = ?2, claimed_by = ?3, body = ?4
                     WHERE id = ?1 AND status IN ('pending', 'failed') AND next_attempt_at <= ?5",
                )?
                .execute(params![
                    id.to_string(),
                    claimed.due_at().as_ref().map(time),
                    owner,
                    text(&claimed)?,
                    time(&now)
                ])?;
            Ok((changed == 1).then_some(claimed))
        }))
    }

    fn attempted<'a>(
        &'a self,
        id: Uuid,
        owner: &'a str,
        attempt: &'a Attempt,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let (attempt, owner) = (attempt.clone(), owner.to_owned());
        Box::pin(self.write(move |tx| {
            let Some(d) = get(tx, id)?.and_then(|d| d.attempted(&owner, &attempt, Utc::now())) else {
                return Ok(false);
            };
            // Only the claim's holder, and never once sent (or dead).
            let changed = tx
                .prepare_cached(
                    "UPDATE delivery SET status = ?2, next_attempt_at = ?3, claimed_by = NULL, body = ?4
                     WHERE id = ?1 AND status IN ('pending', 'failed') AND claimed_by = ?5",
                )?
                .execute(params![
                    id.to_string(),
                    status(d.status),
                    d.due_at().as_ref().map(time),
                    text(&d)?,
                    owner
                ])?;
            if changed == 0 {
                return Ok(false);
            }
            match d.status {
                Status::Dead => {
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO dead_letter (delivery_id, event_id, failed_at)
                             VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![
                        id.to_string(),
                        d.event_id.to_string(),
                        time(&d.updated_at)
                    ])?;
                }
                Status::Sent => forget_event_when_done(tx, d.event_id)?,
                Status::Pending | Status::Failed => {}
            }
            Ok(true)
        }))
    }

    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadDelivery>, StoreError>> {
        Box::pin(self.read(move |conn| {
            let mut select = conn.prepare_cached(
                "SELECT d.body, e.body FROM dead_letter l
                 JOIN delivery d ON d.id = l.delivery_id JOIN event e ON e.id = l.event_id
                 ORDER BY l.failed_at LIMIT ?1",
            )?;
            let rows =
                select.query_map([limit as i64], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            rows.map(|row| {
                let (delivery, event) = row?;
                let event = json::<hrms_events::cloudevents::Event>(event)?;
                let event = HrmsEvent::from_cloudevent(&event).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
                })?;
                Ok(DeadDelivery { delivery: json(delivery)?, event })
            })
            .collect()
        }))
    }

    fn dead_lettered(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.write(move |tx| {
            let event: Option<String> = tx
                .prepare_cached("DELETE FROM dead_letter WHERE delivery_id = ?1 RETURNING event_id")?
                .query_row([id.to_string()], |r| r.get(0))
                .optional()?;
            if let Some(event) = event.and_then(|e| e.parse().ok()) {
                forget_event_when_done(tx, event)?;
            }
            Ok(())
        }))
    }

    fn due(&self, now: DateTime<Utc>, limit: usize) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        Box::pin(self.read(move |conn| {
            let mut select = conn.prepare_cached(
                "SELECT body FROM delivery WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?1
                 AND status IN ('pending', 'failed') ORDER BY next_attempt_at LIMIT ?2",
            )?;
            let rows = select.query_map(params![time(&now), limit as i64], |r| r.get::<_, String>(0))?;
            rows.map(|r| r.and_then(json)).collect()
        }))
    }

    fn get(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Delivery>, StoreError>> {
        Box::pin(self.read(move |conn| get(conn, id)))
    }

    fn inbox(&self, user_id: Uuid, limit: usize) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        Box::pin(self.read(move |conn| {
            let mut select = conn.prepare_cached(
                "SELECT body FROM delivery WHERE user_id = ?1 AND channel = 'in_app'
                 ORDER BY created_at DESC, id DESC LIMIT ?2",
            )?;
            let rows =
                select.query_map(params![user_id.to_string(), limit as i64], |r| r.get::<_, String>(0))?;
            rows.map(|r| r.and_then(json)).collect()
        }))
    }

    fn mark_read(&self, id: Uuid, user_id: Uuid) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(self.write(move |tx| {
            let Some(d) = get(tx, id)? else { return Ok(false) };
            if d.user_id != Some(user_id) || d.channel != hrms_notification::Channel::InApp {
                return Ok(false);
            }
            if d.read_at.is_none() {
                put(tx, &Delivery { read_at: Some(Utc::now()), ..d })?;
            }
            Ok(true)
        }))
    }
}

#[cfg(test)]
impl SqliteNotificationStore {
    /// How many events are kept (for the conformance suite).
    pub(crate) async fn kept_events(&self) -> usize {
        let count = self.db.run(|c| c.query_row("SELECT count(*) FROM event", [], |r| r.get::<_, i64>(0)));
        count.await.expect("count") as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hr_contacts_are_read_through_their_index_not_the_whole_table() {
        let dir = hrms_http::testing::temp_dir("notification-hr");
        let _store = SqliteNotificationStore::open(dir.join("notification.db")).expect("store");
        let conn = hrms_sqlite::outbox::connect(dir.join("notification.db")).expect("db");
        let plan: String =
            conn.query_row(&format!("EXPLAIN QUERY PLAN {HR_CONTACTS}"), [], |r| r.get(3)).expect("plan");
        assert!(plan.contains("USING INDEX contact_hr"), "{plan}");
    }
}
