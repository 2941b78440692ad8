//! The shared runtime of the HRMS functions, and their adapters: everything
//! between the pure function crates and the outside world (transports,
//! stores, HTTP). It depends on the function crates, never the reverse.
//!
//! # Layout
//! - [`publish`]: [`EventPublisher`], the one way functions hand events to a
//!   transport, and its typed [`PublishError`] (retryable or fatal).
//! - [`consume`]: the consumer runtime shared by every transport: [`Handler`],
//!   batches per partition, bounded retries, dead-letter decisions.
//! - [`inprocess`]: an in-memory bus with the same semantics, so `hrms dev`
//!   needs no broker.
//! - [`kafka`] (feature `kafka`): rdkafka producer, batch consumer with
//!   dead-letter topics, topic admin, and the CloudEvents Kafka binding.
//! - [`outbox`]: the transactional outbox and its relay, with the SQLite
//!   outbox of the embedded stores (feature `sqlite`).
//! - [`sqlite`] (feature `sqlite`): the embedded stores of the functions.
//! - [`dynamodb`] (feature `dynamodb`): the same stores on DynamoDB (AWS),
//!   one table per service with its outbox; the key design is in its docs.
//! - [`http`] (feature `http`): problem responses, bearer-token auth, the
//!   functions' routes with their OpenAPI fragments, and the sync HTTP
//!   clients between functions.
//! - [`notify`] (feature `notify`): notification channels: e-mail over SMTP
//!   or to `.eml` files, signed webhooks and their verification.
//! - [`handlers`]: the Kafka-triggered functions as handlers (Audit).
//! - [`telemetry`]: tracing subscriber and Prometheus recorder.
//!
//! # Features
//! - `kafka` (default): the Kafka transport.
//! - `sqlite` (default): the embedded stores and their outbox.
//! - `http` (default): the HTTP adapter, the functions' routes and their
//!   OpenAPI document (turns on `openapi` in the function crates).
//! - `dynamodb` (default): the DynamoDB stores and their outbox (AWS SDK).
//! - `notify` (default): the notification channels (lettre on rustls,
//!   reqwest, HMAC-SHA256).

#[cfg(all(test, any(feature = "sqlite", feature = "dynamodb")))]
mod conformance;
pub mod consume;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod handlers;
#[cfg(feature = "http")]
pub mod http;
pub mod inprocess;
#[cfg(feature = "kafka")]
pub mod kafka;
#[cfg(feature = "notify")]
pub mod notify;
pub mod outbox;
pub mod publish;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod telemetry;
#[cfg(test)]
mod testing;

pub use consume::{Delivery, Handler, HandlerError, RetryPolicy};
pub use publish::{DeadLetter, DeadLetterSink, EventPublisher, PublishError};
