//! The outbox of the embedded SQLite stores: a table in the service's own
//! database, written by [`append`] inside the service's transaction and read
//! by the relay through [`SqliteOutbox`] on a connection of its own (WAL
//! mode lets both work at once).
//!
//! Each event is kept as its structured-mode CloudEvent (JSON), readable by
//! an operator with the `sqlite3` shell.

use std::path::Path;
use std::time::Duration;

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
pub use rusqlite;
use rusqlite::{Connection, params};

use crate::Database;
use hrms_platform::Chain;
use hrms_platform::outbox::{OutboxEntry, OutboxError, OutboxStore, Pending};
use hrms_platform::store::StoreContext;

/// Creates the outbox tables if missing; part of every service's migrations.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            event TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE TABLE IF NOT EXISTS outbox_dead (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL,
            event TEXT NOT NULL,
            reason TEXT NOT NULL,
            failed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );",
    )
}

/// Events as the outbox keeps them: id and structured-mode CloudEvent JSON,
/// and when they were encoded (the rows' `created_at`).
pub struct Encoded {
    events: Vec<(String, String)>,
    at: String,
}

/// Encodes `events` for [`append`], off the writer's thread.
pub fn encode(events: &[HrmsEvent]) -> Encoded {
    Encoded { events: events.iter().map(|e| (e.id.to_string(), e.to_structured_json())).collect(), at: now() }
}

/// The time now as the stores write it (UTC, milliseconds), as SQLite's
/// `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')` would, but off the writer's thread.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Adds `events` to the outbox within the caller's transaction: they exist
/// if and only if the transaction commits. Answers their `seq`s.
pub fn append(tx: &Connection, events: &Encoded) -> rusqlite::Result<Vec<i64>> {
    let mut insert =
        tx.prepare_cached("INSERT INTO outbox (event_id, event, created_at) VALUES (?1, ?2, ?3)")?;
    let mut seqs = Vec::with_capacity(events.events.len());
    for (id, json) in &events.events {
        insert.execute(params![id, json, events.at])?;
        seqs.push(tx.last_insert_rowid());
    }
    Ok(seqs)
}

/// Opens a connection the way every embedded store does: WAL, a busy
/// timeout, `synchronous=FULL` (a commit survives power loss).
pub fn connect(path: impl AsRef<Path>) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

/// The relay's view of a service database's outbox.
#[derive(Clone)]
pub struct SqliteOutbox {
    db: Database,
}

impl SqliteOutbox {
    /// Opens the database at `path` and creates the outbox tables if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OutboxError> {
        Ok(Self { db: Database::open(path, &[]).context("opening the outbox's database")? })
    }

    /// The outbox of a store's own database: its settlements join the
    /// store's group commits instead of contending with them for the lock.
    pub fn of(db: Database) -> Self {
        Self { db }
    }

    /// Runs `f` on the read connection; `doing` names it in the error.
    fn with<T: Send + 'static>(
        &self,
        doing: &'static str,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, OutboxError>> {
        let call = self.db.run(f);
        Box::pin(async move { Ok(call.await.context(doing)?) })
    }
}

/// Reads a stored CloudEvent back as an event.
pub fn read(json: &str) -> Result<HrmsEvent, hrms_events::DecodeError> {
    HrmsEvent::from_structured_json(json)
}

impl OutboxStore for SqliteOutbox {
    fn pending(&self, limit: usize) -> BoxFuture<'_, Result<Pending, OutboxError>> {
        self.with("reading the pending events", move |conn| {
            let mut select = conn.prepare_cached("SELECT seq, event FROM outbox ORDER BY seq LIMIT ?1")?;
            let rows = select
                .query_map([limit as i64], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))?;
            let mut pending = Pending::default();
            for row in rows {
                let (seq, json) = row?;
                match read(&json) {
                    Ok(event) => pending.entries.push(OutboxEntry { seq, event }),
                    Err(e) => pending.unreadable.push((seq, format!("unreadable: {}", Chain(&e)))),
                }
            }
            Ok(pending)
        })
    }

    fn settle<'a>(
        &'a self,
        published: &'a [i64],
        dead: &'a [(i64, String)],
    ) -> BoxFuture<'a, Result<(), OutboxError>> {
        let (published, dead) = (published.to_vec(), dead.to_vec());
        let call = self.db.apply(move |tx| {
            let mut remove = tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1")?;
            for seq in &published {
                remove.execute([seq])?;
            }
            let mut set_aside = tx.prepare_cached(
                "INSERT OR REPLACE INTO outbox_dead (seq, event_id, event, reason)
                 SELECT seq, event_id, event, ?2 FROM outbox WHERE seq = ?1",
            )?;
            for (seq, reason) in &dead {
                set_aside.execute(params![seq, reason])?;
                remove.execute([seq])?;
            }
            Ok(())
        });
        Box::pin(async move { Ok(call.await.context("settling published and dead events")?) })
    }

    fn backlog(&self) -> BoxFuture<'_, Result<u64, OutboxError>> {
        self.with("counting the pending events", |conn| {
            conn.query_row("SELECT COUNT(*) FROM outbox", [], |row| row.get::<_, i64>(0)).map(|n| n as u64)
        })
    }
}

#[cfg(test)]
mod tests;
