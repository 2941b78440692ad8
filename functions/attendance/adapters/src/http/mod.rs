//! The Attendance routes:
//! - `POST /attendance/check-in` (anyone with an active employee record,
//!   for themselves): 201 with the open record.
//! - `POST /attendance/check-out` (the same): 200 with the closed record.
//! - `PATCH /attendance/{id}` (the employee's manager, hr, admin): a
//!   correction with a reason.
//! - `GET /attendance?employee_id=&from=&to=` (one's own; a manager their
//!   reports'; hr and admin everyone's): records and worked hours per local
//!   day and ISO week.
//! - `GET /attendance/overtime?employee_id=&manager_id=&period=&from=&to=`
//!   (the same callers; a manager's team): worked time against the
//!   contracted weekly hours per ISO week or month ([`overtime`]).
//!
//! Employee is asked with the caller's token (in-process in `hrms dev`,
//! over HTTP when apart): a person unknown to it is 404, an ended
//! employment 409, Employee down 503, and nothing is stored. Each route is
//! registered with its `#[utoipa::path]` ([`Routes`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use hrms_attendance::commands::list::{ListQuery, Listing};
use hrms_attendance::commands::{Context, check_in, check_out, correct, list};
use hrms_attendance::{AttendanceError, AttendanceRecord, AttendanceStore, Correction};
use hrms_employee::EmployeeClient;
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
use hrms_http::query::param;
use hrms_http::{Api, Id, Resource, Routes};

/// What the routes need.
#[derive(Clone)]
pub struct AttendanceDeps {
    pub store: Arc<dyn AttendanceStore>,
    pub employees: Callee<dyn EmployeeClient>,
}

/// The routes' state.
pub type AttendanceApi = Api<AttendanceDeps>;

/// The Attendance function's operations that a CloudEvent may invoke on
/// `POST /` (see `hrms_http::commands`).
pub const COMMANDS: &[hrms_http::commands::Command] = &[
    hrms_http::commands::command("hrms.command.attendance.check-in", "POST", "/attendance/check-in"),
    hrms_http::commands::command("hrms.command.attendance.check-out", "POST", "/attendance/check-out"),
    hrms_http::commands::command("hrms.command.attendance.correct", "PATCH", "/attendance/{id}"),
];

impl AttendanceDeps {
    /// The commands' context now, with Employee bound to the request's caller.
    fn context<'a>(&'a self, employees: &'a dyn EmployeeClient) -> Context<'a> {
        Context { store: self.store.as_ref(), employees, now: Utc::now() }
    }
}

impl Routes for AttendanceDeps {
    fn routes(router: OpenApiRouter<AttendanceApi>) -> OpenApiRouter<AttendanceApi> {
        router
            .routes(routes!(check_in_attendance))
            .routes(routes!(check_out_attendance))
            .routes(routes!(correct_attendance))
            .routes(routes!(list_attendance))
            .routes(routes!(overtime::attendance_overtime))
    }
}

/// What the paths' ids name.
struct AttendanceRecords;

impl Resource for AttendanceRecords {
    const NAME: &'static str = "attendance record";
}

/// The answer to a request that `e` ended.
pub fn problem(e: AttendanceError) -> Problem {
    {
        match e {
            AttendanceError::Forbidden(why) => Problem::forbidden(why),
            AttendanceError::NotFound(what) => Problem::not_found(what),
            AttendanceError::Invalid { field, message } => Problem::unprocessable(field, message),
            AttendanceError::Conflict(why) => Problem::conflict(why),
            AttendanceError::Overlap { field, message } => Problem::conflict(message).with_field(field),
            AttendanceError::Unavailable(why) => {
                tracing::warn!(reason = %hrms_platform::Chain(&*why), "attendance operation unavailable");
                Problem::unavailable("a service attendance depends on is unavailable; nothing was changed")
            }
            AttendanceError::Dependency(call) => call.into(),
        }
    }
}

/// Check in
///
/// For the caller's own employee record, which must be active: the record opens now, in the
/// employee's time zone. Checked in already: 409.
#[utoipa::path(
    post,
    path = "/attendance/check-in",
    tag = "attendance",
    responses(
        (status = 201, description = "Checked in: the open record.", body = AttendanceRecord,
            links(
                ("CorrectAttendance" = (operation_id = "correct_attendance", parameters(("id" = "$response.body#/record_id")))),
            )),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr", "manager", "employee"])),
)]
async fn check_in_attendance(
    State(api): State<AttendanceApi>,
    caller: Caller,
    bearer: Bearer,
) -> Result<(StatusCode, Json<AttendanceRecord>), Problem> {
    let employees = api.employees.bind(&bearer);
    let marked =
        check_in::handle(&requester(&caller), &api.context(employees.as_ref())).await.map_err(problem)?;
    Ok((StatusCode::CREATED, Json(marked.record)))
}

/// Check out
///
/// Closes the caller's open record now, with the minutes worked. Not checked in: 409.
#[utoipa::path(
    post,
    path = "/attendance/check-out",
    tag = "attendance",
    responses(
        (status = 200, description = "Checked out: the closed record.", body = AttendanceRecord),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr", "manager", "employee"])),
)]
async fn check_out_attendance(
    State(api): State<AttendanceApi>,
    caller: Caller,
    bearer: Bearer,
) -> Result<Json<AttendanceRecord>, Problem> {
    let employees = api.employees.bind(&bearer);
    let marked =
        check_out::handle(&requester(&caller), &api.context(employees.as_ref())).await.map_err(problem)?;
    Ok(Json(marked.record))
}

/// Correct a record
///
/// The employee's manager, hr and admin: a new check-in, check-out or both, with a reason. Times
/// may not lie in the future, nor overlap another of the employee's records however old (409
/// naming `check_in` or `check_out`); a correction may close an open record. With `version`, it
/// applies only to that version.
#[utoipa::path(
    patch,
    path = "/attendance/{id}",
    tag = "attendance",
    params(("id" = Uuid, Path, description = "The record's id.")),
    request_body(content = Correction, example = json!({
        "check_out": "2027-01-04T17:30:00Z", "reason": "Forgot to check out"
    })),
    responses(
        (status = 200, description = "The corrected record.", body = AttendanceRecord),
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
async fn correct_attendance(
    State(api): State<AttendanceApi>,
    caller: Caller,
    bearer: Bearer,
    Id(id, _): Id<AttendanceRecords>,
    ProblemJson(correction): ProblemJson<Correction>,
) -> Result<Json<AttendanceRecord>, Problem> {
    let employees = api.employees.bind(&bearer);
    let who = requester(&caller);
    let corrected =
        correct::handle(id, correction, &who, &api.context(employees.as_ref())).await.map_err(problem)?;
    Ok(Json(corrected.record))
}

/// The query of a listing, as documented; read field by field.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ListParams {
    /// Whose records: the caller's own when absent, everyone's for admin and hr.
    employee_id: Option<Uuid>,
    /// The first local day (`YYYY-MM-DD`); six days before `to` when absent.
    from: Option<NaiveDate>,
    /// The last local day; today (UTC) when absent. A range spans at most 366 days.
    to: Option<NaiveDate>,
}

/// Records and worked hours
///
/// The caller's own; a manager's reports'; everyone's for admin and hr. Records checked in on the
/// local days from `from` to `to`, and the worked time per local day and ISO week (closed records).
#[utoipa::path(
    get,
    path = "/attendance",
    tag = "attendance",
    params(ListParams),
    responses(
        (status = 200, description = "The records and the worked time.", body = Listing),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr", "manager", "employee"])),
)]
async fn list_attendance(
    State(api): State<AttendanceApi>,
    caller: Caller,
    bearer: Bearer,
    params: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Listing>, Problem> {
    let Query(params) = params.map_err(|e| Problem::bad_request(e.body_text()))?;
    let query = ListQuery {
        employee_id: param(&params, "employee_id", "a UUID")?,
        from: day(&params, "from")?,
        to: day(&params, "to")?,
    };
    let employees = api.employees.bind(&bearer);
    let who = requester(&caller);
    Ok(Json(list::handle(query, &who, &api.context(employees.as_ref())).await.map_err(problem)?))
}

/// The date parameter `name`, if given: 400 naming it unless it is a
/// `YYYY-MM-DD` date (a four-digit year, as OpenAPI's `date` format).
fn day(params: &HashMap<String, String>, name: &str) -> Result<Option<NaiveDate>, Problem> {
    let four_digit_year = |v: &String| v.len() == 10 && v.as_bytes()[..4].iter().all(u8::is_ascii_digit);
    match params.get(name) {
        Some(v) if !four_digit_year(v) => {
            Err(Problem::bad_request(format!("{name} must be a date, YYYY-MM-DD")).with_field(name))
        }
        _ => param(params, name, "a date, YYYY-MM-DD"),
    }
}

mod overtime;

#[cfg(test)]
mod tests;
