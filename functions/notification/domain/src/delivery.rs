//! A delivery: one notice to one recipient in one channel. Its key is made
//! from (event id, channel, recipient), so a redelivered event finds the
//! deliveries it already made and sends nothing twice.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::route::Channel;
use crate::store::Attempt;

/// Names the deliveries' ids (UUIDv5 namespace).
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_3c8e_2b7a_5d41_9e0f_4a6b_8c2d_1e37);

/// What identifies a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryKey {
    pub event_id: Uuid,
    pub channel: Channel,
    /// The recipient's address in that channel: a user id (inbox), an
    /// e-mail address, a webhook's name.
    pub recipient: String,
}

impl DeliveryKey {
    /// The delivery's id: the same key, the same id, in every process.
    pub fn id(&self) -> Uuid {
        let name = format!("{}\n{}\n{}", self.event_id, self.channel.as_str(), self.recipient);
        Uuid::new_v5(&NAMESPACE, name.as_bytes())
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded, not yet accepted by its channel (or waiting for a retry).
    Pending,
    /// Accepted by its channel (the SMTP server, the webhook, the inbox).
    Sent,
    /// The last attempt failed; another is scheduled.
    Failed,
    /// Given up after its attempts: in the dead-letter topic.
    Dead,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_one_delivery_in_every_process() {
        let key = DeliveryKey {
            event_id: Uuid::now_v7(),
            channel: Channel::Email,
            recipient: "ada@example.com".into(),
        };
        assert_eq!(key.id(), key.clone().id());
        assert_ne!(key.id(), DeliveryKey { channel: Channel::InApp, ..key.clone() }.id());
        assert_ne!(key.id(), DeliveryKey { recipient: "grace@example.com".into(), ..key.clone() }.id());
    }
}

/// One notice to one recipient in one channel, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// [`DeliveryKey::id`].
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// When the event happened (the start of the event -> delivered time).
    pub event_time: DateTime<Utc>,
    pub channel: Channel,
    /// The account it is for (who may read it), when the recipient has one.
    pub user_id: Option<Uuid>,
    /// Where it goes: an e-mail address, a user id (inbox), a webhook's name.
    pub address: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub status: Status,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it is tried next, while pending or failed.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When its owner read it (inbox).
    pub read_at: Option<DateTime<Utc>>,
    /// The dispatcher that claimed it to send it ([`Delivery::claim`]);
    /// cleared when the attempt is noted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    /// Until when the claim holds: after it, another dispatcher may claim it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<DateTime<Utc>>,
}

impl Delivery {
    /// Whether it waits for an attempt (pending or failed).
    pub fn waiting(&self) -> bool {
        matches!(self.status, Status::Pending | Status::Failed)
    }

    /// When a dispatcher may next claim it: its next attempt, or the end of
    /// its claim's lease if that is later; `None` once sent or dead.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        let next = self.next_attempt_at.filter(|_| self.waiting())?;
        Some(self.lease_until.map_or(next, |lease| lease.max(next)))
    }

    /// Whether a dispatcher may claim it at `now`: waiting, due, and not
    /// claimed or its lease over.
    pub fn claimable(&self, now: DateTime<Utc>) -> bool {
        self.due_at().is_some_and(|due| due <= now)
    }

    /// Claimed by `owner` until `until`, if claimable at `now`.
    pub fn claim(&self, owner: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Option<Delivery> {
        self.claimable(now).then(|| Delivery {
            claimed_by: Some(owner.to_owned()),
            lease_until: Some(until),
            ..self.clone()
        })
    }

    /// With `attempt` noted, if `owner` holds its claim and it still waits
    /// for an attempt: a sent (or dead) delivery never changes state again.
    pub fn attempted(&self, owner: &str, attempt: &Attempt, now: DateTime<Utc>) -> Option<Delivery> {
        (self.waiting() && self.claimed_by.as_deref() == Some(owner)).then(|| Delivery {
            status: attempt.status,
            attempts: attempt.attempts,
            last_error: attempt.last_error.clone(),
            next_attempt_at: attempt.next_attempt_at,
            updated_at: now,
            claimed_by: None,
            lease_until: None,
            ..self.clone()
        })
    }
}
