//! `update`: a user changes their own name; admin and hr change the name
//! and e-mail of the accounts they manage; only admin changes roles.
//! Compliance validates the changed account. Events: `user.updated` and
//! `audit.user.updated` (before, after, each change). A change that changes
//! nothing stores and emits nothing.

use hrms_employee::Requester;
use hrms_events::user::UserUpdated;
use hrms_events::{FieldChange, HrmsEvent, Payload, Role};
use serde_json::json;
use uuid::Uuid;

use super::{Change, Context, check_open, check_version, emit, load, may_manage, next};
use crate::error::UserError;
use crate::model::{User, UserChanges};

/// The account after the change and its events (none if nothing changed).
#[derive(Debug, Clone, PartialEq)]
pub struct Updated {
    pub user: User,
    pub events: Vec<HrmsEvent>,
}

pub async fn handle(
    user_id: Uuid,
    changes: UserChanges,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Updated, UserError> {
    let Context { store, compliance, .. } = *ctx;
    if let Some((field, why)) = crate::model::Lengths::too_long(&changes) {
        return Err(UserError::invalid(field, why));
    }
    let before = load(store, user_id).await?;
    let own = requester.user_id == user_id;
    let manages = may_manage(requester, before.role);
    let allowed = match &changes {
        UserChanges { role: Some(_), .. } => requester.role == Role::Admin && !own,
        UserChanges { email: Some(_), .. } => manages,
        _ => own || manages,
    };
    if !allowed {
        return Err(UserError::Forbidden("this change is not yours to make".into()));
    }
    if let Some(role) = changes.role
        && !may_manage(requester, role)
    {
        return Err(UserError::Forbidden(format!("{:?} may not grant {role:?}", requester.role)));
    }
    check_version(&before, changes.version)?;
    check_open(&before)?;

    let mut after = before.clone();
    let mut diff = Vec::new();
    if let Some(email) = changes.email.map(|e| e.trim().to_owned())
        && email != after.email
    {
        if store.find_email(&email).await?.is_some_and(|other| other != user_id) {
            return Err(UserError::Conflict("the e-mail address is taken".into()));
        }
        diff.push(FieldChange::new("email", json!(after.email), json!(email)));
        after.email = email;
    }
    if let Some(name) = changes.full_name.map(|n| n.trim().to_owned())
        && name != after.full_name
    {
        diff.push(FieldChange::new("full_name", json!(after.full_name), json!(name)));
        after.full_name = name;
    }
    if let Some(role) = changes.role
        && role != after.role
    {
        diff.push(FieldChange::new("role", json!(after.role), json!(role)));
        after.role = role;
    }
    if diff.is_empty() {
        return Ok(Updated { user: before, events: Vec::new() });
    }
    let verdict = compliance.validate(&after.subject(), &requester.actor()).await?;
    if !verdict.allowed {
        return Err(UserError::Refused(verdict));
    }
    let mut after = next(&before, after);
    if after.role != before.role {
        after.role_changed_at = Some(after.updated_at);
    }
    let notice = UserUpdated {
        user_id,
        email: after.email.clone(),
        full_name: after.full_name.clone(),
        employee_id: after.employee_id,
        changed_fields: diff.iter().map(|c| c.field.clone()).collect(),
    };
    let events = emit(
        requester,
        Some(Payload::UserUpdated(notice)),
        Payload::AuditUserUpdated,
        Change { before: Some(&before), after: &after, changes: diff, reason: None },
    );
    store.update(&after, &events).await?;
    Ok(Updated { user: after, events })
}
