//! The User store in memory, for tests: the contract of the SQLite and
//! DynamoDB stores (unique ids and lower-cased e-mails, kept by deleted
//! accounts; writes on the stored version), events in a [`MemoryOutbox`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_platform::testing::MemoryOutbox;
use uuid::Uuid;

use crate::model::User;
use crate::store::{StoreError, UserStore};

/// Accounts by id, with their events.
#[derive(Default)]
pub struct MemoryUserStore {
    rows: Mutex<HashMap<Uuid, User>>,
    outbox: Arc<MemoryOutbox>,
}

impl MemoryUserStore {
    fn rows(&self) -> MutexGuard<'_, HashMap<Uuid, User>> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many accounts are stored.
    pub fn len(&self) -> usize {
        self.rows().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The outbox of the writes' events, for a relay or a test to read.
    pub fn outbox(&self) -> Arc<MemoryOutbox> {
        self.outbox.clone()
    }

    /// The events written, oldest first, that wait in the outbox.
    pub fn events(&self) -> Vec<HrmsEvent> {
        self.outbox.events()
    }

    /// Stores `user` and its events if `stored` (the account stored under
    /// its id) allows, and its e-mail is no other account's.
    fn write(
        &self,
        user: &User,
        events: &[HrmsEvent],
        allowed: impl FnOnce(Option<&User>) -> Result<(), String>,
    ) -> Result<(), StoreError> {
        let mut rows = self.rows();
        allowed(rows.get(&user.user_id)).map_err(StoreError::Conflict)?;
        let email = user.email.to_lowercase();
        if rows.values().any(|r| r.user_id != user.user_id && r.email.to_lowercase() == email) {
            return Err(StoreError::Conflict("the e-mail address is taken".into()));
        }
        rows.insert(user.user_id, user.clone());
        self.outbox.extend(events);
        Ok(())
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
        let found = self.rows().get(&user_id).cloned();
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
}
