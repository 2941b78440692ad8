//! The Kafka transport of the HRMS platform (rdkafka): publishing, consuming
//! in batches with dead-letter topics, topic admin and redrive.
//!
//! ```no_run
//! # use hrms_kafka::{KafkaConfig, KafkaPublisher, ensure_topics};
//! # use hrms_platform::EventPublisher;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = KafkaConfig::new("127.0.0.1:9092");
//! ensure_topics(&config, &hrms_events::TOPICS).await?;
//! let publisher = KafkaPublisher::new(&config)?;
//! let event = hrms_events::fixtures::sample(hrms_events::EventType::UserCreated);
//! publisher.publish_all(&[event]).await?; // returns once the broker acknowledged
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`codec`]: CloudEvents Kafka binding (binary mode), no I/O.
//! - [`config`]: client settings from `KAFKA_*` variables.
//! - [`auth`]: [`KafkaContext`], the clients' rdkafka context: MSK IAM tokens
//!   (`KAFKA_SASL_MECHANISM=AWS_MSK_IAM`, feature `msk-iam`).
//! - [`producer`]: [`KafkaPublisher`], an [`EventPublisher`](hrms_platform::EventPublisher).
//! - [`consumer`]: [`KafkaConsumer`], the batch consumer with dead letters.
//! - [`lag`]: its lag, `hrms_consumer_lag`, from librdkafka's statistics.
//! - [`dlq`]: the dead-letter record and its headers.
//! - [`redrive`]: listing a DLQ, and producing its letters back (`hrms dlq`).
//! - [`admin`]: topic creation ([`ensure_topics`]).

pub mod admin;
pub mod auth;
pub mod codec;
pub mod config;
pub mod consumer;
pub mod dlq;
pub mod lag;
pub mod producer;
pub mod redrive;
#[cfg(test)]
mod tests;

pub use admin::{TopicOutcome, ensure_topics};
pub use auth::KafkaContext;
pub use config::{ConsumerSettings, KafkaConfig};
pub use consumer::KafkaConsumer;
pub use producer::KafkaPublisher;
