//! `validate`: checks a user or employee against the policy, synchronously
//! (User and Employee call it before they store anything).
//!
//! The outcome is refused when any finding blocks. Events:
//! - refused: `compliance.violation` (to hr and the manager) and
//!   `audit.compliance.violation`;
//! - allowed with warnings: `compliance.alert` and `audit.compliance.alert`;
//! - allowed: `audit.compliance.validated`.

use hrms_events::compliance::{ComplianceCheck, Outcome, RuleFinding, Severity};
use hrms_events::{Actor, HrmsEvent};
use uuid::Uuid;

use super::{Context, check_events};
use crate::client::Verdict;
use crate::policy::Policy;
use crate::rules::evaluate;
use crate::store::StoreError;
use crate::subject::Subject;

/// Check `subject` on behalf of `actor`.
#[derive(Debug, Clone, PartialEq)]
pub struct Validate {
    pub subject: Subject,
    pub actor: Actor,
}

/// The outcome of a check and the events it emits.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub check: ComplianceCheck,
    pub events: Vec<HrmsEvent>,
}

impl Validated {
    pub fn allowed(&self) -> bool {
        self.check.outcome == Outcome::Allowed
    }

    /// The findings that refused the subject.
    pub fn violations(&self) -> impl Iterator<Item = &RuleFinding> {
        self.check.findings.iter().filter(|f| f.severity == Severity::Block)
    }

    /// The answer callers get.
    pub fn verdict(&self) -> Verdict {
        Verdict {
            allowed: self.allowed(),
            check_id: self.check.check_id,
            policy_version: self.check.policy_version.clone(),
            findings: self.check.findings.clone(),
        }
    }
}

/// Evaluates the rules and records the check with its events. Fails only
/// when the store does, and then records and emits nothing.
pub async fn handle(command: Validate, ctx: &Context<'_>) -> Result<Validated, StoreError> {
    let validated = decide(command, ctx.policy);
    ctx.store.record(&validated.check, &validated.events).await?;
    Ok(validated)
}

/// Evaluates the rules; never fails (bad facts are findings, not errors).
pub fn decide(command: Validate, policy: &Policy) -> Validated {
    let Validate { subject, actor } = command;
    let findings = evaluate(policy, &subject);
    let refused = findings.iter().any(|f| f.severity == Severity::Block);
    let check = ComplianceCheck {
        check_id: Uuid::now_v7(),
        subject_kind: subject.kind(),
        subject_id: subject.id(),
        employee_id: subject.employee_id(),
        policy_version: policy.version.clone(),
        outcome: if refused { Outcome::Refused } else { Outcome::Allowed },
        findings,
    };
    let events = check_events(&check, subject.manager_id(), &actor);
    Validated { check, events }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hrms_events::{EventType, Payload};

    use crate::fixtures;
    use crate::subject::EmployeeFacts;

    fn validate(weekly_hours: f64) -> Validated {
        let employee = EmployeeFacts { weekly_hours, ..fixtures::employee() };
        decide(Validate { subject: Subject::Employee(employee), actor: fixtures::hr() }, &Policy::default())
    }

    fn types(v: &Validated) -> Vec<EventType> {
        v.events.iter().map(HrmsEvent::event_type).collect()
    }

    #[test]
    fn an_allowed_check_is_audited_only() {
        let v = validate(37.5);
        assert!(v.allowed());
        assert_eq!(types(&v), vec![EventType::AuditComplianceValidated]);
    }

    #[test]
    fn a_warning_allows_and_alerts() {
        let v = validate(45.0);
        assert!(v.allowed());
        assert_eq!(v.violations().count(), 0);
        assert_eq!(types(&v), vec![EventType::ComplianceAlert, EventType::AuditComplianceAlert]);
    }

    #[test]
    fn a_blocking_finding_refuses_and_reports_to_the_manager() {
        let v = validate(60.0);
        assert!(!v.allowed());
        assert_eq!(v.violations().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(), ["weekly_hours_max"]);
        assert_eq!(types(&v), vec![EventType::ComplianceViolation, EventType::AuditComplianceViolation]);
        let Payload::ComplianceViolation(notice) = &v.events[0].payload else { panic!("a violation") };
        assert!(notice.manager_id.is_some(), "the manager hears of it");
        assert_eq!(
            v.events[0].partition_key(),
            v.check.employee_id.map(|id| id.to_string()).unwrap_or_default()
        );
    }

    #[test]
    fn every_event_survives_the_contract() {
        for v in [validate(37.5), validate(45.0), validate(60.0)] {
            for e in &v.events {
                assert_eq!(&HrmsEvent::from_cloudevent(&e.to_cloudevent()).expect("valid"), e);
            }
        }
    }
}
