//! The Compliance function: checks users and employees against the policy.
//! No I/O here: callers pass the facts and the clock, and get the outcome
//! and the events to emit.
//!
//! # Layout
//! - [`policy`]: the rules' settings, with documented defaults, read from a
//!   TOML policy file.
//! - [`subject`]: the facts a check is about (a user account, an employee).
//! - [`rules`]: evaluation of the facts against the policy: findings.
//! - [`commands`]: one file per command ([`commands::validate`]).
//! - [`fixtures`]: a valid employee for tests here and in the adapters.
//! - [`client`]: how other functions call it synchronously
//!   ([`ComplianceClient`]), and the in-process client ([`client::Local`]).
//! - [`store`]: the storage the function needs ([`ComplianceStore`]); the
//!   embedded and DynamoDB implementations live with the adapters.
//!
//! # Features
//! - `openapi`: `utoipa::ToSchema` on the types the HTTP API carries, for the
//!   OpenAPI document (the runtime's `http` feature turns it on).

pub mod client;
pub mod commands;
pub mod fixtures;
pub mod policy;
pub mod rules;
pub mod store;
pub mod subject;

pub use client::{CallError, ComplianceClient, Verdict};
pub use commands::validate::{Validate, Validated};
pub use policy::{Policy, PolicyError};
pub use store::{ComplianceStore, FindingsQuery, StoreError};
pub use subject::{EmployeeFacts, Subject, UserFacts};
