//! The DynamoDB Compliance store wakes its relay with each commit. On moto,
//! from `$HRMS_TEST_MOTO`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use hrms_compliance::commands::Context;
use hrms_compliance::commands::validate::{Validate, handle};
use hrms_compliance::{ComplianceStore, EmployeeFacts, Policy, Subject, fixtures};
use hrms_dynamodb::Store as _;
use hrms_dynamodb::outbox::DynamoOutbox;
use hrms_dynamodb::testing::tables;
use hrms_events::HrmsEvent;
use hrms_platform::outbox::{Relay, RelaySettings};
use hrms_platform::publish::{EventPublisher, PublishError};
use hrms_platform::testing::until;

use super::DynamoComplianceStore;

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
    let t = tables(&["compliance"]).await;
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
    let ctx = Context { policy: &Policy::default(), store: &store as &dyn ComplianceStore };
    let refused = handle(command, &ctx).await.expect("recorded");

    until(Duration::from_secs(10), || publisher.published() == refused.events).await;
    let _ = stop.send(());
    running.await.expect("relay stopped");
}
