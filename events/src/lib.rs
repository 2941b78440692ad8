//! The HRMS event contract: what every service emits and every handler reads.
//! No I/O lives here; the transports are in the platform (`hrms-kafka`, the
//! in-process bus of `hrms-platform`, the KafkaSink publisher of `hrms-http`).
//!
//! # Layout
//! - [`catalogue`]: every event type, its payload, emitting service and schema
//!   version, in one table ([`EventType`], [`Payload`]).
//! - [`topics`]: routing of types to topics, with partitions, replication and
//!   retention ([`TopicSpec`], [`TOPICS`]).
//! - [`envelope`]: [`HrmsEvent`], the typed event, to and from a CloudEvent 1.0.
//! - [`user`], [`employee`], [`leave`], [`attendance`], [`compliance`]: the
//!   notification payloads and each domain's audit snapshot; [`audit`]: the
//!   generic audit record; [`common`]: actors, roles, field changes.
//! - [`schema`]: JSON Schemas of the payloads and the compatibility check that
//!   guards published versions (files under `events/schemas/`).
//! - [`versions`]: the versions readers accept besides the written one, and
//!   how each is read into the written payload.
//! - [`checks`]: what consumers check of an event beyond its shape (time
//!   skew, the ranges the schemas state) before a handler sees it.
//! - [`asyncapi`]: the AsyncAPI 3.0 document of all of it, generated (given
//!   who reads what).
//! - [`limits`]: the longest text each kind of field may hold.
//! - [`fixtures`]: one sample event of every type, for every crate's tests.
//!
//! # Features
//! - `openapi`: `utoipa::ToSchema` on the types the HTTP API carries, for the
//!   OpenAPI document (`hrms-http` and `hrms` turn it on).
//!
//! # Example
//! ```
//! use hrms_events::{HrmsEvent, fixtures};
//! let event = fixtures::sample(hrms_events::EventType::LeaveApproved);
//! let cloudevent = event.to_cloudevent();
//! assert_eq!(HrmsEvent::from_cloudevent(&cloudevent).unwrap(), event);
//! ```

pub mod asyncapi;
pub mod attendance;
pub mod audit;
pub mod catalogue;
pub mod checks;
pub mod common;
pub mod compliance;
pub mod employee;
pub mod envelope;
mod error;
pub mod fixtures;
pub mod leave;
pub mod limits;
pub mod schema;
pub mod service;
mod structured;
pub mod topics;
pub mod user;
pub mod versions;

pub use catalogue::{EventType, Payload};
pub use cloudevents;
pub use common::{Actor, FieldChange, Keyed, Role};
pub use envelope::HrmsEvent;
pub use error::DecodeError;
pub use service::Service;
pub use topics::{TOPICS, TopicSpec};
