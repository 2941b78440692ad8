//! How the process runs its consumers: a durable one (audit, notification)
//! outlasts a store outage without dead-lettering, and still stops promptly.

use std::sync::atomic::{AtomicU32, Ordering};

use futures::future::BoxFuture;
use hrms_events::{EventType, fixtures};
use hrms_platform::inprocess::InProcessBus;
use hrms_platform::{Delivery, EventPublisher, Handler, HandlerError};

use super::*;

/// A handler whose store never answers.
#[derive(Default)]
struct StoreDown {
    calls: AtomicU32,
}

impl Handler for StoreDown {
    fn name(&self) -> &str {
        "store-down"
    }

    fn handle<'a>(&'a self, _: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err(HandlerError::Transient { reason: "store unavailable".into(), cause: None }) })
    }
}

#[tokio::test(start_paused = true)]
async fn a_durable_consumer_in_process_keeps_its_event_through_an_outage_and_stops_when_asked() {
    let bus = InProcessBus::default();
    let event = fixtures::sample(EventType::ALL[0]);
    let topic = event.topic();
    assert!(bus.publish(std::slice::from_ref(&event)).await.iter().all(Result::is_ok));
    let handler = Arc::new(StoreDown::default());
    let consumer = functions::Consumer {
        topics: vec![topic],
        group: "durable",
        handler: handler.clone(),
        durable: Durability::RetryUntilHandled,
    };
    let (stop, stopping) = watch::channel(false);
    let tasks = spawn_consumer(&Transport::InProcess(bus.clone()), consumer, stopping).expect("spawned");

    let bounded = hrms_platform::RetryPolicy::default().max_attempts;
    // Virtual time: an hour of outage passes in an instant.
    let outage = tokio::time::Instant::now() + Duration::from_secs(3600);
    while handler.calls.load(Ordering::SeqCst) <= bounded + 1 && tokio::time::Instant::now() < outage {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(handler.calls.load(Ordering::SeqCst) > bounded + 1, "retried past the bounded attempts");
    assert!(bus.dead_letters(topic).is_empty(), "an outage dead-letters nothing");
    assert_eq!(bus.backlog(topic, "durable"), 1);

    stop.send_replace(true);
    for task in tasks {
        let ended = tokio::time::timeout(Duration::from_secs(1), task).await;
        assert!(matches!(ended, Ok(Ok(Ok(())))), "stopped at once");
    }
    assert_eq!(bus.backlog(topic, "durable"), 1, "left for the next consumer");
}
