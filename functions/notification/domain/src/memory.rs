//! The Notification store in memory, for tests: the contract of the SQLite
//! and DynamoDB stores (one contact per person, deliveries recorded once
//! and revived by a redrive, dead letters with their events, each event
//! kept while a delivery of it may need it).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hrms_events::{HrmsEvent, Role};
use uuid::Uuid;

use crate::contacts::{Contact, ContactUpdate};
use crate::delivery::{Delivery, Status};
use crate::preferences::Preferences;
use crate::route::Channel;
use crate::store::{Attempt, DeadDelivery, NotificationStore, StoreError};

/// Contacts, preferences, deliveries and the events they came from.
#[derive(Default)]
pub struct MemoryNotificationStore(Mutex<State>);

#[derive(Default)]
struct State {
    /// Contacts by the order they were first learned.
    contacts: BTreeMap<u64, Contact>,
    last_contact: u64,
    preferences: HashMap<Uuid, Preferences>,
    deliveries: HashMap<Uuid, Delivery>,
    /// The events of deliveries still to be sent, or dead and not yet in the topic.
    events: HashMap<Uuid, HrmsEvent>,
    /// Dead deliveries not yet in the topic: their event and when they died.
    dead: HashMap<Uuid, (Uuid, DateTime<Utc>)>,
}

impl MemoryNotificationStore {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many events are kept (for dead letters).
    pub fn kept_events(&self) -> usize {
        self.state().events.len()
    }
}

impl State {
    /// The row of the contact whose `which` id is `id`.
    fn contact(&self, which: impl Fn(&Contact) -> Option<Uuid>, id: Option<Uuid>) -> Option<u64> {
        let id = id?;
        self.contacts.iter().find(|(_, c)| which(c) == Some(id)).map(|(&row, _)| row)
    }

    fn learn(&mut self, update: &ContactUpdate) {
        let by_user = self.contact(|c| c.user_id, update.user_id);
        let by_employee = self.contact(|c| c.employee_id, update.employee_id);
        // An event that names both links an account to its employee record.
        let (row, known) = match (by_user, by_employee) {
            (Some(a), Some(b)) if a != b => {
                let employee = self.contacts.remove(&b);
                let link = ContactUpdate {
                    employee_id: employee.as_ref().and_then(|e| e.employee_id),
                    manager_id: employee.map(|e| e.manager_id),
                    ..ContactUpdate::default()
                };
                (a, Some(link.apply(self.contacts.get(&a).cloned())))
            }
            (Some(a), _) | (None, Some(a)) => (a, self.contacts.get(&a).cloned()),
            (None, None) => {
                self.last_contact += 1;
                (self.last_contact, None)
            }
        };
        self.contacts.insert(row, update.apply(known));
    }

    /// Drops the kept event once none of its deliveries may still need it.
    fn forget_event_when_done(&mut self, event_id: Uuid) {
        let waiting =
            |d: &Delivery| d.event_id == event_id && matches!(d.status, Status::Pending | Status::Failed);
        let needed = self.deliveries.values().any(waiting) || self.dead.values().any(|(e, _)| *e == event_id);
        if !needed {
            self.events.remove(&event_id);
        }
    }

    fn record(&mut self, deliveries: Vec<Delivery>, events: Vec<HrmsEvent>) -> Vec<Delivery> {
        let mut stored = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            let known = self.deliveries.get(&d.id).cloned();
            let kept = match known {
                // Redriven from the dead letters: tried again from the start.
                Some(dead) if dead.status == Status::Dead => {
                    self.dead.remove(&d.id);
                    let again = Delivery { status: Status::Pending, attempts: 0, ..dead };
                    Delivery { next_attempt_at: d.next_attempt_at, updated_at: d.updated_at, ..again }
                }
                Some(known) => known,
                None => d,
            };
            self.deliveries.insert(kept.id, kept.clone());
            stored.push(kept);
        }
        for event in events {
            if stored.iter().any(|d| d.event_id == event.id && d.status == Status::Pending) {
                self.events.entry(event.id).or_insert(event);
            }
        }
        stored
    }

    fn claim(&mut self, id: Uuid, owner: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Option<Delivery> {
        let d = self.deliveries.get_mut(&id)?;
        *d = d.claim(owner, now, until)?;
        Some(d.clone())
    }

    fn attempted(&mut self, id: Uuid, owner: &str, attempt: &Attempt) -> bool {
        let Some(d) = self.deliveries.get_mut(&id) else { return false };
        let Some(after) = d.attempted(owner, attempt, Utc::now()) else { return false };
        *d = after;
        let (event_id, at) = (d.event_id, d.updated_at);
        match attempt.status {
            Status::Dead => {
                self.dead.insert(id, (event_id, at));
            }
            Status::Sent => self.forget_event_when_done(event_id),
            Status::Pending | Status::Failed => {}
        }
        true
    }
}

/// Sorted by `key`, the first `limit`.
fn first<T, K: Ord>(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> K) -> Vec<T> {
    items.sort_by_key(key);
    items.truncate(limit);
    items
}

impl NotificationStore for MemoryNotificationStore {
    fn learn<'a>(&'a self, update: &'a ContactUpdate) -> BoxFuture<'a, Result<(), StoreError>> {
        self.state().learn(update);
        Box::pin(async { Ok(()) })
    }

    fn contact_by_user(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<Contact>, StoreError>> {
        let found = self.state().contacts.values().find(|c| c.user_id == Some(user_id)).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn contact_by_employee(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Contact>, StoreError>> {
        let found = self.state().contacts.values().find(|c| c.employee_id == Some(employee_id)).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn hr(&self) -> BoxFuture<'_, Result<Vec<Contact>, StoreError>> {
        let state = self.state();
        let hr = state.contacts.values().filter(|c| c.role == Some(Role::Hr) && c.active).cloned().collect();
        Box::pin(async move { Ok(hr) })
    }

    fn preferences(&self, user_id: Uuid) -> BoxFuture<'_, Result<Preferences, StoreError>> {
        let found = self.state().preferences.get(&user_id).cloned().unwrap_or_default();
        Box::pin(async move { Ok(found) })
    }

    fn set_preferences<'a>(
        &'a self,
        user_id: Uuid,
        preferences: &'a Preferences,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.state().preferences.insert(user_id, preferences.clone());
        Box::pin(async { Ok(()) })
    }

    fn record(
        &self,
        deliveries: Vec<Delivery>,
        events: Vec<HrmsEvent>,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        let stored = self.state().record(deliveries, events);
        Box::pin(async move { Ok(stored) })
    }

    fn claim<'a>(
        &'a self,
        id: Uuid,
        owner: &'a str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Delivery>, StoreError>> {
        let claimed = self.state().claim(id, owner, now, until);
        Box::pin(async move { Ok(claimed) })
    }

    fn attempted<'a>(
        &'a self,
        id: Uuid,
        owner: &'a str,
        attempt: &'a Attempt,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let noted = self.state().attempted(id, owner, attempt);
        Box::pin(async move { Ok(noted) })
    }

    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadDelivery>, StoreError>> {
        let state = self.state();
        let letters = state.dead.iter().filter_map(|(id, (event_id, at))| {
            let (delivery, event) = (state.deliveries.get(id)?, state.events.get(event_id)?);
            Some((*at, DeadDelivery { delivery: delivery.clone(), event: event.clone() }))
        });
        let letters = first(letters.collect(), limit, |(at, d)| (*at, d.delivery.id));
        let letters = letters.into_iter().map(|(_, d)| d).collect();
        Box::pin(async move { Ok(letters) })
    }

    fn dead_lettered(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut state = self.state();
        if let Some((event_id, _)) = state.dead.remove(&id) {
            state.forget_event_when_done(event_id);
        }
        Box::pin(async { Ok(()) })
    }

    fn due(&self, now: DateTime<Utc>, limit: usize) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        let state = self.state();
        let due = state.deliveries.values().filter(|d| d.claimable(now));
        let due = first(due.cloned().collect(), limit, |d| (d.due_at(), d.created_at, d.id));
        Box::pin(async move { Ok(due) })
    }

    fn get(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Delivery>, StoreError>> {
        let found = self.state().deliveries.get(&id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn inbox(&self, user_id: Uuid, limit: usize) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        let state = self.state();
        let mine =
            state.deliveries.values().filter(|d| d.user_id == Some(user_id) && d.channel == Channel::InApp);
        let newest_first = |d: &Delivery| std::cmp::Reverse((d.created_at, d.id));
        let inbox = first(mine.cloned().collect(), limit, newest_first);
        Box::pin(async move { Ok(inbox) })
    }

    fn mark_read(&self, id: Uuid, user_id: Uuid) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut state = self.state();
        let read = match state.deliveries.get_mut(&id) {
            Some(d) if d.user_id == Some(user_id) && d.channel == Channel::InApp => {
                d.read_at.get_or_insert_with(Utc::now);
                true
            }
            _ => false,
        };
        Box::pin(async move { Ok(read) })
    }
}
