//! The Leave store on SQLite (`<data dir>/leave.db`): one row per request
//! (the request as JSON, with its keys and dates in columns), one row per
//! balance (employee, type, year), and every write's events in the outbox
//! of the same transaction. The overlap check of a new request runs in
//! the transaction that inserts it: the writer commits one at a time, so
//! two overlapping requests cannot both pass.

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_events::leave::LeaveStatus;
use hrms_leave::{Balance, Leave, LeaveQuery, LeaveStore, StoreError};
use rusqlite::{Connection, ErrorCode, params, params_from_iter};
use uuid::Uuid;

use hrms_platform::store::StoreContext;
use hrms_sqlite::{Database, Store};

const MIGRATIONS: &[&str] = &["CREATE TABLE leave_request (
        leave_id TEXT PRIMARY KEY,
        employee_id TEXT NOT NULL,
        approver_id TEXT,
        status TEXT NOT NULL,
        start_date TEXT NOT NULL,
        end_date TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX leave_by_employee ON leave_request (employee_id, start_date);
    CREATE INDEX leave_by_approver ON leave_request (approver_id, start_date);
    CREATE INDEX leave_by_start ON leave_request (start_date);
    CREATE TABLE leave_balance (
        employee_id TEXT NOT NULL,
        year INTEGER NOT NULL,
        leave_type TEXT NOT NULL,
        taken REAL NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (employee_id, year, leave_type)
    );"];

/// Requests, balances and their events in the service's database.
#[derive(Clone)]
pub struct SqliteLeaveStore {
    db: Database,
}

impl Store for SqliteLeaveStore {
    const NAME: &'static str = "leave";
    const MIGRATIONS: &'static [&'static str] = MIGRATIONS;
    type Error = StoreError;

    fn from_database(db: Database) -> Self {
        Self { db }
    }

    fn database(&self) -> &Database {
        &self.db
    }
}

impl SqliteLeaveStore {
    /// Writes `leave` (new, or the version after the stored one) and
    /// `balances` with `events`, all or nothing.
    async fn write(
        &self,
        leave: &Leave,
        balances: &[Balance],
        events: &[HrmsEvent],
        write: Write,
    ) -> Result<(), StoreError> {
        let (row, body) = (Row::of(leave), json(leave)?);
        let (leave, balances) = (leave.clone(), balances.to_vec());
        self.db
            .commit(events, move |tx| {
                let written = match write {
                    Write::Insert => match overlapping(tx, &leave)? {
                        Some(other) => return Ok(Err(StoreError::Overlap(other))),
                        None => insert(tx, &row, &body)?,
                    },
                    Write::Update => update(tx, &row, &body)?,
                };
                if written.is_err() {
                    return Ok(written);
                }
                for b in &balances {
                    if let Err(refused) = write_balance(tx, b)? {
                        return Ok(Err(refused));
                    }
                }
                Ok(Ok(()))
            })
            .await
            .context("writing a leave request")?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        Ok(self.db.run(f).await.context("reading leave requests")?)
    }
}

/// How a write meets the stored request: a new one, or its next version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Insert,
    Update,
}

fn json(leave: &Leave) -> Result<String, StoreError> {
    Ok(serde_json::to_string(leave).context("encoding a leave request")?)
}

fn parse(body: &str) -> rusqlite::Result<Leave> {
    serde_json::from_str(body)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// A status as its column holds it (`pending`, ...).
fn status(status: LeaveStatus) -> String {
    serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The key columns of a request.
struct Row {
    id: String,
    employee: String,
    approver: Option<String>,
    status: String,
    start: String,
    end: String,
    version: i64,
}

impl Row {
    fn of(l: &Leave) -> Self {
        Self {
            id: l.leave_id.to_string(),
            employee: l.employee_id.to_string(),
            approver: l.approver_id.map(|id| id.to_string()),
            status: status(l.status),
            start: l.start_date.to_string(),
            end: l.end_date.to_string(),
            version: l.version as i64,
        }
    }
}

/// The active request of the same employee that `leave` overlaps, if any.
fn overlapping(tx: &Connection, leave: &Leave) -> rusqlite::Result<Option<Uuid>> {
    let mut select = tx.prepare_cached(
        "SELECT body FROM leave_request WHERE employee_id = ?1 AND status IN ('pending', 'approved')
         AND start_date <= ?2 AND end_date >= ?3",
    )?;
    let row = Row::of(leave);
    let bodies = select.query_map(params![row.employee, row.end, row.start], |r| r.get::<_, String>(0))?;
    for body in bodies {
        let other = parse(&body?)?;
        if leave.overlaps(&other) {
            return Ok(Some(other.leave_id));
        }
    }
    Ok(None)
}

fn insert(tx: &Connection, r: &Row, body: &str) -> rusqlite::Result<Result<(), StoreError>> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO leave_request (leave_id, employee_id, approver_id, status, start_date, end_date, version, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![r.id, r.employee, r.approver, r.status, r.start, r.end, r.version, body]);
    match inserted {
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
            Ok(Err(StoreError::Conflict(format!("leave request {} exists", r.id))))
        }
        Err(e) => Err(e),
        Ok(_) => Ok(Ok(())),
    }
}

fn update(tx: &Connection, r: &Row, body: &str) -> rusqlite::Result<Result<(), StoreError>> {
    let changed = tx
        .prepare_cached(
            "UPDATE leave_request SET approver_id = ?2, status = ?3, version = ?4, body = ?5
             WHERE leave_id = ?1 AND version = ?4 - 1",
        )?
        .execute(params![r.id, r.approver, r.status, r.version, body])?;
    Ok(if changed == 0 {
        Err(StoreError::Conflict(format!("leave request {} changed since it was read", r.id)))
    } else {
        Ok(())
    })
}

/// Writes `b` if the stored balance has the version before it (none
/// stored: version 0).
fn write_balance(tx: &Connection, b: &Balance) -> rusqlite::Result<Result<(), StoreError>> {
    let (employee, version) = (b.employee_id.to_string(), b.version as i64);
    let written = if b.version == 1 {
        match tx
            .prepare_cached(
                "INSERT INTO leave_balance (employee_id, year, leave_type, taken, version) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![employee, b.year, b.leave_type, b.taken, version])
        {
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => 0,
            other => other?,
        }
    } else {
        tx.prepare_cached(
            "UPDATE leave_balance SET taken = ?4, version = ?5
             WHERE employee_id = ?1 AND year = ?2 AND leave_type = ?3 AND version = ?5 - 1",
        )?
        .execute(params![employee, b.year, b.leave_type, b.taken, version])?
    };
    Ok(if written == 0 {
        Err(StoreError::Conflict(format!(
            "the {} balance of {} changed since it was read",
            b.leave_type, b.year
        )))
    } else {
        Ok(())
    })
}

impl LeaveStore for SqliteLeaveStore {
    fn insert<'a>(
        &'a self,
        leave: &'a Leave,
        balances: &'a [Balance],
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.write(leave, balances, events, Write::Insert))
    }

    fn get(&self, leave_id: Uuid) -> BoxFuture<'_, Result<Option<Leave>, StoreError>> {
        Box::pin(self.read(move |conn| {
            let mut select = conn.prepare_cached("SELECT body FROM leave_request WHERE leave_id = ?1")?;
            let mut rows = select.query([leave_id.to_string()])?;
            rows.next()?.map(|r| parse(&r.get::<_, String>(0)?)).transpose()
        }))
    }

    fn update<'a>(
        &'a self,
        leave: &'a Leave,
        balances: &'a [Balance],
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.write(leave, balances, events, Write::Update))
    }

    fn list<'a>(&'a self, query: &'a LeaveQuery) -> BoxFuture<'a, Result<Vec<Leave>, StoreError>> {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        let mut add = |condition: &str, value: String| {
            values.push(value);
            conditions.push(format!("{condition} ?{}", values.len()));
        };
        if let Some(id) = query.employee_id {
            add("employee_id =", id.to_string());
        }
        if let Some(id) = query.approver_id {
            add("approver_id =", id.to_string());
        }
        if let Some(s) = query.status {
            add("status =", status(s));
        }
        if let Some(from) = query.from {
            add("end_date >=", from.to_string());
        }
        if let Some(to) = query.to {
            add("start_date <=", to.to_string());
        }
        let filter =
            if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!(
            "SELECT body FROM leave_request {filter} ORDER BY start_date DESC, leave_id DESC LIMIT {}",
            query.limit
        );
        Box::pin(self.read(move |conn| {
            let mut select = conn.prepare_cached(&sql)?;
            let bodies = select.query_map(params_from_iter(values), |r| r.get::<_, String>(0))?;
            bodies.map(|b| parse(&b?)).collect()
        }))
    }

    fn balances(&self, employee_id: Uuid, year: i32) -> BoxFuture<'_, Result<Vec<Balance>, StoreError>> {
        Box::pin(self.read(move |conn| {
            let mut select = conn.prepare_cached(
                "SELECT leave_type, taken, version FROM leave_balance WHERE employee_id = ?1 AND year = ?2
                 ORDER BY leave_type",
            )?;
            let rows = select.query_map(params![employee_id.to_string(), year], |r| {
                Ok(Balance {
                    employee_id,
                    leave_type: r.get(0)?,
                    year,
                    taken: r.get(1)?,
                    version: r.get::<_, i64>(2)? as u64,
                })
            })?;
            rows.collect()
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hrms_leave::fixtures::{date, leave};

    use super::*;

    #[tokio::test]
    async fn of_overlapping_requests_written_at_once_one_is_stored() {
        let dir = std::env::temp_dir().join(format!("hrms-leave-race-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let store = Arc::new(SqliteLeaveStore::open(dir.join("leave.db")).expect("store"));
        let employee = Uuid::now_v7();
        let racers: Vec<_> = (0..8u32)
            .map(|i| {
                let (store, l) = (store.clone(), leave(employee, date(2027, 3, 1 + i % 3), date(2027, 3, 5)));
                tokio::spawn(async move { store.insert(&l, &[], &[]).await })
            })
            .collect();
        let mut stored = 0;
        for racer in racers {
            match racer.await.expect("joined") {
                Ok(()) => stored += 1,
                Err(StoreError::Overlap(_)) => {}
                Err(e) => panic!("want an overlap, got {e:?}"),
            }
        }
        assert_eq!(stored, 1);
        assert_eq!(store.list(&LeaveQuery::of(employee, 10)).await.expect("list").len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }
}
