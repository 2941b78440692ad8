//! The Employee routes:
//! - `POST /employees` (admin, hr): 201 with the record; with a known
//!   `employee_id` and the same details, 200 with the stored record.
//! - `GET /employees/{id}` (admin, hr, the person, their manager).
//! - `PATCH /employees/{id}` (admin, hr): the changed fields, optionally
//!   with the `version` read before.
//! - `POST /employees/{id}/terminate` (admin, hr): date and reason.
//!
//! The date of birth is shown to hr, admin and the person only.

use std::sync::Arc;

use axum::extract::{FromRef, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use hrms_compliance::ComplianceClient;
use hrms_employee::commands::{create, get, terminate, update};
use hrms_employee::{
    Employee, EmployeeChanges, EmployeeError, EmployeeStore, NewEmployee, Requester, Termination,
};
use uuid::Uuid;

use super::auth::{Authenticator, Bearer, Caller};
use super::callee::Callee;
use super::json::ProblemJson;
use super::problem::Problem;

/// What the routes need.
#[derive(Clone)]
pub struct EmployeeApi {
    pub auth: Arc<Authenticator>,
    pub store: Arc<dyn EmployeeStore>,
    pub compliance: Callee<dyn ComplianceClient>,
}

impl FromRef<EmployeeApi> for Arc<Authenticator> {
    fn from_ref(api: &EmployeeApi) -> Self {
        api.auth.clone()
    }
}

/// The Employee router.
pub fn router(api: EmployeeApi) -> Router {
    Router::new()
        .route("/employees", post(create_employee))
        .route("/employees/{id}", get(get_employee).patch(update_employee))
        .route("/employees/{id}/terminate", post(terminate_employee))
        .with_state(api)
}

/// The requester a caller is.
pub fn requester(caller: &Caller) -> Requester {
    Requester { user_id: caller.user_id, role: caller.role, employee_id: caller.employee_id }
}

impl From<EmployeeError> for Problem {
    fn from(e: EmployeeError) -> Self {
        match e {
            EmployeeError::Forbidden(why) => Problem::forbidden(why),
            EmployeeError::NotFound => Problem::not_found("no such employee"),
            EmployeeError::Invalid { field, message } => Problem::unprocessable(field, message),
            EmployeeError::Refused(verdict) => Problem::refused(&verdict),
            EmployeeError::Conflict(why) => Problem::conflict(why),
            EmployeeError::Unavailable(why) => {
                tracing::warn!(reason = why, "employee operation unavailable");
                Problem::unavailable(
                    "a service the employee records depend on is unavailable; nothing was changed",
                )
            }
            EmployeeError::Dependency(call) => call.into(),
        }
    }
}

/// The record as `requester` may see it.
pub fn view(mut employee: Employee, requester: &Requester) -> Employee {
    if !requester.is_hr() && !requester.is(employee.employee_id) {
        employee.date_of_birth = None;
    }
    employee
}

fn id(path: Result<Path<Uuid>, axum::extract::rejection::PathRejection>) -> Result<Uuid, Problem> {
    path.map(|Path(id)| id).map_err(|_| Problem::not_found("no such employee: the id is not a UUID"))
}

async fn create_employee(
    State(api): State<EmployeeApi>,
    caller: Caller,
    bearer: Bearer,
    ProblemJson(new): ProblemJson<NewEmployee>,
) -> Result<impl IntoResponse, Problem> {
    let who = requester(&caller);
    let compliance = api.compliance.bind(&bearer);
    let created = create::handle(new, &who, api.store.as_ref(), compliance.as_ref()).await?;
    let status = if created.created { StatusCode::CREATED } else { StatusCode::OK };
    let location = format!("/employees/{}", created.employee.employee_id);
    Ok((status, [(header::LOCATION, location)], Json(view(created.employee, &who))))
}

async fn get_employee(
    State(api): State<EmployeeApi>,
    caller: Caller,
    path: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Employee>, Problem> {
    let who = requester(&caller);
    let employee = get::handle(id(path)?, &who, api.store.as_ref()).await?;
    Ok(Json(view(employee, &who)))
}

async fn update_employee(
    State(api): State<EmployeeApi>,
    caller: Caller,
    bearer: Bearer,
    path: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
    ProblemJson(changes): ProblemJson<EmployeeChanges>,
) -> Result<Json<Employee>, Problem> {
    let who = requester(&caller);
    let compliance = api.compliance.bind(&bearer);
    let updated = update::handle(id(path)?, changes, &who, api.store.as_ref(), compliance.as_ref()).await?;
    Ok(Json(view(updated.employee, &who)))
}

async fn terminate_employee(
    State(api): State<EmployeeApi>,
    caller: Caller,
    path: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
    ProblemJson(termination): ProblemJson<Termination>,
) -> Result<Json<Employee>, Problem> {
    let who = requester(&caller);
    let done = terminate::handle(id(path)?, termination, &who, api.store.as_ref()).await?;
    Ok(Json(view(done.employee, &who)))
}

#[cfg(test)]
mod tests;
