//! `balances`: an employee's balance of every type of leave in one year,
//! explained: the allowance (pro rata), the days carried over and when
//! they expire, what approved requests took, what pending ones ask for,
//! what carried days will expire untaken, and what is left today
//! ([`crate::accrual`]). For hr and admin, the employee, and their manager
//! (Employee says who that is, and whether the employee exists).

use chrono::NaiveDate;
use hrms_employee::Requester;
use hrms_events::Role;
use hrms_events::leave::LeaveStatus;
use uuid::Uuid;

use super::Context;
use super::entitled::entitlement;
use crate::error::LeaveError;
use crate::model::{Balances, LeaveQuery, TypeBalance};

pub async fn handle(
    employee_id: Uuid,
    year: i32,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Balances, LeaveError> {
    let Context { store, policy, employees, today } = *ctx;
    if requester.role == Role::Employee && !requester.is(employee_id) {
        return Err(LeaveError::Forbidden("employees see their own balances only".into()));
    }
    let (Some(first), Some(last)) =
        (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31))
    else {
        return Err(LeaveError::invalid("year", "not a year"));
    };
    let employee = employees.get(employee_id, requester).await?;
    let taken = store.balances(employee_id, year).await?;
    let pending = LeaveQuery {
        status: Some(LeaveStatus::Pending),
        from: Some(first),
        to: Some(last),
        ..LeaveQuery::of(employee_id, 1000)
    };
    let pending = store.list(&pending).await?;
    let mut balances = Vec::with_capacity(policy.types.len());
    for (name, rules) in &policy.types {
        let entitled = entitlement(&employee, name, year, policy, store).await?;
        let taken = taken.iter().find(|b| &b.leave_type == name).map_or(0.0, |b| b.taken);
        // An empty float sum is -0.0; `+ 0.0` shows it as 0.
        let pending =
            pending.iter().filter(|l| &l.leave_type == name).map(|l| l.days_in(year)).sum::<f64>() + 0.0;
        balances.push(TypeBalance {
            leave_type: name.clone(),
            allowance: entitled.allowance,
            carried: entitled.carried,
            carried_expires: entitled.expires.filter(|_| entitled.carried > 0.0),
            taken,
            pending,
            expiring: entitled.expiring(),
            remaining: entitled.available_on(today.max(first)) - taken,
            may_go_negative: rules.may_go_negative,
        });
    }
    Ok(Balances { employee_id, year, balances })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testing::Harness;
    use crate::fixtures::date;

    #[tokio::test]
    async fn taken_pending_and_left_per_type() {
        let h = Harness::new();
        let taken = h.request(date(2027, 3, 1), date(2027, 3, 5)).await;
        h.approve(taken.leave_id).await;
        h.request(date(2027, 4, 5), date(2027, 4, 6)).await;
        h.request_type("sick", date(2027, 6, 1), date(2027, 6, 1)).await;
        let id = h.employee.employee_id;
        for who in [h.hr, h.employee_requester(), h.manager()] {
            let report = handle(id, 2027, &who, &h.ctx()).await.expect("readable");
            let annual = report.balances.iter().find(|b| b.leave_type == "annual").expect("annual");
            assert_eq!(
                (annual.allowance, annual.taken, annual.pending, annual.remaining),
                (25.0, 5.0, 2.0, 20.0)
            );
            let sick = report.balances.iter().find(|b| b.leave_type == "sick").expect("sick");
            assert_eq!(
                (sick.taken, sick.pending, sick.remaining),
                (1.0, 0.0, 9.0),
                "approved when requested"
            );
            assert_eq!(report.balances.len(), h.policy.types.len());
        }
        let next = handle(id, 2028, &h.hr, &h.ctx()).await.expect("2028");
        assert!(next.balances.iter().all(|b| b.taken == 0.0 && b.pending == 0.0));
        // Zero is shown as 0, not -0 (an empty float sum is -0.0).
        assert!(next.balances.iter().all(|b| b.pending.is_sign_positive() && b.allowance.is_sign_positive()));
    }

    #[tokio::test]
    async fn others_and_unknown_employees_are_refused() {
        let h = Harness::new();
        let id = h.employee.employee_id;
        let colleague =
            Requester { user_id: Uuid::now_v7(), role: Role::Employee, employee_id: Some(Uuid::now_v7()) };
        assert!(matches!(handle(id, 2027, &colleague, &h.ctx()).await, Err(LeaveError::Forbidden(_))));
        let other_manager = Requester { role: Role::Manager, ..colleague };
        assert!(matches!(
            handle(id, 2027, &other_manager, &h.ctx()).await,
            Err(LeaveError::NotFound("employee"))
        ));
        assert!(matches!(
            handle(Uuid::now_v7(), 2027, &h.hr, &h.ctx()).await,
            Err(LeaveError::NotFound("employee"))
        ));
        h.employees_down();
        assert!(matches!(handle(id, 2027, &h.hr, &h.ctx()).await, Err(LeaveError::Unavailable(_))));
    }
}
