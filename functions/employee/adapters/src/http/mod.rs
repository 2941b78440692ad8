//! The Employee routes:
//! - `POST /employees` (admin, hr): 201 with the record; with a known
//!   `employee_id` and the same details, 200 with the stored record.
//! - `GET /employees` (admin and hr everyone, a manager their reports):
//!   filters and cursor paging (`list`).
//! - `GET /employees/{id}` (admin, hr, the person, their manager).
//! - `PATCH /employees/{id}` (admin, hr): the changed fields, optionally
//!   with the `version` read before.
//! - `POST /employees/{id}/terminate` (admin, hr): date and reason.
//!
//! The date of birth is shown to hr, admin and the person only. Each route is
//! registered with its `#[utoipa::path]` ([`Routes`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use hrms_compliance::ComplianceClient;
use hrms_employee::commands::{Context, create, get, terminate, update};
use hrms_employee::{
    Employee, EmployeeChanges, EmployeeError, EmployeeStore, NewEmployee, Requester, Termination,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use hrms_http::auth::{Bearer, Caller, requester};
use hrms_http::callee::Callee;
use hrms_http::json::ProblemJson;
use hrms_http::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable, Unprocessable,
    UnsupportedMediaType,
};
use hrms_http::problem::Problem;
use hrms_http::{Api, Id, Resource, Routes};

/// The Employee function's operations that a CloudEvent may invoke on `POST /`
/// (see `hrms_http::commands`).
pub const COMMANDS: &[hrms_http::commands::Command] = &[
    hrms_http::commands::command("hrms.command.employee.create", "POST", "/employees"),
    hrms_http::commands::command("hrms.command.employee.update", "PATCH", "/employees/{id}"),
    hrms_http::commands::command("hrms.command.employee.terminate", "POST", "/employees/{id}/terminate"),
];

/// What the routes need.
#[derive(Clone)]
pub struct EmployeeDeps {
    pub store: Arc<dyn EmployeeStore>,
    pub compliance: Callee<dyn ComplianceClient>,
}

/// The routes' state.
pub type EmployeeApi = Api<EmployeeDeps>;

impl EmployeeDeps {
    /// The commands' context, with Compliance bound to the request's caller.
    fn context<'a>(&'a self, compliance: &'a dyn ComplianceClient) -> Context<'a> {
        Context { store: self.store.as_ref(), compliance }
    }
}

impl Routes for EmployeeDeps {
    fn routes(router: OpenApiRouter<EmployeeApi>) -> OpenApiRouter<EmployeeApi> {
        router
            .routes(routes!(create_employee, list::list_employees))
            .routes(routes!(get_employee, update_employee))
            .routes(routes!(terminate_employee))
    }
}

/// The answer to a request that `e` ended.
pub fn problem(e: EmployeeError) -> Problem {
    {
        match e {
            EmployeeError::Forbidden(why) => Problem::forbidden(why),
            EmployeeError::NotFound => Problem::not_found("no such employee"),
            // Not a time zone at all (the document lists the IANA names).
            EmployeeError::Invalid { field, message } if field == "time_zone" => {
                Problem::bad_request(message).with_field(field)
            }
            EmployeeError::Invalid { field, message } => Problem::unprocessable(field, message),
            EmployeeError::Refused(verdict) => Problem::refused(&verdict),
            EmployeeError::Conflict(why) => Problem::conflict(why),
            EmployeeError::Unavailable(why) => {
                tracing::warn!(reason = %hrms_platform::Chain(&*why), "employee operation unavailable");
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

/// What the paths' ids name.
struct Employees;

impl Resource for Employees {
    const NAME: &'static str = "employee";
}

/// Add an employee
///
/// Admin and hr. The record is validated by Compliance first. With a known `employee_id` and the
/// same details, 200 with the stored record (a safe retry).
#[utoipa::path(
    post,
    path = "/employees",
    tag = "employee",
    request_body(content = NewEmployee, example = json!({
        "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com",
        "department": "Engineering", "job_title": "Engineer", "country": "US",
        "time_zone": "America/New_York", "weekly_hours": 40, "hire_date": "2026-12-01",
        "date_of_birth": "1990-12-09"
    })),
    responses(
        (status = 201, description = "Created.", body = Employee,
            headers(("Location" = String, description = "`/employees/{id}`")),
            links(
                ("GetEmployee" = (operation_id = "get_employee", parameters(("id" = "$response.body#/employee_id")))),
                ("UpdateEmployee" = (operation_id = "update_employee", parameters(("id" = "$response.body#/employee_id")))),
                ("TerminateEmployee" = (operation_id = "terminate_employee", parameters(("id" = "$response.body#/employee_id")))),
                ("LeaveBalances" = (operation_id = "leave_balances", parameters(("employee_id" = "$response.body#/employee_id")))),
                ("EmployeeHistory" = (operation_id = "history", parameters(("id" = "$response.body#/employee_id")))),
            )),
        (status = 200, description = "The same record, created before.", body = Employee),
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
async fn create_employee(
    State(api): State<EmployeeApi>,
    caller: Caller,
    bearer: Bearer,
    ProblemJson(new): ProblemJson<NewEmployee>,
) -> Result<impl IntoResponse, Problem> {
    let who = requester(&caller);
    let compliance = api.compliance.bind(&bearer);
    let created = create::handle(new, &who, &api.context(compliance.as_ref())).await.map_err(problem)?;
    let status = if created.created { StatusCode::CREATED } else { StatusCode::OK };
    let location = format!("/employees/{}", created.employee.employee_id);
    Ok((status, [(header::LOCATION, location)], Json(view(created.employee, &who))))
}

/// Read an employee
///
/// Admin and hr; the person themselves, and their manager (to others a manager's read is 404). The
/// date of birth is shown to admin, hr and the person only.
#[utoipa::path(
    get,
    path = "/employees/{id}",
    tag = "employee",
    params(("id" = Uuid, Path, description = "The employee's id.")),
    responses(
        (status = 200, description = "The record.", body = Employee),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn get_employee(
    State(api): State<EmployeeApi>,
    caller: Caller,
    bearer: Bearer,
    Id(employee_id, _): Id<Employees>,
) -> Result<Json<Employee>, Problem> {
    let who = requester(&caller);
    let compliance = api.compliance.bind(&bearer);
    let employee =
        get::handle(employee_id, &who, &api.context(compliance.as_ref())).await.map_err(problem)?;
    Ok(Json(view(employee, &who)))
}

/// Change an employee
///
/// Admin and hr. Absent fields stay as they are; with `version`, the change applies only to that
/// version. Changed details are validated by Compliance.
#[utoipa::path(
    patch,
    path = "/employees/{id}",
    tag = "employee",
    params(("id" = Uuid, Path, description = "The employee's id.")),
    request_body(
        content = EmployeeChanges,
        example = json!({ "job_title": "Senior Engineer", "weekly_hours": 32 })
    ),
    responses(
        (status = 200, description = "The changed record.", body = Employee),
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
async fn update_employee(
    State(api): State<EmployeeApi>,
    caller: Caller,
    bearer: Bearer,
    Id(employee_id, _): Id<Employees>,
    ProblemJson(changes): ProblemJson<EmployeeChanges>,
) -> Result<Json<Employee>, Problem> {
    let who = requester(&caller);
    let compliance = api.compliance.bind(&bearer);
    let updated = update::handle(employee_id, changes, &who, &api.context(compliance.as_ref()))
        .await
        .map_err(problem)?;
    Ok(Json(view(updated.employee, &who)))
}

/// End an employment
///
/// Admin and hr: the date and the reason.
#[utoipa::path(
    post,
    path = "/employees/{id}/terminate",
    tag = "employee",
    params(("id" = Uuid, Path, description = "The employee's id.")),
    request_body(
        content = Termination,
        example = json!({ "termination_date": "2027-06-30", "reason": "Resigned" })
    ),
    responses(
        (status = 200, description = "The terminated record.", body = Employee),
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
async fn terminate_employee(
    State(api): State<EmployeeApi>,
    caller: Caller,
    bearer: Bearer,
    Id(employee_id, _): Id<Employees>,
    ProblemJson(termination): ProblemJson<Termination>,
) -> Result<Json<Employee>, Problem> {
    let who = requester(&caller);
    let compliance = api.compliance.bind(&bearer);
    let done = terminate::handle(employee_id, termination, &who, &api.context(compliance.as_ref()))
        .await
        .map_err(problem)?;
    Ok(Json(view(done.employee, &who)))
}

mod list;
#[cfg(test)]
mod time_zones;

#[cfg(test)]
mod contract_tests;
#[cfg(test)]
mod tests;
