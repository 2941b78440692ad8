//! The core of the HRMS platform: what every function and every adapter
//! shares, knowing no function.
//!
//! Always (no I/O, for the pure domain crates):
//! - [`call`]: the sync-call vocabulary: [`CallError`], why another function
//!   gave no answer, and [`Requester`], who asks.
//! - [`store`]: [`StoreFailure`], why a store did nothing, with its cause.
//! - [`error`]: [`Chain`], an error with its sources for logs, and the
//!   causes errors carry ([`Cause`], [`error::BoxError`]).
//!
//! With the `runtime` feature (default):
//! - [`publish`]: [`EventPublisher`], the one way functions hand events to a
//!   transport, and its typed [`PublishError`] (retryable or fatal).
//! - [`consume`]: the consumer runtime shared by every transport: [`Handler`],
//!   batches per partition, bounded retries, dead-letter decisions.
//! - [`inprocess`]: an in-memory bus with the same semantics, so `hrms dev`
//!   needs no broker.
//! - [`outbox`]: the transactional outbox's relay, store-agnostic (the
//!   outboxes live with their stores in `hrms-sqlite` and `hrms-dynamodb`).
//! - [`telemetry`]: tracing subscriber, OTLP span export and Prometheus recorder.
//! - [`traces`]: the spans that carry a trace across HTTP, the outbox, the
//!   transports and the consumers (W3C `traceparent`).
//!
//! With the `testing` feature: `testing`, helpers of other crates' tests
//! (waiting with a deadline, a local metrics recorder, temporary
//! directories), and the `suite!` macro that runs a store conformance suite
//! against each implementation.

pub mod call;
pub mod error;
pub mod store;

#[cfg(feature = "runtime")]
pub mod consume;
#[cfg(feature = "runtime")]
pub mod inprocess;
#[cfg(feature = "runtime")]
pub mod outbox;
#[cfg(feature = "runtime")]
pub mod publish;
#[cfg(feature = "runtime")]
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(feature = "runtime")]
pub mod traces;

pub use call::{CallError, Requester};
#[cfg(feature = "runtime")]
pub use consume::{Delivery, Handler, HandlerError, RetryPolicy};
pub use error::{Cause, Chain};
#[cfg(feature = "runtime")]
pub use publish::{DeadLetter, DeadLetterSink, EventPublisher, PublishError};
pub use store::{Part, StoreFailure};
