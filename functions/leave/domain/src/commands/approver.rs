//! Who decides a pending request: whoever manages the employee when the
//! decision is made, with hr and admin; never the employee or whoever made
//! the request. Employee is asked, as the caller, who the manager is now:
//!
//! - Shown the employee (hr, admin, their manager), Leave takes the manager
//!   Employee names: the approver the decision stores if it changed. A
//!   manager who has left does not count: the approver Leave moved the
//!   request to when they left ([`super::reassign`]) stands.
//! - Not shown the employee (a manager who is not theirs), Leave goes by the
//!   approver it recorded, which follows manager changes and departures
//!   through `employee.updated` and `employee.terminated`
//!   ([`super::reassign`]). So a former manager is refused once Leave has
//!   taken in the change, and the manager who stands in for one who left
//!   (whom Employee still names) may decide.

use hrms_employee::{Employee, EmployeeError, Requester};
use hrms_events::Role;
use uuid::Uuid;

use super::{Context, may_decide, may_see};
use crate::error::LeaveError;
use crate::model::Leave;

/// The request `leave_id` as stored, and as `requester` decides it: with
/// the approver of now; and the employee as Employee showed them to
/// `requester` (none if not shown). Refused unless `requester` may decide it: an
/// employee asking for someone else's request is refused (403); to a
/// manager who is not its approver (a former manager, once Leave has taken
/// in the change) it is missing (404), as it is to `GET`.
pub(super) async fn decidable(
    leave_id: Uuid,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<(Leave, Leave, Option<Employee>), LeaveError> {
    let stored = ctx.store.get(leave_id).await?.ok_or(LeaveError::NotFound("leave request"))?;
    let (approver_id, employee) = approver_now(&stored, requester, ctx).await?;
    let current = Leave { approver_id, ..stored.clone() };
    if !may_see(&current, requester) {
        return Err(if requester.role == Role::Employee {
            LeaveError::Forbidden("employees see their own requests only".into())
        } else {
            LeaveError::NotFound("leave request")
        });
    }
    may_decide(&current, requester)?;
    Ok((stored, current, employee))
}

/// The approver of `stored` when `requester` decides it, and the employee
/// if Employee was asked and showed them.
async fn approver_now(
    stored: &Leave,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<(Option<Uuid>, Option<Employee>), LeaveError> {
    // Refused whoever manages the employee (their own request, or a plain
    // employee's call): no need to ask.
    let may_be_a_decider = requester.is_hr() || requester.role == Role::Manager;
    if !may_be_a_decider || requester.is(stored.employee_id) || requester.user_id == stored.requested_by {
        return Ok((stored.approver_id, None));
    }
    let employee = match ctx.employees.get(stored.employee_id, requester).await {
        Ok(employee) => employee,
        // Not one of the caller's reports now: the approver recorded stands.
        Err(EmployeeError::NotFound) => return Ok((stored.approver_id, None)),
        Err(e) => return Err(e.into()),
    };
    let approver = match employee.manager_id {
        None => None,
        Some(manager) if Some(manager) == stored.approver_id => Some(manager),
        // Another manager than the one recorded (the caller, or seen by hr
        // or admin): unless they have left, they decide now.
        Some(manager) => match ctx.employees.get(manager, requester).await {
            Ok(m) if !m.is_active() => stored.approver_id,
            Ok(_) | Err(EmployeeError::NotFound) => Some(manager),
            Err(e) => return Err(e.into()),
        },
    };
    Ok((approver, Some(employee)))
}

#[cfg(test)]
mod tests {
    use hrms_events::leave::LeaveStatus;
    use hrms_events::{FieldChange, Payload};
    use serde_json::json;

    use super::*;
    use crate::commands::testing::Harness;
    use crate::commands::{approve, reject};
    use crate::fixtures::date;
    use crate::model::Rejection;
    use crate::store::LeaveStore;

    fn manager(employee_id: Uuid) -> Requester {
        Requester { user_id: Uuid::now_v7(), role: Role::Manager, employee_id: Some(employee_id) }
    }

    #[tokio::test]
    async fn the_new_manager_decides_at_once_and_is_stored_as_the_approver() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
        let new_manager = h.add_employee("GB");
        h.set_manager(h.employee.employee_id, Some(new_manager.employee_id));

        let done = approve::handle(leave.leave_id, &manager(new_manager.employee_id), &h.ctx())
            .await
            .expect("approved");
        assert_eq!(done.leave.approver_id, Some(new_manager.employee_id));
        assert_eq!(done.leave.status, LeaveStatus::Approved);
        let stored = h.store.get(leave.leave_id).await.expect("read").expect("stored");
        assert_eq!(stored.approver_id, Some(new_manager.employee_id), "stored with the decision");
        let Payload::AuditLeaveApproved(record) = &done.events[1].payload else { panic!("audit") };
        assert!(
            record.changes.contains(&FieldChange::new(
                "approver_id",
                json!(leave.approver_id),
                json!(new_manager.employee_id)
            )),
            "{:?}",
            record.changes
        );
    }

    #[tokio::test]
    async fn a_manager_seen_by_hr_replaces_the_recorded_one_unless_they_left() {
        let h = Harness::new();
        let first = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
        let second = h.request(date(2027, 3, 8), date(2027, 3, 9)).await;
        let new_manager = h.add_employee("GB");
        h.set_manager(h.employee.employee_id, Some(new_manager.employee_id));
        let done = approve::handle(first.leave_id, &h.hr, &h.ctx()).await.expect("approved by hr");
        assert_eq!(done.leave.approver_id, Some(new_manager.employee_id), "the manager of now");

        // The new manager leaves (Employee still names them): the approver
        // recorded for the second request stands.
        h.terminate(new_manager.employee_id);
        let no = Rejection { reason: "busy".into() };
        let done = reject::handle(second.leave_id, no, &h.hr, &h.ctx()).await.expect("rejected by hr");
        assert_eq!(done.leave.approver_id, second.approver_id);
    }

    #[tokio::test]
    async fn the_former_manager_is_refused_once_the_change_is_taken_in() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
        let former = h.manager();
        let new_manager = h.add_employee("GB");
        h.set_manager(h.employee.employee_id, Some(new_manager.employee_id));
        // Leave takes in the change (employee.updated): the request moves.
        let moved =
            Leave { approver_id: Some(new_manager.employee_id), version: leave.version + 1, ..leave.clone() };
        h.store.update(&moved, &[], &[]).await.expect("moved");
        let written = h.outbox().len();

        let refused = approve::handle(leave.leave_id, &former, &h.ctx()).await;
        assert!(matches!(refused, Err(LeaveError::NotFound(_))), "{refused:?}");
        let no = Rejection { reason: "no".into() };
        let refused = reject::handle(leave.leave_id, no, &former, &h.ctx()).await;
        assert!(matches!(refused, Err(LeaveError::NotFound(_))), "{refused:?}");
        assert_eq!(h.store.get(leave.leave_id).await.expect("read"), Some(moved));
        assert_eq!(h.outbox().len(), written, "nothing written");
    }

    #[tokio::test]
    async fn employee_down_is_unavailable_and_changes_nothing() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
        h.employees_down();
        let refused = approve::handle(leave.leave_id, &h.manager(), &h.ctx()).await;
        assert!(matches!(refused, Err(LeaveError::Unavailable(_))), "{refused:?}");
        // The employee's own call is refused without asking Employee.
        let own = approve::handle(leave.leave_id, &h.employee_requester(), &h.ctx()).await;
        assert!(matches!(own, Err(LeaveError::Forbidden(_))), "{own:?}");
        assert_eq!(h.store.get(leave.leave_id).await.expect("read"), Some(leave));
    }
}
