//! `suspend`: admin, or hr for employees' and managers' accounts, suspends
//! an active account with a reason. Events: `user.suspended` (a security
//! notice to the user) and `audit.user.suspended`.

use hrms_employee::Requester;
use hrms_events::user::{UserStatus, UserSuspended};
use hrms_events::{Actor, FieldChange, HrmsEvent, Payload};
use serde_json::json;
use uuid::Uuid;

use super::{Change, Context, emit_as, load, may_manage, next};
use crate::error::UserError;
use crate::model::{Suspension, User};

/// The suspended account and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct Suspended {
    pub user: User,
    pub events: Vec<HrmsEvent>,
}

pub async fn handle(
    user_id: Uuid,
    suspension: Suspension,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Suspended, UserError> {
    let store = ctx.store;
    if let Some((field, why)) = crate::model::Lengths::too_long(&suspension) {
        return Err(UserError::invalid(field, why));
    }
    let reason = suspension.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(UserError::invalid("reason", "a suspension needs a reason"));
    }
    let before = load(store, user_id).await?;
    if !may_manage(requester, before.role) || requester.user_id == user_id {
        return Err(UserError::Forbidden("this account is not yours to suspend".into()));
    }
    if before.status != UserStatus::Active {
        return Err(UserError::Conflict(format!(
            "only an active account can be suspended ({:?})",
            before.status
        )));
    }
    let (after, events) = suspend_as(&before, reason, requester.actor());
    store.update(&after, &events).await?;
    Ok(Suspended { user: after, events })
}

/// `before`, active, suspended by `actor` for `reason`: the next version
/// and its events (`user.suspended`, `audit.user.suspended`).
pub(super) fn suspend_as(before: &User, reason: String, actor: Actor) -> (User, Vec<HrmsEvent>) {
    let after = next(before, User { status: UserStatus::Suspended, ..before.clone() });
    let notice = UserSuspended {
        user_id: after.user_id,
        email: after.email.clone(),
        full_name: after.full_name.clone(),
        employee_id: after.employee_id,
        reason: reason.clone(),
    };
    let change = FieldChange::new("status", json!(before.status), json!(after.status));
    let events = emit_as(
        actor,
        Some(Payload::UserSuspended(notice)),
        Payload::AuditUserSuspended,
        Change { before: Some(before), after: &after, changes: vec![change], reason: Some(reason) },
    );
    (after, events)
}
