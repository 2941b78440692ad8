//! Where events travel in this process: in memory, or Kafka when
//! `KAFKA_BOOTSTRAP_SERVERS` is set.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hrms_runtime::EventPublisher;
use hrms_runtime::inprocess::InProcessBus;
use hrms_runtime::kafka::{KafkaConfig, KafkaPublisher, ensure_topics};
use rdkafka::producer::Producer;

/// Where events travel in this process.
#[derive(Clone)]
pub enum Transport {
    InProcess(InProcessBus),
    Kafka { config: KafkaConfig, probe: KafkaPublisher },
}

impl Transport {
    /// In-process, or Kafka when `KAFKA_BOOTSTRAP_SERVERS` is set (its topics
    /// are created if missing).
    pub(super) async fn from_env() -> anyhow::Result<Self> {
        Ok(match KafkaConfig::from_env()? {
            None => Transport::InProcess(InProcessBus::default()),
            Some(config) => {
                ensure_topics(&config, &hrms_events::TOPICS).await.context("creating the topics")?;
                Transport::Kafka { probe: KafkaPublisher::new(&config)?, config }
            }
        })
    }

    pub(super) fn publisher(&self) -> Arc<dyn EventPublisher> {
        match self {
            Transport::InProcess(bus) => Arc::new(bus.clone()),
            Transport::Kafka { probe, .. } => Arc::new(probe.clone()),
        }
    }

    /// A line for people.
    pub fn describe(&self) -> String {
        match self {
            Transport::InProcess(_) => "in-process (set KAFKA_BOOTSTRAP_SERVERS to use Kafka)".to_owned(),
            Transport::Kafka { config, .. } => format!("Kafka at {}", config.bootstrap_servers),
        }
    }

    pub(super) async fn reachable(&self) -> bool {
        match self {
            Transport::InProcess(_) => true,
            Transport::Kafka { probe, .. } => {
                let producer = probe.producer().clone();
                tokio::task::spawn_blocking(move || {
                    producer.client().fetch_metadata(None, Duration::from_secs(2)).is_ok()
                })
                .await
                .unwrap_or(false)
            }
        }
    }
}
