//! What the DynamoDB outbox has to show beyond the stores' shared
//! contract: an unreadable item is reported and set aside. On moto, from
//! `$HRMS_TEST_MOTO`.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_platform::outbox::{OutboxStore, Relay, RelaySettings};
use hrms_platform::publish::{EventPublisher, PublishError};
use uuid::Uuid;

use super::outbox::{DynamoOutbox, OUTBOX_PK};
use super::testing::tables;
use super::{item_key, s};

#[tokio::test]
async fn an_unreadable_outbox_item_is_reported_and_set_aside() {
    let t = tables(&["outbox"]).await;
    let table = t.table("outbox");
    let id = Uuid::now_v7().to_string();
    let mut item = item_key(OUTBOX_PK, &id);
    item.insert("event".into(), s("{not json"));
    t.client.put_item().table_name(&table).set_item(Some(item)).send().await.expect("put");

    let outbox = Arc::new(DynamoOutbox::new(t.client.clone(), &table));
    let pending = outbox.pending(10).await.expect("pending");
    assert!(pending.entries.is_empty());
    assert_eq!(pending.unreadable.len(), 1);
    let again = outbox.pending(10).await.expect("pending");
    assert_eq!(again.unreadable[0].0, pending.unreadable[0].0, "the same handle until settled");

    let relay = Relay::new(outbox.clone(), Arc::new(Recorder::default()), RelaySettings::default());
    assert_eq!(relay.drain().await.expect("drained").dead, 1);
    let dead = outbox.dead_letters(10).await.expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].event_id.as_str(), dead[0].event.as_deref()), (id.as_str(), Some("{not json")));
    assert!(dead[0].reason.starts_with("unreadable"), "{}", dead[0].reason);
    assert_eq!(outbox.backlog().await.expect("backlog"), 0);
}

/// A publisher that keeps what it is given.
#[derive(Default)]
struct Recorder(Mutex<Vec<HrmsEvent>>);

impl EventPublisher for Recorder {
    fn publish<'a>(&'a self, events: &'a [HrmsEvent]) -> BoxFuture<'a, Vec<Result<(), PublishError>>> {
        self.0.lock().expect("lock").extend_from_slice(events);
        Box::pin(async move { events.iter().map(|_| Ok(())).collect() })
    }
}
