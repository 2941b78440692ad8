//! The sync clients: how a function calls another over HTTP when they run
//! apart (User calls Employee and Compliance; Employee calls Compliance).
//! A call goes out with the *caller's own* token, so the callee authorizes
//! the person, not the calling service.
//!
//! Calls go through a breaker per callee ([`breaker`]), with settings from
//! the environment ([`settings`]); [`answer`] holds what a callee answers
//! instead of success.

pub mod answer;
pub mod breaker;
pub mod settings;

pub use answer::{Failure, RemoteProblem};
pub use breaker::{Breaker, BreakerSettings};
pub use settings::{ClientSettings, SettingsError, base_url};
