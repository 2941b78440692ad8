//! `cancel`: the employee withdraws a pending or approved request before
//! its start date; hr and admin cancel others' at any time (their own only
//! as anyone does, before it starts). An approved
//! request's days are credited back to its balance (each year's part, for
//! a request across 31 December) in the same transaction. Events: `leave.cancelled` (to the employee, and to the
//! approver if it was approved) and `audit.leave.cancelled`.
//!
//! "Before the start date" is by the date in UTC, which the caller passes
//! as [`Context::today`].

use chrono::{SubsecRound, Utc};
use hrms_employee::{Employee, EmployeeError, Requester};
use hrms_events::leave::{LeaveCancelled, LeaveStatus};
use hrms_events::{Actor, HrmsEvent, Payload};
use uuid::Uuid;

use super::entitled::{charged, left_in_first, parts};
use super::{Changed, Context, audit, text, visible};
use crate::error::LeaveError;
use crate::model::{Cancellation, Leave};
use crate::policy::Policy;
use crate::store::LeaveStore;

pub async fn handle(
    leave_id: Uuid,
    cancellation: Cancellation,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Changed, LeaveError> {
    let reason = text("reason", cancellation.reason)?;
    with_retries!(attempt(leave_id, reason.clone(), requester, ctx))
}

/// One read and write.
async fn attempt(
    leave_id: Uuid,
    reason: Option<String>,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Changed, LeaveError> {
    let before = visible(leave_id, requester, ctx.store).await?;
    // Hr and admin cancel others' leave at any time; their own, as anyone
    // does, only before it starts.
    if !requester.is_hr() || requester.is(before.employee_id) {
        if !requester.is(before.employee_id) {
            return Err(LeaveError::Forbidden("only the employee, hr and admin cancel a request".into()));
        }
        if ctx.today >= before.start_date {
            return Err(LeaveError::Forbidden(format!(
                "the leave started on {}: only hr and admin cancel it now",
                before.start_date
            )));
        }
    }
    // The balance the events report is what Employee's dates entitle to
    // (pro rata); one the caller is not shown is reported against the
    // policy's allowance.
    let employee = match ctx.employees.get(before.employee_id, requester).await {
        Ok(employee) => Some(employee),
        Err(EmployeeError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let by = Canceller { actor: requester.actor(), user_id: Some(requester.user_id) };
    apply(&before, &by, reason, employee.as_ref(), ctx.policy, ctx.store).await
}

/// Who cancels: the actor the events name, and the account, if a person.
pub(crate) struct Canceller {
    pub actor: Actor,
    pub user_id: Option<Uuid>,
}

/// Cancels `before` (pending or approved) as `by`, crediting an approved
/// request's days back, the balance reported against what `employee` is
/// entitled to (without them, the policy's allowance);
/// [`LeaveError::Stale`] if it changed since read.
pub(crate) async fn apply(
    before: &Leave,
    by: &Canceller,
    reason: Option<String>,
    employee: Option<&Employee>,
    policy: &Policy,
    store: &dyn LeaveStore,
) -> Result<Changed, LeaveError> {
    if !before.is_active() {
        return Err(LeaveError::conflict(
            "status",
            format!("the request is {:?} already", before.status).to_lowercase(),
        ));
    }
    let was_approved = before.status == LeaveStatus::Approved;
    let after = Leave {
        status: LeaveStatus::Cancelled,
        decided_by: by.user_id,
        decision_note: reason.clone(),
        version: before.version + 1,
        updated_at: Utc::now().trunc_subsecs(6),
        ..before.clone()
    };
    let parts = parts(before, employee, policy, store).await?;
    let credited = if was_approved { charged(&parts, -1.0) } else { Vec::new() };
    let (left_before, credited_left) = left_in_first(&parts, -1.0);
    let left_after = if was_approved { credited_left } else { left_before };
    let notice = LeaveCancelled {
        leave_id: after.leave_id,
        employee_id: after.employee_id,
        approver_id: after.approver_id,
        cancelled_by: by.user_id.unwrap_or_default(),
        leave_type: after.leave_type.clone(),
        start_date: after.start_date,
        end_date: after.end_date,
        was_approved,
        reason: reason.clone(),
    };
    let record = audit(&by.actor, Some((before, left_before)), (&after, left_after), reason);
    let events = vec![
        HrmsEvent::new(Payload::LeaveCancelled(notice), &by.actor),
        HrmsEvent::new(Payload::AuditLeaveCancelled(record), &by.actor),
    ];
    store.update(&after, &credited, &events).await?;
    Ok(Changed { leave: after, events })
}

#[cfg(test)]
mod tests {
    use hrms_events::{EventType, Role};

    use super::*;
    use crate::commands::testing::{Harness, types};
    use crate::fixtures::date;

    #[tokio::test]
    async fn the_employee_withdraws_before_the_start_and_an_approved_request_is_credited_back() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 5)).await;
        h.approve(leave.leave_id).await;
        assert_eq!(h.taken(leave.employee_id, "annual", 2027).await, 5.0);
        let me = h.employee_requester();
        let why = Cancellation { reason: Some("Plans changed".into()) };
        let done = handle(leave.leave_id, why, &me, &h.on(date(2027, 2, 28))).await.expect("cancelled");
        assert_eq!((done.leave.status, done.leave.version), (LeaveStatus::Cancelled, 3));
        assert_eq!(h.taken(leave.employee_id, "annual", 2027).await, 0.0, "credited back");
        assert_eq!(types(&done.events), [EventType::LeaveCancelled, EventType::AuditLeaveCancelled]);
        let Payload::LeaveCancelled(notice) = &done.events[0].payload else { panic!("notice") };
        assert!(notice.was_approved && notice.cancelled_by == me.user_id);
        let Payload::AuditLeaveCancelled(record) = &done.events[1].payload else { panic!("audit") };
        assert_eq!(
            (record.before.as_ref().and_then(|b| b.balance_after), record.after.balance_after),
            (Some(20.0), Some(25.0))
        );
        let again = handle(leave.leave_id, Cancellation::default(), &me, &h.on(date(2027, 2, 28))).await;
        assert!(matches!(again, Err(LeaveError::Conflict { field: Some(f), .. }) if f == "status"));
    }

    #[tokio::test]
    async fn a_pending_request_is_cancelled_without_touching_the_balance() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 5)).await;
        let done =
            handle(leave.leave_id, Cancellation::default(), &h.employee_requester(), &h.on(date(2027, 1, 1)))
                .await
                .expect("cancelled");
        let Payload::LeaveCancelled(notice) = &done.events[0].payload else { panic!("notice") };
        assert!(!notice.was_approved);
        assert_eq!(
            h.store.balances(leave.employee_id, 2027).await.expect("read"),
            vec![],
            "no balance written"
        );
    }

    #[tokio::test]
    async fn after_the_start_only_hr_and_admin_cancel() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 5)).await;
        h.approve(leave.leave_id).await;
        let written = h.outbox().len();
        for today in [date(2027, 3, 1), date(2027, 3, 3), date(2027, 4, 1)] {
            let late =
                handle(leave.leave_id, Cancellation::default(), &h.employee_requester(), &h.on(today)).await;
            assert!(matches!(late, Err(LeaveError::Forbidden(_))), "{today}: {late:?}");
        }
        let manager =
            handle(leave.leave_id, Cancellation::default(), &h.manager(), &h.on(date(2027, 2, 1))).await;
        assert!(matches!(manager, Err(LeaveError::Forbidden(_))), "approvers do not cancel");
        let colleague =
            Requester { user_id: Uuid::now_v7(), role: Role::Employee, employee_id: Some(Uuid::now_v7()) };
        let other =
            handle(leave.leave_id, Cancellation::default(), &colleague, &h.on(date(2027, 2, 1))).await;
        assert!(matches!(other, Err(LeaveError::Forbidden(_))));
        assert_eq!(h.outbox().len(), written, "nothing written");
        assert_eq!(h.taken(leave.employee_id, "annual", 2027).await, 5.0);

        handle(leave.leave_id, Cancellation::default(), &h.hr, &h.on(date(2027, 4, 1))).await.expect("hr");
        assert_eq!(h.taken(leave.employee_id, "annual", 2027).await, 0.0);
    }

    #[tokio::test]
    async fn hr_and_admin_cancel_their_own_leave_only_as_anyone_does() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 5)).await;
        h.approve(leave.leave_id).await;
        let written = h.outbox().len();
        for role in [Role::Hr, Role::Admin] {
            let me = Requester { role, ..h.employee_requester() };
            let late = handle(leave.leave_id, Cancellation::default(), &me, &h.on(date(2027, 3, 2))).await;
            assert!(matches!(late, Err(LeaveError::Forbidden(_))), "{role:?}: {late:?}");
        }
        assert_eq!(h.outbox().len(), written, "nothing written");
        let me = Requester { role: Role::Hr, ..h.employee_requester() };
        handle(leave.leave_id, Cancellation::default(), &me, &h.on(date(2027, 2, 1)))
            .await
            .expect("before it starts");
    }
}
