//! Topic admin: creates the topics of `hrms_events::TOPICS` with their
//! partitions, replication and retention, idempotently.

use std::time::Duration;

use hrms_events::TopicSpec;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use super::auth::KafkaContext;
use super::config::KafkaConfig;

/// What happened to one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicOutcome {
    Created { name: String, replication: u16 },
    Existed { name: String },
}

/// Creates every topic in `topics` that does not exist yet. On a cluster with
/// fewer brokers than a topic's replication factor (a developer's single
/// broker), the factor is capped at the number of brokers, and
/// `min.insync.replicas` below it.
pub async fn ensure_topics(
    config: &KafkaConfig,
    topics: &[TopicSpec],
) -> Result<Vec<TopicOutcome>, KafkaError> {
    let context = config.context()?;
    let admin: AdminClient<KafkaContext> = config.admin_config().create_with_context(context.clone())?;
    context.prime(admin.inner())?;
    let brokers = {
        let metadata = admin.inner().fetch_metadata(None, Duration::from_secs(10))?;
        u16::try_from(metadata.brokers().len()).unwrap_or(u16::MAX).max(1)
    };
    let plans: Vec<(TopicSpec, u16, String, String)> = topics
        .iter()
        .map(|t| {
            let replication = t.replication_factor.min(brokers);
            let min_isr = t.min_insync_replicas.min(replication.saturating_sub(1)).max(1);
            if replication < t.replication_factor {
                tracing::warn!(
                    topic = t.name,
                    wanted = t.replication_factor,
                    brokers,
                    "replication capped at the broker count"
                );
            }
            (*t, replication, t.retention_ms.to_string(), min_isr.to_string())
        })
        .collect();
    let new_topics: Vec<NewTopic<'_>> = plans
        .iter()
        .map(|(t, replication, retention, min_isr)| {
            NewTopic::new(t.name, t.partitions as i32, TopicReplication::Fixed(i32::from(*replication)))
                .set("retention.ms", retention)
                .set("min.insync.replicas", min_isr)
                .set("cleanup.policy", "delete")
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin.create_topics(&new_topics, &options).await?;
    let mut outcomes = Vec::new();
    for (result, (_, replication, _, _)) in results.into_iter().zip(&plans) {
        match result {
            Ok(name) => outcomes.push(TopicOutcome::Created { name, replication: *replication }),
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => {
                outcomes.push(TopicOutcome::Existed { name })
            }
            Err((name, code)) => {
                tracing::error!(topic = %name, error = %code, "cannot create topic");
                return Err(KafkaError::AdminOp(code));
            }
        }
    }
    Ok(outcomes)
}
