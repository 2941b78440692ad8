//! One file per operation: its rules, its events, and its tests. Shared
//! here: who may see and decide a request, the audit record of a change,
//! and the retry of a write that found its reads outdated.

/// Awaits `$attempt` (an expression making a future, made afresh each
/// time) until it succeeds, fails otherwise than [`LeaveError::Stale`],
/// or has been tried [`ATTEMPTS`] times.
macro_rules! with_retries {
    ($attempt:expr) => {{
        let mut tried = 1;
        loop {
            match $attempt.await {
                Err($crate::error::LeaveError::Stale(_)) if tried < $crate::commands::ATTEMPTS => tried += 1,
                outcome => break outcome,
            }
        }
    }};
}

pub mod approve;
mod approver;
pub mod balances;
pub mod cancel;
pub mod entitled;
pub mod get;
pub mod list;
pub mod reassign;
pub mod reject;
pub mod request;
pub mod terminated;

#[cfg(test)]
mod accrual_tests;
#[cfg(test)]
mod contract_tests;
#[cfg(test)]
pub(crate) mod testing;

use chrono::NaiveDate;
use hrms_employee::{EmployeeClient, Requester};
use hrms_events::audit::AuditRecord;
use hrms_events::leave::{LeaveSnapshot, LeaveStatus};
use hrms_events::{Actor, FieldChange, HrmsEvent, Role};
use serde_json::json;
use uuid::Uuid;

use crate::error::LeaveError;
use crate::model::{Balance, Leave};
use crate::policy::Policy;
use crate::store::LeaveStore;

/// What the Leave commands run with: the store, the policy, Employee as
/// the requester reaches it, and the date in UTC of the request.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub store: &'a dyn LeaveStore,
    pub policy: &'a Policy,
    pub employees: &'a dyn EmployeeClient,
    /// What "before the start date" is measured by.
    pub today: NaiveDate,
}

/// A changed request and the events of the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub leave: Leave,
    pub events: Vec<HrmsEvent>,
}

/// How often an operation reads and writes again when its write finds
/// that what it read has changed.
const ATTEMPTS: usize = 3;

/// Whether `requester` may see `leave`: hr and admin, the employee, and
/// the manager who decides it.
pub fn may_see(leave: &Leave, requester: &Requester) -> bool {
    requester.is_hr() || requester.is(leave.employee_id) || requester.manages(leave.approver_id)
}

/// Reads request `leave_id` if `requester` may see it. An employee asking
/// for someone else's is refused (403); to a manager it is missing (404).
async fn visible(leave_id: Uuid, requester: &Requester, store: &dyn LeaveStore) -> Result<Leave, LeaveError> {
    let leave = store.get(leave_id).await?.ok_or(LeaveError::NotFound("leave request"))?;
    if may_see(&leave, requester) {
        Ok(leave)
    } else if requester.role == Role::Employee {
        Err(LeaveError::Forbidden("employees see their own requests only".into()))
    } else {
        Err(LeaveError::NotFound("leave request"))
    }
}

/// Whether `requester` may approve or reject `leave`: its approver, hr or
/// admin; never the employee, nor whoever made the request.
fn may_decide(leave: &Leave, requester: &Requester) -> Result<(), LeaveError> {
    if requester.is(leave.employee_id) || requester.user_id == leave.requested_by {
        return Err(LeaveError::Forbidden("nobody decides a request of their own".into()));
    }
    if requester.is_hr() || requester.manages(leave.approver_id) {
        Ok(())
    } else {
        Err(LeaveError::Forbidden("only the employee's manager, hr and admin decide requests".into()))
    }
}

/// Refuses unless `leave` is pending (what `action` needs).
fn pending(leave: &Leave, action: &str) -> Result<(), LeaveError> {
    if leave.status == LeaveStatus::Pending {
        return Ok(());
    }
    let status = format!("{:?}", leave.status).to_lowercase();
    Err(LeaveError::conflict(
        "status",
        format!("the request is {status}: only pending requests are {action}"),
    ))
}

/// The id events name a decider by: their employee record, or else their
/// account.
fn decider_id(requester: &Requester) -> Uuid {
    requester.employee_id.unwrap_or(requester.user_id)
}

/// The stored balance of `leave`'s type and year (empty if none).
async fn balance_of(leave: &Leave, store: &dyn LeaveStore) -> Result<Balance, LeaveError> {
    let stored = store.balances(leave.employee_id, leave.year()).await?;
    Ok(stored
        .into_iter()
        .find(|b| b.leave_type == leave.leave_type)
        .unwrap_or_else(|| Balance::empty(leave.employee_id, &leave.leave_type, leave.year())))
}

/// Refuses a count of days or a balance outside the event contract's
/// ranges ([`hrms_events::checks::LEAVE_DAYS`], `LEAVE_BALANCE`): the
/// policy's bounds and the one-year rule keep them inside; this keeps an
/// event no consumer would accept from being written if they did not.
fn within_contract(days: f64, balance_after: Option<f64>) -> Result<(), LeaveError> {
    use hrms_events::checks::{LEAVE_BALANCE, LEAVE_DAYS};
    if !(LEAVE_DAYS.0..=LEAVE_DAYS.1).contains(&days) {
        let (min, max) = LEAVE_DAYS;
        return Err(LeaveError::invalid("end_date", format!("{days} days: a request takes {min} to {max}")));
    }
    if let Some(left) = balance_after
        && !(LEAVE_BALANCE.0..=LEAVE_BALANCE.1).contains(&left)
    {
        let (min, max) = LEAVE_BALANCE;
        return Err(LeaveError::conflict(
            "leave_type",
            format!("{left} days left: a balance is {min} to {max}"),
        ));
    }
    Ok(())
}

/// What is left of the allowance of `balance`'s type, if the policy still
/// has the type.
fn remaining(policy: &Policy, balance: &Balance) -> Option<f64> {
    policy.leave_type(&balance.leave_type).map(|t| t.allowance - balance.taken)
}

/// The audit record of a change of `before` (none: a new request) into
/// `after`, each with the balance left of its type: the status and the
/// balance that changed.
fn audit(
    actor: &Actor,
    before: Option<(&Leave, Option<f64>)>,
    after: (&Leave, Option<f64>),
    reason: Option<String>,
) -> AuditRecord<LeaveSnapshot> {
    let mut changes = Vec::new();
    if let Some((leave, balance)) = before {
        if leave.status != after.0.status {
            changes.push(FieldChange::new("status", json!(leave.status), json!(after.0.status)));
        }
        if balance != after.1 {
            changes.push(FieldChange::new("balance", json!(balance), json!(after.1)));
        }
        if leave.approver_id != after.0.approver_id {
            changes.push(FieldChange::new(
                "approver_id",
                json!(leave.approver_id),
                json!(after.0.approver_id),
            ));
        }
    }
    AuditRecord {
        actor: actor.clone(),
        before: before.map(|(leave, balance)| leave.snapshot(balance)),
        after: after.0.snapshot(after.1),
        changes,
        reason,
    }
}

/// A free-text field trimmed, `None` when blank, at most
/// [`hrms_events::limits::REASON`] characters.
fn text(field: &str, value: Option<String>) -> Result<Option<String>, LeaveError> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let max = hrms_events::limits::REASON;
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        return Err(LeaveError::invalid(field, format!("at most {max} characters")));
    }
    Ok(value)
}
