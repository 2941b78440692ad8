//! `GET /employees` on SQLite: one `SELECT` in id order, each filter on a
//! column of its own with an index (see the migrations), the cursor the
//! last id of the page before.

use hrms_employee::listing::{EmployeePage, EmployeeQuery};
use hrms_employee::{Employee, StoreError};
use hrms_platform::store::StoreContext;
use rusqlite::types::Value;
use uuid::Uuid;

use super::SqliteEmployeeStore;

/// The end of a prefix range: above every text that starts with the prefix.
const AFTER_PREFIX: char = '\u{10FFFF}';

/// The statement listing `query` (one row more than the page, to tell
/// whether another follows) and its parameters.
pub(super) fn select(query: &EmployeeQuery) -> Result<(String, Vec<Value>), StoreError> {
    let f = &query.filter;
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let mut add = |condition: &'static str, value: String| {
        conditions.push(condition);
        values.push(Value::Text(value));
    };
    if let Some(cursor) = &query.cursor {
        let after = Uuid::parse_str(cursor).map_err(|e| StoreError::InvalidCursor(e.to_string()))?;
        add("employee_id > ?", after.to_string());
    }
    if let Some(department) = &f.department {
        add("department_key = ?", department.to_lowercase());
    }
    if let Some(status) = f.status {
        let status = serde_json::to_value(status).context("encoding a status")?;
        add("status = ?", status.as_str().unwrap_or_default().to_owned());
    }
    if let Some(manager) = f.manager_id {
        add("manager_id = ?", manager.to_string());
    }
    if let Some(country) = &f.country {
        add("country = ?", country.to_uppercase());
    }
    if let Some(name) = &f.name {
        let name = name.to_lowercase();
        add("last_name_key >= ?", name.clone());
        add("last_name_key < ?", format!("{name}{AFTER_PREFIX}"));
    }
    if let Some(email) = &f.email {
        let email = email.to_lowercase();
        add("email_key >= ?", email.clone());
        add("email_key < ?", format!("{email}{AFTER_PREFIX}"));
    }
    if let Some(from) = f.hired_from {
        add("hire_date >= ?", from.to_string());
    }
    if let Some(to) = f.hired_to {
        add("hire_date <= ?", to.to_string());
    }
    let filter =
        if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let sql = format!("SELECT body FROM employee{filter} ORDER BY employee_id LIMIT {}", query.limit + 1);
    Ok((sql, values))
}

impl SqliteEmployeeStore {
    pub(super) async fn list_employees(&self, query: &EmployeeQuery) -> Result<EmployeePage, StoreError> {
        let (sql, values) = select(query)?;
        let bodies = self
            .db
            .run(move |conn| {
                let mut statement = conn.prepare_cached(&sql)?;
                let rows =
                    statement.query_map(rusqlite::params_from_iter(values), |r| r.get::<_, String>(0))?;
                rows.collect::<rusqlite::Result<Vec<String>>>()
            })
            .await
            .context("listing employees")?;
        let mut employees = bodies
            .iter()
            .map(|b| serde_json::from_str::<Employee>(b))
            .collect::<Result<Vec<_>, _>>()
            .context("unreadable employee")?;
        let next_cursor =
            (employees.len() > query.limit).then(|| employees[query.limit - 1].employee_id.to_string());
        employees.truncate(query.limit);
        Ok(EmployeePage { employees, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use hrms_employee::listing::EmployeeFilter;
    use hrms_events::employee::EmployeeStatus;
    use hrms_sqlite::Store as _;

    use super::*;

    /// What SQLite plans for `filter`: each step's detail.
    fn plan(conn: &rusqlite::Connection, filter: EmployeeFilter) -> Vec<String> {
        let query = EmployeeQuery { filter, cursor: Some(Uuid::now_v7().to_string()), limit: 50 };
        let (sql, values) = select(&query).expect("select");
        let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
        let rows =
            explain.query_map(rusqlite::params_from_iter(values), |r| r.get::<_, String>(3)).expect("plan");
        rows.map(|r| r.expect("step")).collect()
    }

    #[test]
    fn every_filter_is_searched_through_an_index_never_a_scan() {
        let dir = hrms_platform::testing::TempDir::new("employee-plan");
        let path = dir.0.join("employee.db");
        let _store = SqliteEmployeeStore::open(&path).expect("store");
        let conn = rusqlite::Connection::open(&path).expect("connection");
        let day = NaiveDate::from_ymd_opt(2026, 1, 1);
        let cases: Vec<(EmployeeFilter, &str)> = vec![
            (EmployeeFilter::default(), "sqlite_autoindex_employee_1"),
            (
                EmployeeFilter { department: Some("Sales".into()), ..Default::default() },
                "employee_by_department",
            ),
            (
                EmployeeFilter { status: Some(EmployeeStatus::Active), ..Default::default() },
                "employee_by_status",
            ),
            (
                EmployeeFilter { manager_id: Some(Uuid::now_v7()), ..Default::default() },
                "employee_by_manager",
            ),
            (EmployeeFilter { country: Some("DE".into()), ..Default::default() }, "employee_by_country"),
            (EmployeeFilter { name: Some("lov".into()), ..Default::default() }, "employee_by_name"),
            (EmployeeFilter { email: Some("ada".into()), ..Default::default() }, "email_key"),
            (EmployeeFilter { hired_from: day, hired_to: day, ..Default::default() }, "employee_by_hire"),
        ];
        for (filter, index) in cases {
            let steps = plan(&conn, filter.clone());
            let searched = steps.iter().any(|s| s.starts_with("SEARCH employee USING") && s.contains(index));
            assert!(searched, "{filter:?}: want a search through {index}, planned {steps:?}");
            assert!(!steps.iter().any(|s| s.starts_with("SCAN employee")), "{filter:?}: {steps:?}");
        }
    }
}
