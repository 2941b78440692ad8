//! The events kept for deliveries that may still need them, and the dead
//! letters read with their events.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use hrms_events::HrmsEvent;
use hrms_events::cloudevents::Event;
use hrms_notification::DeadDelivery;
use uuid::Uuid;

use super::deliveries::{DEAD_PK, dead_sk};
use super::{DynamoNotificationStore, Expect, json, record, s};
use hrms_dynamodb::{Failure, Item, batch, item_key, query_partition, string};
use hrms_platform::store::StoreContext;

fn event_key(id: Uuid) -> Item {
    item_key(format!("EVENT#{id}"), "EVENT")
}

fn ids(ids: &[Uuid]) -> AttributeValue {
    AttributeValue::Ss(ids.iter().map(Uuid::to_string).collect())
}

/// The event of a kept item.
fn event_of(item: &Item) -> Result<HrmsEvent, Failure> {
    let event: Event = serde_json::from_str(string(item, "event")?).context("unreadable kept event")?;
    HrmsEvent::from_cloudevent(&event).context("unreadable kept event")
}

impl DynamoNotificationStore {
    /// An update of event `id`'s item (made if missing) by `expression`,
    /// where `#w` is `waiting` and `#e` is `event`.
    fn update(
        &self,
        id: Uuid,
        expression: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<TransactWriteItem, Failure> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(event_key(id)))
            .update_expression(expression)
            .expression_attribute_names("#w", "waiting");
        if expression.contains("#e") {
            update = update.expression_attribute_names("#e", "event");
        }
        for (name, value) in values {
            update = update.expression_attribute_values(name, value);
        }
        Ok(TransactWriteItem::builder().update(update.build().map_err(hrms_dynamodb::error::build)?).build())
    }

    /// Keeps `event` for the deliveries `waiting`, besides those it is kept for.
    pub(super) fn keep(&self, event: &HrmsEvent, waiting: &[Uuid]) -> Result<TransactWriteItem, Failure> {
        let body = json(&event.to_cloudevent())?;
        self.update(
            event.id,
            "SET #e = :event ADD #w :ids",
            vec![(":event", s(body)), (":ids", ids(waiting))],
        )
    }

    /// Takes delivery `id` out of the deliveries waiting for event `event`.
    pub(super) fn release(&self, event: Uuid, id: Uuid) -> Result<TransactWriteItem, Failure> {
        self.update(event, "DELETE #w :ids", vec![(":ids", ids(&[id]))])
    }

    /// Deletes event `id` unless a delivery still waits for it.
    pub(super) async fn forget_when_done(&self, id: Uuid) -> Result<(), Failure> {
        let _permit = self.writers.acquire().await.context("waiting for a writer")?;
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(event_key(id)))
            .condition_expression("attribute_not_exists(#w)")
            .expression_attribute_names("#w", "waiting")
            .send()
            .await;
        match deleted.map_err(|e| hrms_dynamodb::error::from_sdk("forget event", e)) {
            Ok(_) | Err(Failure::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Dead deliveries not yet in the topic, oldest first, with their events.
    pub(super) async fn read_dead_letters(&self, limit: usize) -> Result<Vec<DeadDelivery>, Failure> {
        let letters = query_partition(&self.client, &self.table, DEAD_PK, true, limit).await?;
        let mut wanted: Vec<Uuid> = Vec::new();
        let mut deliveries = Vec::with_capacity(letters.len());
        for item in &letters {
            let delivery: hrms_notification::Delivery = record(item)?;
            if !wanted.contains(&delivery.event_id) {
                wanted.push(delivery.event_id);
            }
            deliveries.push(delivery);
        }
        let keys = wanted.into_iter().map(event_key).collect();
        let mut events = HashMap::new();
        for item in batch::get(&self.client, &self.table, keys, None).await? {
            let event = event_of(&item)?;
            events.insert(event.id, event);
        }
        Ok(deliveries
            .into_iter()
            .filter_map(|delivery| {
                let event = events.get(&delivery.event_id).cloned();
                if event.is_none() {
                    tracing::warn!(delivery = %delivery.id, event = %delivery.event_id, "a dead delivery without its event");
                }
                Some(DeadDelivery { event: event?, delivery })
            })
            .collect())
    }

    /// Notes that dead delivery `id` is in the topic: its `DEAD` item goes,
    /// and its event unless another delivery waits for it.
    pub(super) async fn drop_dead_letter(&self, id: Uuid) -> Result<(), Failure> {
        let Some(dead) = self.delivery(id).await? else { return Ok(()) };
        let Some(sk) = dead_sk(&dead.value) else { return Ok(()) };
        let event = dead.value.event_id;
        let items = vec![self.delete(item_key(DEAD_PK, sk), Expect::Anything)?, self.release(event, id)?];
        self.commit(items).await?;
        self.forget_when_done(event).await
    }
}
