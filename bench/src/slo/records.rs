//! What the system recorded, read after (or while) it runs: the audit log's
//! rows (event time and when persisted), the Notification function's
//! e-mail deliveries and their status, the rows left in the functions'
//! outboxes ([`Records`]: from the functions' SQLite files or their
//! DynamoDB tables), and the SMTP server's arrivals
//! (`bench/python/slo_smtp.py`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

use super::dynamo;

/// Where the functions keep their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// A SQLite file each, under the run's `data/`.
    Sqlite,
    /// A DynamoDB table each, on the moto server the run starts.
    Dynamodb,
}

/// Where the functions' records are read.
#[derive(Clone)]
pub enum Records {
    /// Each function's SQLite file, by function.
    Sqlite(BTreeMap<String, PathBuf>),
    /// The functions' DynamoDB tables.
    Dynamo(dynamo::Tables),
}

impl Records {
    /// Every row of the audit log.
    pub async fn audit_log(&self) -> anyhow::Result<Vec<Audited>> {
        match self {
            Self::Sqlite(files) => {
                let path = files.get("audit").context("no audit store")?.clone();
                blocking(move || audit_log(&path)).await
            }
            Self::Dynamo(tables) => tables.audit_log().await,
        }
    }

    /// E-mail deliveries by status (`pending`, `sent`, `failed`, `dead`).
    pub async fn email_deliveries(&self) -> anyhow::Result<BTreeMap<String, usize>> {
        match self {
            Self::Sqlite(files) => {
                let path = files.get("notification").context("no notification store")?.clone();
                blocking(move || email_deliveries(&path)).await
            }
            Self::Dynamo(tables) => tables.email_deliveries().await,
        }
    }

    /// The events still in the functions' outboxes (committed, not yet
    /// acknowledged by the broker): id -> type. A SQLite file that cannot
    /// be read counts as empty.
    pub async fn outboxes(&self) -> anyhow::Result<HashMap<String, String>> {
        match self {
            Self::Sqlite(files) => {
                let files: Vec<PathBuf> = files.values().cloned().collect();
                blocking(move || {
                    Ok::<_, rusqlite::Error>(
                        files.iter().flat_map(|path| outbox(path).unwrap_or_default()).collect(),
                    )
                })
                .await
            }
            Self::Dynamo(tables) => tables.outboxes().await,
        }
    }
}

/// `read` on a blocking thread.
async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> rusqlite::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    Ok(tokio::task::spawn_blocking(read).await.context("a reader's task")??)
}

/// A row of the audit log.
pub struct Audited {
    pub event_id: String,
    pub time: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

pub(super) fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// Every row of the audit log at `path` (none while it does not exist).
fn audit_log(path: &Path) -> rusqlite::Result<Vec<Audited>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let conn = open(path)?;
    let mut statement = conn.prepare("SELECT event_id, time, recorded_at FROM audit_log")?;
    let rows = statement
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    let mut audited = Vec::new();
    for row in rows {
        let (event_id, t, recorded) = row?;
        if let (Some(time), Some(recorded_at)) = (time(&t), time(&recorded)) {
            audited.push(Audited { event_id, time, recorded_at });
        }
    }
    Ok(audited)
}

/// E-mail deliveries by status in the SQLite file at `path`.
fn email_deliveries(path: &Path) -> rusqlite::Result<BTreeMap<String, usize>> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let conn = open(path)?;
    let mut statement =
        conn.prepare("SELECT status, count(*) FROM delivery WHERE channel = 'email' GROUP BY status")?;
    let rows = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    rows.map(|r| r.map(|(s, n)| (s, n as usize))).collect()
}

/// The events still in the outbox at `path`: id -> type.
fn outbox(path: &Path) -> rusqlite::Result<HashMap<String, String>> {
    if !path.exists() {
        return Ok(HashMap::new());
    }
    let conn = open(path)?;
    let mut statement = conn.prepare("SELECT event_id, event FROM outbox")?;
    let rows = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut left = HashMap::new();
    for row in rows {
        let (id, event) = row?;
        left.insert(id, event_type(&event));
    }
    Ok(left)
}

/// The type of a structured-mode CloudEvent (empty if unreadable).
pub(super) fn event_type(event: &str) -> String {
    serde_json::from_str::<serde_json::Value>(event)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// The SMTP server's record: Message-ID -> arrival times (Unix seconds).
pub fn arrivals(path: &Path) -> HashMap<String, Vec<f64>> {
    let mut arrivals: HashMap<String, Vec<f64>> = HashMap::new();
    let Ok(text) = std::fs::read_to_string(path) else { return arrivals };
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let (Some(id), Some(at)) = (v["message_id"].as_str(), v["at"].as_f64()) else { continue };
        arrivals.entry(id.to_owned()).or_default().push(at);
    }
    arrivals
}

/// The event a Message-ID is about (`<event id>.<channel>.<digest>@hrms`).
pub fn event_of(message_id: &str) -> &str {
    message_id.split('.').next().unwrap_or(message_id)
}

/// The ids audited more than once (the log's ids are unique: in SQLite by
/// its schema, in DynamoDB by the `EVENT#<id>` item each row's transaction
/// puts if absent; so this counts what that would let through: none).
pub fn audit_duplicates(rows: &[Audited]) -> usize {
    let mut seen = HashSet::new();
    rows.iter().filter(|r| !seen.insert(r.event_id.as_str())).count()
}
