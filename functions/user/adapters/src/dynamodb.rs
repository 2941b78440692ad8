//! The User store on DynamoDB (table `<prefix>user`): the account, the item
//! that reserves its lower-cased e-mail (kept when the account is deleted),
//! and the events of each write, in one transaction (see the key design in
//! [`super`]); listed through the table's global indexes ([`LAYOUT`], see
//! `list`). The password hash is in the account's `record` and nowhere
//! else: not in the e-mail item, the events, or an error message.

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_user::listing::{UserPage, UserQuery};
use hrms_user::{StoreError, User, UserStore};
use uuid::Uuid;

use hrms_dynamodb::versioned::{Kind, Record, Versioned};
use hrms_dynamodb::{Failure, Store, Table};
use hrms_platform::store::StoreContext;

mod list;
pub use list::LAYOUT;

const ACCOUNTS: Kind =
    Kind { entity: "USER", owner: "user_id", noun: "account", exists: "an account with this id exists" };

/// Accounts and their events in the service's table.
#[derive(Clone)]
pub struct DynamoUserStore {
    records: Versioned,
}

impl Store for DynamoUserStore {
    type Error = StoreError;

    fn from_table(table: Table) -> Self {
        Self { records: Versioned::new(table, &ACCOUNTS) }
    }

    fn table(&self) -> &Table {
        self.records.table()
    }
}

fn record(user: &User) -> Result<Record<'_>, Failure> {
    let json = serde_json::to_string(user).context("encoding an account")?;
    Ok(Record {
        id: user.user_id,
        email: &user.email,
        version: user.version,
        json,
        indexed: list::indexed(user),
    })
}

impl UserStore for DynamoUserStore {
    fn insert<'a>(
        &'a self,
        user: &'a User,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { Ok(self.records.insert(record(user)?, events).await?) })
    }

    fn get(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<User>, StoreError>> {
        Box::pin(async move {
            let Some(json) = self.records.get(user_id).await? else {
                return Ok(None);
            };
            // Where, not what: serde's message may quote a value of the record.
            let user = serde_json::from_str(&json).map_err(|e| {
                let at = format!("line {}, column {}", e.line(), e.column());
                StoreError::Unavailable(
                    format!("unreadable account {user_id} ({:?} at {at})", e.classify()).into(),
                )
            })?;
            Ok(Some(user))
        })
    }

    fn find_email<'a>(&'a self, email: &'a str) -> BoxFuture<'a, Result<Option<Uuid>, StoreError>> {
        Box::pin(async move { Ok(self.records.owner_of(email).await?) })
    }

    fn update<'a>(
        &'a self,
        user: &'a User,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { Ok(self.records.update(record(user)?, events).await?) })
    }

    fn list<'a>(&'a self, query: &'a UserQuery) -> BoxFuture<'a, Result<UserPage, StoreError>> {
        Box::pin(self.list_users(query))
    }
}

#[cfg(test)]
mod tests;
