//! The User routes (answers show the account without credentials):
//! - `POST /users` (admin; hr for employees and managers): 201.
//! - `GET /users` (admin, hr): filters and cursor paging (`list`).
//! - `GET /users/{id}` (admin, hr, the owner).
//! - `PATCH /users/{id}`: the owner their name; admin and hr name and
//!   e-mail; admin the role.
//! - `DELETE /users/{id}` (admin): soft, the record stays.
//! - `POST /users/{id}/suspend` (admin; hr for employees and managers).
//! - `POST /users/{id}/password` (the owner with the current password, or
//!   admin): 204.
//! - `GET /users/{id}/standing` (admin, hr): what every function checks
//!   tokens against ([`accounts`]).
//!
//! Each route is registered with its `#[utoipa::path]` ([`Routes`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use hrms_compliance::ComplianceClient;
use hrms_employee::EmployeeClient;
use hrms_events::user::UserSnapshot;
use hrms_user::commands::{Context, create, delete, get, password, suspend, update};
use hrms_user::model::{PasswordChange, Suspension};
use hrms_user::{NewUser, UserChanges, UserError, UserStore};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use hrms_http::auth::requester;
use hrms_http::auth::{Bearer, Caller};
use hrms_http::callee::Callee;
use hrms_http::json::ProblemJson;
use hrms_http::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable, Unprocessable,
    UnsupportedMediaType,
};
use hrms_http::problem::Problem;
use hrms_http::{Api, Id, Resource, Routes};

/// The User function's operations that a CloudEvent may invoke on `POST /`
/// (see `hrms_http::commands`).
pub const COMMANDS: &[hrms_http::commands::Command] = &[
    hrms_http::commands::command("hrms.command.user.update", "PATCH", "/users/{id}"),
    hrms_http::commands::command("hrms.command.user.delete", "DELETE", "/users/{id}"),
    hrms_http::commands::command("hrms.command.user.suspend", "POST", "/users/{id}/suspend"),
];

/// What the routes need.
#[derive(Clone)]
pub struct UserDeps {
    pub store: Arc<dyn UserStore>,
    pub compliance: Callee<dyn ComplianceClient>,
    pub employees: Callee<dyn EmployeeClient>,
}

/// The routes' state.
pub type UserApi = Api<UserDeps>;

/// Compliance and Employee, bound to one request's caller.
struct Callees {
    compliance: Arc<dyn ComplianceClient>,
    employees: Arc<dyn EmployeeClient>,
}

impl UserDeps {
    /// The callees for the caller of `bearer`.
    fn callees(&self, bearer: &Bearer) -> Callees {
        Callees { compliance: self.compliance.bind(bearer), employees: self.employees.bind(bearer) }
    }

    /// The commands' context, reaching `callees`.
    fn context<'a>(&'a self, callees: &'a Callees) -> Context<'a> {
        Context {
            store: self.store.as_ref(),
            compliance: callees.compliance.as_ref(),
            employees: callees.employees.as_ref(),
        }
    }
}

impl Routes for UserDeps {
    fn routes(router: OpenApiRouter<UserApi>) -> OpenApiRouter<UserApi> {
        router
            .routes(routes!(create_user, list::list_users))
            .routes(routes!(get_user, update_user, delete_user))
            .routes(routes!(suspend_user))
            .routes(routes!(change_password))
            .routes(routes!(accounts::user_standing))
    }
}

/// The answer to a request that `e` ended.
pub fn problem(e: UserError) -> Problem {
    {
        match e {
            UserError::Forbidden(why) => Problem::forbidden(why),
            UserError::NotFound => Problem::not_found("no such user"),
            UserError::Invalid { field, message } => Problem::unprocessable(field, message),
            UserError::Refused(verdict) => Problem::refused(&verdict),
            UserError::Conflict(why) => Problem::conflict(why),
            UserError::Unavailable(why) => {
                tracing::warn!(reason = %hrms_platform::Chain(&*why), "user operation unavailable");
                Problem::unavailable("a service the accounts depend on is unavailable; nothing was changed")
            }
            UserError::Dependency(call) => call.into(),
        }
    }
}

/// What the paths' ids name.
struct Users;

impl Resource for Users {
    const NAME: &'static str = "user";
}

/// Open an account
///
/// Admin; hr for employees and managers. Compliance validates the account, then the employee
/// record is created (`employee`) or linked (`employee_id`); employees and managers need one.
#[utoipa::path(
    post,
    path = "/users",
    tag = "user",
    request_body(content = NewUser, example = json!({
        "email": "ada@example.com", "full_name": "Ada Lovelace", "role": "employee",
        "password": "a long enough passphrase",
        "employee": {
            "first_name": "Ada", "last_name": "Lovelace", "department": "Engineering",
            "job_title": "Analyst", "country": "GB", "time_zone": "Europe/London",
            "weekly_hours": 37.5, "hire_date": "2026-12-01"
        }
    })),
    responses(
        (status = 201, description = "Created.", body = UserSnapshot,
            headers(("Location" = String, description = "`/users/{id}`")),
            links(
                ("GetUser" = (operation_id = "get_user", parameters(("id" = "$response.body#/user_id")))),
                ("UpdateUser" = (operation_id = "update_user", parameters(("id" = "$response.body#/user_id")))),
                ("SuspendUser" = (operation_id = "suspend_user", parameters(("id" = "$response.body#/user_id")))),
                ("ChangePassword" = (operation_id = "change_password", parameters(("id" = "$response.body#/user_id")))),
                ("DeleteUser" = (operation_id = "delete_user", parameters(("id" = "$response.body#/user_id")))),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn create_user(
    State(api): State<UserApi>,
    caller: Caller,
    bearer: Bearer,
    ProblemJson(new): ProblemJson<NewUser>,
) -> Result<impl IntoResponse, Problem> {
    let callees = api.callees(&bearer);
    let created = create::handle(new, &requester(&caller), &api.context(&callees)).await.map_err(problem)?;
    let location = format!("/users/{}", created.user.user_id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(created.user.snapshot())))
}

/// Read an account
///
/// Admin and hr; the owner.
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "user",
    params(("id" = Uuid, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The account.", body = UserSnapshot),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn get_user(
    State(api): State<UserApi>,
    caller: Caller,
    bearer: Bearer,
    Id(user_id, _): Id<Users>,
) -> Result<Json<UserSnapshot>, Problem> {
    let callees = api.callees(&bearer);
    let user = get::handle(user_id, &requester(&caller), &api.context(&callees)).await.map_err(problem)?;
    Ok(Json(user.snapshot()))
}

/// Change an account
///
/// The owner their name; admin, and hr for employees and managers, name and e-mail; admin the
/// role. Absent fields stay as they are; with `version`, the change applies only to that version.
#[utoipa::path(
    patch,
    path = "/users/{id}",
    tag = "user",
    params(("id" = Uuid, Path, description = "The user's id.")),
    request_body(content = UserChanges, example = json!({ "full_name": "Ada King" })),
    responses(
        (status = 200, description = "The changed account.", body = UserSnapshot),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn update_user(
    State(api): State<UserApi>,
    caller: Caller,
    bearer: Bearer,
    Id(user_id, _): Id<Users>,
    ProblemJson(changes): ProblemJson<UserChanges>,
) -> Result<Json<UserSnapshot>, Problem> {
    let callees = api.callees(&bearer);
    let who = requester(&caller);
    let updated = update::handle(user_id, changes, &who, &api.context(&callees)).await.map_err(problem)?;
    Ok(Json(updated.user.snapshot()))
}

/// Close an account
///
/// Admin, not their own. Soft: the record stays, with status `deleted`.
#[utoipa::path(
    delete,
    path = "/users/{id}",
    tag = "user",
    params(("id" = Uuid, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The closed account.", body = UserSnapshot),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin"])),
)]
async fn delete_user(
    State(api): State<UserApi>,
    caller: Caller,
    bearer: Bearer,
    Id(user_id, _): Id<Users>,
) -> Result<Json<UserSnapshot>, Problem> {
    let callees = api.callees(&bearer);
    let deleted =
        delete::handle(user_id, &requester(&caller), &api.context(&callees)).await.map_err(problem)?;
    Ok(Json(deleted.user.snapshot()))
}

/// Suspend an account
///
/// Admin; hr for employees and managers; not their own. Needs a reason.
#[utoipa::path(
    post,
    path = "/users/{id}/suspend",
    tag = "user",
    params(("id" = Uuid, Path, description = "The user's id.")),
    request_body(content = Suspension, example = json!({ "reason": "Repeated failed sign-ins" })),
    responses(
        (status = 200, description = "The suspended account.", body = UserSnapshot),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn suspend_user(
    State(api): State<UserApi>,
    caller: Caller,
    bearer: Bearer,
    Id(user_id, _): Id<Users>,
    ProblemJson(suspension): ProblemJson<Suspension>,
) -> Result<Json<UserSnapshot>, Problem> {
    let callees = api.callees(&bearer);
    let done = suspend::handle(user_id, suspension, &requester(&caller), &api.context(&callees))
        .await
        .map_err(problem)?;
    Ok(Json(done.user.snapshot()))
}

/// Change a password
///
/// The owner, with the current password; admin, without it.
#[utoipa::path(
    post,
    path = "/users/{id}/password",
    tag = "user",
    params(("id" = Uuid, Path, description = "The user's id.")),
    request_body(content = PasswordChange, example = json!({
        "current_password": "a long enough passphrase", "new_password": "another long passphrase"
    })),
    responses(
        (status = 204, description = "Changed."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin"])),
)]
async fn change_password(
    State(api): State<UserApi>,
    caller: Caller,
    bearer: Bearer,
    Id(user_id, _): Id<Users>,
    ProblemJson(change): ProblemJson<PasswordChange>,
) -> Result<StatusCode, Problem> {
    let callees = api.callees(&bearer);
    password::handle(user_id, change, &requester(&caller), &api.context(&callees)).await.map_err(problem)?;
    Ok(StatusCode::NO_CONTENT)
}

pub mod accounts;
mod list;
#[cfg(test)]
mod tests;
