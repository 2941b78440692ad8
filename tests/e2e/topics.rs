//! `ensure_topics` creates the table's topics with their sizes, and again
//! changes nothing.

use std::time::Duration;

use hrms_e2e::Broker;
use hrms_kafka::{TopicOutcome, ensure_topics};
use rdkafka::consumer::{BaseConsumer, Consumer};

#[tokio::test(flavor = "multi_thread")]
async fn topics_are_created_from_the_table_and_creation_is_idempotent() {
    let broker = Broker::start();
    let config = broker.config();

    let first = ensure_topics(&config, &hrms_events::TOPICS).await.expect("created");
    assert!(first.iter().all(|o| matches!(o, TopicOutcome::Created { .. })), "{first:?}");
    let again = ensure_topics(&config, &hrms_events::TOPICS).await.expect("idempotent");
    assert!(again.iter().all(|o| matches!(o, TopicOutcome::Existed { .. })), "{again:?}");

    let client: BaseConsumer = config.admin_config().create().expect("client");
    let metadata = client.fetch_metadata(None, Duration::from_secs(10)).expect("metadata");
    for spec in hrms_events::TOPICS {
        let topic = metadata.topics().iter().find(|t| t.name() == spec.name);
        let topic = topic.unwrap_or_else(|| panic!("{} missing", spec.name));
        assert_eq!(topic.partitions().len(), spec.partitions as usize, "{}", spec.name);
    }
}
