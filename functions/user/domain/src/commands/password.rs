//! `change password`: a user changes their own, giving the current one; an
//! admin resets another account's without it. The new password must meet
//! the policy. Events: `user.password_changed` (a security notice: when,
//! never what) and `audit.user.password_changed` (the change redacted).

use chrono::{SubsecRound, Utc};
use hrms_employee::Requester;
use hrms_events::user::UserPasswordChanged;
use hrms_events::{FieldChange, HrmsEvent, Payload, Role};
use uuid::Uuid;

use super::{Change, Context, check_open, emit, load, next};
use crate::error::UserError;
use crate::model::{PasswordChange, User};
use crate::password;

/// The account with its new password, and the events.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub user: User,
    pub events: Vec<HrmsEvent>,
}

pub async fn handle(
    user_id: Uuid,
    change: PasswordChange,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Changed, UserError> {
    let store = ctx.store;
    let own = requester.user_id == user_id;
    if !own && requester.role != Role::Admin {
        return Err(UserError::Forbidden("only the account's owner or an admin changes its password".into()));
    }
    let before = load(store, user_id).await?;
    check_open(&before)?;
    password::check(&change.new_password, "new_password", &before.email)?;
    if own {
        let current = change
            .current_password
            .as_ref()
            .ok_or_else(|| UserError::invalid("current_password", "give your current password"))?;
        if !password::verify(current, &before.password_hash).await {
            return Err(UserError::invalid("current_password", "the current password does not match"));
        }
    }
    let now = Utc::now().trunc_subsecs(6);
    let hash = password::hash(&change.new_password).await?;
    let after = next(&before, User { password_hash: hash, password_changed_at: now, ..before.clone() });
    let notice = UserPasswordChanged {
        user_id,
        email: after.email.clone(),
        full_name: after.full_name.clone(),
        employee_id: after.employee_id,
        changed_at: now,
    };
    let events = emit(
        requester,
        Some(Payload::UserPasswordChanged(notice)),
        Payload::AuditUserPasswordChanged,
        Change {
            before: Some(&before),
            after: &after,
            changes: vec![FieldChange::redacted("password")],
            reason: None,
        },
    );
    store.update(&after, &events).await?;
    Ok(Changed { user: after, events })
}
