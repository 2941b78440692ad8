//! The Employee store on SQLite (`<data dir>/employee.db`): one row per
//! employee (the record as JSON, with its keys in columns), the e-mail
//! unique lower-cased, and every write's events in the outbox of the same
//! transaction.

use futures::future::BoxFuture;
use hrms_employee::listing::{EmployeePage, EmployeeQuery};
use hrms_employee::{Employee, EmployeeStore, StoreError};
use hrms_events::HrmsEvent;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use hrms_platform::store::StoreContext;
use hrms_sqlite::{Database, Store, write_record};

mod list;

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE employee (
        employee_id TEXT PRIMARY KEY,
        email_key TEXT NOT NULL UNIQUE,
        user_id TEXT,
        manager_id TEXT,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX employee_manager ON employee (manager_id);",
    // The listing's filters (see `list`): each in the listing's order.
    "ALTER TABLE employee ADD COLUMN department_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE employee ADD COLUMN country TEXT NOT NULL DEFAULT '';
    ALTER TABLE employee ADD COLUMN last_name_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE employee ADD COLUMN hire_date TEXT NOT NULL DEFAULT '';
    UPDATE employee SET department_key = lower(json_extract(body, '$.department')),
        country = json_extract(body, '$.country'),
        last_name_key = lower(json_extract(body, '$.last_name')),
        hire_date = json_extract(body, '$.hire_date');
    DROP INDEX employee_manager;
    CREATE INDEX employee_by_manager ON employee (manager_id, employee_id);
    CREATE INDEX employee_by_department ON employee (department_key, employee_id);
    CREATE INDEX employee_by_country ON employee (country, employee_id);
    CREATE INDEX employee_by_status ON employee (status, employee_id);
    CREATE INDEX employee_by_name ON employee (last_name_key);
    CREATE INDEX employee_by_hire ON employee (hire_date);",
];

/// Employees and their events in the service's database.
#[derive(Clone)]
pub struct SqliteEmployeeStore {
    db: Database,
}

impl Store for SqliteEmployeeStore {
    const NAME: &'static str = "employee";
    const MIGRATIONS: &'static [&'static str] = MIGRATIONS;
    type Error = StoreError;

    fn from_database(db: Database) -> Self {
        Self { db }
    }

    fn database(&self) -> &Database {
        &self.db
    }
}

impl SqliteEmployeeStore {
    /// Writes `employee` with `sql` (insert, or update of the version
    /// before) and its events; a taken e-mail or id, or a stale version, is
    /// a conflict.
    async fn write(
        &self,
        sql: &'static str,
        employee: &Employee,
        events: &[HrmsEvent],
    ) -> Result<(), StoreError> {
        let r = row(employee)?;
        let outcome = self
            .db
            .commit(events, move |tx| {
                let row = params![
                    r.id,
                    r.email_key,
                    r.user_id,
                    r.manager_id,
                    r.status,
                    r.version,
                    r.body,
                    r.department_key,
                    r.country,
                    r.last_name_key,
                    r.hire_date
                ];
                write_record(tx, sql, row, "employee", &r.id)
            })
            .await
            .context("writing an employee")?;
        outcome.map_err(StoreError::Conflict)
    }
}

/// The columns of a record.
struct Row {
    id: String,
    email_key: String,
    user_id: Option<String>,
    manager_id: Option<String>,
    status: String,
    version: i64,
    body: String,
    department_key: String,
    country: String,
    last_name_key: String,
    hire_date: String,
}

fn row(e: &Employee) -> Result<Row, StoreError> {
    Ok(Row {
        id: e.employee_id.to_string(),
        email_key: e.email.to_lowercase(),
        user_id: e.user_id.map(|id| id.to_string()),
        manager_id: e.manager_id.map(|id| id.to_string()),
        status: serde_json::to_value(e.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        version: e.version as i64,
        body: serde_json::to_string(e).context("encoding an employee")?,
        department_key: e.department.to_lowercase(),
        country: e.country.clone(),
        last_name_key: e.last_name.to_lowercase(),
        hire_date: e.hire_date.to_string(),
    })
}

impl EmployeeStore for SqliteEmployeeStore {
    fn insert<'a>(
        &'a self,
        employee: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.write(
            "INSERT INTO employee (employee_id, email_key, user_id, manager_id, status, version, body,
                 department_key, country, last_name_key, hire_date)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            employee,
            events,
        ))
    }

    fn get(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Employee>, StoreError>> {
        Box::pin(async move {
            let body = self
                .db
                .run(move |conn| {
                    conn.prepare_cached("SELECT body FROM employee WHERE employee_id = ?1")?
                        .query_row([employee_id.to_string()], |r| r.get::<_, String>(0))
                        .optional()
                })
                .await
                .context("reading an employee")?;
            let employee = body.map(|b| serde_json::from_str(&b)).transpose();
            Ok(employee.with_context(|| format!("unreadable employee {employee_id}"))?)
        })
    }

    fn update<'a>(
        &'a self,
        employee: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.write(
            "UPDATE employee SET email_key = ?2, user_id = ?3, manager_id = ?4, status = ?5, version = ?6, body = ?7,
                 department_key = ?8, country = ?9, last_name_key = ?10, hire_date = ?11
             WHERE employee_id = ?1 AND version = ?6 - 1",
            employee,
            events,
        ))
    }

    fn list<'a>(&'a self, query: &'a EmployeeQuery) -> BoxFuture<'a, Result<EmployeePage, StoreError>> {
        Box::pin(self.list_employees(query))
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use hrms_employee::EmployeeError;
    use hrms_platform::{Cause, Chain};

    use super::*;

    #[tokio::test]
    async fn a_failing_read_is_unavailable_and_its_chain_reaches_the_sqlite_error() {
        let dir = hrms_platform::testing::temp_dir("employee-chain");
        let path = dir.join("employee.db");
        let store = SqliteEmployeeStore::open(&path).expect("store");
        // The table goes from under the store: its next read fails in SQLite.
        let other = rusqlite::Connection::open(&path).expect("a second connection");
        other.execute_batch("DROP TABLE employee").expect("dropped");

        let failed = store.get(Uuid::now_v7()).await.expect_err("the table is gone");
        assert!(matches!(failed, StoreError::Unavailable(_)), "{failed:?}");
        let causes: Vec<&(dyn Error + 'static)> =
            std::iter::successors(failed.source(), |&e| e.source()).collect();
        let kept = causes.iter().find_map(|e| e.downcast_ref::<Cause>()).expect("the cause kept");
        assert!(kept.inner().downcast_ref::<hrms_sqlite::Error>().is_some(), "{kept:?}");
        let sqlite =
            causes.iter().find_map(|e| e.downcast_ref::<rusqlite::Error>()).expect("the SQLite error");
        assert_eq!(sqlite.sqlite_error_code(), Some(rusqlite::ErrorCode::Unknown), "{sqlite:?}");
        let last = causes.last().expect("causes");
        assert!(last.source().is_none() && last.to_string().contains("SQL logic error"), "{last}");

        let chain = Chain(&failed).to_string();
        assert!(
            chain.starts_with(
                "employee store unavailable: reading an employee: SQLite statement failed: no such table: employee"
            ),
            "{chain}"
        );
        let answer = EmployeeError::from(failed);
        assert!(
            Chain(&answer).to_string().starts_with("unavailable: employee store unavailable: "),
            "{answer:?}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
