//! The Audit consumer on librdkafka's mock cluster: a process killed
//! between persisting a batch and committing its offsets.

use std::sync::Arc;
use std::time::Duration;

use hrms_events::{HrmsEvent, topics};
use hrms_kafka::{ConsumerSettings, KafkaConfig, KafkaConsumer, KafkaPublisher};
use hrms_platform::{EventPublisher, RetryPolicy};
use rdkafka::mocking::MockCluster;

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

/// The Audit handler in a process that dies once it has persisted
/// `survive` batches: the next batch is persisted and never answered, so its
/// offsets are never committed.
struct DiesAfter {
    inner: crate::consumer::AuditHandler,
    survive: usize,
    batches: std::sync::atomic::AtomicUsize,
}

impl hrms_platform::Handler for DiesAfter {
    fn name(&self) -> &str {
        "audit"
    }

    fn handle<'a>(
        &'a self,
        batch: &'a [hrms_platform::Delivery],
    ) -> futures::future::BoxFuture<'a, Result<(), hrms_platform::HandlerError>> {
        Box::pin(async move {
            self.inner.handle(batch).await?;
            if self.batches.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= self.survive {
                std::future::pending::<()>().await;
            }
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_audit_consumer_killed_before_its_commit_leaves_no_duplicate_and_no_gap() {
    use crate::consumer::{AuditHandler, GROUP};
    use crate::sqlite::SqliteAuditStore;
    use hrms_audit::{AuditStore, Query};

    let (cluster, config) = cluster();
    cluster.create_topic("audit-queue", 5, 2).expect("topic");
    let subjects: Vec<uuid::Uuid> = (0..30).map(|_| uuid::Uuid::now_v7()).collect();
    let sent: Vec<HrmsEvent> = (1..=20u64)
        .flat_map(|v| {
            subjects.iter().map(move |s| {
                hrms_audit::fixtures::employee_updated(*s, v, chrono::Utc::now(), uuid::Uuid::now_v7())
            })
        })
        .collect();
    KafkaPublisher::new(&config).expect("producer").publish_all(&sent).await.expect("published");
    let dir = hrms_platform::testing::temp_dir("audit-killed");
    let store = Arc::new(SqliteAuditStore::open(dir.join("audit.db")).expect("store"));
    let rows =
        |store: Arc<SqliteAuditStore>| async move { store.count(&Query::default()).await.expect("count") };
    let mut settings = settings(GROUP);
    settings.max_records = 50;

    let dying = DiesAfter {
        inner: AuditHandler { store: store.clone() },
        survive: 2,
        batches: std::sync::atomic::AtomicUsize::new(0),
    };
    {
        let consumer = KafkaConsumer::new(&config, settings.clone(), &["audit-queue"]).expect("consumer");
        let run = consumer.run(&dying, std::future::pending());
        let hung = async {
            while dying.batches.load(std::sync::atomic::Ordering::SeqCst) <= dying.survive {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::select! {
            _ = run => panic!("consumer returned"),
            _ = tokio::time::timeout(Duration::from_secs(30), hung) => {}
        }
        // Dropping the run future mid-batch is the kill: no commit happens.
    }
    let before = rows(store.clone()).await;
    assert!(before > 0 && before < 600, "killed midway: {before} rows");

    let consumer = KafkaConsumer::new(&config, settings, &["audit-queue"]).expect("consumer");
    let all = async {
        while rows(store.clone()).await < 600 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), consumer.run(&AuditHandler { store: store.clone() }, all))
        .await
        .expect("every record persisted")
        .expect("consumer ran");
    assert_eq!(rows(store.clone()).await, 600, "no duplicate, no gap");
    for subject in &subjects {
        let chain = store.chain(&subject.to_string()).await.expect("chain");
        let want: Vec<_> = sent.iter().filter(|e| e.subject() == subject.to_string()).map(|e| e.id).collect();
        assert_eq!(chain.iter().map(|e| e.event_id).collect::<Vec<_>>(), want, "in order");
    }
    assert!(hrms_audit::verify::verify(store.as_ref()).await.expect("verified").is_intact());
    let _ = std::fs::remove_dir_all(dir);
}
