//! `delete`: admin closes an account. The record stays (status `deleted`)
//! for the audit trail, and its e-mail stays taken. Events: `user.deleted`
//! and `audit.user.deleted`.

use hrms_employee::Requester;
use hrms_events::user::{UserDeleted, UserStatus};
use hrms_events::{FieldChange, HrmsEvent, Payload, Role};
use serde_json::json;
use uuid::Uuid;

use super::{Change, Context, check_open, emit, load, next};
use crate::error::UserError;
use crate::model::User;

/// The closed account and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct Deleted {
    pub user: User,
    pub events: Vec<HrmsEvent>,
}

pub async fn handle(user_id: Uuid, requester: &Requester, ctx: &Context<'_>) -> Result<Deleted, UserError> {
    let store = ctx.store;
    if requester.role != Role::Admin {
        return Err(UserError::Forbidden("only admin deletes accounts".into()));
    }
    if requester.user_id == user_id {
        return Err(UserError::Forbidden("an admin cannot delete their own account".into()));
    }
    let before = load(store, user_id).await?;
    check_open(&before)?;
    let after = next(&before, User { status: UserStatus::Deleted, ..before.clone() });
    let notice = UserDeleted {
        user_id,
        email: after.email.clone(),
        full_name: after.full_name.clone(),
        employee_id: after.employee_id,
    };
    let change = FieldChange::new("status", json!(before.status), json!(after.status));
    let events = emit(
        requester,
        Some(Payload::UserDeleted(notice)),
        Payload::AuditUserDeleted,
        Change { before: Some(&before), after: &after, changes: vec![change], reason: None },
    );
    store.update(&after, &events).await?;
    Ok(Deleted { user: after, events })
}
