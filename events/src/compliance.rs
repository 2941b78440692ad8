//! `compliance.*` payloads: outcomes of policy checks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::common::Keyed;

/// How a rule's breach is treated: `block` refuses, `warn` allows and alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Block,
    Warn,
}

/// One rule that a subject breaks or comes near to breaking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleFinding {
    pub rule_id: String,
    pub field: String,
    pub message: String,
    pub severity: Severity,
}

/// What a check was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    User,
    Employee,
    Leave,
    Attendance,
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Refused,
}

/// `compliance.violation` (a refusal or a breach found over time) and
/// `compliance.alert` (a warn rule, or a threshold near): to hr and the
/// employee's manager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ComplianceFinding {
    pub check_id: Uuid,
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub employee_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub policy_version: String,
    pub findings: Vec<RuleFinding>,
}

/// A check as the audit trail records it (`audit.compliance.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplianceCheck {
    pub check_id: Uuid,
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub employee_id: Option<Uuid>,
    pub policy_version: String,
    pub outcome: Outcome,
    pub findings: Vec<RuleFinding>,
}

macro_rules! keyed_by_check {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn subject(&self) -> String { self.check_id.to_string() }
            fn partition_key(&self) -> String {
                self.employee_id.unwrap_or(self.subject_id).to_string()
            }
        }
    )*};
}
keyed_by_check!(ComplianceFinding, ComplianceCheck);

/// Compliance's answer to a validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    pub allowed: bool,
    pub check_id: Uuid,
    pub policy_version: String,
    /// Every finding; those with severity `block` are why it was refused.
    pub findings: Vec<RuleFinding>,
}

impl Verdict {
    /// The findings that refused the subject.
    pub fn violations(&self) -> impl Iterator<Item = &RuleFinding> {
        self.findings.iter().filter(|f| f.severity == Severity::Block)
    }
}
