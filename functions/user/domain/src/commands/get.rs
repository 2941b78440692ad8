//! `get`: an account, for admin and hr, and for its owner.

use hrms_employee::Requester;
use uuid::Uuid;

use super::{Context, load};
use crate::error::UserError;
use crate::model::User;

pub async fn handle(user_id: Uuid, requester: &Requester, ctx: &Context<'_>) -> Result<User, UserError> {
    if !requester.is_hr() && requester.user_id != user_id {
        return Err(UserError::Forbidden("users may read their own account only".into()));
    }
    load(ctx.store, user_id).await
}
