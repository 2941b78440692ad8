//! The Employee function: the people HR manages. Creations and updates are
//! validated by Compliance synchronously; every operation returns the
//! events it emits, written with the change in one store transaction.
//!
//! # Layout
//! - [`model`]: the employee record and the inputs of its commands.
//! - [`commands`]: one file per operation (create, get, update, terminate).
//! - [`listing`]: the filters and pages of `GET /employees`.
//! - [`store`]: the storage it needs ([`EmployeeStore`]); the embedded and
//!   DynamoDB implementations live with the adapters.
//! - [`client`]: how User, Leave and Attendance call it ([`EmployeeClient`]),
//!   in-process ([`client::Local`]) here, over HTTP in the adapters.
//! - [`error`]: [`EmployeeError`], which the adapters map to statuses.
//! - [`fixtures`]: a valid new employee for tests.
//!
//! # Features
//! - `openapi`: `utoipa::ToSchema` on the types the HTTP API carries, for the
//!   OpenAPI document (the adapters' `http` and `client` features turn it on).

pub mod client;
pub mod commands;
pub mod error;
pub mod fixtures;
pub mod listing;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod model;
pub mod store;

pub use client::{EmployeeClient, Local};
pub use error::EmployeeError;
pub use hrms_platform::Requester;
pub use model::{Employee, EmployeeChanges, NewEmployee, Termination};
pub use store::{EmployeeStore, StoreError};
