//! One file per operation: its rules, its events, and its tests.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod password;
pub mod suspend;
pub mod terminated;
pub mod update;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use chrono::{SubsecRound, Utc};
use hrms_compliance::ComplianceClient;
use hrms_employee::{EmployeeClient, Requester};
use hrms_events::audit::AuditRecord;
use hrms_events::user::UserStatus;
use hrms_events::{Actor, FieldChange, HrmsEvent, Payload, Role};
use uuid::Uuid;

use crate::error::UserError;
use crate::model::User;
use crate::store::UserStore;

/// What the User commands run with: the store, and Compliance and Employee
/// as the requester reaches them.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub store: &'a dyn UserStore,
    pub compliance: &'a dyn ComplianceClient,
    pub employees: &'a dyn EmployeeClient,
}

/// The account, or [`UserError::NotFound`].
async fn load(store: &dyn UserStore, user_id: Uuid) -> Result<User, UserError> {
    store.get(user_id).await?.ok_or(UserError::NotFound)
}

/// A version the client read must still be the stored one.
fn check_version(user: &User, version: Option<u64>) -> Result<(), UserError> {
    match version {
        Some(v) if v != user.version => Err(UserError::Conflict(format!(
            "version {v} is stale: the account is at version {}",
            user.version
        ))),
        _ => Ok(()),
    }
}

/// A deleted account is closed to every change.
fn check_open(user: &User) -> Result<(), UserError> {
    if user.status == UserStatus::Deleted {
        Err(UserError::Conflict("the account is deleted".into()))
    } else {
        Ok(())
    }
}

/// Whether `requester` may manage an account with `role`: admin any, hr
/// the accounts of employees and managers.
fn may_manage(requester: &Requester, role: Role) -> bool {
    match requester.role {
        Role::Admin => true,
        Role::Hr => matches!(role, Role::Employee | Role::Manager),
        _ => false,
    }
}

/// `after` as the next version of `before`.
fn next(before: &User, after: User) -> User {
    User { version: before.version + 1, updated_at: Utc::now().trunc_subsecs(6), ..after }
}

/// A change of an account: the account before (none: a new one) and
/// after, the fields changed, and why.
struct Change<'a> {
    before: Option<&'a User>,
    after: &'a User,
    changes: Vec<FieldChange>,
    reason: Option<String>,
}

/// The notification (if any) and the audit event of a change.
fn emit(
    requester: &Requester,
    notice: Option<Payload>,
    audit: impl FnOnce(AuditRecord<hrms_events::user::UserSnapshot>) -> Payload,
    change: Change<'_>,
) -> Vec<HrmsEvent> {
    emit_as(requester.actor(), notice, audit, change)
}

/// [`emit`] with `actor` (a function acting on its own, e.g.).
fn emit_as(
    actor: Actor,
    notice: Option<Payload>,
    audit: impl FnOnce(AuditRecord<hrms_events::user::UserSnapshot>) -> Payload,
    change: Change<'_>,
) -> Vec<HrmsEvent> {
    let Change { before, after, changes, reason } = change;
    let record = AuditRecord {
        actor: actor.clone(),
        before: before.map(User::snapshot),
        after: after.snapshot(),
        changes,
        reason,
    };
    notice.into_iter().chain([audit(record)]).map(|p| HrmsEvent::new(p, &actor)).collect()
}
