//! The User function: accounts of the people who sign in. Creating one is
//! the design's synchronous chain: Compliance validates the account, then
//! Employee creates (or links) the person's employee record, and only then
//! is the account stored with its events. Passwords are hashed with
//! argon2id; neither a password nor its hash appears in an event, a log
//! line or a response.
//!
//! # Layout
//! - [`model`]: the account and the inputs of its commands.
//! - [`password`]: the password policy, hashing and verification.
//! - [`commands`]: one file per operation (create, get, update, delete,
//!   suspend, change password).
//! - [`listing`]: the filters and pages of `GET /users`.
//! - [`store`]: the storage it needs ([`UserStore`]); the embedded and
//!   DynamoDB implementations live with the adapters.
//! - [`error`]: [`UserError`], which the adapters map to statuses.
//!
//! # Features
//! - `openapi`: `utoipa::ToSchema` on the types the HTTP API carries, for the
//!   OpenAPI document (the adapters' `http` feature turns it on).

pub mod commands;
pub mod error;
pub mod listing;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod model;
pub mod password;
pub mod store;

pub use error::UserError;
pub use model::{NewUser, Password, User, UserChanges};
pub use store::{StoreError, UserStore};
