//! The User store on SQLite (`<data dir>/user.db`): one row per account
//! (the account as JSON, with its keys in columns; the password hash is in
//! that JSON and nowhere else), the e-mail unique lower-cased, and every
//! write's events in the outbox of the same transaction.

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_user::listing::{UserPage, UserQuery};
use hrms_user::{StoreError, User, UserStore};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use hrms_platform::store::StoreContext;
use hrms_sqlite::{Database, Store, write_record};

mod list;

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE user_account (
        user_id TEXT PRIMARY KEY,
        email_key TEXT NOT NULL UNIQUE,
        employee_id TEXT,
        version INTEGER NOT NULL,
        body TEXT NOT NULL
    );",
    // The listing's filters (see `list`): each in the listing's order.
    "ALTER TABLE user_account ADD COLUMN status TEXT NOT NULL DEFAULT '';
    ALTER TABLE user_account ADD COLUMN role TEXT NOT NULL DEFAULT '';
    ALTER TABLE user_account ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
    UPDATE user_account SET status = json_extract(body, '$.status'), role = json_extract(body, '$.role'),
        name_key = lower(json_extract(body, '$.full_name'));
    CREATE INDEX user_by_status ON user_account (status, user_id);
    CREATE INDEX user_by_role ON user_account (role, user_id);
    CREATE INDEX user_by_name ON user_account (name_key);",
    // The accounts of an employee (a termination suspends them).
    "CREATE INDEX user_by_employee ON user_account (employee_id, user_id);",
];

/// Accounts and their events in the service's database.
#[derive(Clone)]
pub struct SqliteUserStore {
    db: Database,
}

impl Store for SqliteUserStore {
    const NAME: &'static str = "user";
    const MIGRATIONS: &'static [&'static str] = MIGRATIONS;
    type Error = StoreError;

    fn from_database(db: Database) -> Self {
        Self { db }
    }

    fn database(&self) -> &Database {
        &self.db
    }
}

impl SqliteUserStore {
    /// Writes `user` with `sql` (insert or versioned update) and its events.
    async fn write(&self, sql: &'static str, user: &User, events: &[HrmsEvent]) -> Result<(), StoreError> {
        let body = serde_json::to_string(user).context("encoding an account")?;
        let (id, email, employee) =
            (user.user_id.to_string(), user.email.to_lowercase(), user.employee_id.map(|id| id.to_string()));
        let version = user.version as i64;
        let (status, role, name_key) =
            (list::text(user.status), list::text(user.role), user.full_name.to_lowercase());
        let outcome = self
            .db
            .commit(events, move |tx| {
                let row = params![id, email, employee, version, body, status, role, name_key];
                write_record(tx, sql, row, "account", &id)
            })
            .await
            .context("writing an account")?;
        outcome.map_err(StoreError::Conflict)
    }
}

impl UserStore for SqliteUserStore {
    fn insert<'a>(
        &'a self,
        user: &'a User,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.write(
            "INSERT INTO user_account (user_id, email_key, employee_id, version, body, status, role, name_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            user,
            events,
        ))
    }

    fn get(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<User>, StoreError>> {
        Box::pin(async move {
            let body = self
                .db
                .run(move |conn| {
                    conn.prepare_cached("SELECT body FROM user_account WHERE user_id = ?1")?
                        .query_row([user_id.to_string()], |r| r.get::<_, String>(0))
                        .optional()
                })
                .await
                .context("reading an account")?;
            // Where, not what: serde's message may quote a value of the record.
            body.map(|b| serde_json::from_str(&b)).transpose().map_err(|e| {
                let at = format!("line {}, column {}", e.line(), e.column());
                StoreError::Unavailable(
                    format!("unreadable account {user_id} ({:?} at {at})", e.classify()).into(),
                )
            })
        })
    }

    fn find_email<'a>(&'a self, email: &'a str) -> BoxFuture<'a, Result<Option<Uuid>, StoreError>> {
        let key = email.trim().to_lowercase();
        Box::pin(async move {
            let id = self
                .db
                .run(move |conn| {
                    conn.prepare_cached("SELECT user_id FROM user_account WHERE email_key = ?1")?
                        .query_row([key], |r| r.get::<_, String>(0))
                        .optional()
                })
                .await
                .context("finding an e-mail address")?;
            Ok(id.and_then(|id| id.parse().ok()))
        })
    }

    fn update<'a>(
        &'a self,
        user: &'a User,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.write(
            "UPDATE user_account SET email_key = ?2, employee_id = ?3, version = ?4, body = ?5,
                 status = ?6, role = ?7, name_key = ?8
             WHERE user_id = ?1 AND version = ?4 - 1",
            user,
            events,
        ))
    }

    fn list<'a>(&'a self, query: &'a UserQuery) -> BoxFuture<'a, Result<UserPage, StoreError>> {
        Box::pin(self.list_users(query))
    }
}
