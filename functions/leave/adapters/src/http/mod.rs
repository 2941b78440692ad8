//! The Leave routes:
//! - `POST /leaves`: a request (the employee for themselves; hr and admin
//!   for anyone): 201 with the request.
//! - `GET /leaves/{id}` (hr, admin, the employee, their manager).
//! - `GET /leaves?employee_id=&status=&from=&to=&limit=`: what the caller
//!   may see, newest start date first.
//! - `POST /leaves/{id}/approve`, `POST /leaves/{id}/reject` (whoever
//!   manages the employee when deciding, hr, admin; never for a request of
//!   their own).
//! - `POST /leaves/{id}/cancel` (the employee before the start date; hr and
//!   admin at any time).
//! - `GET /leave-balances/{employee_id}?year=` (hr, admin, the employee,
//!   their manager).
//!
//! Requests and balances reach Employee (in-process, or over HTTP with the
//! caller's token) through a [`Callee`]. Each route is registered with its
//! `#[utoipa::path]` ([`Routes`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{Datelike, NaiveDate, Utc};
use hrms_employee::{EmployeeClient, Requester};
use hrms_events::leave::LeaveStatus;
use hrms_leave::commands::{Changed, Context, approve, balances, cancel, get, list, reject, request};
use hrms_leave::{
    Balances, Cancellation, Leave, LeaveError, LeaveQuery, LeaveStore, NewLeave, Policy, Rejection,
};
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

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

/// What the routes need.
#[derive(Clone)]
pub struct LeaveDeps {
    pub store: Arc<dyn LeaveStore>,
    pub policy: Arc<Policy>,
    pub employees: Callee<dyn EmployeeClient>,
}

/// The routes' state.
pub type LeaveApi = Api<LeaveDeps>;

/// The Leave function's operations that a CloudEvent may invoke on `POST /`
/// (see `hrms_http::commands`).
pub const COMMANDS: &[hrms_http::commands::Command] = &[
    hrms_http::commands::command("hrms.command.leave.request", "POST", "/leaves"),
    hrms_http::commands::command("hrms.command.leave.approve", "POST", "/leaves/{id}/approve"),
    hrms_http::commands::command("hrms.command.leave.reject", "POST", "/leaves/{id}/reject"),
    hrms_http::commands::command("hrms.command.leave.cancel", "POST", "/leaves/{id}/cancel"),
];

impl LeaveDeps {
    /// The commands' context, with Employee bound to the request's caller.
    fn context<'a>(&'a self, employees: &'a dyn EmployeeClient) -> Context<'a> {
        Context { store: self.store.as_ref(), policy: &self.policy, employees, today: today() }
    }
}

impl Routes for LeaveDeps {
    fn routes(router: OpenApiRouter<LeaveApi>) -> OpenApiRouter<LeaveApi> {
        router
            .routes(routes!(request_leave, list_leaves))
            .routes(routes!(get_leave))
            .routes(routes!(approve_leave))
            .routes(routes!(reject_leave))
            .routes(routes!(cancel_leave))
            .routes(routes!(leave_balances))
    }
}

/// The answer to a request that `e` ended.
pub fn problem(e: LeaveError) -> Problem {
    {
        match e {
            LeaveError::Forbidden(why) => Problem::forbidden(why),
            LeaveError::NotFound("employee") => {
                Problem::not_found("no such employee").with_field("employee_id")
            }
            LeaveError::NotFound(what) => Problem::not_found(format!("no such {what}")),
            LeaveError::Invalid { field, message } => Problem::unprocessable(field, message),
            LeaveError::Conflict { field: Some(field), message } => {
                Problem::conflict(message).with_field(field)
            }
            LeaveError::Conflict { field: None, message } => Problem::conflict(message),
            LeaveError::Stale(why) => Problem::conflict(format!("{why}; try again")),
            LeaveError::Unavailable(why) => {
                tracing::warn!(reason = %hrms_platform::Chain(&*why), "leave operation unavailable");
                Problem::unavailable("a service leave requests depend on is unavailable; nothing was changed")
            }
            LeaveError::Dependency(call) => call.into(),
        }
    }
}

/// What a request's path names.
struct LeaveRequests;

impl Resource for LeaveRequests {
    const NAME: &'static str = "leave request";
}

/// What a balance's path names.
struct Employees;

impl Resource for Employees {
    const NAME: &'static str = "employee";
}

/// Today's date in UTC: what "before the start date" is measured by.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A JSON body that may be left out (no body, or JSON `null`: `T::default()`).
struct OptionalJson<T>(T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if request.headers().contains_key(header::CONTENT_TYPE) {
            let ProblemJson(body) = ProblemJson::<Option<T>>::from_request(request, state).await?;
            return Ok(Self(body.unwrap_or_default()));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| Problem::new(e.status(), format!("cannot read the body: {}", e.body_text())))?;
        if bytes.is_empty() {
            Ok(Self(T::default()))
        } else {
            Err(Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "the body must be application/json"))
        }
    }
}

/// The value of query parameter `name` read by `parse`; a bad one is 400
/// naming it.
fn param<T>(
    params: &HashMap<String, String>,
    name: &str,
    expected: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, Problem> {
    match params.get(name).map(|v| v.trim()) {
        None => Ok(None),
        Some(v) => parse(v)
            .map(Some)
            .ok_or_else(|| Problem::bad_request(format!("{name}: {expected}")).with_field(name)),
    }
}

fn status(text: &str) -> Option<LeaveStatus> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// Ask for time off
///
/// The employee for themselves (`employee_id` may be left out); admin and hr for anyone. Employee is
/// asked whether the person is active; the working days leave out weekends and the holidays of their
/// country. A request across 31 December takes its days in each year from that year's balance. A
/// type that needs no approval (sick) is approved at once and debits the balance; its `leave.approved`
/// tells the employee's manager too.
#[utoipa::path(
    post,
    path = "/leaves",
    tag = "leave",
    request_body(content = NewLeave, example = json!({
        "employee_id": "0190a000-0000-7000-8000-000000000001", "leave_type": "annual",
        "start_date": "2027-03-01", "end_date": "2027-03-05", "reason": "Family visit"
    })),
    responses(
        (status = 201, description = "Requested (or, for a type that needs no approval, approved).", body = Leave,
            headers(("Location" = String, description = "`/leaves/{id}`")),
            links(
                ("GetLeave" = (operation_id = "get_leave", parameters(("id" = "$response.body#/leave_id")))),
                ("ApproveLeave" = (operation_id = "approve_leave", parameters(("id" = "$response.body#/leave_id")))),
                ("RejectLeave" = (operation_id = "reject_leave", parameters(("id" = "$response.body#/leave_id")))),
                ("CancelLeave" = (operation_id = "cancel_leave", parameters(("id" = "$response.body#/leave_id")))),
                ("LeaveHistory" = (operation_id = "history", parameters(("id" = "$response.body#/leave_id")))),
            )),
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
async fn request_leave(
    State(api): State<LeaveApi>,
    caller: Caller,
    bearer: Bearer,
    ProblemJson(new): ProblemJson<NewLeave>,
) -> Result<impl IntoResponse, Problem> {
    let who = requester(&caller);
    let employees = api.employees.bind(&bearer);
    let done = request::handle(new, &who, &api.context(employees.as_ref())).await.map_err(problem)?;
    let location = format!("/leaves/{}", done.leave.leave_id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(done.leave)))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the query; the handler reads it field by field.
struct ListParams {
    /// Only this employee's requests.
    employee_id: Option<Uuid>,
    /// Only requests in this state.
    status: Option<LeaveStatus>,
    /// Requests ending on or after this date.
    from: Option<NaiveDate>,
    /// Requests starting on or before this date.
    to: Option<NaiveDate>,
    /// At most this many (1 to 500; 100 when absent).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// List requests
///
/// Admin and hr: anyone's. A manager: the requests they decide (of one employee with `employee_id`),
/// or their own. An employee: their own.
#[utoipa::path(
    get,
    path = "/leaves",
    tag = "leave",
    params(ListParams),
    responses(
        (status = 200, description = "The requests, newest start date first.", body = Vec<Leave>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = [])),
)]
async fn list_leaves(
    State(api): State<LeaveApi>,
    caller: Caller,
    bearer: Bearer,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Leave>>, Problem> {
    let date = |v: &str| v.parse::<NaiveDate>().ok();
    let query = LeaveQuery {
        employee_id: param(&params, "employee_id", "a UUID", |v| v.parse().ok())?,
        approver_id: None,
        status: param(&params, "status", "pending, approved, rejected or cancelled", status)?,
        from: param(&params, "from", "a date, YYYY-MM-DD", date)?,
        to: param(&params, "to", "a date, YYYY-MM-DD", date)?,
        limit: param(&params, "limit", "a number", |v| v.parse().ok())?.unwrap_or(100),
    };
    let employees = api.employees.bind(&bearer);
    Ok(Json(
        list::handle(query, &requester(&caller), &api.context(employees.as_ref())).await.map_err(problem)?,
    ))
}

/// Read a request
///
/// Admin and hr; the employee, and the manager who decides it (to other managers it is 404).
#[utoipa::path(
    get,
    path = "/leaves/{id}",
    tag = "leave",
    params(("id" = Uuid, Path, description = "The request's id.")),
    responses(
        (status = 200, description = "The request.", body = Leave),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn get_leave(
    State(api): State<LeaveApi>,
    caller: Caller,
    bearer: Bearer,
    Id(leave_id, _): Id<LeaveRequests>,
) -> Result<Json<Leave>, Problem> {
    let employees = api.employees.bind(&bearer);
    let leave = get::handle(leave_id, &requester(&caller), &api.context(employees.as_ref()))
        .await
        .map_err(problem)?;
    Ok(Json(leave))
}

fn changed(done: Changed) -> Json<Leave> {
    Json(done.leave)
}

/// Approve a request
///
/// Whoever manages the employee now (Employee is asked; they are recorded as `approver_id`), admin
/// and hr; never for a request of their own. Only a pending request; the balance of its type is debited with it (409 if that would take it below zero where the type
/// may not go negative).
#[utoipa::path(
    post,
    path = "/leaves/{id}/approve",
    tag = "leave",
    params(("id" = Uuid, Path, description = "The request's id.")),
    responses(
        (status = 200, description = "The approved request.", body = Leave),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr", "manager"])),
)]
async fn approve_leave(
    State(api): State<LeaveApi>,
    caller: Caller,
    bearer: Bearer,
    Id(leave_id, _): Id<LeaveRequests>,
) -> Result<Json<Leave>, Problem> {
    let who = requester(&caller);
    let employees = api.employees.bind(&bearer);
    let done = approve::handle(leave_id, &who, &api.context(employees.as_ref())).await.map_err(problem)?;
    Ok(changed(done))
}

/// Reject a request
///
/// Whoever manages the employee now (Employee is asked; they are recorded as `approver_id`), admin
/// and hr, with a reason; never for a request of their own. Only a pending request.
#[utoipa::path(
    post,
    path = "/leaves/{id}/reject",
    tag = "leave",
    params(("id" = Uuid, Path, description = "The request's id.")),
    request_body(content = Rejection, example = json!({ "reason": "The release is that week" })),
    responses(
        (status = 200, description = "The rejected request.", body = Leave),
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
    security(("bearer" = ["admin", "hr", "manager"])),
)]
async fn reject_leave(
    State(api): State<LeaveApi>,
    caller: Caller,
    bearer: Bearer,
    Id(leave_id, _): Id<LeaveRequests>,
    ProblemJson(rejection): ProblemJson<Rejection>,
) -> Result<Json<Leave>, Problem> {
    let who = requester(&caller);
    let employees = api.employees.bind(&bearer);
    Ok(changed(
        reject::handle(leave_id, rejection, &who, &api.context(employees.as_ref())).await.map_err(problem)?,
    ))
}

/// Cancel a request
///
/// The employee, before the start date (in UTC); admin and hr at any time. A pending or approved
/// request; an approved one's days are credited back. The body (a reason) may be left out.
#[utoipa::path(
    post,
    path = "/leaves/{id}/cancel",
    tag = "leave",
    params(("id" = Uuid, Path, description = "The request's id.")),
    request_body(content = Option<Cancellation>, description = "Optional: no body is no reason.", example = json!({ "reason": "Plans changed" })),
    responses(
        (status = 200, description = "The cancelled request.", body = Leave),
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
async fn cancel_leave(
    State(api): State<LeaveApi>,
    caller: Caller,
    bearer: Bearer,
    Id(leave_id, _): Id<LeaveRequests>,
    OptionalJson(cancellation): OptionalJson<Cancellation>,
) -> Result<Json<Leave>, Problem> {
    let who = requester(&caller);
    let employees = api.employees.bind(&bearer);
    let done = cancel::handle(leave_id, cancellation, &who, &api.context(employees.as_ref()))
        .await
        .map_err(problem)?;
    Ok(changed(done))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the query; the handler reads it field by field.
struct BalanceParams {
    /// The calendar year; this year (UTC) when absent.
    #[param(minimum = 1, maximum = 9999)]
    year: Option<i32>,
}

/// An employee's balances
///
/// Admin and hr; the employee, and their manager (Employee says who that is). Every type of leave of
/// the policy, explained: the allowance (pro rata to the days employed in the year, from the hire and
/// termination dates Employee gives), the days carried over from the year before and the day they
/// expire, the days taken (approved) and pending, the carried days that expire untaken, and what is
/// left today. A request across 31 December counts its days in each year.
#[utoipa::path(
    get,
    path = "/leave-balances/{employee_id}",
    tag = "leave",
    params(("employee_id" = Uuid, Path, description = "The employee's id."), BalanceParams),
    responses(
        (status = 200, description = "The balances of the year.", body = Balances),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn leave_balances(
    State(api): State<LeaveApi>,
    caller: Caller,
    bearer: Bearer,
    Id(employee_id, _): Id<Employees>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Balances>, Problem> {
    let year =
        param(&params, "year", "a year, e.g. 2027", |v| v.parse().ok().filter(|y| (1..=9999).contains(y)))?
            .unwrap_or_else(|| today().year());
    let who: Requester = requester(&caller);
    let employees = api.employees.bind(&bearer);
    let report =
        balances::handle(employee_id, year, &who, &api.context(employees.as_ref())).await.map_err(problem)?;
    Ok(Json(report))
}

#[cfg(test)]
mod tests;
