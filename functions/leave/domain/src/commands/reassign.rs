//! `reassign`: pending requests follow the organisation.
//!
//! - [`manager_changed`], on `employee.updated` naming `manager_id` among
//!   its changed fields: the employee's pending requests move to the
//!   manager the event names (none: hr and admin decide). A request made
//!   after the event already has the manager Employee answered then, and
//!   stays as it is.
//! - [`approver_left`], on `employee.terminated`: the pending requests
//!   awaiting the person who left move to that person's own manager (the
//!   event's `manager_id`), else to hr and admin.
//!
//! Each move is a write of its own: the request with its new approver and
//! the next version, with `leave.reassigned` (to the employee and the new
//! approver, else hr) and `audit.leave.reassigned` (the approver before and
//! after). The actor is the Leave function itself. A redelivered event
//! finds nothing left to move: the reaction is idempotent.

use chrono::{DateTime, SubsecRound, Utc};
use hrms_events::employee::{EmployeeTerminated, EmployeeUpdated};
use hrms_events::leave::{LeaveReassigned, LeaveStatus};
use hrms_events::{Actor, HrmsEvent, Payload};
use uuid::Uuid;

use super::{ATTEMPTS, Changed, audit, balance_of, remaining};
use crate::error::LeaveError;
use crate::model::{Leave, LeaveQuery};
use crate::policy::Policy;
use crate::store::LeaveStore;

/// The most pending requests of one employee, or awaiting one approver,
/// looked at.
const MAX_REQUESTS: usize = 10_000;

/// Moves the employee's pending requests to the manager `updated` names,
/// if the manager is among its changed fields.
pub async fn manager_changed(
    event: &HrmsEvent,
    updated: &EmployeeUpdated,
    policy: &Policy,
    store: &dyn LeaveStore,
) -> Result<Vec<Changed>, LeaveError> {
    if !updated.changed_fields.iter().any(|f| f == "manager_id") {
        return Ok(Vec::new());
    }
    let query = LeaveQuery {
        status: Some(LeaveStatus::Pending),
        ..LeaveQuery::of(updated.employee_id, MAX_REQUESTS)
    };
    // Nobody approves their own requests: none is hr and admin.
    let to = updated.manager_id.filter(|m| *m != updated.employee_id);
    let moves =
        |l: &Leave| l.status == LeaveStatus::Pending && l.approver_id != to && l.created_at <= event.time;
    let reason = "the manager changed";
    move_all(store.list(&query).await?, moves, to, reason, policy, store).await
}

/// Moves the pending requests awaiting the person who left to their own
/// manager, else to hr and admin.
pub async fn approver_left(
    terminated: &EmployeeTerminated,
    policy: &Policy,
    store: &dyn LeaveStore,
) -> Result<Vec<Changed>, LeaveError> {
    let gone = terminated.employee_id;
    let query = LeaveQuery {
        employee_id: None,
        approver_id: Some(gone),
        status: Some(LeaveStatus::Pending),
        ..LeaveQuery::of(gone, MAX_REQUESTS)
    };
    let moves = |l: &Leave| l.status == LeaveStatus::Pending && l.approver_id == Some(gone);
    // Their own manager, unless that is no one else.
    let to = terminated.manager_id.filter(|m| *m != gone);
    let reason = format!("the approver's employment ends on {}", terminated.termination_date);
    move_all(store.list(&query).await?, moves, to, &reason, policy, store).await
}

/// Moves each of `requests` that `moves` to approver `to`, reading a
/// request again when it changed meanwhile.
async fn move_all(
    requests: Vec<Leave>,
    moves: impl Fn(&Leave) -> bool,
    to: Option<Uuid>,
    reason: &str,
    policy: &Policy,
    store: &dyn LeaveStore,
) -> Result<Vec<Changed>, LeaveError> {
    let mut moved = Vec::new();
    for leave in requests.into_iter().filter(|l| moves(l)) {
        let mut leave = Some(leave);
        let mut tried = 1;
        while let Some(current) = leave.take() {
            match reassign(&current, to, reason, policy, store).await {
                Ok(done) => moved.push(done),
                // Changed meanwhile (perhaps decided): as it is now.
                Err(LeaveError::Stale(_)) if tried < ATTEMPTS => {
                    tried += 1;
                    leave = store.get(current.leave_id).await?.filter(|l| moves(l));
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(moved)
}

/// Writes `before` awaiting approver `to`, with its events.
async fn reassign(
    before: &Leave,
    to: Option<Uuid>,
    reason: &str,
    policy: &Policy,
    store: &dyn LeaveStore,
) -> Result<Changed, LeaveError> {
    // Nobody approves their own requests: none is hr and admin.
    let to = to.filter(|m| *m != before.employee_id);
    let now: DateTime<Utc> = Utc::now().trunc_subsecs(6);
    let after = Leave { approver_id: to, version: before.version + 1, updated_at: now, ..before.clone() };
    let left = remaining(policy, &balance_of(before, store).await?);
    let actor = Actor::System { name: "leave".into() };
    let notice = LeaveReassigned {
        leave_id: after.leave_id,
        employee_id: after.employee_id,
        previous_approver_id: before.approver_id,
        approver_id: to,
        leave_type: after.leave_type.clone(),
        start_date: after.start_date,
        end_date: after.end_date,
        days: after.days,
        reason: reason.to_owned(),
    };
    let record = audit(&actor, Some((before, left)), (&after, left), Some(reason.to_owned()));
    let events = vec![
        HrmsEvent::new(Payload::LeaveReassigned(notice), &actor),
        HrmsEvent::new(Payload::AuditLeaveReassigned(record), &actor),
    ];
    store.update(&after, &[], &events).await?;
    Ok(Changed { leave: after, events })
}

#[cfg(test)]
mod tests;
