//! The Attendance function: people check in and out; their manager, hr or
//! admin correct a record with a reason; everyone lists what they may see,
//! with worked hours per record, local day and ISO week, and overtime
//! against the contracted weekly hours per ISO week or month. Employee is asked
//! synchronously whether the person exists and is active (and who manages
//! them); every change returns the events it emits, written with it in one
//! store transaction.
//!
//! # Layout
//! - [`model`]: the attendance record and the correction input.
//! - [`commands`]: one file per operation (check-in, check-out, correct, list,
//!   overtime).
//! - [`store`]: the storage it needs ([`AttendanceStore`], one open record
//!   per employee); the embedded and DynamoDB implementations live with the
//!   adapters.
//! - [`overlap`]: when two records of one employee overlap, which every
//!   store refuses.
//! - [`error`]: [`AttendanceError`], which the adapters map to statuses.
//! - [`fixtures`]: employees and requesters for tests.
//!
//! Worked time is counted in the employee's local days by
//! `hrms_compliance::worked`, as Compliance counts it for its rules.
//!
//! # Features
//! - `openapi`: `utoipa::ToSchema` on the types the HTTP API carries, for the
//!   OpenAPI document (the adapters' `http` feature turns it on).

pub mod commands;
pub mod error;
pub mod fixtures;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod model;
pub mod overlap;
pub mod store;

pub use error::AttendanceError;
pub use model::{AttendanceRecord, Correction};
pub use store::{AttendanceStore, RecordsQuery, StoreError};
