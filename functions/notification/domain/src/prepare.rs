//! From an event to the deliveries it makes: learn what it says about
//! people, route it, find the recipients, honour their preferences, render
//! the message for each.

use std::collections::BTreeSet;

use chrono::Utc;
use futures::future::BoxFuture;
use hrms_events::{HrmsEvent, Role};
use hrms_platform::error::BoxError;
use uuid::Uuid;

use crate::contacts::{Contact, ContactUpdate, learn};
use crate::delivery::{Delivery, DeliveryKey, Status};
use crate::route::{Channel, Recipient, route};
use crate::store::{NotificationStore, StoreError};
use crate::template::{Person, TemplateError, Templates};
use crate::webhooks::Webhooks;

/// Looks up employees the contacts do not know yet (the Employee service).
pub trait Directory: Send + Sync {
    /// The employee's contact, `None` if unknown; `Err`: the lookup failed.
    fn employee(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Contact>, BoxError>>;
}

/// Why an event's deliveries could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The Employee service could not be asked (worth retrying).
    #[error("employee directory unavailable")]
    Directory(#[source] BoxError),
    /// A template failed: a bug or a broken override, not worth retrying.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The event could not be written as a webhook's body (a bug).
    #[error("cannot encode event {0} for its webhooks")]
    Encode(Uuid, #[source] serde_json::Error),
}

/// What the preparation needs.
pub struct Preparer<'a> {
    pub store: &'a dyn NotificationStore,
    pub templates: &'a Templates,
    pub directory: Option<&'a dyn Directory>,
    pub webhooks: &'a Webhooks,
}

impl Preparer<'_> {
    /// The deliveries `event` makes (none for an audit event or when no
    /// recipient is known). In-app deliveries are `Sent` (the inbox is the
    /// channel); the others `Pending`, due now.
    pub async fn prepare(&self, event: &HrmsEvent) -> Result<Vec<Delivery>, PrepareError> {
        if let Some(update) = learn(&event.payload) {
            self.store.learn(&update).await?;
        }
        let Some(route) = route(&event.payload) else { return Ok(Vec::new()) };
        let mut people = Vec::new();
        for recipient in &route.recipients {
            people.extend(self.resolve(*recipient).await?);
        }
        let mut seen = BTreeSet::new();
        people.retain(|c| (c.active || route.security) && seen.insert((c.user_id, c.email.clone())));

        let about = match event.partition_key().parse::<Uuid>() {
            Ok(id) => self.employee(id).await?.map(|c| Person { name: c.name, email: Some(c.email) }),
            Err(_) => None,
        };
        let ty = event.event_type();
        let now = Utc::now();
        let mut deliveries = Vec::new();
        for contact in people {
            let preferences = match contact.user_id {
                Some(user) => self.store.preferences(user).await?,
                None => Default::default(),
            };
            let recipient = Person { name: contact.name.clone(), email: Some(contact.email.clone()) };
            let message = self.templates.render(event, &recipient, about.as_ref())?;
            for channel in route.channels {
                if !preferences.allows(ty, *channel, route.security) {
                    continue;
                }
                let address = match channel {
                    Channel::Email if !contact.email.is_empty() => contact.email.clone(),
                    Channel::InApp => match contact.user_id {
                        Some(user) => user.to_string(),
                        None => continue,
                    },
                    _ => continue,
                };
                let key = DeliveryKey { event_id: event.id, channel: *channel, recipient: address.clone() };
                let in_app = *channel == Channel::InApp;
                deliveries.push(Delivery {
                    id: key.id(),
                    event_id: event.id,
                    event_type: ty.as_str().to_owned(),
                    event_time: event.time,
                    channel: *channel,
                    user_id: contact.user_id,
                    address,
                    subject: message.subject.clone(),
                    text: message.text.clone(),
                    html: message.html.clone(),
                    status: if in_app { Status::Sent } else { Status::Pending },
                    attempts: u32::from(in_app),
                    last_error: None,
                    created_at: now,
                    updated_at: now,
                    next_attempt_at: (!in_app).then_some(now),
                    read_at: None,
                    claimed_by: None,
                    lease_until: None,
                });
            }
        }
        deliveries.extend(self.webhook_deliveries(event, now)?);
        Ok(deliveries)
    }

    /// One delivery per subscriber of the event's type: the event itself,
    /// as a structured CloudEvent.
    fn webhook_deliveries(
        &self,
        event: &HrmsEvent,
        now: chrono::DateTime<Utc>,
    ) -> Result<Vec<Delivery>, PrepareError> {
        let ty = event.event_type();
        let mut subscribers = self.webhooks.wanting(ty).peekable();
        if subscribers.peek().is_none() {
            return Ok(Vec::new());
        }
        let body =
            serde_json::to_string(&event.to_cloudevent()).map_err(|e| PrepareError::Encode(event.id, e))?;
        Ok(subscribers
            .map(|s| {
                let key =
                    DeliveryKey { event_id: event.id, channel: Channel::Webhook, recipient: s.name.clone() };
                Delivery {
                    id: key.id(),
                    event_id: event.id,
                    event_type: ty.as_str().to_owned(),
                    event_time: event.time,
                    channel: Channel::Webhook,
                    user_id: None,
                    address: s.name.clone(),
                    subject: ty.as_str().to_owned(),
                    text: body.clone(),
                    html: String::new(),
                    status: Status::Pending,
                    attempts: 0,
                    last_error: None,
                    created_at: now,
                    updated_at: now,
                    next_attempt_at: Some(now),
                    read_at: None,
                    claimed_by: None,
                    lease_until: None,
                }
            })
            .collect())
    }

    async fn resolve(&self, recipient: Recipient) -> Result<Vec<Contact>, PrepareError> {
        Ok(match recipient {
            Recipient::User(id) => self.store.contact_by_user(id).await?.into_iter().collect(),
            Recipient::Employee(id) => self.employee(id).await?.into_iter().collect(),
            Recipient::ManagerOf(id) => self.manager_of(id).await?.into_iter().collect(),
            Recipient::ApproverOf { employee_id, approver_id } => {
                let approver = match approver_id {
                    Some(id) => match self.employee(id).await? {
                        Some(c) => Some(c),
                        None => self.store.contact_by_user(id).await?,
                    },
                    None => None,
                };
                match approver.or(self.manager_of(employee_id).await?) {
                    Some(c) => vec![c],
                    None => self.hr().await?,
                }
            }
            Recipient::Hr => self.hr().await?,
        })
    }

    async fn hr(&self) -> Result<Vec<Contact>, PrepareError> {
        Ok(self.store.hr().await?.into_iter().filter(|c| c.role == Some(Role::Hr)).collect())
    }

    async fn manager_of(&self, employee_id: Uuid) -> Result<Option<Contact>, PrepareError> {
        match self.employee(employee_id).await?.and_then(|c| c.manager_id) {
            Some(manager) => self.employee(manager).await,
            None => Ok(None),
        }
    }

    /// The contact of an employee: known, or asked of the directory.
    async fn employee(&self, employee_id: Uuid) -> Result<Option<Contact>, PrepareError> {
        if let Some(c) = self.store.contact_by_employee(employee_id).await? {
            return Ok(Some(c));
        }
        let Some(directory) = self.directory else { return Ok(None) };
        let found = directory.employee(employee_id).await.map_err(PrepareError::Directory)?;
        if let Some(c) = &found {
            // Kept, so that the next event about them needs no lookup.
            let update = ContactUpdate {
                user_id: c.user_id,
                employee_id: c.employee_id,
                name: Some(c.name.clone()),
                email: Some(c.email.clone()),
                role: c.role,
                manager_id: Some(c.manager_id),
                active: Some(c.active),
            };
            self.store.learn(&update).await?;
        }
        Ok(found)
    }
}
