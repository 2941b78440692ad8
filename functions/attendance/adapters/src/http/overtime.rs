//! `GET /attendance/overtime?employee_id=&manager_id=&period=&from=&to=`:
//! worked time against the contract per ISO week or month, for one
//! employee or a manager's team (`hrms_attendance::commands::overtime`).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use chrono::NaiveDate;
use hrms_attendance::commands::overtime::{self, Overtime, OvertimeQuery, Period};
use uuid::Uuid;

use super::{AttendanceApi, day, problem};
use hrms_http::auth::{Bearer, Caller, requester};
use hrms_http::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable, Unprocessable};
use hrms_http::problem::Problem;
use hrms_http::query::param;

/// The query of an overtime summary, as documented; read field by field.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct OvertimeParams {
    /// Whose overtime: the caller's own when neither this nor `manager_id` is given.
    employee_id: Option<Uuid>,
    /// A manager's team instead: their reports employed at some time in the range, as Employee
    /// lists them (the manager themselves, admin and hr). Not with `employee_id`.
    manager_id: Option<Uuid>,
    /// `week` (ISO weeks, the default) or `month`.
    period: Option<Period>,
    /// The first local day (`YYYY-MM-DD`), widened to the start of its week or month; three
    /// weeks (or two months) before `to`'s when absent.
    from: Option<NaiveDate>,
    /// The last local day, widened to the end of its week or month; today (UTC) when absent. A
    /// range spans at most 366 days.
    to: Option<NaiveDate>,
}

/// Overtime per week or month
///
/// Worked time (closed records, counted in each record's own time zone) against the contracted
/// `weekly_hours` (a week owes them, a month `weekly_hours × days / 7`, days before the hire or
/// after the termination date nothing); overtime is the worked time above it, never negative.
/// One's own; a manager's reports' or team (`manager_id`); anyone's for admin and hr.
#[utoipa::path(
    get,
    path = "/attendance/overtime",
    tag = "attendance",
    params(OvertimeParams),
    responses(
        (status = 200, description = "Worked, contracted and overtime minutes per period.", body = Overtime,
            example = json!({
                "period": "week", "from": "2027-01-04", "to": "2027-01-10",
                "employees": [{
                    "employee_id": "0193a4a0-0000-7000-8000-000000000001", "weekly_hours": 37.5,
                    "periods": [{
                        "period": "2027-W01", "starts": "2027-01-04", "ends": "2027-01-10",
                        "worked_minutes": 2700, "worked_hours": 45.0, "contracted_minutes": 2250,
                        "overtime_minutes": 450, "overtime_hours": 7.5
                    }],
                    "worked_minutes": 2700, "contracted_minutes": 2250, "overtime_minutes": 450,
                    "overtime_hours": 7.5
                }]
            })),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr", "manager", "employee"])),
)]
pub(super) async fn attendance_overtime(
    State(api): State<AttendanceApi>,
    caller: Caller,
    bearer: Bearer,
    params: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Overtime>, Problem> {
    let Query(params) = params.map_err(|e| Problem::bad_request(e.body_text()))?;
    let period = match params.get("period").map(String::as_str) {
        None | Some("week") => Period::Week,
        Some("month") => Period::Month,
        Some(_) => return Err(Problem::bad_request("period must be week or month").with_field("period")),
    };
    let query = OvertimeQuery {
        employee_id: param(&params, "employee_id", "a UUID")?,
        manager_id: param(&params, "manager_id", "a UUID")?,
        period,
        from: day(&params, "from")?,
        to: day(&params, "to")?,
    };
    let employees = api.employees.bind(&bearer);
    let who = requester(&caller);
    Ok(Json(overtime::handle(query, &who, &api.context(employees.as_ref())).await.map_err(problem)?))
}

#[cfg(test)]
mod tests;
