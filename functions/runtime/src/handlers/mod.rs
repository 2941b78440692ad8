//! The Kafka-triggered functions as [`crate::Handler`]s, for any transport
//! (Kafka consumer, in-process bus, KafkaSource delivery over HTTP): Audit,
//! Notification, and Compliance's evaluation of attendance and leave over
//! time.

pub mod audit;
pub mod compliance;
pub mod notification;
