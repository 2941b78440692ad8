//! One file per command: the command, its handling and its tests.
//! - [`validate`]: a user or employee checked synchronously, before it is stored.
//! - [`observe`]: an event on `notification-queue` learnt, and the rules
//!   over time evaluated on what changed.

pub mod observe;
pub mod validate;

use hrms_events::audit::AuditRecord;
use hrms_events::compliance::{ComplianceCheck, ComplianceFinding, Outcome, Severity};
use hrms_events::{Actor, HrmsEvent, Payload};
use uuid::Uuid;

use crate::policy::Policy;
use crate::store::ComplianceStore;

/// What the Compliance commands run with: the policy and the store.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub policy: &'a Policy,
    pub store: &'a dyn ComplianceStore,
}

/// The events of a recorded check: `compliance.violation` when it was
/// refused or found a breach, else `compliance.alert` when a finding warns
/// (both to hr and `manager_id`), each with its audit twin; an allowed check
/// without findings is audited only.
pub(crate) fn check_events(
    check: &ComplianceCheck,
    manager_id: Option<Uuid>,
    actor: &Actor,
) -> Vec<HrmsEvent> {
    let refused = check.outcome == Outcome::Refused;
    let warned = check.findings.iter().any(|f| f.severity == Severity::Warn);
    let notice = ComplianceFinding {
        check_id: check.check_id,
        subject_kind: check.subject_kind,
        subject_id: check.subject_id,
        employee_id: check.employee_id,
        manager_id,
        policy_version: check.policy_version.clone(),
        findings: check.findings.clone(),
    };
    let audit = AuditRecord {
        actor: actor.clone(),
        before: None,
        after: check.clone(),
        changes: Vec::new(),
        reason: None,
    };
    let payloads = match (refused, warned) {
        (true, _) => vec![Payload::ComplianceViolation(notice), Payload::AuditComplianceViolation(audit)],
        (false, true) => vec![Payload::ComplianceAlert(notice), Payload::AuditComplianceAlert(audit)],
        (false, false) => vec![Payload::AuditComplianceValidated(audit)],
    };
    payloads.into_iter().map(|p| HrmsEvent::new(p, actor)).collect()
}
