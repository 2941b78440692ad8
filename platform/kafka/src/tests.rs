//! Fault injection against librdkafka's mock cluster: broker loss while
//! producing, request errors, a consumer killed before its commit, dead
//! letters. The real-broker tests live in the workspace's `tests/`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hrms_events::{EventType, HrmsEvent, fixtures, topics};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message, OwnedMessage};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureRecord, Producer};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

use super::*;
use hrms_platform::consume::RetryPolicy;
use hrms_platform::consume::tests::Recorder;
use hrms_platform::{EventPublisher, PublishError};

const TOPIC: &str = "notification-queue";

fn cluster() -> (MockCluster<'static, rdkafka::producer::DefaultProducerContext>, KafkaConfig) {
    let cluster = MockCluster::new(3).expect("mock cluster");
    cluster.create_topic(TOPIC, 3, 2).expect("topic");
    cluster.create_topic(&topics::dlq_name(TOPIC), 1, 2).expect("dlq topic");
    let mut config = KafkaConfig::new(cluster.bootstrap_servers());
    config.message_timeout = Duration::from_secs(3);
    (cluster, config)
}

fn settings(group: &str) -> ConsumerSettings {
    ConsumerSettings {
        max_wait: Duration::from_millis(50),
        retry: RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        session_timeout: Duration::from_secs(6),
        max_poll_interval: Duration::from_secs(10),
        ..ConsumerSettings::new(group)
    }
}

fn samples(n: usize) -> Vec<HrmsEvent> {
    (0..n).map(|i| fixtures::sample([EventType::LeaveRequested, EventType::UserCreated][i % 2])).collect()
}

/// Reads `topic` from the start until `want` records arrived or the deadline.
fn read_all(config: &KafkaConfig, topic: &str, want: usize) -> Vec<OwnedMessage> {
    let consumer: BaseConsumer = config
        .consumer_config(&settings(&format!("reader-{}", uuid::Uuid::now_v7())))
        .create()
        .expect("reader");
    consumer.subscribe(&[topic]).expect("subscribe");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut out = Vec::new();
    while out.len() < want && std::time::Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            out.push(m.detach());
        }
    }
    out
}

fn ids(messages: &[OwnedMessage]) -> Vec<String> {
    messages.iter().filter_map(|m| codec::decode(m).ok()).map(|e| e.id.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_loss_surfaces_and_nothing_unacked_is_reported_sent() {
    let (cluster, config) = cluster();
    let publisher = KafkaPublisher::new(&config).expect("producer");
    let before = samples(4);
    publisher.publish_all(&before).await.expect("published while up");

    for id in 1..=3 {
        cluster.broker_down(id).expect("broker down");
    }
    let during = samples(4);
    let results = publisher.publish(&during).await;
    assert!(results.iter().all(|r| matches!(r, Err(PublishError::Retryable { .. }))), "{results:?}");

    for id in 1..=3 {
        cluster.broker_up(id).expect("broker up");
    }
    // Clients reconnect with backoff: publish again until acknowledged, as
    // the outbox relay does.
    let after = samples(4);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while let Err(e) = publisher.publish_all(&after).await {
        assert!(e.is_retryable() && std::time::Instant::now() < deadline, "not recovered: {e}");
    }

    let stored = ids(&read_all(&config, TOPIC, 12));
    let acked: Vec<String> = before.iter().chain(&after).map(|e| e.id.to_string()).collect();
    for id in &acked {
        assert!(stored.contains(id), "acknowledged event {id} missing");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn injected_produce_errors_are_retried_without_duplicates() {
    let (cluster, config) = cluster();
    cluster.request_errors(
        RDKafkaApiKey::Produce,
        &[
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        ],
    );
    let publisher = KafkaPublisher::new(&config).expect("producer");
    let events = samples(10);
    publisher.publish_all(&events).await.expect("retried to success");
    let stored = ids(&read_all(&config, TOPIC, 11));
    assert_eq!(stored.len(), 10, "one copy of each: {stored:?}");
    assert_eq!(stored.iter().collect::<HashSet<_>>().len(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_record_is_a_fatal_error() {
    let (_cluster, config) = cluster();
    let publisher = KafkaPublisher::new(&config).expect("producer");
    let huge = vec![b'x'; 2_000_000];
    let record = FutureRecord::to(TOPIC).key("k").payload(huge.as_slice());
    let result = match publisher.enqueue(record).await {
        Ok(delivery) => publisher.acknowledged(delivery).await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(matches!(result, Err(PublishError::Fatal { .. })), "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consumer_killed_before_commit_leaves_its_records_to_the_next() {
    let (_cluster, config) = cluster();
    let events = samples(6);
    KafkaPublisher::new(&config).expect("producer").publish_all(&events).await.expect("published");

    // The first member handles its batch, then dies before committing.
    let first = Arc::new(Recorder { hang: true, ..Default::default() });
    {
        let consumer = KafkaConsumer::new(&config, settings("killed"), &[TOPIC]).expect("consumer");
        let handler = first.clone();
        let run = consumer.run(&*handler, std::future::pending());
        let seen = async {
            while first.handled.lock().unwrap().is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::select! {
            _ = run => panic!("consumer returned"),
            _ = tokio::time::timeout(Duration::from_secs(30), seen) => {}
        }
        // Dropping the run future mid-batch is the kill: no commit happens.
    }
    assert!(!first.handled.lock().unwrap().is_empty());

    let second = Recorder::default();
    let consumer = KafkaConsumer::new(&config, settings("killed"), &[TOPIC]).expect("consumer");
    let all_seen = async {
        while second.handled.lock().unwrap().len() < events.len() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), consumer.run(&second, all_seen))
        .await
        .expect("every record handled again")
        .expect("consumer ran");
    let handled: HashSet<_> = second.handled.lock().unwrap().iter().map(|d| d.event.id).collect();
    assert_eq!(handled, events.iter().map(|e| e.id).collect(), "none skipped");
}

#[tokio::test(flavor = "multi_thread")]
async fn poison_and_undecodable_records_go_to_the_dlq_and_the_partition_moves_on() {
    let (_cluster, config) = cluster();
    let publisher = KafkaPublisher::new(&config).expect("producer");
    let events = samples(5);
    let key = events[0].partition_key();
    publisher.publish_all(&events[..2]).await.expect("published");
    let garbage = FutureRecord::to(TOPIC).key(key.as_str()).payload(&b"not a cloudevent"[..]);
    publisher
        .acknowledged(publisher.enqueue(garbage).await.expect("enqueued"))
        .await
        .expect("garbage stored");
    publisher.publish_all(&events[2..]).await.expect("published");

    let handler = Recorder::default();
    handler.poison.lock().unwrap().insert(events[3].id);
    let consumer = KafkaConsumer::new(&config, settings("dlq"), &[TOPIC]).expect("consumer");
    let done = async {
        while handler.handled.lock().unwrap().len() < 4 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), consumer.run(&handler, done))
        .await
        .expect("healthy records handled")
        .expect("ran");
    let order: Vec<_> = handler.handled.lock().unwrap().iter().map(|d| d.event.id).collect();
    assert_eq!(order, [0, 1, 2, 4].map(|i| events[i].id).to_vec(), "one key, in order, poison skipped");

    let letters = read_all(&config, &topics::dlq_name(TOPIC), 2);
    assert_eq!(letters.len(), 2);
    let header = |m: &OwnedMessage, k: &str| {
        m.headers().and_then(|hs| {
            hs.iter()
                .find(|h| h.key == k)
                .and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned()))
        })
    };
    let undecodable = &letters[0];
    assert_eq!(undecodable.payload(), Some(&b"not a cloudevent"[..]), "unchanged");
    assert!(header(undecodable, dlq::REASON).is_some_and(|r| r.starts_with("undecodable")));
    assert_eq!(header(undecodable, dlq::ATTEMPTS).as_deref(), Some("0"));
    let poison = &letters[1];
    assert_eq!(codec::decode(poison).expect("unchanged event").id, events[3].id);
    assert_eq!(header(poison, dlq::ORIGINAL_TOPIC).as_deref(), Some(TOPIC));
    assert!(header(poison, dlq::ORIGINAL_OFFSET).is_some());
    assert!(header(poison, dlq::REASON).is_some_and(|r| r.contains("permanent")));
    assert_eq!(header(poison, dlq::GROUP).as_deref(), Some("dlq"));
}

/// Events the checks refuse (a far-future time, a number outside its
/// schema's range) are dead-lettered untried, the reason naming the field,
/// as the HTTP intake refuses them with 400.
#[tokio::test(flavor = "multi_thread")]
async fn events_the_checks_refuse_are_dead_lettered_naming_the_field() {
    let (_cluster, config) = cluster();
    let publisher = KafkaPublisher::new(&config).expect("producer");
    let mut future = fixtures::sample(EventType::AttendanceMarked);
    future.time += chrono::TimeDelta::days(30);
    let mut huge = fixtures::sample(EventType::AttendanceMarked);
    if let hrms_events::Payload::AttendanceMarked(p) = &mut huge.payload {
        p.worked_minutes = Some(i64::MAX);
    }
    let fine = fixtures::sample(EventType::AttendanceMarked);
    publisher.publish_all(&[future.clone(), huge.clone(), fine.clone()]).await.expect("published");

    let handler = Recorder::default();
    let consumer = KafkaConsumer::new(&config, settings("checks"), &[TOPIC]).expect("consumer");
    let done = async {
        while handler.handled.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), consumer.run(&handler, done))
        .await
        .expect("the good event handled")
        .expect("ran");
    let handled: Vec<_> = handler.handled.lock().unwrap().iter().map(|d| d.event.id).collect();
    assert_eq!(handled, [fine.id], "the refused ones never reach the handler");

    let letters = read_all(&config, &topics::dlq_name(TOPIC), 2);
    let reasons: Vec<(String, String)> = letters
        .iter()
        .map(|m| {
            let header = |k: &str| {
                m.headers()
                    .and_then(|hs| hs.iter().find(|h| h.key == k).and_then(|h| h.value))
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_default()
            };
            (codec::decode(m).map(|e| e.id.to_string()).unwrap_or_default(), header(dlq::REASON))
        })
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    let reason = |id: uuid::Uuid| reasons.iter().find(|(i, _)| *i == id.to_string()).map(|(_, r)| r.clone());
    assert!(reason(future.id).is_some_and(|r| r.starts_with("refused: time:")), "{reasons:?}");
    assert!(reason(huge.id).is_some_and(|r| r.starts_with("refused: data.worked_minutes:")), "{reasons:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_producer_with_a_fatal_error_is_replaced_and_nothing_is_reported_sent() {
    let (cluster, config) = cluster();
    let publisher = KafkaPublisher::new(&config).expect("producer");
    publisher.publish_all(&samples(3)).await.expect("published");
    let first = publisher.producer().client().native_ptr() as usize;

    cluster.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER],
    );
    let fenced = samples(1);
    let result = publisher.publish_all(&fenced).await;
    assert!(matches!(result, Err(PublishError::Retryable { .. })), "{result:?}");
    assert_ne!(publisher.producer().client().native_ptr() as usize, first, "the fatal producer was replaced");
    assert!(publisher.producer().client().fatal_error().is_none());

    let after = samples(3);
    publisher.publish_all(&after).await.expect("the new producer publishes");
    let stored = ids(&read_all(&config, TOPIC, 6));
    for e in &after {
        assert!(stored.contains(&e.id.to_string()));
    }
}

/// On the test's thread (`current_thread`), so that its local recorder sees
/// the statistics callback, which runs where the consumer is polled.
#[tokio::test]
async fn the_lag_of_each_partition_is_reported_from_librdkafka_statistics() {
    let recorder = hrms_platform::testing::recorder();
    let metrics = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    let (_cluster, config) = cluster();
    let events = samples(6);
    KafkaPublisher::new(&config).expect("producer").publish_all(&events).await.expect("published");

    let handler = Recorder::default();
    let settings = ConsumerSettings { statistics_interval: Duration::from_millis(100), ..settings("lag") };
    let consumer = KafkaConsumer::new(&config, settings, &[TOPIC]).expect("consumer");
    // Handled and committed: each partition that had records reads 0.
    let caught_up = hrms_platform::testing::until(Duration::from_secs(30), || {
        let handled = handler.handled.lock().unwrap();
        let rendered = metrics.render();
        handled.len() == events.len()
            && handled.iter().all(|d| {
                let partition = d.partition.to_string();
                let labels = [("group", "lag"), ("topic", TOPIC), ("partition", partition.as_str())];
                hrms_platform::testing::metric(&rendered, "hrms_consumer_lag", &labels) == Some(0.0)
            })
    });
    consumer.run(&handler, caught_up).await.expect("ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_during_unbounded_retries_leaves_the_records_to_the_next_member() {
    let (_cluster, config) = cluster();
    let events = samples(4);
    KafkaPublisher::new(&config).expect("producer").publish_all(&events).await.expect("published");

    let down = Recorder { transient_failures: Mutex::new(u32::MAX), ..Default::default() };
    let retry = settings("outage").retry.retry_transient_forever();
    let consumer = KafkaConsumer::new(&config, ConsumerSettings { retry, ..settings("outage") }, &[TOPIC])
        .expect("consumer");
    let stop = hrms_platform::testing::until(Duration::from_secs(30), || *down.calls.lock().unwrap() > 6);
    tokio::time::timeout(Duration::from_secs(40), consumer.run(&down, stop))
        .await
        .expect("stopped promptly")
        .expect("ran");
    consumer.close(Duration::from_secs(10)).await;

    let up = Recorder::default();
    let consumer = KafkaConsumer::new(&config, settings("outage"), &[TOPIC]).expect("consumer");
    let all_seen =
        hrms_platform::testing::until(Duration::from_secs(30), || up.handled.lock().unwrap().len() >= 4);
    consumer.run(&up, all_seen).await.expect("ran");
    let handled: HashSet<_> = up.handled.lock().unwrap().iter().map(|d| d.event.id).collect();
    assert_eq!(handled, events.iter().map(|e| e.id).collect(), "nothing was committed");

    let reader: BaseConsumer = config.consumer_config(&settings("reader")).create().expect("reader");
    let (_, end) = reader
        .fetch_watermarks(&topics::dlq_name(TOPIC), 0, Duration::from_secs(10))
        .expect("dead-letter watermarks");
    assert_eq!(end, 0, "nothing was dead-lettered");
}
