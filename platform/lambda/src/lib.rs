//! AWS Lambda as a third host of the HRMS functions, beside `hrms dev` and
//! Knative: the Runtime API loop, and what each kind of invocation becomes.
//! It names no function: `hrms::app` hands it a [`Target`] (a router, a
//! Kafka handler, or the outbox relay).
//!
//! - API Gateway HTTP API (payload 2.0), function URLs and ALB requests go
//!   through `lambda_http` to the function's unchanged axum router.
//! - Kafka event source mapping batches (`aws:kafka` from MSK,
//!   `SelfManagedKafka`) are decoded by the binary-mode CloudEvents codec of
//!   `hrms-kafka` into the same [`Handler`](hrms_platform::Handler) the
//!   Kafka consumer and Knative deliveries call ([`kafka`]).
//! - DynamoDB Streams records of the functions' tables, and an EventBridge
//!   schedule, run the outbox relay ([`relay`]): a frozen Lambda has no
//!   background thread to do it.
//!
//! # Layout
//! - [`runtime`]: [`Target`], [`runtime::run`] (the loop), [`runtime::invoke`]
//!   (one invocation, by the event's shape) and init errors.
//! - [`kafka`]: a mapping's batch: records per partition, dead letters, and
//!   their marks ([`kafka::marks`]: one dead letter per record).
//! - [`relay`]: the Streams-fed and scheduled outbox relay.
//! - [`emf`]: CloudWatch Embedded Metric Format lines.
//! - [`secrets`]: `<NAME>_SECRET_ARN` / `<NAME>_PARAMETER_ARN`, read from the
//!   Parameters and Secrets extension at init; [`secrets::SecretFiles`], those
//!   kept in files and read again when due.

pub mod emf;
pub mod kafka;
pub mod relay;
pub mod runtime;
pub mod secrets;

pub use runtime::{Target, invoke, run};
