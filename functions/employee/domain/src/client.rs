//! How other functions call Employee synchronously (User to create or link
//! a person's record; Leave and Attendance to check a person is active):
//! [`EmployeeClient`], implemented in-process by [`Local`] here and over
//! HTTP by the adapters. Both answer with [`EmployeeError`], so callers
//! handle a refusal the same way wherever Employee runs.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_compliance::ComplianceClient;
use uuid::Uuid;

use crate::commands::{Context, create, get, list, update};
use crate::error::EmployeeError;
use crate::listing::{EmployeePage, EmployeeQuery};
use crate::model::{Employee, EmployeeChanges, NewEmployee};
use crate::store::EmployeeStore;
use hrms_platform::Requester;

/// Employee's operations, as other functions see them.
pub trait EmployeeClient: Send + Sync {
    /// The employee, if the requester may see it.
    fn get<'a>(
        &'a self,
        employee_id: Uuid,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>>;

    /// Creates the employee (idempotent when `new.employee_id` is given).
    fn create<'a>(
        &'a self,
        new: &'a NewEmployee,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>>;

    /// Changes the employee (e.g. links its user account).
    fn update<'a>(
        &'a self,
        employee_id: Uuid,
        changes: &'a EmployeeChanges,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>>;

    /// One page of the employees `query` selects, as `GET /employees`
    /// answers the requester (a manager: their reports). Clients that list
    /// nothing (test doubles) are unavailable for it.
    fn list<'a>(
        &'a self,
        query: &'a EmployeeQuery,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<EmployeePage, EmployeeError>> {
        let _ = (query, requester);
        Box::pin(async { Err(EmployeeError::Unavailable("this client lists no employees".into())) })
    }
}

/// Employee in the same process (`hrms dev`): the function itself.
#[derive(Clone)]
pub struct Local {
    pub store: Arc<dyn EmployeeStore>,
    pub compliance: Arc<dyn ComplianceClient>,
}

impl Local {
    /// The commands' context.
    fn context(&self) -> Context<'_> {
        Context { store: self.store.as_ref(), compliance: self.compliance.as_ref() }
    }
}

impl EmployeeClient for Local {
    fn get<'a>(
        &'a self,
        employee_id: Uuid,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(async move { get::handle(employee_id, requester, &self.context()).await })
    }

    fn create<'a>(
        &'a self,
        new: &'a NewEmployee,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(async move {
            let created = create::handle(new.clone(), requester, &self.context()).await?;
            Ok(created.employee)
        })
    }

    fn update<'a>(
        &'a self,
        employee_id: Uuid,
        changes: &'a EmployeeChanges,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(async move {
            let updated = update::handle(employee_id, changes.clone(), requester, &self.context()).await?;
            Ok(updated.employee)
        })
    }

    fn list<'a>(
        &'a self,
        query: &'a EmployeeQuery,
        requester: &'a Requester,
    ) -> BoxFuture<'a, Result<EmployeePage, EmployeeError>> {
        Box::pin(async move { list::handle(query.clone(), requester, &self.context()).await })
    }
}
