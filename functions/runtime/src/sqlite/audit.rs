//! The audit log on SQLite (`<data dir>/audit.db`): rows, chain heads and
//! the subjects' states in one database, each batch in one transaction. A
//! state row points at the row whose event left it (`audit_state`), so that
//! an append writes each state once, in the log.
//! Triggers refuse to change or delete a row: the log is append-only for
//! anyone short of dropping them (which `hrms audit verify` then exposes).

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hrms_audit::entry::format_time;
use hrms_audit::store::{Appended, Cursor, Order};
use hrms_audit::{AuditStore, Entry, Head, NewEntry, Page, Query, StoreError, SubjectState};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, Row, params, params_from_iter};
use uuid::Uuid;

use super::Shared;

const MIGRATIONS: &[&str] = &["CREATE TABLE audit_log (
        event_id TEXT NOT NULL PRIMARY KEY,
        subject TEXT NOT NULL,
        seq INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        actor TEXT NOT NULL,
        time TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        event TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (subject, seq)
    );
    CREATE INDEX audit_log_time ON audit_log (time, event_id);
    CREATE INDEX audit_log_actor ON audit_log (actor, time, event_id);
    CREATE INDEX audit_log_type ON audit_log (event_type, time, event_id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE audit_head (
        subject TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE audit_state (
        subject TEXT PRIMARY KEY,
        event_id TEXT NOT NULL
    ) WITHOUT ROWID;"];

const COLUMNS: &str = "event_id, subject, seq, event_type, actor, time, recorded_at, event, prev_hash, hash";

/// The audit log in its own database.
#[derive(Clone)]
pub struct SqliteAuditStore {
    db: Shared,
}

impl SqliteAuditStore {
    /// Opens (and migrates) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> rusqlite::Result<Self> {
        Ok(Self { db: Shared::open(path, MIGRATIONS)? })
    }

    /// Whether the database answers and its writer runs (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::Unavailable)
    }

    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let run = self.db.run(f);
        Box::pin(async move { run.await.map_err(StoreError::Unavailable) })
    }
}

impl AuditStore for SqliteAuditStore {
    fn append(&self, entries: Vec<NewEntry>) -> BoxFuture<'_, Result<Appended, StoreError>> {
        let written = self.db.apply(move |tx| append(tx, entries));
        Box::pin(async move { written.await.map_err(StoreError::Unavailable) })
    }

    /// The writer keeps its transaction open for the part that follows.
    fn append_part(&self, entries: Vec<NewEntry>, more: bool) -> BoxFuture<'_, Result<Appended, StoreError>> {
        if !more {
            return self.append(entries);
        }
        let written = self.db.apply_followed(move |tx| append(tx, entries));
        Box::pin(async move { written.await.map_err(StoreError::Unavailable) })
    }

    /// One writer thread takes the appends in the order they are made.
    fn ordered_appends(&self) -> bool {
        true
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page, StoreError>> {
        let (filter, mut args) = filter(query, true);
        let direction = match query.order {
            Order::NewestFirst => "DESC",
            Order::OldestFirst => "ASC",
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log {filter} ORDER BY time {direction}, event_id {direction} LIMIT ?"
        );
        let limit = query.limit;
        args.push(Sql::Integer(limit as i64 + 1));
        let rows = self.read(move |conn| {
            let mut select = conn.prepare_cached(&sql)?;
            let rows = select.query_map(params_from_iter(args), entry)?;
            rows.collect::<rusqlite::Result<Vec<Entry>>>()
        });
        Box::pin(async move { Ok(Page::of(rows.await?, limit)) })
    }

    fn count<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<u64, StoreError>> {
        let (filter, args) = filter(query, false);
        let sql = format!("SELECT COUNT(*) FROM audit_log {filter}");
        Box::pin(self.read(move |conn| {
            conn.prepare_cached(&sql)?
                .query_row(params_from_iter(args), |r| r.get::<_, i64>(0).map(|n| n as u64))
        }))
    }

    fn chain<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<Vec<Entry>, StoreError>> {
        let subject = subject.to_owned();
        Box::pin(self.read(move |conn| {
            let mut select = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM audit_log WHERE subject = ?1 ORDER BY seq"
            ))?;
            let rows = select.query_map([subject], entry)?;
            rows.collect()
        }))
    }

    fn subjects<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        let after = after.unwrap_or_default().to_owned();
        Box::pin(self.read(move |conn| {
            let mut select = conn.prepare_cached(
                "SELECT DISTINCT subject FROM audit_log WHERE subject > ?1 ORDER BY subject LIMIT ?2",
            )?;
            let rows = select.query_map(params![after, limit as i64], |r| r.get(0))?;
            rows.collect()
        }))
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
        first: bool,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let rows: Vec<_> = states.iter().map(|s| (s.subject.clone(), s.event_id.to_string())).collect();
        let written = self.db.apply(move |tx| {
            if first {
                tx.execute("DELETE FROM audit_state", [])?;
            }
            let mut put = tx.prepare_cached(PUT_STATE)?;
            for (subject, event_id) in rows {
                put.execute(params![subject, event_id])?;
            }
            Ok(())
        });
        Box::pin(async move { written.await.map_err(StoreError::Unavailable) })
    }
}

const PUT_STATE: &str = "INSERT OR REPLACE INTO audit_state (subject, event_id) VALUES (?1, ?2)";

/// Appends `entries` within the writer's transaction.
fn append(tx: &Connection, entries: Vec<NewEntry>) -> rusqlite::Result<Appended> {
    let recorded_at = Utc::now();
    let recorded_text = format_time(&recorded_at);
    let mut head = tx.prepare_cached("SELECT seq, hash FROM audit_head WHERE subject = ?1")?;
    let mut insert = tx.prepare_cached(&format!(
        "INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (event_id) DO NOTHING"
    ))?;
    let mut heads: HashMap<String, (u64, String)> = HashMap::new();
    let mut states: HashMap<String, String> = HashMap::new();
    let mut outcome = Appended::default();
    for new in entries {
        let id = new.event_id.to_string();
        let (seq, prev) = match heads.get(&new.subject) {
            Some(h) => h.clone(),
            None => head
                .query_row([&new.subject], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)))
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok((0, hrms_audit::entry::GENESIS.to_owned())),
                    e => Err(e),
                })?,
        };
        let row = new.link(seq + 1, &prev, recorded_at);
        let time = format_time(&row.time);
        // A redelivered event is already there: nothing is written, and its
        // chain does not move. (Any other conflict, e.g. on `(subject, seq)`,
        // is an error and fails the batch.)
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
        ])?;
        if inserted == 0 {
            outcome.duplicates += 1;
            continue;
        }
        outcome.recorded += 1;
        states.insert(row.subject.clone(), id);
        heads.insert(row.subject, (row.seq, row.hash));
    }
    let mut put_head =
        tx.prepare_cached("INSERT OR REPLACE INTO audit_head (subject, seq, hash) VALUES (?1, ?2, ?3)")?;
    for (subject, (seq, hash)) in &heads {
        put_head.execute(params![subject, *seq as i64, hash])?;
    }
    let mut put_state = tx.prepare_cached(PUT_STATE)?;
    for (subject, event_id) in &states {
        put_state.execute(params![subject, event_id])?;
    }
    Ok(outcome)
}

/// The WHERE clause of `query`'s filters (and its cursor if `paged`), with
/// its arguments: only the filters given, so that SQLite can pick an index.
fn filter(query: &Query, paged: bool) -> (String, Vec<Sql>) {
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    let mut add = |clause: &str, value: Sql| {
        clauses.push(clause.to_owned());
        args.push(value);
    };
    if let Some(s) = &query.subject {
        add("subject = ?", Sql::Text(s.clone()));
    }
    if let Some(a) = &query.actor {
        add("actor = ?", Sql::Text(a.clone()));
    }
    if let Some(t) = &query.event_type {
        add("event_type = ?", Sql::Text(t.clone()));
    }
    if let Some(from) = &query.from {
        add("time >= ?", Sql::Text(format_time(from)));
    }
    if let Some(to) = &query.to {
        add("time < ?", Sql::Text(format_time(to)));
    }
    if let (true, Some(Cursor { time, event_id })) = (paged, &query.after) {
        let op = match query.order {
            Order::NewestFirst => "<",
            Order::OldestFirst => ">",
        };
        clauses.push(format!("(time, event_id) {op} (?, ?)"));
        args.push(Sql::Text(format_time(time)));
        args.push(Sql::Text(event_id.to_string()));
    }
    let sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    (sql, args)
}

fn entry(r: &Row<'_>) -> rusqlite::Result<Entry> {
    let text = |i: usize| r.get::<_, String>(i);
    let bad = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    Ok(Entry {
        event_id: Uuid::parse_str(&text(0)?).map_err(|e| bad(0, e.to_string()))?,
        subject: text(1)?,
        seq: r.get::<_, i64>(2)? as u64,
        event_type: text(3)?,
        actor: text(4)?,
        time: parse_time(&text(5)?).map_err(|e| bad(5, e))?,
        recorded_at: parse_time(&text(6)?).map_err(|e| bad(6, e))?,
        event: text(7)?,
        prev_hash: text(8)?,
        hash: text(9)?,
    })
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("bad time {text}: {e}"))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use hrms_audit::fixtures::employee_updated;
    use hrms_audit::persist;
    use hrms_audit::verify::{Problem, verify};

    use super::*;
    use crate::outbox::sqlite::connect;

    /// A log of two subjects with five rows each, and its file.
    async fn log() -> (SqliteAuditStore, std::path::PathBuf, [Uuid; 2]) {
        let dir = std::env::temp_dir().join(format!("hrms-audit-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("audit.db");
        let store = SqliteAuditStore::open(&path).expect("store");
        let subjects = [Uuid::now_v7(), Uuid::now_v7()];
        let t0 = Utc::now() - Duration::hours(1);
        let events: Vec<_> = (1..=5u64)
            .flat_map(|v| {
                subjects.map(|s| employee_updated(s, v, t0 + Duration::seconds(v as i64), Uuid::now_v7()))
            })
            .collect();
        persist(&store, &events).await.expect("persisted");
        (store, path, subjects)
    }

    /// Runs `sql` on the file as someone with the `sqlite3` shell would,
    /// the append-only triggers dropped first.
    fn tamper(path: &Path, sql: &str) {
        let conn = connect(path).expect("db");
        conn.execute_batch(
            "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;",
        )
        .expect("drop");
        conn.execute_batch(sql).expect("tamper");
    }

    async fn findings(store: &SqliteAuditStore) -> Vec<(Problem, String, u64)> {
        let report = verify(store).await.expect("verified");
        report.findings.into_iter().map(|f| (f.problem, f.subject, f.seq)).collect()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_long_batch_is_appended_in_parts_each_chain_whole_and_once() {
        let dir = crate::http::testing::temp_dir("audit-parts");
        let store = SqliteAuditStore::open(dir.join("audit.db")).expect("store");
        let subjects: Vec<Uuid> = (0..7).map(|_| Uuid::now_v7()).collect();
        let t0 = Utc::now() - Duration::hours(1);
        let events: Vec<_> = (0..350usize)
            .map(|i| {
                let version = (i / subjects.len()) as u64 + 1;
                employee_updated(subjects[i % 7], version, t0 + Duration::milliseconds(i as i64), subjects[0])
            })
            .collect();
        let appended = persist(&store, &events).await.expect("persisted");
        assert_eq!((appended.recorded, appended.duplicates), (350, 0));
        for subject in &subjects {
            let chain = store.chain(&subject.to_string()).await.expect("chain");
            let seqs: Vec<u64> = chain.iter().map(|e| e.seq).collect();
            assert_eq!(seqs, (1..=50).collect::<Vec<u64>>(), "one row per event, in order");
        }
        assert!(verify(&store).await.expect("verified").is_intact());
        let again = persist(&store, &events).await.expect("persisted again");
        assert_eq!((again.recorded, again.duplicates), (0, 350));
    }

    #[tokio::test]
    async fn rows_cannot_be_changed_or_removed_through_sql() {
        let (_store, path, [a, _]) = log().await;
        let conn = connect(&path).expect("db");
        let update = conn.execute("UPDATE audit_log SET actor = 'x' WHERE subject = ?1", [a.to_string()]);
        assert!(update.is_err_and(|e| e.to_string().contains("append-only")));
        assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    }

    #[tokio::test]
    async fn verify_names_a_row_edited_in_sqlite() {
        let (store, path, [a, _]) = log().await;
        assert!(findings(&store).await.is_empty());
        tamper(
            &path,
            &format!(
                "UPDATE audit_log SET event = replace(event, 'Engineering', 'Finance') WHERE subject = '{a}' AND seq = 3"
            ),
        );
        assert_eq!(findings(&store).await, vec![(Problem::Altered, a.to_string(), 3)]);
    }

    #[tokio::test]
    async fn verify_names_a_row_deleted_in_sqlite() {
        let (store, path, [a, b]) = log().await;
        tamper(&path, &format!("DELETE FROM audit_log WHERE subject = '{a}' AND seq = 2"));
        tamper(&path, &format!("DELETE FROM audit_log WHERE subject = '{b}' AND seq = 5"));
        let mut found = findings(&store).await;
        found.sort_by(|x, y| x.1.cmp(&y.1));
        let mut want = vec![(Problem::Removed, a.to_string(), 2), (Problem::Removed, b.to_string(), 5)];
        want.sort_by(|x, y| x.1.cmp(&y.1));
        assert_eq!(found, want);
    }

    #[tokio::test]
    async fn verify_names_rows_swapped_in_sqlite() {
        let (store, path, [a, _]) = log().await;
        tamper(
            &path,
            &format!(
                "UPDATE audit_log SET seq = -1 WHERE subject = '{a}' AND seq = 2;
                 UPDATE audit_log SET seq = 2 WHERE subject = '{a}' AND seq = 3;
                 UPDATE audit_log SET seq = 3 WHERE subject = '{a}' AND seq = -1;"
            ),
        );
        let found = findings(&store).await;
        assert_eq!(found, vec![(Problem::Reordered, a.to_string(), 2)]);
    }

    #[tokio::test]
    async fn verify_finds_a_chain_whose_rows_are_all_gone() {
        let (store, path, [a, _]) = log().await;
        tamper(&path, &format!("DELETE FROM audit_log WHERE subject = '{a}'"));
        assert_eq!(findings(&store).await, vec![(Problem::Removed, a.to_string(), 1)]);
    }
}
