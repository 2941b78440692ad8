//! The Kafka-triggered functions as [`crate::Handler`]s, for any transport
//! (Kafka consumer, in-process bus, KafkaSource delivery over HTTP).

pub mod audit;
pub mod notification;
