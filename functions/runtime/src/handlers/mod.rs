//! The Kafka-triggered functions as [`crate::Handler`]s, for any transport
//! (Kafka consumer, in-process bus, KafkaSource delivery over HTTP): Audit,
//! Notification, Compliance's evaluation of attendance and leave over time,
//! and the Leave function's reaction to `employee.terminated`.

pub mod audit;
pub mod compliance;
pub mod leave;
pub mod notification;
