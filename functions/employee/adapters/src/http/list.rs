//! `GET /employees`: the listing HR searches with, a page at a time.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use chrono::NaiveDate;
use hrms_employee::EmployeeError;
use hrms_employee::commands::list;
use hrms_employee::listing::{DEFAULT_LIMIT, EmployeeFilter, EmployeePage, EmployeeQuery, MAX_LIMIT};
use hrms_events::employee::EmployeeStatus;
use uuid::Uuid;

use hrms_http::auth::{Bearer, Caller, requester};
use hrms_http::openapi::{BadRequest, Forbidden, Unauthorized, Unavailable, Unprocessable};
use hrms_http::problem::Problem;
use hrms_http::query::param;

use super::{EmployeeApi, problem, view};

/// The query of a listing, as documented; read field by field.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct ListParams {
    /// The department, whole (any case).
    #[param(min_length = 1, max_length = 254, pattern = r"\S")]
    department: Option<String>,
    /// `active` or `terminated`.
    #[param(inline)]
    status: Option<EmployeeStatus>,
    /// Reports of this manager (a manager lists only their own).
    manager_id: Option<Uuid>,
    /// ISO 3166-1 alpha-2 country code.
    #[param(min_length = 1, max_length = 254, pattern = r"\S")]
    country: Option<String>,
    /// The start of the last name (any case).
    #[param(min_length = 1, max_length = 254, pattern = r"\S")]
    name: Option<String>,
    /// The start of the e-mail address (any case).
    #[param(min_length = 1, max_length = 254, pattern = r"\S")]
    email: Option<String>,
    /// Hired on or after this day (`YYYY-MM-DD`).
    hired_from: Option<NaiveDate>,
    /// Hired on or before this day.
    hired_to: Option<NaiveDate>,
    /// The `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 254, pattern = r"\S")]
    cursor: Option<String>,
    /// At most this many (1 to 200; 50 when absent).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<usize>,
}

const KNOWN: &[&str] = &[
    "department",
    "status",
    "manager_id",
    "country",
    "name",
    "email",
    "hired_from",
    "hired_to",
    "cursor",
    "limit",
];

/// Find employees
///
/// Admin and hr: everyone; a manager: their reports (others read their own record at
/// `GET /employees/{id}`). Every filter given must match; follow `next_cursor` for the next page.
/// The date of birth is shown to admin, hr and the person only.
#[utoipa::path(
    get,
    path = "/employees",
    tag = "employee",
    params(ListParams),
    responses(
        (status = 200, description = "A page of employees.", body = EmployeePage, example = json!({
            "employees": [{
                "employee_id": "0193a5d2-7f10-7c3e-9a41-2b6f0c1d9e01", "user_id": null,
                "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com",
                "department": "Engineering", "job_title": "Engineer", "manager_id": null,
                "country": "US", "time_zone": "America/New_York", "weekly_hours": 40.0,
                "hire_date": "2026-12-01", "date_of_birth": null, "status": "active",
                "termination_date": null, "termination_reason": null, "version": 1,
                "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-01T09:00:00Z"
            }],
            "next_cursor": "0193a5d2-7f10-7c3e-9a41-2b6f0c1d9e01"
        })),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr", "manager"])),
)]
pub(super) async fn list_employees(
    State(api): State<EmployeeApi>,
    caller: Caller,
    bearer: Bearer,
    params: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EmployeePage>, Problem> {
    let Query(params) = params.map_err(|e| Problem::bad_request(e.body_text()))?;
    if let Some(unknown) = params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(Problem::bad_request(format!("unknown parameter {unknown}")).with_field(unknown.clone()));
    }
    let text = |name: &str| -> Result<Option<String>, Problem> {
        match params.get(name).map(|v| v.trim()) {
            Some("") => Err(Problem::bad_request(format!("{name} must not be empty")).with_field(name)),
            Some(v) if v.chars().count() > 254 => {
                Err(Problem::bad_request(format!("{name} is longer than 254 characters")).with_field(name))
            }
            v => Ok(v.map(str::to_owned)),
        }
    };
    let status =
        match params.get("status") {
            None => None,
            Some(v) => Some(serde_json::from_value(serde_json::Value::String(v.clone())).map_err(|_| {
                Problem::bad_request("status must be active or terminated").with_field("status")
            })?),
        };
    let filter = EmployeeFilter {
        department: text("department")?,
        status,
        manager_id: param(&params, "manager_id", "a UUID")?,
        country: text("country")?,
        name: text("name")?,
        email: text("email")?,
        hired_from: param(&params, "hired_from", "a date, YYYY-MM-DD")?,
        hired_to: param(&params, "hired_to", "a date, YYYY-MM-DD")?,
    };
    let limit = param(&params, "limit", &format!("a number from 1 to {MAX_LIMIT}"))?.unwrap_or(DEFAULT_LIMIT);
    let query = EmployeeQuery { filter, cursor: text("cursor")?, limit };
    let who = requester(&caller);
    let compliance = api.compliance.bind(&bearer);
    let page = list::handle(query, &who, &api.context(compliance.as_ref())).await.map_err(|e| match e {
        // A cursor this listing did not give: a rule no schema states.
        EmployeeError::Invalid { field, message } if field == "cursor" => {
            Problem::unprocessable(field, message)
        }
        EmployeeError::Invalid { field, message } => Problem::bad_request(message).with_field(field),
        e => problem(e),
    })?;
    let employees = page.employees.into_iter().map(|e| view(e, &who)).collect();
    Ok(Json(EmployeePage { employees, ..page }))
}

#[cfg(test)]
mod tests;
