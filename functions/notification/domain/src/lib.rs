//! The Notification function: for each notification event, who is told,
//! through which channels, with which message; what people opted out of;
//! and the key that makes each delivery happen once.
//!
//! # Who is told what
//!
//! | event | recipients | notice |
//! | --- | --- | --- |
//! | `user.created` | the new user | welcome |
//! | `user.updated` | the user | account details changed |
//! | `user.deleted` | the user | account closed (security) |
//! | `user.suspended` | the user | suspended, with the reason (security) |
//! | `user.password_changed` | the user | password changed (security) |
//! | `employee.created` | the manager, hr | a new employee |
//! | `employee.updated` | the employee | their record changed |
//! | `employee.terminated` | the manager, hr | leaving, and their leave cancelled |
//! | `leave.requested` | the approver (else the employee's manager, else hr) | a request to decide |
//! | `leave.approved` | the employee; with `without_approval` (sick) also their manager | approved, with the balance left; to the manager a notice that asks for nothing, without the balance |
//! | `leave.rejected` | the employee | rejected, with the reason |
//! | `leave.cancelled` | the employee, and the approver when it was approved | cancelled |
//! | `leave.reassigned` | the employee, the new approver (else hr) | who decides now, and why |
//! | `attendance.marked` | the employee (in-app only) | a receipt |
//! | `attendance.updated` | the employee | a correction, with the reason |
//! | `compliance.violation` | hr, the employee's manager | refused, with the rules |
//! | `compliance.alert` | hr, the employee's manager | close to a limit, with the rules |
//!
//! Channels: e-mail and the in-app inbox for every notice (the attendance
//! receipt only in-app), plus the configured webhooks. Security notices
//! cannot be opted out of ([`Preferences`]).
//!
//! # Layout
//! - [`route`]: the table above as code.
//! - [`template`]: messages from templates (minijinja), embedded and
//!   overridable from a directory; missing data is an error, never an
//!   empty line.
//! - [`preferences`]: opt-outs per event type and channel.
//! - [`contacts`]: the people to tell, learned from the events.
//! - [`delivery`]: the key (event, channel, recipient) and the status of a
//!   delivery.
//! - [`webhooks`]: which systems receive which events as signed JSON POSTs.
//! - [`fixtures`]: the samples' people and whom each type must reach, for tests.

pub mod contacts;
pub mod delivery;
pub mod fixtures;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod preferences;
pub mod prepare;
pub mod route;
pub mod store;
pub mod template;
pub mod webhooks;

pub use contacts::{Contact, ContactUpdate, learn};
pub use delivery::{Delivery, DeliveryKey, Status};
pub use preferences::Preferences;
pub use prepare::{Directory, PrepareError, Preparer};
pub use route::{Channel, Recipient, Route, route};
pub use store::{Attempt, DeadDelivery, NotificationStore, StoreError};
pub use template::{Person, Rendered, TemplateError, Templates};
pub use webhooks::{Subscription, Webhooks, WebhooksError};
