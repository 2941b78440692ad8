//! The User routes (answers show the account without credentials):
//! - `POST /users` (admin; hr for employees and managers): 201.
//! - `GET /users/{id}` (admin, hr, the owner).
//! - `PATCH /users/{id}`: the owner their name; admin and hr name and
//!   e-mail; admin the role.
//! - `DELETE /users/{id}` (admin): soft, the record stays.
//! - `POST /users/{id}/suspend` (admin; hr for employees and managers).
//! - `POST /users/{id}/password` (the owner with the current password, or
//!   admin): 204.

use std::sync::Arc;

use axum::extract::{FromRef, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use hrms_compliance::ComplianceClient;
use hrms_employee::EmployeeClient;
use hrms_events::user::UserSnapshot;
use hrms_user::commands::{create, delete, get, password, suspend, update};
use hrms_user::model::{PasswordChange, Suspension};
use hrms_user::{NewUser, UserChanges, UserError, UserStore};
use uuid::Uuid;

use super::auth::{Authenticator, Bearer, Caller};
use super::callee::Callee;
use super::employee::requester;
use super::json::ProblemJson;
use super::problem::Problem;

/// What the routes need.
#[derive(Clone)]
pub struct UserApi {
    pub auth: Arc<Authenticator>,
    pub store: Arc<dyn UserStore>,
    pub compliance: Callee<dyn ComplianceClient>,
    pub employees: Callee<dyn EmployeeClient>,
}

impl FromRef<UserApi> for Arc<Authenticator> {
    fn from_ref(api: &UserApi) -> Self {
        api.auth.clone()
    }
}

/// The User router.
pub fn router(api: UserApi) -> Router {
    Router::new()
        .route("/users", post(create_user))
        .route("/users/{id}", get(get_user).patch(update_user).delete(delete_user))
        .route("/users/{id}/suspend", post(suspend_user))
        .route("/users/{id}/password", post(change_password))
        .with_state(api)
}

impl From<UserError> for Problem {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Forbidden(why) => Problem::forbidden(why),
            UserError::NotFound => Problem::not_found("no such user"),
            UserError::Invalid { field, message } => Problem::unprocessable(field, message),
            UserError::Refused(verdict) => Problem::refused(&verdict),
            UserError::Conflict(why) => Problem::conflict(why),
            UserError::Unavailable(why) => {
                tracing::warn!(reason = why, "user operation unavailable");
                Problem::unavailable("a service the accounts depend on is unavailable; nothing was changed")
            }
            UserError::Dependency(call) => call.into(),
        }
    }
}

type IdPath = Result<Path<Uuid>, axum::extract::rejection::PathRejection>;

fn id(path: IdPath) -> Result<Uuid, Problem> {
    path.map(|Path(id)| id).map_err(|_| Problem::not_found("no such user: the id is not a UUID"))
}

async fn create_user(
    State(api): State<UserApi>,
    caller: Caller,
    bearer: Bearer,
    ProblemJson(new): ProblemJson<NewUser>,
) -> Result<impl IntoResponse, Problem> {
    let (compliance, employees) = (api.compliance.bind(&bearer), api.employees.bind(&bearer));
    let callees = create::Callees { compliance: compliance.as_ref(), employees: employees.as_ref() };
    let created = create::handle(new, &requester(&caller), api.store.as_ref(), callees).await?;
    let location = format!("/users/{}", created.user.user_id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(created.user.snapshot())))
}

async fn get_user(
    State(api): State<UserApi>,
    caller: Caller,
    path: IdPath,
) -> Result<Json<UserSnapshot>, Problem> {
    let user = get::handle(id(path)?, &requester(&caller), api.store.as_ref()).await?;
    Ok(Json(user.snapshot()))
}

async fn update_user(
    State(api): State<UserApi>,
    caller: Caller,
    bearer: Bearer,
    path: IdPath,
    ProblemJson(changes): ProblemJson<UserChanges>,
) -> Result<Json<UserSnapshot>, Problem> {
    let compliance = api.compliance.bind(&bearer);
    let who = requester(&caller);
    let updated = update::handle(id(path)?, changes, &who, api.store.as_ref(), compliance.as_ref()).await?;
    Ok(Json(updated.user.snapshot()))
}

async fn delete_user(
    State(api): State<UserApi>,
    caller: Caller,
    path: IdPath,
) -> Result<Json<UserSnapshot>, Problem> {
    let deleted = delete::handle(id(path)?, &requester(&caller), api.store.as_ref()).await?;
    Ok(Json(deleted.user.snapshot()))
}

async fn suspend_user(
    State(api): State<UserApi>,
    caller: Caller,
    path: IdPath,
    ProblemJson(suspension): ProblemJson<Suspension>,
) -> Result<Json<UserSnapshot>, Problem> {
    let done = suspend::handle(id(path)?, suspension, &requester(&caller), api.store.as_ref()).await?;
    Ok(Json(done.user.snapshot()))
}

async fn change_password(
    State(api): State<UserApi>,
    caller: Caller,
    path: IdPath,
    ProblemJson(change): ProblemJson<PasswordChange>,
) -> Result<StatusCode, Problem> {
    password::handle(id(path)?, change, &requester(&caller), api.store.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests;
