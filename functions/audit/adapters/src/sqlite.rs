//! The audit log on SQLite (`<data dir>/audit.db`): rows, chain heads and
//! the subjects' states in one database, each batch in one transaction.
//! Each row links to the one before it in its chain, and a subject's
//! history follows those links ([`schema`]). A state row points at the row
//! whose event left it (`audit_state`), so that an append writes each
//! state once, in the log.
//! Triggers refuse to change or delete a row: the log is append-only for
//! anyone short of dropping them (which `hrms audit verify` then exposes).

mod scan;
mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use hrms_audit::entry::format_time;
use hrms_audit::store::{Appended, Cursor, Order};
use hrms_audit::{AuditStore, Entry, Head, NewEntry, Page, Part, Query, States, StoreError, SubjectState};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, Row, params, params_from_iter};
use uuid::Uuid;

use hrms_platform::error::BoxError;
use hrms_platform::store::StoreContext;
use hrms_sqlite::Database;

use crate::Paging;

const COLUMNS: &str = "event_id, subject, seq, event_type, actor, time, recorded_at, event, prev_hash, hash";

/// The audit log in its own database.
#[derive(Clone)]
pub struct SqliteAuditStore {
    db: Database,
    path: PathBuf,
}

impl SqliteAuditStore {
    /// Opens (and migrates) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> rusqlite::Result<Self> {
        let path = path.as_ref().to_owned();
        if !path.exists() {
            create(&path)?;
        }
        Ok(Self { db: Database::open(&path, schema::MIGRATIONS)?, path })
    }

    /// Whether the database answers and its writer runs (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await.context("pinging the audit database")?)
    }

    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let run = self.db.run(f);
        Box::pin(async move { Ok(run.await.context("reading the log")?) })
    }
}

/// A new log's file, with pages of [`PAGE_SIZE`]: its rows hold ~2 KB of
/// JSON each, which a 4 KiB page (SQLite's default) fits one or two of,
/// half empty; a bigger page wastes less, so each commit writes less. (A
/// page size is fixed once a file is in WAL mode: older files keep theirs.)
fn create(path: &Path) -> rusqlite::Result<()> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(())
}

const PAGE_SIZE: i64 = 16 * 1024;

impl AuditStore for SqliteAuditStore {
    fn append(&self, entries: Vec<NewEntry>) -> BoxFuture<'_, Result<Appended, StoreError>> {
        self.append_part(entries, Part::Last)
    }

    /// The writer keeps its transaction open for the part that follows.
    fn append_part(&self, entries: Vec<NewEntry>, part: Part) -> BoxFuture<'_, Result<Appended, StoreError>> {
        let written = self.db.apply_part(move |tx| append(tx, entries), part);
        Box::pin(async move { Ok(written.await.context("appending to the log")?) })
    }

    /// One writer thread takes the appends in the order they are made.
    fn ordered_appends(&self) -> bool {
        true
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page, StoreError>> {
        let (sql, args) = select_page(query);
        let limit = query.limit;
        let rows = self.read(move |conn| {
            let mut select = conn.prepare_cached(&sql)?;
            let rows = select.query_map(params_from_iter(args), entry)?;
            rows.collect::<rusqlite::Result<Vec<Entry>>>()
        });
        Box::pin(async move { Ok(Page::of(rows.await?, limit)) })
    }

    fn count<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<u64, StoreError>> {
        let (filter, args) = filter(query, Paging::Whole);
        let sql = format!("SELECT COUNT(*) FROM audit_log {filter}");
        Box::pin(self.read(move |conn| {
            conn.prepare_cached(&sql)?
                .query_row(params_from_iter(args), |r| r.get::<_, i64>(0).map(|n| n as u64))
        }))
    }

    /// The rows the links lead to, back from the subject's head.
    fn chain<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<Vec<Entry>, StoreError>> {
        let subject = subject.to_owned();
        Box::pin(self.read(move |conn| {
            let mut select = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM audit_log WHERE row IN ({}) AND subject = ?1 ORDER BY seq, row",
                schema::chain_rows("?1")
            ))?;
            let rows = select.query_map([subject], entry)?;
            rows.collect()
        }))
    }

    /// The subjects with a head.
    fn subjects<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        let after = after.unwrap_or_default().to_owned();
        Box::pin(self.read(move |conn| {
            let mut select = conn.prepare_cached(
                "SELECT subject FROM audit_head WHERE subject > ?1 ORDER BY subject LIMIT ?2",
            )?;
            let rows = select.query_map(params![after, limit as i64], |r| r.get(0))?;
            rows.collect()
        }))
    }

    fn every_chain(&self) -> BoxStream<'_, Result<(String, Vec<Entry>), StoreError>> {
        scan::every_chain(&self.path)
    }

    fn heads(&self) -> BoxFuture<'_, Result<Vec<Head>, StoreError>> {
        Box::pin(self.read(|conn| {
            let mut select =
                conn.prepare_cached("SELECT subject, seq, hash FROM audit_head ORDER BY subject")?;
            let rows = select.query_map([], |r| {
                Ok(Head { subject: r.get(0)?, seq: r.get::<_, i64>(1)? as u64, hash: r.get(2)? })
            })?;
            rows.collect()
        }))
    }

    fn state<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<Option<SubjectState>, StoreError>> {
        let subject = subject.to_owned();
        let row = self.read(move |conn| {
            let mut select = conn.prepare_cached(&format!(
                "SELECT {} FROM audit_state s JOIN audit_log l ON l.event_id = s.event_id WHERE s.subject = ?1",
                COLUMNS.split(", ").map(|c| format!("l.{c}")).collect::<Vec<_>>().join(", ")
            ))?;
            let mut rows = select.query_map([subject], entry)?;
            rows.next().transpose()
        });
        Box::pin(async move { Ok(row.await?.as_ref().map(SubjectState::of)) })
    }

    fn put_states<'a>(
        &'a self,
        states: &'a [SubjectState],
        which: States,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let rows: Vec<_> = states.iter().map(|s| (s.subject.clone(), s.event_id.to_string())).collect();
        let written = self.db.apply(move |tx| {
            if which == States::First {
                tx.execute("DELETE FROM audit_state", [])?;
            }
            let mut put = tx.prepare_cached(PUT_STATE)?;
            for (subject, event_id) in rows {
                put.execute(params![subject, event_id])?;
            }
            Ok(())
        });
        Box::pin(async move { Ok(written.await.context("writing subject states")?) })
    }
}

const PUT_STATE: &str = "INSERT OR REPLACE INTO audit_state (subject, event_id) VALUES (?1, ?2)";

/// An append's state: it replaces the stored one only if its event is not
/// older (an event appended late, e.g. a redriven dead letter, is history,
/// not the current state). Event times are stored as text that sorts.
const PUT_LATER_STATE: &str = "INSERT INTO audit_state (subject, event_id) VALUES (?1, ?2)
    ON CONFLICT (subject) DO UPDATE SET event_id = excluded.event_id
    WHERE (SELECT time FROM audit_log WHERE event_id = excluded.event_id)
       >= (SELECT time FROM audit_log WHERE event_id = audit_state.event_id)";

/// A chain's last row: its place, hash and row number.
type Last = (u64, String, Option<i64>);

/// Appends `entries` within the writer's transaction.
fn append(tx: &Connection, entries: Vec<NewEntry>) -> rusqlite::Result<Appended> {
    let recorded_at = Utc::now();
    let recorded_text = format_time(&recorded_at);
    let mut head = tx.prepare_cached("SELECT seq, hash, row FROM audit_head WHERE subject = ?1")?;
    let mut insert = tx.prepare_cached(&format!(
        "INSERT INTO audit_log ({COLUMNS}, prev_row) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (event_id) DO NOTHING"
    ))?;
    let mut heads: HashMap<String, Last> = HashMap::new();
    // Each subject's latest new row by (event time, seq): its id and time.
    let mut states: HashMap<String, (String, String)> = HashMap::new();
    let mut outcome = Appended::default();
    for new in entries {
        let id = new.event_id.to_string();
        let (seq, prev, prev_row) = match heads.get(&new.subject) {
            Some(h) => h.clone(),
            None => head
                .query_row([&new.subject], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?)))
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => {
                        Ok((0, hrms_audit::entry::GENESIS.to_owned(), None))
                    }
                    e => Err(e),
                })?,
        };
        let row = new.link(seq + 1, &prev, recorded_at);
        let time = format_time(&row.time);
        // A redelivered event is already there: nothing is written, and its
        // chain does not move.
        let inserted = insert.execute(params![
            id,
            row.subject,
            row.seq as i64,
            row.event_type,
            row.actor,
            time,
            recorded_text,
            row.event,
            row.prev_hash,
            row.hash,
            prev_row,
        ])?;
        if inserted == 0 {
            outcome.duplicates += 1;
            continue;
        }
        outcome.recorded += 1;
        if states.get(&row.subject).is_none_or(|(_, latest)| *latest <= time) {
            states.insert(row.subject.clone(), (id, time));
        }
        heads.insert(row.subject, (row.seq, row.hash, Some(tx.last_insert_rowid())));
    }
    let mut put_head = tx.prepare_cached(
        "INSERT OR REPLACE INTO audit_head (subject, seq, hash, row) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (subject, (seq, hash, row)) in &heads {
        put_head.execute(params![subject, *seq as i64, hash, row])?;
    }
    let mut put_state = tx.prepare_cached(PUT_LATER_STATE)?;
    for (subject, (event_id, _)) in &states {
        put_state.execute(params![subject, event_id])?;
    }
    Ok(outcome)
}

/// The SELECT of a page of `query` (one row more than its limit), with its
/// arguments.
fn select_page(query: &Query) -> (String, Vec<Sql>) {
    let (filter, mut args) = filter(query, Paging::FromCursor);
    let direction = match query.order {
        Order::NewestFirst => "DESC",
        Order::OldestFirst => "ASC",
    };
    let c = not_indexed(query);
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log {filter} ORDER BY {c}time {direction}, {c}event_id {direction} LIMIT ?"
    );
    args.push(Sql::Integer(query.limit as i64 + 1));
    (sql, args)
}

/// The WHERE clause of `query`'s filters (and its cursor if `paging` says), with
/// its arguments: only the filters given, so that SQLite can pick an index.
/// A subject's rows are found along its chain: then the other columns are
/// marked (`+`) so that no index of theirs is scanned instead.
fn filter(query: &Query, paging: Paging) -> (String, Vec<Sql>) {
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    let c = not_indexed(query);
    if let Some(s) = &query.subject {
        clauses.push(format!("row IN ({}) AND subject = ?", schema::chain_rows("?")));
        args.extend([Sql::Text(s.clone()), Sql::Text(s.clone()), Sql::Text(s.clone())]);
    }
    let mut add = |clause: String, value: Sql| {
        clauses.push(clause);
        args.push(value);
    };
    if let Some(a) = &query.actor {
        add(format!("{c}actor = ?"), Sql::Text(a.clone()));
    }
    if let Some(t) = &query.event_type {
        add(format!("{c}event_type = ?"), Sql::Text(t.clone()));
    }
    if let Some(from) = &query.from {
        add(format!("{c}time >= ?"), Sql::Text(format_time(from)));
    }
    if let Some(to) = &query.to {
        add(format!("{c}time < ?"), Sql::Text(format_time(to)));
    }
    if let (Paging::FromCursor, Some(Cursor { time, event_id })) = (paging, &query.after) {
        let op = match query.order {
            Order::NewestFirst => "<",
            Order::OldestFirst => ">",
        };
        clauses.push(format!("({c}time, {c}event_id) {op} (?, ?)"));
        args.push(Sql::Text(format_time(time)));
        args.push(Sql::Text(event_id.to_string()));
    }
    let sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    (sql, args)
}

/// `+` (a column SQLite does not look up by index) when the query follows
/// a subject's chain.
fn not_indexed(query: &Query) -> &'static str {
    if query.subject.is_some() { "+" } else { "" }
}

fn entry(r: &Row<'_>) -> rusqlite::Result<Entry> {
    let text = |i: usize| r.get::<_, String>(i);
    let bad =
        |i: usize, e: BoxError| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e);
    Ok(Entry {
        event_id: Uuid::parse_str(&text(0)?).map_err(|e| bad(0, e.into()))?,
        subject: text(1)?,
        seq: r.get::<_, i64>(2)? as u64,
        event_type: text(3)?,
        actor: text(4)?,
        time: parse_time(&text(5)?).map_err(|e| bad(5, e.into()))?,
        recorded_at: parse_time(&text(6)?).map_err(|e| bad(6, e.into()))?,
        event: text(7)?,
        prev_hash: text(8)?,
        hash: text(9)?,
    })
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
