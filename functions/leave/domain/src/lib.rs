//! The Leave function: requests for time off, decided by whoever manages
//! the employee when deciding (or hr), counted in working days on the holiday calendar of the
//! employee's country, and drawn from a balance per type and year. Every
//! operation returns the events it emits, written with the change (and
//! the balance it moves) in one store transaction.
//!
//! # Layout
//! - [`policy`]: the types of leave and the calendars, from a TOML file
//!   over documented defaults ([`Policy`]).
//! - [`accrual`]: the allowance pro rata and the days carried over.
//! - [`calendar`]: weekends, holiday rules and the working days of a range.
//! - [`model`]: the request and balance records, the commands' inputs.
//! - [`commands`]: one file per operation (request, approve, reject,
//!   cancel, get, list, balances) and the reactions to `employee.terminated`
//!   and `employee.updated` (terminated, reassign).
//! - [`store`]: the storage it needs ([`LeaveStore`]); the embedded and
//!   DynamoDB implementations live with the adapters.
//! - [`error`]: [`LeaveError`], which the adapters map to statuses.
//! - [`fixtures`]: valid records and inputs for tests.
//!
//! Who is asking is Employee's [`hrms_employee::Requester`]; whether the
//! employee exists and is active, Employee answers through its
//! [`hrms_employee::EmployeeClient`] (in-process or over HTTP).
//!
//! # Features
//! - `openapi`: `utoipa::ToSchema` on the types the HTTP API carries, for the
//!   OpenAPI document (the adapters' `http` feature turns it on).

pub mod accrual;
pub mod calendar;
pub mod commands;
pub mod error;
pub mod fixtures;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod model;
pub mod policy;
pub mod store;

pub use error::LeaveError;
pub use model::{Balance, Balances, Cancellation, Leave, LeaveQuery, NewLeave, Rejection, TypeBalance};
pub use policy::{LeaveType, Policy, PolicyError};
pub use store::{LeaveStore, StoreError};
