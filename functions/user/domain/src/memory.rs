//! The User store in memory, for tests: the contract of the SQLite and
//! DynamoDB stores (unique ids and lower-cased e-mails, kept by deleted
//! accounts; writes on the stored version), events in a [`MemoryOutbox`].

use std::ops::Deref;

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_platform::testing::{MemoryTable, email_is_free};
use uuid::Uuid;

use crate::listing::{UserPage, UserQuery};
use crate::model::User;
use crate::store::{StoreError, UserStore};

/// Accounts by id, with their events.
#[derive(Default)]
pub struct MemoryUserStore(MemoryTable<User>);

impl Deref for MemoryUserStore {
    type Target = MemoryTable<User>;

    fn deref(&self) -> &MemoryTable<User> {
        &self.0
    }
}

impl MemoryUserStore {
    /// Stores `user` and its events if `allowed` (given what is stored
    /// under its id) passes and its e-mail is no other's.
    fn write(
        &self,
        user: &User,
        events: &[HrmsEvent],
        allowed: impl FnOnce(Option<&User>) -> Result<(), String>,
    ) -> Result<(), StoreError> {
        let id = user.user_id;
        let written = self.0.write(id, user, events, |rows| {
            allowed(rows.get(&id))?;
            email_is_free(rows.values().filter(|r| r.user_id != id).map(|r| r.email.as_str()), &user.email)
        });
        written.map_err(StoreError::Conflict)
    }
}

impl UserStore for MemoryUserStore {
    fn insert<'a>(
        &'a self,
        user: &'a User,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let id = user.user_id;
        let written = self.write(user, events, |stored| match stored {
            Some(_) => Err(format!("account {id} exists")),
            None => Ok(()),
        });
        Box::pin(async move { written })
    }

    fn get(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<User>, StoreError>> {
        let found = self.0.get(user_id);
        Box::pin(async move { Ok(found) })
    }

    fn find_email<'a>(&'a self, email: &'a str) -> BoxFuture<'a, Result<Option<Uuid>, StoreError>> {
        let key = email.trim().to_lowercase();
        let found = self.rows().values().find(|r| r.email.to_lowercase() == key).map(|r| r.user_id);
        Box::pin(async move { Ok(found) })
    }

    fn update<'a>(
        &'a self,
        user: &'a User,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let (id, version) = (user.user_id, user.version);
        let written = self.write(user, events, |stored| match stored {
            Some(s) if s.version + 1 == version => Ok(()),
            _ => Err(format!("account {id} changed since it was read")),
        });
        Box::pin(async move { written })
    }

    /// In id order; the cursor is the last id of the page before.
    fn list<'a>(&'a self, query: &'a UserQuery) -> BoxFuture<'a, Result<UserPage, StoreError>> {
        let after = match query.cursor.as_deref().map(Uuid::parse_str).transpose() {
            Ok(after) => after,
            Err(e) => return Box::pin(async move { Err(StoreError::InvalidCursor(e.to_string())) }),
        };
        let mut found: Vec<User> = self
            .rows()
            .values()
            .filter(|u| after.is_none_or(|a| u.user_id > a) && query.filter.matches(u))
            .cloned()
            .collect();
        found.sort_by_key(|u| u.user_id);
        let next_cursor = (found.len() > query.limit).then(|| found[query.limit - 1].user_id.to_string());
        found.truncate(query.limit);
        Box::pin(async move { Ok(UserPage { users: found, next_cursor }) })
    }
}
