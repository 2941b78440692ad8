//! `terminate`: hr and admin end an employment on a date, with a reason.
//! The record stays; the person can no longer request leave or mark
//! attendance. Events: `employee.terminated` (to hr and the manager; Leave
//! cancels the person's pending and future leave on it) and
//! `audit.employee.terminated`.
//!
//! The person's active reports first move to the person's own manager
//! (none: hr decides for them), each with `employee.updated` (Leave moves
//! their pending requests on it), so that no request made later awaits
//! someone who has left. Each report is its own write, before the
//! person's: a termination that fails halfway fails whole (nothing of the
//! person changed) and, done again, finds the reports still left.

use chrono::{SubsecRound, Utc};
use hrms_events::audit::AuditRecord;
use hrms_events::employee::{EmployeeStatus, EmployeeTerminated};
use hrms_events::{FieldChange, HrmsEvent, Payload};
use serde_json::json;
use uuid::Uuid;

use super::{Context, update};
use crate::error::EmployeeError;
use crate::listing::{EmployeeFilter, EmployeeQuery, MAX_LIMIT};
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
    let mut events = move_reports(&before, requester, ctx).await?;
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
    let own = [
        HrmsEvent::new(Payload::EmployeeTerminated(notice), &actor),
        HrmsEvent::new(Payload::AuditEmployeeTerminated(audit), &actor),
    ];
    store.update(&after, &own).await?;
    events.extend(own);
    Ok(Terminated { employee: after, events })
}

/// Moves the active reports of `leaver` to the leaver's manager, each
/// read again before its write (a listing may lag); the events written.
async fn move_reports(
    leaver: &Employee,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Vec<HrmsEvent>, EmployeeError> {
    let filter = EmployeeFilter {
        manager_id: Some(leaver.employee_id),
        status: Some(EmployeeStatus::Active),
        ..EmployeeFilter::default()
    };
    let mut query = EmployeeQuery { filter, cursor: None, limit: MAX_LIMIT };
    let mut reports = Vec::new();
    loop {
        let page = ctx.store.list(&query).await?;
        reports.extend(page.employees.into_iter().map(|e| e.employee_id));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    let reason = format!("{} {} left", leaver.first_name, leaver.last_name);
    let mut events = Vec::new();
    for report_id in reports {
        let Some(before) = ctx.store.get(report_id).await? else { continue };
        if !before.is_active() || before.manager_id != Some(leaver.employee_id) {
            continue;
        }
        // Never one's own manager (the leaver reported to this report).
        let manager_id = leaver.manager_id.filter(|m| *m != report_id);
        let after = Employee {
            manager_id,
            version: before.version + 1,
            updated_at: Utc::now().trunc_subsecs(6),
            ..before.clone()
        };
        let diff = vec![FieldChange::new("manager_id", json!(before.manager_id), json!(manager_id))];
        let written = update::events(&before, &after, diff, requester, Some(reason.clone()));
        ctx.store.update(&after, &written).await?;
        events.extend(written);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use hrms_events::{EventType, Role};

    use super::*;
    use crate::commands::create;
    use crate::commands::testing::{Harness, types};
    use crate::fixtures::{new_employee, requester};
    use crate::model::NewEmployee;
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

    #[tokio::test]
    async fn the_leavers_reports_move_to_the_leavers_manager() {
        let h = Harness::new();
        let leaver = h.create().await;
        let above = leaver.manager_id.expect("the fixture has a manager");
        let mut reports = Vec::new();
        for _ in 0..3 {
            let new = NewEmployee { manager_id: Some(leaver.employee_id), ..new_employee() };
            reports.push(create::handle(new, &h.hr, &h.ctx()).await.expect("created").employee);
        }
        handle(reports[2].employee_id, on(2027, 1, 31), &h.hr, &h.ctx()).await.expect("left first");
        let other = h.create().await;

        let done = handle(leaver.employee_id, on(2027, 3, 31), &h.hr, &h.ctx()).await.expect("terminated");
        assert_eq!(
            types(&done.events),
            [
                EventType::EmployeeUpdated,
                EventType::AuditEmployeeUpdated,
                EventType::EmployeeUpdated,
                EventType::AuditEmployeeUpdated,
                EventType::EmployeeTerminated,
                EventType::AuditEmployeeTerminated,
            ]
        );
        for report in &reports[..2] {
            let now = h.store.get(report.employee_id).await.expect("read").expect("stored");
            assert_eq!(now.manager_id, Some(above), "moved up");
            assert_eq!(now.version, report.version + 1);
        }
        let left = h.store.get(reports[2].employee_id).await.expect("read").expect("stored");
        assert_eq!(left.manager_id, Some(leaver.employee_id), "a former report is left as it was");
        assert_eq!(h.store.get(other.employee_id).await.expect("read"), Some(other));
        let Payload::EmployeeUpdated(notice) = &done.events[0].payload else { panic!("updated") };
        assert_eq!(
            (notice.manager_id, notice.changed_fields.clone()),
            (Some(above), vec!["manager_id".into()])
        );
        let Payload::AuditEmployeeUpdated(audit) = &done.events[1].payload else { panic!("audit") };
        assert_eq!(audit.reason.as_deref(), Some("Ada Lovelace left"));
    }

    #[tokio::test]
    async fn without_a_manager_above_the_reports_have_none() {
        let h = Harness::new();
        let top = create::handle(NewEmployee { manager_id: None, ..new_employee() }, &h.hr, &h.ctx())
            .await
            .expect("created")
            .employee;
        let new = NewEmployee { manager_id: Some(top.employee_id), ..new_employee() };
        let report = create::handle(new, &h.hr, &h.ctx()).await.expect("created").employee;
        handle(top.employee_id, on(2027, 3, 31), &h.hr, &h.ctx()).await.expect("terminated");
        let now = h.store.get(report.employee_id).await.expect("read").expect("stored");
        assert_eq!(now.manager_id, None, "hr decides for them");
    }
}
