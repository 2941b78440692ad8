//! Types shared by several payloads: who acted, roles, field changes, and the
//! [`Keyed`] trait that names an event's subject and ordering key.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What every payload tells the envelope: the entity it is about and the key
/// that orders it on its topic.
pub trait Keyed {
    /// The CloudEvents `subject`: the id of the entity the event is about.
    fn subject(&self) -> String;
    /// The `partitionkey` extension and Kafka record key: the employee id where
    /// there is one, so that all events of one person stay in order.
    fn partition_key(&self) -> String;
}

/// The roles the HTTP API knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Hr,
    Manager,
    Employee,
}

/// Who caused an event: a signed-in user, or the system itself (a relay, a
/// scheduled job, a reaction to another event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    User { user_id: Uuid, role: Role },
    System { name: String },
}

impl Actor {
    /// The value of the `actor` CloudEvents extension.
    pub fn id(&self) -> String {
        match self {
            Actor::User { user_id, .. } => user_id.to_string(),
            Actor::System { name } => format!("system:{name}"),
        }
    }
}

/// One changed field of an update, as the audit trail shows it. Sensitive
/// fields keep their name but carry no values (`redacted`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldChange {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
}

impl FieldChange {
    /// A change whose values are shown.
    pub fn new(field: &str, before: serde_json::Value, after: serde_json::Value) -> Self {
        Self { field: field.to_owned(), before: Some(before), after: Some(after), redacted: false }
    }

    /// A change of a sensitive field: its name only.
    pub fn redacted(field: &str) -> Self {
        Self { field: field.to_owned(), before: None, after: None, redacted: true }
    }
}
