//! The HTTP adapter (feature `http`): RFC 9457 problem responses, JSON
//! bodies that fail as problems, bearer-token authentication of every
//! caller (HS256, or RS256 from a JWKS URL), the functions' routers
//! ([`compliance`], [`employee`], [`leave`], [`user`], [`attendance`], [`audit`]), which reach the functions they
//! call through a [`Callee`], each with its OpenAPI fragment ([`openapi`]),
//! the HTTP clients of those calls when the functions run apart
//! ([`client`]), the sink of Knative's KafkaSource, which pushes a
//! topic's events to a consumer's handler ([`delivery`]), and the publisher
//! that hands events to Knative's KafkaSink ([`kafkasink`]).
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
pub mod json;
pub mod kafkasink;
pub mod layers;
pub mod openapi;
pub mod problem;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use auth::{AuthError, AuthSettings, Authenticator, Bearer, Caller, Claims};
pub use callee::Callee;
pub use problem::Problem;
