//! `update`: hr and admin change an active employee's details (also how
//! User links a person's account: `user_id`). Compliance validates the
//! changed record unless only the account link changed. Events:
//! `employee.updated` (the changed fields) and `audit.employee.updated`
//! (before, after, and each change; the date of birth redacted). A change
//! that changes nothing stores and emits nothing.

use chrono::{SubsecRound, Utc};
use hrms_events::audit::AuditRecord;
use hrms_events::employee::EmployeeUpdated;
use hrms_events::{FieldChange, HrmsEvent, Payload};
use serde_json::json;
use uuid::Uuid;

use super::{Context, check_hours, check_shape, validate};
use crate::error::EmployeeError;
use crate::model::{Employee, EmployeeChanges};
use hrms_platform::Requester;

/// The employee after the change, and the events (none if nothing changed).
#[derive(Debug, Clone, PartialEq)]
pub struct Updated {
    pub employee: Employee,
    pub events: Vec<HrmsEvent>,
}

pub async fn handle(
    employee_id: Uuid,
    changes: EmployeeChanges,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Updated, EmployeeError> {
    let Context { store, compliance } = *ctx;
    if !requester.is_hr() {
        return Err(EmployeeError::Forbidden("only hr and admin change employees".into()));
    }
    if let Some((field, why)) = crate::model::Lengths::too_long(&changes) {
        return Err(EmployeeError::invalid(field, why));
    }
    changes.weekly_hours.map(check_hours).transpose()?;
    let before = store.get(employee_id).await?.ok_or(EmployeeError::NotFound)?;
    if let Some(version) = changes.version
        && version != before.version
    {
        return Err(EmployeeError::Conflict(format!(
            "version {version} is stale: the record is at version {}",
            before.version
        )));
    }
    if !before.is_active() {
        return Err(EmployeeError::Conflict("a terminated employee's record is closed".into()));
    }
    if let (Some(linked), Some(wanted)) = (before.user_id, changes.user_id)
        && linked != wanted
    {
        return Err(EmployeeError::Conflict(format!("employee is linked to another user ({linked})")));
    }
    let (mut after, diff) = apply(&before, changes);
    if diff.is_empty() {
        return Ok(Updated { employee: before, events: Vec::new() });
    }
    check_shape(&after.country, &after.time_zone)?;
    if diff.iter().any(|c| c.field != "user_id") {
        validate(compliance, &after.subject(), &requester.actor()).await?;
    }
    after.version = before.version + 1;
    after.updated_at = Utc::now().trunc_subsecs(6);
    let events = events(&before, &after, diff, requester, None);
    store.update(&after, &events).await?;
    Ok(Updated { employee: after, events })
}

/// The record with `changes` applied, and what changed.
fn apply(before: &Employee, changes: EmployeeChanges) -> (Employee, Vec<FieldChange>) {
    let mut after = before.clone();
    let mut diff = Vec::new();
    macro_rules! set {
        ($field:ident, $value:expr) => {
            if let Some(value) = $value
                && value != after.$field
            {
                diff.push(FieldChange::new(stringify!($field), json!(after.$field), json!(value)));
                after.$field = value;
            }
        };
    }
    let trim = |s: Option<String>| s.map(|s| s.trim().to_owned());
    set!(user_id, changes.user_id.map(Some));
    set!(first_name, trim(changes.first_name));
    set!(last_name, trim(changes.last_name));
    set!(email, trim(changes.email));
    set!(department, trim(changes.department));
    set!(job_title, trim(changes.job_title));
    set!(manager_id, changes.manager_id);
    set!(country, changes.country);
    set!(time_zone, changes.time_zone);
    set!(weekly_hours, changes.weekly_hours);
    set!(hire_date, changes.hire_date);
    if let Some(dob) = changes.date_of_birth
        && dob != after.date_of_birth
    {
        diff.push(FieldChange::redacted("date_of_birth"));
        after.date_of_birth = dob;
    }
    (after, diff)
}

/// `employee.updated` and its audit twin for the change `diff`.
pub(super) fn events(
    before: &Employee,
    after: &Employee,
    diff: Vec<FieldChange>,
    requester: &Requester,
    reason: Option<String>,
) -> Vec<HrmsEvent> {
    let actor = requester.actor();
    let notice = EmployeeUpdated {
        employee_id: after.employee_id,
        email: after.email.clone(),
        manager_id: after.manager_id,
        changed_fields: diff.iter().map(|c| c.field.clone()).collect(),
        weekly_hours: Some(after.weekly_hours),
    };
    let audit = AuditRecord {
        actor: actor.clone(),
        before: Some(before.snapshot()),
        after: after.snapshot(),
        changes: diff,
        reason,
    };
    vec![
        HrmsEvent::new(Payload::EmployeeUpdated(notice), &actor),
        HrmsEvent::new(Payload::AuditEmployeeUpdated(audit), &actor),
    ]
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use hrms_events::{EventType, Role};

    use super::*;
    use crate::commands::testing::{Harness, types};
    use crate::fixtures::requester;
    use crate::store::EmployeeStore;

    #[tokio::test]
    async fn changes_fields_and_audits_before_and_after() {
        let h = Harness::new();
        let e = h.create().await;
        let changes = EmployeeChanges {
            job_title: Some("Lead Analyst".into()),
            date_of_birth: Some(NaiveDate::from_ymd_opt(1989, 1, 2)),
            ..Default::default()
        };
        let updated = handle(e.employee_id, changes, &h.hr, &h.ctx()).await.expect("updated");
        assert_eq!((updated.employee.version, updated.employee.job_title.as_str()), (2, "Lead Analyst"));
        assert_eq!(h.store.get(e.employee_id).await.expect("read"), Some(updated.employee.clone()));
        assert_eq!(types(&updated.events), [EventType::EmployeeUpdated, EventType::AuditEmployeeUpdated]);
        let Payload::AuditEmployeeUpdated(audit) = &updated.events[1].payload else { panic!("audit") };
        assert_eq!(audit.before.as_ref().map(|b| b.job_title.as_str()), Some("Analyst"));
        assert_eq!(audit.after.job_title, "Lead Analyst");
        assert_eq!(audit.changes[0], FieldChange::new("job_title", json!("Analyst"), json!("Lead Analyst")));
        assert_eq!(audit.changes[1], FieldChange::redacted("date_of_birth"));
        let json = serde_json::to_string(&updated.events[1].to_cloudevent()).expect("json");
        assert!(!json.contains("1989-01-02") && !json.contains("1990-12-10"), "{json}");
    }

    #[tokio::test]
    async fn nothing_changed_means_nothing_written() {
        let h = Harness::new();
        let e = h.create().await;
        let same = EmployeeChanges { job_title: Some(e.job_title.clone()), ..Default::default() };
        let updated = handle(e.employee_id, same, &h.hr, &h.ctx()).await.expect("no-op");
        assert!(updated.events.is_empty());
        assert_eq!(updated.employee.version, 1);
    }

    #[tokio::test]
    async fn refusals_leave_the_record_as_it_was() {
        let h = Harness::new();
        let e = h.create().await;
        let stored = h.outbox().len();
        type Case = (Requester, EmployeeChanges, fn(&EmployeeError) -> bool);
        let cases: Vec<Case> = vec![
            (requester(Role::Manager), EmployeeChanges::default(), |e| {
                matches!(e, EmployeeError::Forbidden(_))
            }),
            (h.hr, EmployeeChanges { weekly_hours: Some(80.0), ..Default::default() }, |e| {
                matches!(e, EmployeeError::Refused(_))
            }),
            (
                h.hr,
                EmployeeChanges { version: Some(7), job_title: Some("X".into()), ..Default::default() },
                |e| matches!(e, EmployeeError::Conflict(_)),
            ),
            (
                h.hr,
                EmployeeChanges { country: Some("gb".into()), ..Default::default() },
                |e| matches!(e, EmployeeError::Invalid { field, .. } if field == "country"),
            ),
        ];
        for (who, changes, expected) in cases {
            let err = handle(e.employee_id, changes.clone(), &who, &h.ctx()).await.expect_err("refused");
            assert!(expected(&err), "{changes:?}: {err:?}");
        }
        assert_eq!(h.store.get(e.employee_id).await.expect("read"), Some(e));
        assert_eq!(h.outbox().len(), stored);
    }

    #[tokio::test]
    async fn linking_an_account_skips_compliance_and_links_once() {
        let h = Harness::new();
        let e = h.create().await;
        h.compliance_down();
        let user = Uuid::now_v7();
        let link = EmployeeChanges { user_id: Some(user), ..Default::default() };
        let linked = handle(e.employee_id, link.clone(), &h.hr, &h.ctx()).await.expect("linked");
        assert_eq!(linked.employee.user_id, Some(user));
        let again = handle(e.employee_id, link, &h.hr, &h.ctx()).await.expect("same link");
        assert!(again.events.is_empty());
        let other = EmployeeChanges { user_id: Some(Uuid::now_v7()), ..Default::default() };
        assert!(matches!(
            handle(e.employee_id, other, &h.hr, &h.ctx()).await,
            Err(EmployeeError::Conflict(_))
        ));
    }
}
