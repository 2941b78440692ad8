//! What only the DynamoDB stores have to show (the shared contract is in
//! `crate::conformance`): tables made idempotently, outages reported as
//! such, the transaction limit, unreadable outbox items, and the relay woken
//! by a commit, the password hash kept in the account's record only. On moto, from `$HRMS_TEST_MOTO`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use futures::future::BoxFuture;
use hrms_compliance::commands::validate::{Validate, handle};
use hrms_compliance::{ComplianceStore, EmployeeFacts, Policy, Subject, fixtures};
use hrms_employee::{EmployeeStore, StoreError};
use hrms_events::HrmsEvent;
use hrms_events::user::UserCreated;
use hrms_events::{Payload, fixtures as event_fixtures};
use hrms_user::UserStore;
use uuid::Uuid;

use super::compliance::DynamoComplianceStore;
use super::employee::DynamoEmployeeStore;
use super::outbox::{DynamoOutbox, OUTBOX_PK};
use super::testing::{client_config, free_port, tables};
use super::user::DynamoUserStore;
use super::{MAX_TRANSACTION_ITEMS, ensure_tables, item_key, s};
use crate::conformance::employee::{employee, events};
use crate::conformance::user::account;
use crate::outbox::{OutboxStore, Relay, RelaySettings};
use hrms_platform::publish::{EventPublisher, PublishError};

#[tokio::test]
async fn tables_are_made_once_and_found_after() {
    let t = tables(&["employee"]).await;
    ensure_tables(&t.client, &t.config).await.expect("again, as a second process would");
    let store = DynamoEmployeeStore::new(t.client.clone(), t.table("employee"));
    store.ping().await.expect("ready");

    let missing = DynamoEmployeeStore::new(t.client.clone(), t.table("nothing"));
    assert!(matches!(missing.ping().await, Err(StoreError::Unavailable(_))), "no table, not ready");
}

#[tokio::test]
async fn without_dynamodb_the_store_is_unavailable() {
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let client = Client::from_conf(client_config(&nobody).retry_config(RetryConfig::disabled()).build());
    let store = DynamoEmployeeStore::new(client, "hrms-employee");

    assert!(matches!(store.ping().await, Err(StoreError::Unavailable(_))));
    let ada = employee();
    let written = store.insert(&ada, &events(&ada, 1)).await;
    assert!(matches!(written, Err(StoreError::Unavailable(_))), "not a conflict: {written:?}");
}

#[tokio::test]
async fn a_write_over_the_transaction_limit_is_refused_whole() {
    let t = tables(&["employee"]).await;
    let store = DynamoEmployeeStore::new(t.client.clone(), t.table("employee"));
    let ada = employee();
    let too_many = events(&ada, MAX_TRANSACTION_ITEMS - 1); // plus the record and its e-mail

    let written = store.insert(&ada, &too_many).await;
    assert!(matches!(&written, Err(StoreError::Unavailable(why)) if why.contains("100")), "{written:?}");
    assert_eq!(store.get(ada.employee_id).await.expect("read"), None);
    store.insert(&ada, &too_many[..MAX_TRANSACTION_ITEMS - 2]).await.expect("at the limit");
}

#[tokio::test]
async fn an_unreadable_outbox_item_is_reported_and_set_aside() {
    let t = tables(&["employee"]).await;
    let table = t.table("employee");
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

impl Recorder {
    fn published(&self) -> Vec<HrmsEvent> {
        self.0.lock().expect("lock").clone()
    }
}

impl EventPublisher for Recorder {
    fn publish<'a>(&'a self, events: &'a [HrmsEvent]) -> BoxFuture<'a, Vec<Result<(), PublishError>>> {
        self.0.lock().expect("lock").extend_from_slice(events);
        Box::pin(async move { events.iter().map(|_| Ok(())).collect() })
    }
}

#[tokio::test]
async fn a_commit_wakes_the_relay() {
    let t = tables(&["employee"]).await;
    let table = t.table("compliance");
    let outbox = Arc::new(DynamoOutbox::new(t.client.clone(), &table));
    let publisher = Arc::new(Recorder::default());
    // Only a wake, not the timer, can publish within the test's deadline.
    let settings = RelaySettings { interval: Duration::from_secs(600), ..RelaySettings::default() };
    let relay = Arc::new(Relay::new(outbox, publisher.clone(), settings));
    let store = DynamoComplianceStore::new(t.client.clone(), &table).with_relay(relay.waker());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn({
        let relay = relay.clone();
        async move { relay.run(async { stopped.await.unwrap_or_default() }).await }
    });

    let facts = EmployeeFacts { weekly_hours: 60.0, ..fixtures::employee() };
    let command = Validate { subject: Subject::Employee(facts), actor: fixtures::hr() };
    let refused =
        handle(command, &Policy::default(), &store as &dyn ComplianceStore).await.expect("recorded");

    let deadline = Instant::now() + Duration::from_secs(10);
    while publisher.published() != refused.events {
        assert!(Instant::now() < deadline, "not published within 10 s: {:?}", publisher.published());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    running.await.expect("relay stopped");
}

#[tokio::test]
async fn the_password_hash_is_in_the_account_record_only() {
    let t = tables(&["employee"]).await;
    let table = t.table("user");
    let store = DynamoUserStore::new(t.client.clone(), &table);
    let ada = account();
    let created = Payload::UserCreated(UserCreated {
        user_id: ada.user_id,
        email: ada.email.clone(),
        full_name: ada.full_name.clone(),
        role: ada.role,
        employee_id: ada.employee_id,
    });
    store.insert(&ada, &[HrmsEvent::new(created, &event_fixtures::hr_actor())]).await.expect("inserted");

    let items = t.client.scan().table_name(&table).send().await.expect("scan").items.unwrap_or_default();
    assert_eq!(items.len(), 3, "the account, its e-mail and its event: {items:?}");
    let holding: Vec<(String, String)> = items
        .iter()
        .flat_map(|item| {
            let pk = item.get("pk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            item.iter()
                .filter(|(_, value)| value.as_s().is_ok_and(|v| v.contains(&ada.password_hash)))
                .map(move |(name, _)| (pk.clone(), name.clone()))
        })
        .collect();
    assert_eq!(holding, [(format!("USER#{}", ada.user_id), "record".to_owned())]);
}
