//! `list`: requests by employee, status and dates. Hr and admin list
//! anyone's; a manager lists the requests they decide (of one employee
//! with `employee_id`), or their own; an employee lists their own only.

use hrms_employee::Requester;
use hrms_events::Role;

use super::Context;
use crate::error::LeaveError;
use crate::model::{Leave, LeaveQuery};

/// The most requests one listing answers.
pub const MAX_LIMIT: usize = 500;

pub async fn handle(
    mut query: LeaveQuery,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Vec<Leave>, LeaveError> {
    if let (Some(from), Some(to)) = (query.from, query.to)
        && to < from
    {
        return Err(LeaveError::invalid("to", "before from"));
    }
    if !(1..=MAX_LIMIT).contains(&query.limit) {
        return Err(LeaveError::invalid("limit", format!("from 1 to {MAX_LIMIT}")));
    }
    query.approver_id = None;
    if !requester.is_hr() {
        let me = requester.employee_id.ok_or_else(|| {
            LeaveError::Forbidden("without an employee record, only hr and admin list requests".into())
        })?;
        match (query.employee_id, requester.role) {
            (Some(id), _) if id == me => {}
            (None, Role::Manager) => query.approver_id = Some(me),
            (Some(_), Role::Manager) => query.approver_id = Some(me),
            (None, _) => query.employee_id = Some(me),
            (Some(_), _) => {
                return Err(LeaveError::Forbidden("employees list their own requests only".into()));
            }
        }
    }
    Ok(ctx.store.list(&query).await?)
}

#[cfg(test)]
mod tests {
    use hrms_events::leave::LeaveStatus;
    use uuid::Uuid;

    use super::*;
    use crate::commands::testing::Harness;
    use crate::fixtures::date;

    fn all() -> LeaveQuery {
        LeaveQuery { employee_id: None, approver_id: None, status: None, from: None, to: None, limit: 100 }
    }

    #[tokio::test]
    async fn each_role_lists_what_it_may_see() {
        let h = Harness::new();
        let mine = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
        let later = h.request(date(2027, 5, 3), date(2027, 5, 4)).await;
        let other = h.add_employee("GB");
        let theirs = h.request_for(&other, date(2027, 3, 1), date(2027, 3, 1)).await;
        let ids = |leaves: Vec<Leave>| leaves.into_iter().map(|l| l.leave_id).collect::<Vec<_>>();

        let everyone = handle(all(), &h.hr, &h.ctx()).await.expect("hr");
        assert_eq!(ids(everyone), [later.leave_id, theirs.leave_id, mine.leave_id], "newest start first");
        let own = handle(all(), &h.employee_requester(), &h.ctx()).await.expect("own");
        assert_eq!(ids(own), [later.leave_id, mine.leave_id]);
        let team = handle(all(), &h.manager(), &h.ctx()).await.expect("team");
        assert_eq!(ids(team), [later.leave_id, mine.leave_id], "only the requests they decide");
        let march = LeaveQuery { from: Some(date(2027, 3, 2)), to: Some(date(2027, 3, 31)), ..all() };
        assert_eq!(ids(handle(march, &h.hr, &h.ctx()).await.expect("march")), [mine.leave_id]);
        h.approve(later.leave_id).await;
        let approved = LeaveQuery { status: Some(LeaveStatus::Approved), ..all() };
        assert_eq!(ids(handle(approved, &h.hr, &h.ctx()).await.expect("approved")), [later.leave_id]);
        let limited = LeaveQuery { limit: 1, ..all() };
        assert_eq!(handle(limited, &h.hr, &h.ctx()).await.expect("one").len(), 1);
    }

    #[tokio::test]
    async fn refusals() {
        let h = Harness::new();
        let someone = LeaveQuery { employee_id: Some(Uuid::now_v7()), ..all() };
        assert!(matches!(
            handle(someone, &h.employee_requester(), &h.ctx()).await,
            Err(LeaveError::Forbidden(_))
        ));
        let nobody = Requester { employee_id: None, ..h.employee_requester() };
        assert!(matches!(handle(all(), &nobody, &h.ctx()).await, Err(LeaveError::Forbidden(_))));
        let backwards = LeaveQuery { from: Some(date(2027, 3, 2)), to: Some(date(2027, 3, 1)), ..all() };
        assert!(
            matches!(handle(backwards, &h.hr, &h.ctx()).await, Err(LeaveError::Invalid { field, .. }) if field == "to")
        );
        let huge = LeaveQuery { limit: 501, ..all() };
        assert!(
            matches!(handle(huge, &h.hr, &h.ctx()).await, Err(LeaveError::Invalid { field, .. }) if field == "limit")
        );
    }
}
