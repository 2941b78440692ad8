//! `GET /users` on SQLite: one `SELECT` in id order, each filter on an
//! indexed column (see the migrations), the cursor the last id of the page
//! before.

use hrms_platform::store::StoreContext;
use hrms_user::listing::{UserPage, UserQuery};
use hrms_user::{StoreError, User};
use rusqlite::types::Value;
use serde::Serialize;
use uuid::Uuid;

use super::SqliteUserStore;

/// The end of a prefix range: above every text that starts with the prefix.
const AFTER_PREFIX: char = '\u{10FFFF}';

/// A status or role as stored: its JSON string.
pub(super) fn text(value: impl Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The statement listing `query` (one row more than the page, to tell
/// whether another follows) and its parameters.
pub(super) fn select(query: &UserQuery) -> Result<(String, Vec<Value>), StoreError> {
    let f = &query.filter;
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let mut add = |condition: &'static str, value: String| {
        conditions.push(condition);
        values.push(Value::Text(value));
    };
    if let Some(cursor) = &query.cursor {
        let after = Uuid::parse_str(cursor).map_err(|e| StoreError::InvalidCursor(e.to_string()))?;
        add("user_id > ?", after.to_string());
    }
    if let Some(employee) = f.employee_id {
        add("employee_id = ?", employee.to_string());
    }
    if let Some(status) = f.status {
        add("status = ?", text(status));
    }
    if let Some(role) = f.role {
        add("role = ?", text(role));
    }
    if let Some(name) = &f.name {
        let name = name.to_lowercase();
        add("name_key >= ?", name.clone());
        add("name_key < ?", format!("{name}{AFTER_PREFIX}"));
    }
    if let Some(email) = &f.email {
        let email = email.to_lowercase();
        add("email_key >= ?", email.clone());
        add("email_key < ?", format!("{email}{AFTER_PREFIX}"));
    }
    let filter =
        if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let sql = format!("SELECT body FROM user_account{filter} ORDER BY user_id LIMIT {}", query.limit + 1);
    Ok((sql, values))
}

impl SqliteUserStore {
    pub(super) async fn list_users(&self, query: &UserQuery) -> Result<UserPage, StoreError> {
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
            .context("listing accounts")?;
        // Where, not what: serde's message may quote a value of the record.
        let mut users =
            bodies.iter().map(|b| serde_json::from_str::<User>(b)).collect::<Result<Vec<_>, _>>().map_err(
                |e| StoreError::Unavailable(format!("unreadable account ({:?})", e.classify()).into()),
            )?;
        let next_cursor = (users.len() > query.limit).then(|| users[query.limit - 1].user_id.to_string());
        users.truncate(query.limit);
        Ok(UserPage { users, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use hrms_events::Role;
    use hrms_events::user::UserStatus;
    use hrms_sqlite::Store as _;
    use hrms_user::listing::UserFilter;

    use super::*;

    #[test]
    fn every_filter_is_searched_through_an_index_never_a_scan() {
        let dir = hrms_platform::testing::TempDir::new("user-plan");
        let path = dir.0.join("user.db");
        let _store = SqliteUserStore::open(&path).expect("store");
        let conn = rusqlite::Connection::open(&path).expect("connection");
        let cases: Vec<(UserFilter, &str)> = vec![
            (UserFilter::default(), "sqlite_autoindex_user_account_1"),
            (UserFilter { status: Some(UserStatus::Suspended), ..Default::default() }, "user_by_status"),
            (UserFilter { role: Some(Role::Manager), ..Default::default() }, "user_by_role"),
            (UserFilter { name: Some("ada".into()), ..Default::default() }, "user_by_name"),
            (UserFilter { email: Some("ada".into()), ..Default::default() }, "email_key"),
            (UserFilter { employee_id: Some(Uuid::now_v7()), ..Default::default() }, "user_by_employee"),
        ];
        for (filter, index) in cases {
            let query =
                UserQuery { filter: filter.clone(), cursor: Some(Uuid::now_v7().to_string()), limit: 50 };
            let (sql, values) = select(&query).expect("select");
            let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
            let rows = explain
                .query_map(rusqlite::params_from_iter(values), |r| r.get::<_, String>(3))
                .expect("plan");
            let steps: Vec<String> = rows.map(|r| r.expect("step")).collect();
            let searched =
                steps.iter().any(|s| s.starts_with("SEARCH user_account USING") && s.contains(index));
            assert!(searched, "{filter:?}: want a search through {index}, planned {steps:?}");
            assert!(!steps.iter().any(|s| s.starts_with("SCAN user_account")), "{filter:?}: {steps:?}");
        }
    }
}
