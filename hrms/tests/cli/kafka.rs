//! `hrms dev` on Kafka: it creates the topics, logs every event on them, is
//! not ready without its broker, and keeps what it could not publish in its
//! outbox across a restart of both.

use std::time::Duration;

use hrms_e2e::{Broker, Collect, TempDir, consumer_settings, eventually};
use hrms_events::{EventType, fixtures};
use hrms_kafka::{KafkaConsumer, KafkaPublisher};
use hrms_platform::EventPublisher;

use crate::binary::{Dev, dev, on_kafka};
use crate::fixtures::engineer;
use crate::running::Running;

/// `hrms dev` on `broker`, with its data under `data`.
async fn dev_on(broker: &Broker, data: &TempDir) -> Dev {
    Dev::dev(on_kafka(dev(data), &broker.bootstrap()), data).await
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_on_kafka_creates_the_topics_and_logs_every_event() {
    let broker = Broker::start();
    let data = TempDir::new();
    let dev = dev_on(&broker, &data).await;
    assert_eq!(dev.api.get("/readyz", None).await.status, 200);

    let events =
        [fixtures::sample(EventType::LeaveRequested), fixtures::sample(EventType::AuditLeaveRequested)];
    KafkaPublisher::new(&broker.config()).expect("producer").publish_all(&events).await.expect("published");
    let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
    let lines = dev.wait_for_logs(&ids, Duration::from_secs(60)).await;
    for (event, line) in events.iter().zip(&lines) {
        assert!(line.contains(event.event_type().as_str()), "{line}");
    }
    drop(broker);
    assert_eq!(dev.api.get("/readyz", None).await.status, 503, "not ready without its broker");
    assert!(dev.terminate().await.success(), "graceful stop");
}

/// The types of the events about `subject` on both topics (60 s to see two),
/// read with a consumer group of its own.
async fn types_on_the_topics(broker: &Broker, subject: &str) -> Vec<EventType> {
    let handler = Collect::default();
    let group = format!("check-{}", uuid::Uuid::now_v7());
    let consumer = KafkaConsumer::new(
        &broker.config(),
        consumer_settings(&group),
        &["notification-queue", "audit-queue"],
    )
    .expect("consumer");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = consumer.run(&handler, async move {
        let _ = stopped.await;
    });
    let types = |h: &Collect| -> Vec<EventType> {
        h.deliveries().iter().filter(|d| d.event.subject() == subject).map(|d| d.event.event_type()).collect()
    };
    let watch = async {
        eventually("both events on the topics", Duration::from_secs(60), || types(&handler).len() >= 2).await;
        let _ = stop.send(());
    };
    let (result, ()) = tokio::join!(run, watch);
    result.expect("consumer stopped");
    consumer.close(Duration::from_secs(5)).await;
    let mut seen = types(&handler);
    seen.sort_by_key(|t| t.as_str());
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn an_employee_created_while_the_broker_is_down_reaches_the_topics_after_both_restart() {
    let mut broker = Broker::start_persistent();
    let data = TempDir::new();
    let dev = dev_on(&broker, &data).await;
    let hr = dev.token(hrms_events::Role::Hr);
    broker.stop();
    let mut new_employee = engineer("Katherine", "Johnson", "katherine@example.com");
    new_employee["department"] = "Flight Research".into();
    new_employee["job_title"] = "Mathematician".into();
    let answer = dev.api.post("/employees", Some(&hr), Some(&new_employee)).await;
    assert_eq!(answer.status, 201, "the request succeeds without a broker: {answer}");
    let id = answer.json()["employee_id"].as_str().expect("an id").to_owned();
    assert!(dev.terminate().await.success(), "stops with events still in its outbox");

    broker.restart();
    let dev = dev_on(&broker, &data).await;
    // Read the topics with a group of our own: dev's event-log group may
    // still hold the first process's member, which tansu does not expire
    // after its own restart.
    let arrived = types_on_the_topics(&broker, &id).await;
    assert_eq!(arrived, [EventType::AuditEmployeeCreated, EventType::EmployeeCreated], "each once");
    assert!(dev.terminate().await.success());
}
