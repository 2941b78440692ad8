//! The HTTP adapter (feature `http`): RFC 9457 problem responses, JSON
//! bodies that fail as problems, bearer-token authentication of every
//! caller, the functions' routers ([`compliance`]), and the sync clients
//! the functions call each other with ([`client`]).
//!
//! ```
//! # use std::sync::Arc;
//! # use axum::{Router, routing::get};
//! use hrms_runtime::http::{Authenticator, Caller};
//! let auth = Arc::new(Authenticator::hs256(&[7u8; 32]).unwrap());
//! let app: Router = Router::new()
//!     .route("/me", get(|caller: Caller| async move { caller.user_id.to_string() }))
//!     .with_state(auth);
//! ```

pub mod auth;
pub mod client;
#[cfg(feature = "sqlite")]
pub mod compliance;
pub mod json;
pub mod layers;
pub mod problem;

pub use auth::{AuthError, Authenticator, Caller, Claims};
pub use problem::Problem;
