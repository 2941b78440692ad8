//! `list`: employees by the filters HR uses, a page at a time. Hr and admin
//! see everyone; a manager their reports (the `manager_id` filter is theirs,
//! whatever was asked); anyone else reads their own record with `get`
//! (403 here).

use super::Context;
use crate::error::EmployeeError;
use crate::listing::{EmployeePage, EmployeeQuery, MAX_LIMIT};
use hrms_events::Role;
use hrms_platform::Requester;

pub async fn handle(
    mut query: EmployeeQuery,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<EmployeePage, EmployeeError> {
    if !(1..=MAX_LIMIT).contains(&query.limit) {
        return Err(EmployeeError::invalid("limit", format!("from 1 to {MAX_LIMIT}")));
    }
    if requester.is_hr() {
        return Ok(ctx.store.list(&query).await?);
    }
    let (Role::Manager, Some(own)) = (requester.role, requester.employee_id) else {
        return Err(EmployeeError::Forbidden(
            "hr, admin and managers list employees; employees read their own record".into(),
        ));
    };
    if query.filter.manager_id.is_some_and(|asked| asked != own) {
        return Err(EmployeeError::Forbidden("managers list their own reports".into()));
    }
    query.filter.manager_id = Some(own);
    Ok(ctx.store.list(&query).await?)
}

#[cfg(test)]
mod tests {
    use hrms_events::Role;
    use uuid::Uuid;

    use super::*;
    use crate::commands::create;
    use crate::commands::testing::Harness;
    use crate::fixtures::new_employee;
    use crate::listing::EmployeeFilter;
    use crate::model::{Employee, NewEmployee};

    fn query(filter: EmployeeFilter, limit: usize) -> EmployeeQuery {
        EmployeeQuery { filter, cursor: None, limit }
    }

    async fn hire(h: &Harness, new: NewEmployee) -> Employee {
        create::handle(new, &h.hr, &h.ctx()).await.expect("created").employee
    }

    #[tokio::test]
    async fn hr_pages_through_everyone_a_manager_their_reports_an_employee_nobody() {
        let h = Harness::new();
        let boss = Uuid::now_v7();
        let mut reports = Vec::new();
        for _ in 0..3 {
            reports.push(hire(&h, NewEmployee { manager_id: Some(boss), ..new_employee() }).await);
        }
        let other = hire(&h, new_employee()).await;

        let mut seen = Vec::new();
        let mut page = handle(query(EmployeeFilter::default(), 3), &h.hr, &h.ctx()).await.expect("page");
        seen.extend(page.employees.clone());
        while let Some(cursor) = page.next_cursor.clone() {
            let next = EmployeeQuery { cursor: Some(cursor), ..query(EmployeeFilter::default(), 3) };
            page = handle(next, &h.hr, &h.ctx()).await.expect("page");
            seen.extend(page.employees.clone());
        }
        assert_eq!(seen.len(), 4, "everyone once");

        let manager = Requester { user_id: Uuid::now_v7(), role: Role::Manager, employee_id: Some(boss) };
        let theirs = handle(query(EmployeeFilter::default(), 50), &manager, &h.ctx()).await.expect("reports");
        let mut ids: Vec<_> = theirs.employees.iter().map(|e| e.employee_id).collect();
        ids.sort();
        let mut want: Vec<_> = reports.iter().map(|e| e.employee_id).collect();
        want.sort();
        assert_eq!(ids, want);
        let someone_elses = EmployeeFilter { manager_id: other.manager_id, ..Default::default() };
        assert!(matches!(
            handle(query(someone_elses, 50), &manager, &h.ctx()).await,
            Err(EmployeeError::Forbidden(_))
        ));

        let me =
            Requester { user_id: Uuid::now_v7(), role: Role::Employee, employee_id: Some(other.employee_id) };
        let refused = handle(query(EmployeeFilter::default(), 50), &me, &h.ctx()).await;
        assert!(matches!(refused, Err(EmployeeError::Forbidden(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn a_limit_out_of_range_is_refused_naming_it() {
        let h = Harness::new();
        for limit in [0, MAX_LIMIT + 1] {
            let refused = handle(query(EmployeeFilter::default(), limit), &h.hr, &h.ctx()).await;
            assert!(matches!(refused, Err(EmployeeError::Invalid { field, .. }) if field == "limit"));
        }
    }
}
