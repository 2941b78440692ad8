//! Employee over HTTP: `GET /employees/{id}`, `POST /employees` (201, or
//! 200 for an idempotent repeat), `PATCH /employees/{id}`. Problems map to
//! [`EmployeeError`] as the Employee routes write them: 404 `NotFound`, 409
//! `Conflict`, 422 with `violations` `Refused`, other 400/422 `Invalid`, 403
//! `Forbidden`, any other 4xx (401: the callee refused the forwarded token)
//! `Dependency`; no answer `Unavailable`.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_compliance::CallError;
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
    async fn send(&self, call: Result<Call, serde_json::Error>) -> Result<Employee, EmployeeError> {
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
