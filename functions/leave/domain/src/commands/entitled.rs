//! The [`Entitlement`] of an employee to a type of leave in a year, read
//! from the policy, their employment dates and the approved requests of
//! the year and the years before it (see [`crate::accrual`]).

use chrono::NaiveDate;
use hrms_employee::Employee;
use hrms_events::leave::LeaveStatus;

use crate::accrual::{CARRY_YEARS, Entitlement, YearUse, allowance, carried_into, days_by, expiry_in};
use crate::error::LeaveError;
use crate::model::{Balance, Leave, LeaveQuery};
use crate::policy::{LeaveType, Policy};
use crate::store::LeaveStore;

/// The most requests of one year looked at.
const MAX_REQUESTS: usize = 10_000;

/// What `employee` may take of `leave_type` in `year`.
pub async fn entitlement(
    employee: &Employee,
    leave_type: &str,
    year: i32,
    policy: &Policy,
    store: &dyn LeaveStore,
) -> Result<Entitlement, LeaveError> {
    let Some(rules) = policy.leave_type(leave_type) else {
        return Ok(Entitlement::allowance_only(0.0));
    };
    let (hired, terminated) = (employee.hire_date, employee.termination_date);
    let own = allowance(rules, year, hired, terminated);
    if rules.carry_over_cap <= 0.0 {
        return Ok(Entitlement::allowance_only(own));
    }
    let first = (year - CARRY_YEARS).max(chrono::Datelike::year(&hired));
    let mut years = Vec::new();
    for y in first..year {
        let expiry = expiry_in(rules, y);
        years.push(YearUse {
            allowance: allowance(rules, y, hired, terminated),
            taken: taken(employee, leave_type, y, store).await?,
            taken_by_expiry: taken_by(employee, leave_type, y, expiry, policy, store).await?,
        });
    }
    let expires = expiry_in(rules, year);
    Ok(Entitlement {
        allowance: own,
        carried: carried_into(rules.carry_over_cap, &years),
        expires,
        taken_by_expiry: taken_by(employee, leave_type, year, expires, policy, store).await?,
    })
}

/// The days approved of `leave_type` in `year` (its stored balance).
async fn taken(
    employee: &Employee,
    leave_type: &str,
    year: i32,
    store: &dyn LeaveStore,
) -> Result<f64, LeaveError> {
    let stored = store.balances(employee.employee_id, year).await?;
    Ok(stored.iter().find(|b| b.leave_type == leave_type).map_or(0.0, |b| b.taken))
}

/// The days approved of `leave_type` in `year` up to `day` (included).
async fn taken_by(
    employee: &Employee,
    leave_type: &str,
    year: i32,
    day: Option<NaiveDate>,
    policy: &Policy,
    store: &dyn LeaveStore,
) -> Result<f64, LeaveError> {
    let (Some(day), Some(first)) = (day, NaiveDate::from_ymd_opt(year, 1, 1)) else {
        return Ok(0.0);
    };
    let query = LeaveQuery {
        status: Some(LeaveStatus::Approved),
        from: Some(first),
        to: Some(day),
        ..LeaveQuery::of(employee.employee_id, MAX_REQUESTS)
    };
    let calendar = policy.calendar(&employee.country);
    let approved = store.list(&query).await?;
    Ok(approved
        .iter()
        .filter(|l| l.leave_type == leave_type)
        .map(|l| days_by(l, first, day, &calendar))
        .sum())
}

/// One year's part of a request: its days, the stored balance of its type
/// in that year, what that year's approved requests may take in all for
/// days on its first day in the year (`available`, as the balance report
/// counts), and with it among them (`limit`: carried days cover only its
/// days up to their expiry).
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub days: f64,
    pub balance: Balance,
    pub available: f64,
    pub limit: f64,
}

impl Part {
    /// What is left of the year's entitlement before the part is taken.
    pub fn left(&self) -> f64 {
        self.available - self.balance.taken
    }

    /// Refuses the part where its type may not go negative and the year
    /// has less left for it than it takes.
    pub fn fits(&self, rules: &LeaveType, leave_type: &str) -> Result<(), LeaveError> {
        let left = self.limit - self.balance.taken;
        if rules.may_go_negative || self.days <= left {
            return Ok(());
        }
        Err(LeaveError::conflict(
            "leave_type",
            format!(
                "{left} days of {leave_type} leave left in {} for these dates; the request takes {} there",
                self.balance.year, self.days
            ),
        ))
    }
}

/// The parts of `leave`, one per year it takes days in (the start date's
/// first), with what `employee` is entitled to in each; without the
/// employee, the policy's allowance of the type.
pub(crate) async fn parts(
    leave: &Leave,
    employee: Option<&Employee>,
    policy: &Policy,
    store: &dyn LeaveStore,
) -> Result<Vec<Part>, LeaveError> {
    let mut parts = Vec::new();
    for (year, days) in leave.parts() {
        let stored = store.balances(leave.employee_id, year).await?;
        let balance = stored
            .into_iter()
            .find(|b| b.leave_type == leave.leave_type)
            .unwrap_or_else(|| Balance::empty(leave.employee_id, &leave.leave_type, year));
        let new_year = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(leave.start_date);
        let (available, limit) = match employee {
            Some(employee) => {
                let entitled = entitlement(employee, &leave.leave_type, year, policy, store).await?;
                let calendar = policy.calendar(&employee.country);
                let by_expiry = entitled.expires.map_or(0.0, |e| days_by(leave, new_year, e, &calendar));
                (entitled.available_on(new_year.max(leave.start_date)), entitled.available_with(by_expiry))
            }
            None => {
                let allowance = policy.leave_type(&leave.leave_type).map_or(0.0, |t| t.allowance);
                (allowance, allowance)
            }
        };
        parts.push(Part { days, balance, available, limit });
    }
    Ok(parts)
}

/// The balances `parts` leave once each is charged `sign` times its days
/// (1: taken, -1: credited back).
pub(crate) fn charged(parts: &[Part], sign: f64) -> Vec<Balance> {
    parts.iter().map(|p| p.balance.taking(sign * p.days)).collect()
}

/// What is left in the first year of `parts` before and after each is
/// charged `sign` times its days: the balance events report.
pub(crate) fn left_in_first(parts: &[Part], sign: f64) -> (Option<f64>, Option<f64>) {
    parts.first().map_or((None, None), |p| (Some(p.left()), Some(p.left() - sign * p.days)))
}
