//! Where events travel in this process: in memory, or Kafka when
//! `KAFKA_BOOTSTRAP_SERVERS` is set.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use hrms_http::kafkasink::KafkaSinkPublisher;
use hrms_kafka::{KafkaConfig, KafkaPublisher, ensure_topics};
use hrms_platform::inprocess::InProcessBus;
use hrms_platform::{DeadLetterSink, EventPublisher};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
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
    Kafka {
        config: KafkaConfig,
        probe: KafkaPublisher,
    },
    /// Knative's KafkaSinks: publishing only (events reach consumers by
    /// KafkaSource deliveries).
    KafkaSink(KafkaSinkPublisher),
}

impl Transport {
    /// `HRMS_EVENT_SINK`: `kafka` (`KAFKA_*`; its topics are created if
    /// missing and the function may), `kafkasink` (`HRMS_KAFKASINK_<TOPIC>_URL` for every topic
    /// and DLQ) or `inprocess`; unset, Kafka when `KAFKA_BOOTSTRAP_SERVERS`
    /// is set, else in-process.
    pub(super) async fn from_env() -> anyhow::Result<Self> {
        let kafka = KafkaConfig::from_env()?;
        let sink = std::env::var("HRMS_EVENT_SINK").ok().filter(|s| !s.trim().is_empty());
        Ok(match (sink.as_deref(), kafka) {
            (Some("inprocess"), _) | (None, None) => Transport::InProcess(InProcessBus::default()),
            (Some("kafka") | None, Some(config)) => {
                match ensure_topics(&config, &hrms_events::TOPICS).await {
                    Ok(_) => {}
                    // Strimzi's KafkaTopics own them; the function may only use them.
                    Err(KafkaError::AdminOp(
                        RDKafkaErrorCode::TopicAuthorizationFailed
                        | RDKafkaErrorCode::ClusterAuthorizationFailed,
                    )) => tracing::info!("not allowed to create topics: they are managed elsewhere"),
                    Err(e) => return Err(anyhow::Error::new(e).context("creating the topics")),
                }
                Transport::Kafka { probe: KafkaPublisher::new(&config)?, config }
            }
            (Some("kafka"), None) => bail!("HRMS_EVENT_SINK=kafka needs KAFKA_BOOTSTRAP_SERVERS"),
            (Some("kafkasink"), _) => {
                let topics: Vec<&str> = hrms_events::TOPICS.iter().map(|t| t.name).collect();
                Transport::KafkaSink(KafkaSinkPublisher::from_env(&topics)?)
            }
            (Some(other), _) => bail!("HRMS_EVENT_SINK={other:?}: expected kafka, kafkasink or inprocess"),
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
            Transport::KafkaSink(sink) => {
                Sinks { events: Arc::new(sink.clone()), dead_letters: Arc::new(sink.clone()) }
            }
        }
    }

    /// A line for people.
    pub fn describe(&self) -> String {
        match self {
            Transport::InProcess(_) => "in-process (set KAFKA_BOOTSTRAP_SERVERS to use Kafka)".to_owned(),
            Transport::Kafka { config, .. } => format!("Kafka at {}", config.bootstrap_servers),
            Transport::KafkaSink(_) => "Knative KafkaSinks (HRMS_KAFKASINK_*_URL)".to_owned(),
        }
    }

    pub(super) async fn reachable(&self) -> bool {
        match self {
            // A sink that does not answer leaves events in the outbox: no
            // reason to take the function out of service.
            Transport::InProcess(_) | Transport::KafkaSink(_) => true,
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
