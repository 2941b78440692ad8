//! [`MemoryTable`]: records by id and the events written with them, what
//! the in-memory stores of the functions share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use hrms_events::HrmsEvent;
use uuid::Uuid;

use super::MemoryOutbox;

/// Records by id, each write's events in a [`MemoryOutbox`].
pub struct MemoryTable<T> {
    rows: Mutex<HashMap<Uuid, T>>,
    outbox: Arc<MemoryOutbox>,
}

impl<T> Default for MemoryTable<T> {
    fn default() -> Self {
        Self { rows: Mutex::default(), outbox: Arc::default() }
    }
}

impl<T: Clone> MemoryTable<T> {
    /// The records, locked.
    pub fn rows(&self) -> MutexGuard<'_, HashMap<Uuid, T>> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many records are stored.
    pub fn len(&self) -> usize {
        self.rows().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record stored under `id`.
    pub fn get(&self, id: Uuid) -> Option<T> {
        self.rows().get(&id).cloned()
    }

    /// The outbox of the writes' events, for a relay or a test to read.
    pub fn outbox(&self) -> Arc<MemoryOutbox> {
        self.outbox.clone()
    }

    /// The events written, oldest first, that wait in the outbox.
    pub fn events(&self) -> Vec<HrmsEvent> {
        self.outbox.events()
    }

    /// Stores `record` under `id` with `events` if `check` (of the records
    /// as they are) passes; otherwise nothing is written.
    pub fn write<E>(
        &self,
        id: Uuid,
        record: &T,
        events: &[HrmsEvent],
        check: impl FnOnce(&HashMap<Uuid, T>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut rows = self.rows();
        check(&rows)?;
        rows.insert(id, record.clone());
        self.outbox.extend(events);
        Ok(())
    }
}

/// Whether `email` is free among `others` (compared lower-cased), as the
/// stores that keep e-mails unique answer.
pub fn email_is_free<'a>(mut others: impl Iterator<Item = &'a str>, email: &str) -> Result<(), String> {
    let email = email.to_lowercase();
    match others.any(|other| other.to_lowercase() == email) {
        true => Err("the e-mail address is taken".into()),
        false => Ok(()),
    }
}
