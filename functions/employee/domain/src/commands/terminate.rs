//! `terminate`: hr and admin end an employment on a date, with a reason.
//! The record stays; the person can no longer request leave or mark
//! attendance. Events: `employee.terminated` (to hr and the manager; Leave
//! cancels the person's pending and future leave on it) and
//! `audit.employee.terminated`.

use chrono::{SubsecRound, Utc};
use hrms_events::audit::AuditRecord;
use hrms_events::employee::{EmployeeStatus, EmployeeTerminated};
use hrms_events::{FieldChange, HrmsEvent, Payload};
use serde_json::json;
use uuid::Uuid;

use super::Context;
use crate::error::EmployeeError;
use crate::model::{Employee, Termination};
use hrms_platform::Requester;

/// The terminated employee and the events.
#[derive(Debug, Clone, PartialEq)]
pub struct Terminated {
    pub employee: Employee,
    pub events: Vec<HrmsEvent>,
}

pub async fn handle(
    employee_id: Uuid,
    termination: Termination,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Terminated, EmployeeError> {
    let store = ctx.store;
    if !requester.is_hr() {
        return Err(EmployeeError::Forbidden("only hr and admin terminate employments".into()));
    }
    if let Some((field, why)) = crate::model::Lengths::too_long(&termination) {
        return Err(EmployeeError::invalid(field, why));
    }
    let reason = termination.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(EmployeeError::invalid("reason", "a termination needs a reason"));
    }
    let before = store.get(employee_id).await?.ok_or(EmployeeError::NotFound)?;
    if !before.is_active() {
        return Err(EmployeeError::Conflict("the employee is already terminated".into()));
    }
    if termination.termination_date < before.hire_date {
        return Err(EmployeeError::invalid(
            "termination_date",
            "the termination date is before the hire date",
        ));
    }
    let after = Employee {
        status: EmployeeStatus::Terminated,
        termination_date: Some(termination.termination_date),
        termination_reason: Some(reason.clone()),
        version: before.version + 1,
        updated_at: Utc::now().trunc_subsecs(6),
        ..before.clone()
    };
    let actor = requester.actor();
    let notice = EmployeeTerminated {
        employee_id,
        email: after.email.clone(),
        first_name: after.first_name.clone(),
        last_name: after.last_name.clone(),
        manager_id: after.manager_id,
        termination_date: termination.termination_date,
        reason: reason.clone(),
    };
    let audit = AuditRecord {
        actor: actor.clone(),
        before: Some(before.snapshot()),
        after: after.snapshot(),
        changes: vec![
            FieldChange::new("status", json!(before.status), json!(after.status)),
            FieldChange::new("termination_date", json!(null), json!(termination.termination_date)),
        ],
        reason: Some(reason),
    };
    let events = vec![
        HrmsEvent::new(Payload::EmployeeTerminated(notice), &actor),
        HrmsEvent::new(Payload::AuditEmployeeTerminated(audit), &actor),
    ];
    store.update(&after, &events).await?;
    Ok(Terminated { employee: after, events })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use hrms_events::{EventType, Role};

    use super::*;
    use crate::commands::testing::{Harness, types};
    use crate::fixtures::requester;
    use crate::store::EmployeeStore;

    fn on(y: i32, m: u32, d: u32) -> Termination {
        Termination {
            termination_date: NaiveDate::from_ymd_opt(y, m, d).expect("date"),
            reason: "resigned".into(),
        }
    }

    #[tokio::test]
    async fn ends_the_employment_once() {
        let h = Harness::new();
        let e = h.create().await;
        let done = handle(e.employee_id, on(2027, 3, 31), &h.hr, &h.ctx()).await.expect("terminated");
        assert!(!done.employee.is_active());
        assert_eq!(done.employee.termination_date, NaiveDate::from_ymd_opt(2027, 3, 31));
        assert_eq!(types(&done.events), [EventType::EmployeeTerminated, EventType::AuditEmployeeTerminated]);
        assert_eq!(h.store.get(e.employee_id).await.expect("read"), Some(done.employee.clone()));
        assert!(matches!(
            handle(e.employee_id, on(2027, 4, 1), &h.hr, &h.ctx()).await,
            Err(EmployeeError::Conflict(_))
        ));
    }

    #[tokio::test]
    async fn refusals_change_nothing() {
        let h = Harness::new();
        let e = h.create().await;
        let written = h.outbox().len();
        assert!(matches!(
            handle(e.employee_id, on(2027, 3, 31), &requester(Role::Manager), &h.ctx()).await,
            Err(EmployeeError::Forbidden(_))
        ));
        let Err(EmployeeError::Invalid { field, .. }) =
            handle(e.employee_id, on(2020, 1, 1), &h.hr, &h.ctx()).await
        else {
            panic!("before hire")
        };
        assert_eq!(field, "termination_date");
        let no_reason = Termination { reason: "  ".into(), ..on(2027, 3, 31) };
        assert!(matches!(
            handle(e.employee_id, no_reason, &h.hr, &h.ctx()).await,
            Err(EmployeeError::Invalid { .. })
        ));
        assert!(matches!(
            handle(Uuid::now_v7(), on(2027, 3, 31), &h.hr, &h.ctx()).await,
            Err(EmployeeError::NotFound)
        ));
        assert_eq!(h.store.get(e.employee_id).await.expect("read"), Some(e));
        assert_eq!(h.outbox().len(), written);
    }
}
