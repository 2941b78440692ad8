//! Employee over HTTP: `GET /employees/{id}`, `POST /employees` (201, or
//! 200 for an idempotent repeat), `PATCH /employees/{id}`, `GET /employees`
//! (one page, the filters as query parameters). Problems map to
//! [`EmployeeError`] as the Employee routes write them: 404 `NotFound`, 409
//! `Conflict`, 422 with `violations` `Refused`, other 400/422 `Invalid`, 403
//! `Forbidden`, any other 4xx (401: the callee refused the forwarded token)
//! `Dependency`; no answer `Unavailable`.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_compliance::CallError;
use hrms_employee::listing::{EmployeePage, EmployeeQuery};
use hrms_employee::{Employee, EmployeeChanges, EmployeeClient, EmployeeError, NewEmployee, Requester};
use reqwest::Method;
use uuid::Uuid;

use hrms_http::client::answer::Failure;
use hrms_http::client::service::{Call, ServiceClient};
use hrms_http::client::{Bind, Forward, FunctionClient};

/// Employee, called over HTTP; shared by all requests.
pub type HttpEmployee = FunctionClient<BoundEmployee>;

/// [`HttpEmployee`] bound to one caller. The callee reads the requester
/// from the forwarded token, not from the `_requester` arguments.
pub struct BoundEmployee {
    service: Arc<ServiceClient>,
    forward: Forward,
}

impl Bind for BoundEmployee {
    type Client = dyn EmployeeClient;
    const CALLEE: &'static str = "employee";

    fn bind(service: Arc<ServiceClient>, forward: Forward) -> Arc<dyn EmployeeClient> {
        Arc::new(Self { service, forward })
    }
}

impl BoundEmployee {
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        call: Result<Call, serde_json::Error>,
    ) -> Result<T, EmployeeError> {
        let call = call.map_err(|e| CallError::unavailable(Self::CALLEE, "cannot encode the request", e))?;
        self.service.send(&self.forward, &call).await.map_err(error)
    }
}

impl EmployeeClient for BoundEmployee {
    fn get<'a>(
        &'a self,
        id: Uuid,
        _requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(self.send(Ok(Call::get(format!("employees/{id}")))))
    }

    fn create<'a>(
        &'a self,
        new: &'a NewEmployee,
        _requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        let call =
            Call::json(Method::POST, "employees", new).map(|c| c.idempotent(new.employee_id.is_some()));
        Box::pin(self.send(call))
    }

    fn update<'a>(
        &'a self,
        id: Uuid,
        changes: &'a EmployeeChanges,
        _requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(self.send(Call::json(Method::PATCH, format!("employees/{id}"), changes)))
    }

    fn list<'a>(
        &'a self,
        query: &'a EmployeeQuery,
        _requester: &'a Requester,
    ) -> BoxFuture<'a, Result<EmployeePage, EmployeeError>> {
        Box::pin(self.send(Ok(Call::get(format!("employees?{}", query_string(query))))))
    }
}

/// `query` as the parameters of `GET /employees`.
fn query_string(query: &EmployeeQuery) -> String {
    let f = &query.filter;
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    let status = f
        .status
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    let texts = [
        ("department", f.department.clone()),
        ("status", status),
        ("manager_id", f.manager_id.map(|id| id.to_string())),
        ("country", f.country.clone()),
        ("name", f.name.clone()),
        ("email", f.email.clone()),
        ("hired_from", f.hired_from.map(|d| d.to_string())),
        ("hired_to", f.hired_to.map(|d| d.to_string())),
        ("cursor", query.cursor.clone()),
        ("limit", Some(query.limit.to_string())),
    ];
    for (name, value) in texts {
        if let Some(value) = value {
            pairs.append_pair(name, &value);
        }
    }
    pairs.finish()
}

/// The error the in-process client would have answered.
fn error(failure: Failure) -> EmployeeError {
    let problem = match failure {
        Failure::Unavailable { .. } => return EmployeeError::Unavailable(failure.into()),
        Failure::Problem { ref problem, .. } => problem,
    };
    match (problem.status, problem.verdict()) {
        (422, Some(verdict)) => EmployeeError::Refused(verdict),
        (404, _) => EmployeeError::NotFound,
        (409, _) => EmployeeError::Conflict(problem.detail.clone()),
        (400 | 422, _) => EmployeeError::Invalid {
            field: problem.field.clone().unwrap_or_default(),
            message: problem.detail.clone(),
        },
        (403, _) => EmployeeError::Forbidden(problem.detail.clone()),
        _ => EmployeeError::Dependency(CallError::from(failure)),
    }
}

#[cfg(test)]
mod tests;
