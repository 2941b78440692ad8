//! `create`: hr and admin add a person. Compliance validates the record
//! first; a refusal stores nothing (Compliance records it). Events:
//! `employee.created` (to the manager and hr) and `audit.employee.created`.

use chrono::{SubsecRound, Utc};
use hrms_events::audit::AuditRecord;
use hrms_events::employee::{EmployeeCreated, EmployeeStatus};
use hrms_events::{HrmsEvent, Payload};
use uuid::Uuid;

use super::{Context, check_hours, check_shape, validate};
use crate::error::EmployeeError;
use crate::model::{Employee, NewEmployee};
use crate::store::StoreError;
use hrms_platform::Requester;

/// The stored employee, whether this call created it, and its events (none
/// when an idempotent repeat found it already there).
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub employee: Employee,
    pub created: bool,
    pub events: Vec<HrmsEvent>,
}

pub async fn handle(
    new: NewEmployee,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Created, EmployeeError> {
    let Context { store, compliance } = *ctx;
    if !requester.is_hr() {
        return Err(EmployeeError::Forbidden("only hr and admin add employees".into()));
    }
    if let Some((field, why)) = crate::model::Lengths::too_long(&new) {
        return Err(EmployeeError::invalid(field, why));
    }
    check_hours(new.weekly_hours)?;
    check_shape(&new.country, &new.time_zone)?;
    let named = new.employee_id.is_some();
    let employee = record(new);
    // Only an id the caller chose can exist already.
    if named && let Some(existing) = store.get(employee.employee_id).await? {
        return repeat(existing, &employee);
    }
    validate(compliance, &employee.subject(), &requester.actor()).await?;
    let events = events(&employee, requester);
    match store.insert(&employee, &events).await {
        Ok(()) => Ok(Created { employee, created: true, events }),
        // A concurrent repeat of the same request won the race.
        Err(StoreError::Conflict(why)) => match store.get(employee.employee_id).await? {
            Some(existing) => repeat(existing, &employee),
            None => Err(EmployeeError::Conflict(why)),
        },
        Err(e) => Err(e.into()),
    }
}

/// The record a request makes, trimmed.
pub(crate) fn record(new: NewEmployee) -> Employee {
    let now = Utc::now().trunc_subsecs(6);
    Employee {
        employee_id: new.employee_id.unwrap_or_else(Uuid::now_v7),
        user_id: new.user_id,
        first_name: new.first_name.trim().to_owned(),
        last_name: new.last_name.trim().to_owned(),
        email: new.email.trim().to_owned(),
        department: new.department.trim().to_owned(),
        job_title: new.job_title.trim().to_owned(),
        manager_id: new.manager_id,
        country: new.country,
        time_zone: new.time_zone,
        weekly_hours: new.weekly_hours,
        hire_date: new.hire_date,
        date_of_birth: new.date_of_birth,
        status: EmployeeStatus::Active,
        termination_date: None,
        termination_reason: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// The same id again: the same request is answered with the stored record;
/// a different one is a conflict.
fn repeat(existing: Employee, wanted: &Employee) -> Result<Created, EmployeeError> {
    let same = Employee {
        version: existing.version,
        status: existing.status,
        termination_date: existing.termination_date,
        termination_reason: existing.termination_reason.clone(),
        created_at: existing.created_at,
        updated_at: existing.updated_at,
        ..wanted.clone()
    } == existing;
    if same {
        Ok(Created { employee: existing, created: false, events: Vec::new() })
    } else {
        Err(EmployeeError::Conflict(format!("employee {} exists with other details", existing.employee_id)))
    }
}

fn events(e: &Employee, requester: &Requester) -> Vec<HrmsEvent> {
    let actor = requester.actor();
    let notice = EmployeeCreated {
        employee_id: e.employee_id,
        user_id: e.user_id,
        first_name: e.first_name.clone(),
        last_name: e.last_name.clone(),
        email: e.email.clone(),
        department: e.department.clone(),
        job_title: e.job_title.clone(),
        manager_id: e.manager_id,
        hire_date: e.hire_date,
        weekly_hours: Some(e.weekly_hours),
    };
    let audit = AuditRecord {
        actor: actor.clone(),
        before: None,
        after: e.snapshot(),
        changes: Vec::new(),
        reason: None,
    };
    vec![
        HrmsEvent::new(Payload::EmployeeCreated(notice), &actor),
        HrmsEvent::new(Payload::AuditEmployeeCreated(audit), &actor),
    ]
}

#[cfg(test)]
mod tests {
    use hrms_events::{EventType, Role};

    use super::*;
    use crate::commands::testing::{Harness, types};
    use crate::fixtures::{new_employee, requester};
    use crate::store::EmployeeStore;

    #[tokio::test]
    async fn creates_the_record_and_its_two_events() {
        let h = Harness::new();
        let new = new_employee();
        let created = handle(new.clone(), &h.hr, &h.ctx()).await.expect("created");
        assert!(created.created);
        assert_eq!(created.employee.version, 1);
        assert_eq!(
            h.store.get(created.employee.employee_id).await.expect("read"),
            Some(created.employee.clone())
        );
        assert_eq!(types(&created.events), [EventType::EmployeeCreated, EventType::AuditEmployeeCreated]);
        assert_eq!(h.outbox(), created.events, "events stored with the record");
        for event in &created.events {
            assert_eq!(event.partition_key(), created.employee.employee_id.to_string());
            assert_eq!(event.subject(), created.employee.employee_id.to_string());
            let json = serde_json::to_string(&event.to_cloudevent()).expect("json");
            assert!(!json.contains("1990-12-10"), "no date of birth in events: {json}");
        }
    }

    #[tokio::test]
    async fn a_refusal_stores_nothing_and_emits_nothing() {
        let h = Harness::new();
        let new = NewEmployee { weekly_hours: 70.0, ..new_employee() };
        let Err(EmployeeError::Refused(verdict)) = handle(new, &h.hr, &h.ctx()).await else {
            panic!("refused")
        };
        assert_eq!(verdict.violations().next().map(|f| f.field.as_str()), Some("weekly_hours"));
        assert!(h.store.is_empty());
        assert!(h.outbox().is_empty());
        assert_eq!(
            h.compliance_events(),
            [EventType::ComplianceViolation, EventType::AuditComplianceViolation]
        );
    }

    #[tokio::test]
    async fn refusals_before_compliance_is_asked() {
        let h = Harness::new();
        let me = requester(Role::Manager);
        assert!(matches!(handle(new_employee(), &me, &h.ctx()).await, Err(EmployeeError::Forbidden(_))));
        let bad = NewEmployee { country: "Germany".into(), ..new_employee() };
        let Err(EmployeeError::Invalid { field, .. }) = handle(bad, &h.hr, &h.ctx()).await else {
            panic!("invalid")
        };
        assert_eq!(field, "country");
        assert!(h.store.is_empty() && h.compliance_events().is_empty());
    }

    #[tokio::test]
    async fn a_duplicate_email_is_a_conflict() {
        let h = Harness::new();
        let first = handle(new_employee(), &h.hr, &h.ctx()).await.expect("created");
        let again = NewEmployee { email: first.employee.email.to_uppercase(), ..new_employee() };
        assert!(matches!(handle(again, &h.hr, &h.ctx()).await, Err(EmployeeError::Conflict(_))));
        assert_eq!(h.outbox().len(), 2);
    }

    #[tokio::test]
    async fn the_same_request_with_its_id_is_answered_once() {
        let h = Harness::new();
        let new = NewEmployee { employee_id: Some(Uuid::now_v7()), ..new_employee() };
        let first = handle(new.clone(), &h.hr, &h.ctx()).await.expect("created");
        let second = handle(new.clone(), &h.hr, &h.ctx()).await.expect("repeated");
        assert!(!second.created && second.events.is_empty());
        assert_eq!(second.employee, first.employee);
        let other = NewEmployee { job_title: "Director".into(), ..new };
        assert!(matches!(handle(other, &h.hr, &h.ctx()).await, Err(EmployeeError::Conflict(_))));
        assert_eq!(h.outbox().len(), 2);
    }

    #[tokio::test]
    async fn compliance_down_stores_nothing() {
        let h = Harness::new();
        h.compliance_down();
        assert!(matches!(handle(new_employee(), &h.hr, &h.ctx()).await, Err(EmployeeError::Unavailable(_))));
        assert!(h.store.is_empty() && h.outbox().is_empty());
    }
}
