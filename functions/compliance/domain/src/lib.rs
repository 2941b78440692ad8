//! The Compliance function: checks users and employees against the policy
//! when they are stored, and attendance and leave over time, as their
//! events arrive. No I/O here: callers pass the facts (or the event) and
//! the stores, and get the outcome and the events to emit.
//!
//! # Layout
//! - [`policy`]: the rules' settings, with documented defaults, read from a
//!   TOML policy file.
//! - [`subject`]: the facts a check is about (a user account, an employee).
//! - [`rules`]: evaluation of the facts against the policy: findings.
//! - [`commands`]: one file per command ([`commands::validate`],
//!   [`commands::observe`]).
//! - [`timeline`]: what it keeps of each employee to judge them over time.
//! - [`over_time`]: the rules over time (rest, daily and weekly hours,
//!   length of leave) on a timeline: findings.
//! - [`worked`]: worked time in an employee's local days and weeks (IANA
//!   time zones), which Attendance shows too.
//! - [`fixtures`]: a valid employee for tests here and in the adapters.
//! - [`client`]: how other functions call it synchronously
//!   ([`ComplianceClient`]), and the in-process client ([`client::Local`]).
//! - [`store`]: the storage the function needs ([`ComplianceStore`]); the
//!   embedded and DynamoDB implementations live with the adapters.
//!
//! # Features
//! - `openapi`: `utoipa::ToSchema` on the types the HTTP API carries, for the
//!   OpenAPI document (the adapters' `http` and `client` features turn it on).

pub mod client;
pub mod commands;
pub mod fixtures;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod over_time;
pub mod policy;
pub mod rules;
pub mod store;
pub mod subject;
pub mod timeline;
pub mod worked;

pub use client::{CallError, ComplianceClient, Verdict};
pub use commands::validate::{Validate, Validated};
pub use policy::{Policy, PolicyError};
pub use store::{ComplianceStore, FindingsQuery, Notice, StoreError};
pub use subject::{EmployeeFacts, Subject, UserFacts};
pub use timeline::Timeline;
