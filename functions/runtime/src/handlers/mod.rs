//! The Kafka-triggered functions, and the Leave function's reaction to
//! `employee.terminated`, as [`crate::Handler`]s, for any transport
//! (Kafka consumer, in-process bus, KafkaSource delivery over HTTP).

pub mod audit;
pub mod leave;
pub mod notification;
