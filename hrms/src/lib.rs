//! The assembly of HRMS processes: the functions this build holds (one cargo
//! feature each), their stores, their relays and consumers, the event
//! transport, and the process's own routes. The `hrms` binary and the
//! benchmarks (`hrms-bench`) run what [`app::App`] builds; tests build it in
//! the process (`App::build`, then `App::run_until` on a random port).
//!
//! # Layout
//! - [`app`]: [`app::App`], [`app::Options`], [`app::Function`] and the
//!   wiring of each function ([`app::functions`]) on SQLite or DynamoDB
//!   ([`app::stores`]).
//! - [`auth`]: which authenticator this environment uses.
//! - [`secret`]: the HS256 secret of `dev`.
//! - [`event_log`]: `dev`'s log of every event.
//! - [`shutdown`]: SIGTERM and Ctrl-C.
//!
//! # Features
//! One per function: `user`, `employee`, `compliance`, `audit`,
//! `notification`, `attendance`, `leave` (all default). Each builds that
//! function with all its adapters and the HTTP clients of the functions it
//! calls when they run apart; `cargo build -p hrms --no-default-features
//! --features leave` makes a binary that holds Leave alone. `lambda`
//! (default) adds `hrms lambda` and [`app::lambda`]: the functions under the
//! AWS Lambda Runtime API (`hrms-lambda`).

pub mod app;
pub mod auth;
pub mod event_log;
pub mod secret;
pub mod shutdown;
