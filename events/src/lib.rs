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

pub mod attendance;
pub mod audit;
pub mod catalogue;
pub mod common;
pub mod compliance;
pub mod employee;
pub mod envelope;
mod error;
pub mod fixtures;
pub mod leave;
pub mod schema;
pub mod service;
mod structured;
pub mod topics;
pub mod user;

pub use catalogue::{EventType, Payload};
pub use cloudevents;
pub use common::{Actor, FieldChange, Keyed, Role};
pub use envelope::HrmsEvent;
pub use error::DecodeError;
pub use service::Service;
pub use topics::{TOPICS, TopicSpec};
