//! `approve`: the employee's manager now ([`super::approver`]), hr or admin grants
//! a pending request; never the employee or whoever made the request. The
//! balance of its type and year (each year's part, for a request across
//! 31 December) is debited in the same transaction, and a type that may
//! not go negative refuses an approval beyond a year's entitlement.
//! Events: `leave.approved` (to the employee) and `audit.leave.approved`
//! (status and balance before and after).

use chrono::{SubsecRound, Utc};
use hrms_employee::Requester;
use hrms_events::leave::{LeaveApproved, LeaveStatus};
use hrms_events::{HrmsEvent, Payload};
use uuid::Uuid;

use super::approver::decidable;
use super::entitled::{charged, left_in_first, parts};
use super::{Changed, Context, audit, decider_id, pending, within_contract};
use crate::error::LeaveError;
use crate::model::Leave;

pub async fn handle(leave_id: Uuid, requester: &Requester, ctx: &Context<'_>) -> Result<Changed, LeaveError> {
    with_retries!(attempt(leave_id, requester, ctx))
}

/// One read and write.
async fn attempt(leave_id: Uuid, requester: &Requester, ctx: &Context<'_>) -> Result<Changed, LeaveError> {
    let Context { store, policy, .. } = *ctx;
    let (before, current, employee) = decidable(leave_id, requester, ctx).await?;
    pending(&before, "approved")?;
    let rules = policy.leave_type(&before.leave_type).ok_or_else(|| {
        LeaveError::conflict("leave_type", format!("{} is no longer a type of leave", before.leave_type))
    })?;
    let parts = parts(&before, employee.as_ref(), policy, store).await?;
    for part in &parts {
        part.fits(rules, &before.leave_type)?;
    }
    let debited = charged(&parts, 1.0);
    let after = Leave {
        status: LeaveStatus::Approved,
        decided_by: Some(requester.user_id),
        version: before.version + 1,
        updated_at: Utc::now().trunc_subsecs(6),
        ..current
    };
    let (left_before, left_after) = left_in_first(&parts, 1.0);
    within_contract(after.days, left_after)?;
    let actor = requester.actor();
    let notice = LeaveApproved {
        leave_id,
        employee_id: after.employee_id,
        approver_id: decider_id(requester),
        leave_type: after.leave_type.clone(),
        start_date: after.start_date,
        end_date: after.end_date,
        days: after.days,
        balance_after: left_after.unwrap_or_default(),
        without_approval: false,
    };
    let record = audit(&actor, Some((&before, left_before)), (&after, left_after), None);
    let events = vec![
        HrmsEvent::new(Payload::LeaveApproved(notice), &actor),
        HrmsEvent::new(Payload::AuditLeaveApproved(record), &actor),
    ];
    store.update(&after, &debited, &events).await?;
    Ok(Changed { leave: after, events })
}

#[cfg(test)]
mod tests {
    use hrms_events::{EventType, FieldChange, Role};
    use serde_json::json;

    use super::*;
    use crate::commands::testing::{Harness, types};
    use crate::fixtures::date;
    use crate::store::LeaveStore;

    #[tokio::test]
    async fn the_manager_approves_and_the_balance_is_debited_with_it() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 5)).await;
        let done = handle(leave.leave_id, &h.manager(), &h.ctx()).await.expect("approved");
        assert_eq!((done.leave.status, done.leave.version), (LeaveStatus::Approved, 2));
        assert_eq!(h.store.get(leave.leave_id).await.expect("read"), Some(done.leave.clone()));
        assert_eq!(h.taken(leave.employee_id, "annual", 2027).await, 5.0);
        assert_eq!(types(&done.events), [EventType::LeaveApproved, EventType::AuditLeaveApproved]);
        let Payload::LeaveApproved(notice) = &done.events[0].payload else { panic!("notice") };
        assert_eq!(
            (notice.balance_after, notice.approver_id),
            (20.0, h.employee.manager_id.expect("manager"))
        );
        let Payload::AuditLeaveApproved(record) = &done.events[1].payload else { panic!("audit") };
        assert_eq!(record.changes[0], FieldChange::new("status", json!("pending"), json!("approved")));
        assert_eq!(record.changes[1], FieldChange::new("balance", json!(25.0), json!(20.0)));
        assert_eq!(record.before.as_ref().map(|b| b.status), Some(LeaveStatus::Pending));
    }

    #[tokio::test]
    async fn approving_twice_is_a_conflict_and_debits_once() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
        handle(leave.leave_id, &h.hr, &h.ctx()).await.expect("approved");
        let written = h.outbox().len();
        let again = handle(leave.leave_id, &h.manager(), &h.ctx()).await;
        assert!(
            matches!(&again, Err(LeaveError::Conflict { field: Some(f), .. }) if f == "status"),
            "{again:?}"
        );
        assert_eq!(h.taken(leave.employee_id, "annual", 2027).await, 2.0);
        assert_eq!(h.outbox().len(), written);
    }

    #[tokio::test]
    async fn nobody_approves_their_own_request_and_others_may_not_either() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
        let me = h.employee_requester();
        let own_manager_role = Requester { role: Role::Manager, ..me };
        let other_manager =
            Requester { user_id: Uuid::now_v7(), role: Role::Manager, employee_id: Some(Uuid::now_v7()) };
        let colleague =
            Requester { user_id: Uuid::now_v7(), role: Role::Employee, employee_id: Some(Uuid::now_v7()) };
        let filed_by_hr = h.request_as(&h.hr, date(2027, 4, 5), date(2027, 4, 5)).await;
        for (who, leave_id) in [
            (me, leave.leave_id),
            (own_manager_role, leave.leave_id),
            (colleague, leave.leave_id),
            (h.hr, filed_by_hr.leave_id),
        ] {
            let refused = handle(leave_id, &who, &h.ctx()).await;
            assert!(matches!(refused, Err(LeaveError::Forbidden(_))), "{who:?}: {refused:?}");
        }
        let refused = handle(leave.leave_id, &other_manager, &h.ctx()).await;
        assert!(matches!(refused, Err(LeaveError::NotFound(_))), "not their report's: {refused:?}");
        assert!(matches!(
            handle(Uuid::now_v7(), &h.hr, &h.ctx()).await,
            Err(LeaveError::NotFound("leave request"))
        ));
        assert_eq!(h.store.get(leave.leave_id).await.expect("read"), Some(leave));
        assert_eq!(h.outbox().len(), 4, "the two requests only");
    }

    #[tokio::test]
    async fn an_approval_beyond_the_allowance_is_refused_where_the_type_may_not_go_negative() {
        let h = Harness::new();
        // Compensatory: 5 days a year. Two pending requests of 3 days each.
        let first = h.request_type("compensatory", date(2027, 6, 7), date(2027, 6, 9)).await;
        let second = h.request_type("compensatory", date(2027, 6, 14), date(2027, 6, 16)).await;
        handle(first.leave_id, &h.hr, &h.ctx()).await.expect("3 of 5");
        let refused = handle(second.leave_id, &h.hr, &h.ctx()).await;
        assert!(
            matches!(&refused, Err(LeaveError::Conflict { field: Some(f), .. }) if f == "leave_type"),
            "{refused:?}"
        );
        assert_eq!(
            h.store.get(second.leave_id).await.expect("read").map(|l| l.status),
            Some(LeaveStatus::Pending)
        );
        assert_eq!(h.taken(first.employee_id, "compensatory", 2027).await, 3.0);

        // Unpaid leave has no allowance and may go negative.
        let unpaid = h.request_type("unpaid", date(2027, 6, 1), date(2027, 6, 4)).await;
        let done = handle(unpaid.leave_id, &h.hr, &h.ctx()).await.expect("approved");
        let Payload::LeaveApproved(notice) = &done.events[0].payload else { panic!("notice") };
        assert_eq!(notice.balance_after, -4.0);
    }

    #[tokio::test]
    async fn a_balance_written_meanwhile_is_read_again() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
        h.store.stale_balances_once();
        handle(leave.leave_id, &h.hr, &h.ctx()).await.expect("approved on the second attempt");
        assert_eq!(h.taken(leave.employee_id, "annual", 2027).await, 2.0);
    }
}
