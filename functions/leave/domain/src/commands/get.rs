//! `get`: one request, for hr and admin, the employee, and the manager who
//! decides it. An employee asking for someone else's is refused (403); to
//! any other manager it is missing (404).

use hrms_employee::Requester;
use uuid::Uuid;

use super::{Context, visible};
use crate::error::LeaveError;
use crate::model::Leave;

pub async fn handle(leave_id: Uuid, requester: &Requester, ctx: &Context<'_>) -> Result<Leave, LeaveError> {
    visible(leave_id, requester, ctx.store).await
}

#[cfg(test)]
mod tests {
    use hrms_events::Role;

    use super::*;
    use crate::commands::testing::Harness;
    use crate::fixtures::date;

    #[tokio::test]
    async fn hr_the_employee_and_their_manager_read_it_others_do_not() {
        let h = Harness::new();
        let leave = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
        for who in [h.hr, h.employee_requester(), h.manager()] {
            assert_eq!(handle(leave.leave_id, &who, &h.ctx()).await.expect("readable"), leave);
        }
        let colleague =
            Requester { user_id: Uuid::now_v7(), role: Role::Employee, employee_id: Some(Uuid::now_v7()) };
        assert!(matches!(handle(leave.leave_id, &colleague, &h.ctx()).await, Err(LeaveError::Forbidden(_))));
        let other_manager = Requester { role: Role::Manager, ..colleague };
        assert!(matches!(
            handle(leave.leave_id, &other_manager, &h.ctx()).await,
            Err(LeaveError::NotFound(_))
        ));
        assert!(matches!(handle(Uuid::now_v7(), &h.hr, &h.ctx()).await, Err(LeaveError::NotFound(_))));
    }
}
