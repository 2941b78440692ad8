//! Where events travel in this process: in memory, or Kafka when
//! `KAFKA_BOOTSTRAP_SERVERS` is set.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hrms_runtime::inprocess::InProcessBus;
use hrms_runtime::kafka::{KafkaConfig, KafkaPublisher, ensure_topics};
use hrms_runtime::{DeadLetterSink, EventPublisher};
use rdkafka::producer::Producer;

/// What the hosted functions publish through.
#[derive(Clone)]
pub struct Sinks {
    pub events: Arc<dyn EventPublisher>,
    pub dead_letters: Arc<dyn DeadLetterSink>,
}

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

    /// Where functions send their events and their dead letters.
    pub(super) fn sinks(&self) -> Sinks {
        match self {
            Transport::InProcess(bus) => {
                Sinks { events: Arc::new(bus.clone()), dead_letters: Arc::new(bus.clone()) }
            }
            Transport::Kafka { probe, .. } => {
                Sinks { events: Arc::new(probe.clone()), dead_letters: Arc::new(probe.clone()) }
            }
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
