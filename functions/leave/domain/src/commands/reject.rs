//! `reject`: the employee's manager now ([`super::approver`]), hr or admin turns a
//! pending request down, with a reason; never the employee or whoever
//! made the request. The balance is untouched. Events: `leave.rejected`
//! (to the employee, with the reason) and `audit.leave.rejected`.

use chrono::{SubsecRound, Utc};
use hrms_employee::Requester;
use hrms_events::leave::{LeaveRejected, LeaveStatus};
use hrms_events::{HrmsEvent, Payload};
use uuid::Uuid;

use super::approver::decidable;
use super::entitled::{left_in_first, parts};
use super::{Changed, Context, audit, decider_id, pending, text};
use crate::error::LeaveError;
use crate::model::{Leave, Rejection};

pub async fn handle(
    leave_id: Uuid,
    rejection: Rejection,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Changed, LeaveError> {
    let reason = text("reason", Some(rejection.reason))?
        .ok_or_else(|| LeaveError::invalid("reason", "a rejection needs a reason"))?;
    with_retries!(attempt(leave_id, &reason, requester, ctx))
}

/// One read and write.
async fn attempt(
    leave_id: Uuid,
    reason: &str,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Changed, LeaveError> {
    let (before, current, employee) = decidable(leave_id, requester, ctx).await?;
    pending(&before, "rejected")?;
    let after = Leave {
        status: LeaveStatus::Rejected,
        decided_by: Some(requester.user_id),
        decision_note: Some(reason.to_owned()),
        version: before.version + 1,
        updated_at: Utc::now().trunc_subsecs(6),
        ..current
    };
    // What is left of the first year's entitlement, untouched.
    let (left, _) = left_in_first(&parts(&before, employee.as_ref(), ctx.policy, ctx.store).await?, 0.0);
    let actor = requester.actor();
    let notice = LeaveRejected {
        leave_id,
        employee_id: after.employee_id,
        approver_id: decider_id(requester),
        leave_type: after.leave_type.clone(),
        start_date: after.start_date,
        end_date: after.end_date,
        reason: reason.to_owned(),
    };
    let record = audit(&actor, Some((&before, left)), (&after, left), Some(reason.to_owned()));
    let events = vec![
        HrmsEvent::new(Payload::LeaveRejected(notice), &actor),
        HrmsEvent::new(Payload::AuditLeaveRejected(record), &actor),
    ];
    ctx.store.update(&after, &[], &events).await?;
    Ok(Changed { leave: after, events })
}

#[cfg(test)]
mod tests {
    use hrms_events::EventType;

    use super::*;
    use crate::commands::testing::{Harness, types};
    use crate::fixtures::date;
    use crate::store::LeaveStore;

    fn because(reason: &str) -> Rejection {
        Rejection { reason: reason.into() }
    }

    #[tokio::test]
    async fn the_manager_rejects_with_a_reason_once() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 5)).await;
        let done = handle(leave.leave_id, because(" Release week "), &h.manager(), &h.ctx())
            .await
            .expect("rejected");
        assert_eq!(
            (done.leave.status, done.leave.decision_note.as_deref()),
            (LeaveStatus::Rejected, Some("Release week"))
        );
        assert_eq!(types(&done.events), [EventType::LeaveRejected, EventType::AuditLeaveRejected]);
        let Payload::LeaveRejected(notice) = &done.events[0].payload else { panic!("notice") };
        assert_eq!(notice.reason, "Release week");
        assert_eq!(h.taken(leave.employee_id, "annual", 2027).await, 0.0, "nothing debited");
        let again = handle(leave.leave_id, because("again"), &h.hr, &h.ctx()).await;
        assert!(matches!(again, Err(LeaveError::Conflict { field: Some(f), .. }) if f == "status"));
        let approve = crate::commands::approve::handle(leave.leave_id, &h.hr, &h.ctx()).await;
        assert!(matches!(approve, Err(LeaveError::Conflict { .. })), "a rejected request stays rejected");
    }

    #[tokio::test]
    async fn refusals_change_nothing() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 5)).await;
        let written = h.outbox().len();
        let blank = handle(leave.leave_id, because("  "), &h.manager(), &h.ctx()).await;
        assert!(matches!(blank, Err(LeaveError::Invalid { field, .. }) if field == "reason"));
        let own = handle(leave.leave_id, because("no"), &h.employee_requester(), &h.ctx()).await;
        assert!(matches!(own, Err(LeaveError::Forbidden(_))));
        assert_eq!(h.store.get(leave.leave_id).await.expect("read"), Some(leave));
        assert_eq!(h.outbox().len(), written);
    }
}
