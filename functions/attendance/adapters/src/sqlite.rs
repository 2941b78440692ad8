//! The Attendance store on SQLite (`<data dir>/attendance.db`): one row per
//! record (the record as JSON, with its keys in columns), at most one open
//! record per employee (a unique partial index), no two of an employee's
//! records overlapping (checked in each write's transaction), and every
//! write's events in the outbox of the same transaction.

use futures::future::BoxFuture;
use hrms_attendance::overlap::{end_key, judge};
use hrms_attendance::store::sortable;
use hrms_attendance::{AttendanceRecord, AttendanceStore, RecordsQuery, StoreError};
use hrms_events::HrmsEvent;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use uuid::Uuid;

use hrms_platform::store::StoreContext;
use hrms_sqlite::{Database, Store};

const MIGRATIONS: &[&str] = &["CREATE TABLE attendance (
        record_id TEXT PRIMARY KEY,
        employee_id TEXT NOT NULL,
        check_in TEXT NOT NULL,
        open INTEGER NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE UNIQUE INDEX attendance_open ON attendance (employee_id) WHERE open = 1;
    CREATE INDEX attendance_employee ON attendance (employee_id, check_in);
    CREATE INDEX attendance_check_in ON attendance (check_in);"];

/// Attendance records and their events in the service's database.
#[derive(Clone)]
pub struct SqliteAttendanceStore {
    db: Database,
}

impl Store for SqliteAttendanceStore {
    const NAME: &'static str = "attendance";
    const MIGRATIONS: &'static [&'static str] = MIGRATIONS;
    type Error = StoreError;

    fn from_database(db: Database) -> Self {
        Self { db }
    }

    fn database(&self) -> &Database {
        &self.db
    }
}

impl SqliteAttendanceStore {
    /// The records one query selects.
    async fn select(
        &self,
        sql: &'static str,
        args: Vec<Option<String>>,
    ) -> Result<Vec<AttendanceRecord>, StoreError> {
        let bodies = self
            .db
            .run(move |conn| {
                let mut select = conn.prepare_cached(sql)?;
                let rows = select.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(0))?;
                rows.collect::<rusqlite::Result<Vec<String>>>()
            })
            .await
            .context("reading attendance records")?;
        bodies.iter().map(|b| Ok(serde_json::from_str(b).context("unreadable record")?)).collect()
    }
}

/// The columns of a record.
struct Row {
    id: String,
    employee_id: String,
    check_in: String,
    open: bool,
    version: i64,
    body: String,
}

fn row(r: &AttendanceRecord) -> Result<Row, StoreError> {
    Ok(Row {
        id: r.record_id.to_string(),
        employee_id: r.employee_id.to_string(),
        check_in: sortable(r.check_in),
        open: r.is_open(),
        version: r.version as i64,
        body: serde_json::to_string(r).context("encoding an attendance record")?,
    })
}

/// An employee's records checked in before a time, latest first.
const EARLIER: &str =
    "SELECT body FROM attendance WHERE employee_id = ?1 AND check_in < ?2 ORDER BY check_in DESC";

/// Refuses `record`, just written in the transaction `tx` (which holds the
/// database's write lock, so no other writer can slip in between), if it
/// overlaps another of the employee's records: those checked in before it
/// ends, latest first, until one decides (see [`hrms_attendance::overlap`]),
/// on the index by employee and check-in.
fn no_overlap(tx: &Connection, record: &AttendanceRecord) -> rusqlite::Result<Result<(), StoreError>> {
    let mut earlier = tx.prepare_cached(EARLIER)?;
    let mut rows = earlier.query(params![record.employee_id.to_string(), end_key(record)])?;
    while let Some(row) = rows.next()? {
        let body = row.get::<_, String>(0)?;
        let other = match serde_json::from_str(&body).context("unreadable attendance record") {
            Ok(other) => other,
            Err(e) => return Ok(Err(StoreError::from(e))),
        };
        if let Some(decided) = judge(record, &other) {
            return Ok(decided.map_err(StoreError::from));
        }
    }
    Ok(Ok(()))
}

impl AttendanceStore for SqliteAttendanceStore {
    fn insert<'a>(
        &'a self,
        record: &'a AttendanceRecord,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let r = row(record)?;
            let written = record.clone();
            self.db
                .commit(events, move |tx| {
                    let inserted = tx
                        .prepare_cached(
                            "INSERT INTO attendance (record_id, employee_id, check_in, open, version, body)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        )?
                        .execute(params![r.id, r.employee_id, r.check_in, r.open, r.version, r.body]);
                    match inserted {
                        Ok(_) => no_overlap(tx, &written),
                        Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                            Ok(Err(StoreError::Conflict(if e.to_string().contains("record_id") {
                                format!("attendance record {} exists", r.id)
                            } else {
                                "checked in already: check out first".to_owned()
                            })))
                        }
                        Err(e) => Err(e),
                    }
                })
                .await
                .context("writing an attendance record")?
        })
    }

    fn update<'a>(
        &'a self,
        before: &'a AttendanceRecord,
        after: &'a AttendanceRecord,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if after.version != before.version + 1 || (after.is_open() && !before.is_open()) {
                return Err(StoreError::Conflict(format!(
                    "attendance record {} cannot go from version {} to {}, or be reopened",
                    before.record_id, before.version, after.version
                )));
            }
            let r = row(after)?;
            let written = after.clone();
            let previous = before.version as i64;
            self.db
                .commit(events, move |tx| {
                    let changed = tx
                        .prepare_cached(
                            "UPDATE attendance SET check_in = ?2, open = ?3, version = ?4, body = ?5
                             WHERE record_id = ?1 AND version = ?6",
                        )?
                        .execute(params![r.id, r.check_in, r.open, r.version, r.body, previous])?;
                    if changed != 1 {
                        let stale = format!("attendance record {} changed since it was read", r.id);
                        return Ok(Err(StoreError::Conflict(stale)));
                    }
                    no_overlap(tx, &written)
                })
                .await
                .context("writing an attendance record")?
        })
    }

    fn get(&self, record_id: Uuid) -> BoxFuture<'_, Result<Option<AttendanceRecord>, StoreError>> {
        Box::pin(async move {
            let found = self
                .select("SELECT body FROM attendance WHERE record_id = ?1", vec![Some(record_id.to_string())])
                .await?;
            Ok(found.into_iter().next())
        })
    }

    fn open(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<AttendanceRecord>, StoreError>> {
        Box::pin(async move {
            let body = self
                .db
                .run(move |conn| {
                    conn.prepare_cached("SELECT body FROM attendance WHERE employee_id = ?1 AND open = 1")?
                        .query_row([employee_id.to_string()], |r| r.get::<_, String>(0))
                        .optional()
                })
                .await
                .context("reading the open record")?;
            Ok(body.map(|b| serde_json::from_str(&b)).transpose().context("unreadable record")?)
        })
    }

    fn list<'a>(
        &'a self,
        query: &'a RecordsQuery,
    ) -> BoxFuture<'a, Result<Vec<AttendanceRecord>, StoreError>> {
        let range = [Some(sortable(query.from)), Some(sortable(query.to)), Some(query.limit.to_string())];
        // One statement per case, so that each uses its index.
        Box::pin(match query.employee_id {
            Some(id) => self.select(
                "SELECT body FROM attendance WHERE employee_id = ?4 AND check_in >= ?1 AND check_in < ?2
                 ORDER BY check_in, record_id LIMIT CAST(?3 AS INTEGER)",
                [range.to_vec(), vec![Some(id.to_string())]].concat(),
            ),
            None => self.select(
                "SELECT body FROM attendance WHERE check_in >= ?1 AND check_in < ?2
                 ORDER BY check_in, record_id LIMIT CAST(?3 AS INTEGER)",
                range.to_vec(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overlap_check_reads_the_employees_records_through_their_index() {
        let dir = hrms_platform::testing::TempDir::new("attendance-plan");
        let _store = <SqliteAttendanceStore as Store>::open(dir.0.join("attendance.db")).expect("store");
        let conn = hrms_sqlite::outbox::connect(dir.0.join("attendance.db")).expect("db");
        let plan: String =
            conn.query_row(&format!("EXPLAIN QUERY PLAN {EARLIER}"), ["", ""], |r| r.get(3)).expect("plan");
        assert!(plan.contains("USING INDEX attendance_employee (employee_id=? AND check_in<?)"), "{plan}");
    }
}
