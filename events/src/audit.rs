//! `audit.<domain>.<action>` payloads: one generic record over each domain's
//! snapshot type, so that an entity's state at any time can be rebuilt from
//! its audit events (`after` is the state the operation left).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Actor, FieldChange, Keyed};

/// What the audit trail keeps of one operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditRecord<S> {
    pub actor: Actor,
    /// The entity before the operation; absent for creations.
    pub before: Option<S>,
    /// The entity after the operation.
    pub after: S,
    /// The fields the operation changed (sensitive ones redacted).
    pub changes: Vec<FieldChange>,
    /// The reason given, where the operation takes one.
    pub reason: Option<String>,
}

impl<S: Keyed> Keyed for AuditRecord<S> {
    fn subject(&self) -> String {
        self.after.subject()
    }
    fn partition_key(&self) -> String {
        self.after.partition_key()
    }
}
