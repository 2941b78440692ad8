//! `validate`: checks a user or employee against the policy, synchronously
//! (User and Employee call it before they store anything).
//!
//! The outcome is refused when any finding blocks. Events:
//! - refused: `compliance.violation` (to hr and the manager) and
//!   `audit.compliance.violation`;
//! - allowed with warnings: `compliance.alert` and `audit.compliance.alert`;
//! - allowed: `audit.compliance.validated`.
//!
//! A check with findings is a notice: the same findings about the same
//! subject with the same facts, under the same policy, within
//! `notices.repeat_after_hours` of the first, record and emit nothing and
//! answer that first check (one record, one mail).

use chrono::{Duration, Utc};
use hrms_events::compliance::{ComplianceCheck, Outcome, RuleFinding, Severity};
use hrms_events::{Actor, HrmsEvent};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Context, check_events};
use crate::client::Verdict;
use crate::policy::Policy;
use crate::rules::evaluate;
use crate::store::{Notice, StoreError, first_v7};
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

/// Evaluates the rules and records the check with its events, or answers
/// the notice it repeats (with no events). Fails only when the store does,
/// and then records and emits nothing.
pub async fn handle(command: Validate, ctx: &Context<'_>) -> Result<Validated, StoreError> {
    let facts = serde_json::to_vec(&command.subject).unwrap_or_default();
    let validated = decide(command, ctx.policy);
    let hours = ctx.policy.notices.repeat_after_hours;
    if validated.check.findings.is_empty() || hours == 0 {
        ctx.store.record(&validated.check, &validated.events).await?;
        return Ok(validated);
    }
    let since = first_v7(Utc::now() - Duration::hours(i64::from(hours)));
    let notice = Notice { key: notice_key(&facts, &validated.check), since };
    Ok(match ctx.store.record_notice(&validated.check, &validated.events, &notice).await? {
        None => validated,
        Some(earlier) => Validated { check: earlier, events: Vec::new() },
    })
}

/// The notice a check with findings is: a digest of the subject's `facts`
/// (JSON), the policy version and the findings.
pub fn notice_key(facts: &[u8], check: &ComplianceCheck) -> String {
    let findings = serde_json::to_vec(&check.findings).unwrap_or_default();
    let mut digest = Sha256::new();
    for part in [facts, check.policy_version.as_bytes(), &findings] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
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

    use crate::commands::Context;

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

    fn command(weekly_hours: f64, employee_id: Uuid) -> Validate {
        let employee = EmployeeFacts { weekly_hours, employee_id, manager_id: None, ..fixtures::employee() };
        Validate { subject: Subject::Employee(employee), actor: fixtures::hr() }
    }

    #[tokio::test]
    async fn the_same_findings_about_the_same_facts_are_recorded_and_mailed_once() {
        let store = crate::memory::MemoryComplianceStore::default();
        let policy = Policy::default();
        let ctx = Context { policy: &policy, store: &store };
        let ada = Uuid::now_v7();
        let first = handle(command(60.0, ada), &ctx).await.expect("recorded");
        let again = handle(command(60.0, ada), &ctx).await.expect("answered");
        assert_eq!(again.check, first.check, "the first check answers");
        assert!(again.events.is_empty() && !again.allowed());
        let warned = handle(command(45.0, ada), &ctx).await.expect("recorded");
        assert_ne!(warned.check.check_id, first.check.check_id, "other facts: another notice");
        let grace = handle(command(60.0, Uuid::now_v7()), &ctx).await.expect("recorded");
        assert_ne!(grace.check.check_id, first.check.check_id, "another subject: another notice");
        for _ in 0..2 {
            handle(command(37.5, ada), &ctx).await.expect("recorded");
        }
        let mailed: Vec<_> = types(&Validated { check: first.check.clone(), events: store.events() })
            .into_iter()
            .filter(|t| matches!(t, EventType::ComplianceViolation | EventType::ComplianceAlert))
            .collect();
        let want =
            [EventType::ComplianceViolation, EventType::ComplianceAlert, EventType::ComplianceViolation];
        assert_eq!(mailed, want, "one notice each");
        let audited =
            store.events().iter().filter(|e| e.event_type() == EventType::AuditComplianceValidated).count();
        assert_eq!(audited, 2, "checks without findings are recorded every time");

        let every_time =
            Policy { notices: crate::policy::NoticeRule { repeat_after_hours: 0 }, ..Policy::default() };
        let ctx = Context { policy: &every_time, store: &store };
        let repeated = handle(command(60.0, ada), &ctx).await.expect("recorded");
        assert_ne!(repeated.check.check_id, first.check.check_id, "0 hours: every check is a notice");
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
