//! HTTP for the HRMS platform, knowing no function: what every function's
//! routes and clients share. The routes themselves live with their
//! functions (`functions/<name>/adapters`, feature `http`), as do the
//! clients others call them with (feature `client`).
//!
//! # Layout
//! - [`problem`]: RFC 9457 problem responses ([`Problem`]).
//! - [`json`]: JSON request bodies that fail as problems.
//! - [`auth`]: bearer-token authentication of every caller (HS256, or RS256
//!   from a JWKS URL): [`Authenticator`], [`Caller`]; and revocation, each
//!   caller checked against its account's current standing
//!   ([`auth::account`]).
//! - [`routes`]: what every function's router shares: its state [`Api`]
//!   and its [`Routes`], which make its router and OpenAPI fragment.
//! - [`id`]: [`Id`], the UUID in a route's path (404 when it is not one).
//! - [`layers`]: what every router gets: body limit, timeout, request logs
//!   and metrics.
//! - [`openapi`]: the OpenAPI 3.1 document's shared parts, into which a
//!   process merges its routers' fragments.
//! - [`callee`]: [`Callee`], how a router reaches a function it calls: the
//!   function itself in one process, or an HTTP client bound to the
//!   caller's token.
//! - [`client`]: the sync-call client when functions run apart: settings,
//!   retries, budget and a circuit breaker per callee.
//! - [`commands`]: commands as CloudEvents on `POST /`, run through the
//!   route they name.
//! - [`delivery`]: the sink of Knative's KafkaSource, which pushes a topic's
//!   events to a consumer's handler.
//! - [`intake_auth`]: who may push events to a function's intakes
//!   (Knative Eventing OIDC sender tokens, or a shared delivery token).
//! - [`kafkasink`]: the publisher that hands events to Knative's KafkaSink.
//! - [`otlp`]: the OTLP/HTTP span exporter, when `OTEL_EXPORTER_OTLP_*` asks for one.
//! - `testing` (feature `testing`): calling a router in tests.
//!
//! ```
//! # use std::sync::Arc;
//! # use axum::{Router, routing::get};
//! use hrms_http::{Authenticator, Caller};
//! let auth = Arc::new(Authenticator::hs256(&[7u8; 32]).unwrap());
//! let app: Router = Router::new()
//!     .route("/me", get(|caller: Caller| async move { caller.user_id.to_string() }))
//!     .with_state(auth);
//! ```

pub mod auth;
pub mod callee;
pub mod client;
pub mod commands;
pub mod delivery;
pub mod id;
pub mod intake_auth;
pub mod json;
pub mod kafkasink;
pub mod layers;
pub mod openapi;
pub mod otlp;
pub mod problem;
pub mod query;
pub mod routes;
pub mod token_file;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use auth::{AuthError, AuthSettings, Authenticator, Bearer, Caller, Claims};
pub use callee::Callee;
pub use id::{Id, Resource};
pub use problem::Problem;
pub use routes::{Api, Routes};
