//! `get`: one employee, for hr and admin, the person themselves, and their
//! manager.

use uuid::Uuid;

use super::Context;
use crate::error::EmployeeError;
use crate::model::Employee;
use hrms_platform::Requester;

/// Reads the employee if `requester` may see it. Someone who may not see
/// it learns nothing more than from a missing one: both are 404, except
/// that a plain employee asking for another id gets 403.
pub async fn handle(
    employee_id: Uuid,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Employee, EmployeeError> {
    if !requester.is_hr() && !requester.is(employee_id) && requester.role != hrms_events::Role::Manager {
        return Err(EmployeeError::Forbidden("employees may read their own record only".into()));
    }
    let employee = ctx.store.get(employee_id).await?.ok_or(EmployeeError::NotFound)?;
    if requester.is_hr() || requester.is(employee_id) || requester.manages(employee.manager_id) {
        Ok(employee)
    } else {
        Err(EmployeeError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use hrms_events::Role;

    use super::*;
    use crate::commands::testing::Harness;

    #[tokio::test]
    async fn hr_the_person_and_their_manager_may_read() {
        let h = Harness::new();
        let e = h.create().await;
        let manager = Requester { user_id: Uuid::now_v7(), role: Role::Manager, employee_id: e.manager_id };
        let me =
            Requester { user_id: Uuid::now_v7(), role: Role::Employee, employee_id: Some(e.employee_id) };
        for who in [h.hr, manager, me] {
            assert_eq!(handle(e.employee_id, &who, &h.ctx()).await.expect("readable"), e);
        }
    }

    #[tokio::test]
    async fn others_may_not() {
        let h = Harness::new();
        let e = h.create().await;
        let other_manager =
            Requester { user_id: Uuid::now_v7(), role: Role::Manager, employee_id: Some(Uuid::now_v7()) };
        assert!(matches!(
            handle(e.employee_id, &other_manager, &h.ctx()).await,
            Err(EmployeeError::NotFound)
        ));
        let colleague =
            Requester { user_id: Uuid::now_v7(), role: Role::Employee, employee_id: Some(Uuid::now_v7()) };
        assert!(matches!(
            handle(e.employee_id, &colleague, &h.ctx()).await,
            Err(EmployeeError::Forbidden(_))
        ));
        assert!(matches!(handle(Uuid::now_v7(), &h.hr, &h.ctx()).await, Err(EmployeeError::NotFound)));
    }
}
