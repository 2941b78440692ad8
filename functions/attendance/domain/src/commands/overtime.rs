//! `overtime`: worked time against the contract, per ISO week or calendar
//! month. One employee's (their own; a manager's reports'; anyone's for hr
//! and admin), or a manager's team (the manager themselves, hr and admin):
//! their reports as Employee lists them (`GET /employees?manager_id=`, every
//! page), those employed at some time in the range, each read from the
//! store by itself.
//!
//! Worked time is counted as the listing counts it: closed records, on the
//! local days of each record's own time zone, split at local midnight
//! (`hrms_compliance::worked`). The contract is the employee's current
//! `weekly_hours`, spread evenly over the days of the week: a week owes
//! `weekly_hours`, a month `weekly_hours × days / 7`, and days before the
//! hire date or after the termination date owe nothing. Overtime is the
//! worked time above what the period owes (never negative). The range is
//! widened to whole periods: from the start of the week or month holding
//! `from` to the end of the one holding `to`.

use chrono::{Datelike, Duration, Months, NaiveDate};
use futures::{StreamExt, TryStreamExt};
use hrms_compliance::worked::{daily_totals, hours, iso_week, monday, zone};
use hrms_employee::listing::{EmployeeFilter, EmployeeQuery, MAX_LIMIT};
use hrms_employee::{Employee, EmployeeClient, EmployeeError, Requester};
use hrms_events::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Context;
use super::list::{EARLIEST, LATEST, MAX_DAYS, MAX_RECORDS};
use crate::error::AttendanceError;
use crate::model::AttendanceRecord;
use crate::store::RecordsQuery;

/// Periods summed when the range is not given: the four weeks, or three
/// months, up to the one holding `to`.
pub const DEFAULT_WEEKS: i64 = 4;
pub const DEFAULT_MONTHS: u32 = 3;

/// The largest team summed at once.
pub const MAX_TEAM: usize = 1000;

/// Reports whose records are read at the same time.
const READS_AT_ONCE: usize = 8;

/// What overtime is summed over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// ISO weeks, Monday to Sunday.
    #[default]
    Week,
    /// Calendar months.
    Month,
}

impl Period {
    /// The first day of the period holding `date`.
    fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Week => monday(date),
            Period::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The last day of the period holding `date`.
    fn end(self, date: NaiveDate) -> NaiveDate {
        let start = self.start(date);
        match self {
            Period::Week => start + Duration::days(6),
            Period::Month => {
                start.checked_add_months(Months::new(1)).map_or(start, |next| next - Duration::days(1))
            }
        }
    }

    /// Its name: `2027-W01`, `2027-01`.
    fn name(self, start: NaiveDate) -> String {
        match self {
            Period::Week => iso_week(start),
            Period::Month => start.format("%Y-%m").to_string(),
        }
    }
}

/// Whose overtime, per what, over which local days (the caller's own over
/// the last four weeks when all is absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OvertimeQuery {
    pub employee_id: Option<Uuid>,
    /// A manager's team instead of one employee.
    pub manager_id: Option<Uuid>,
    pub period: Period,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The overtime of each employee asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overtime {
    pub period: Period,
    /// The first day of the first period.
    pub from: NaiveDate,
    /// The last day of the last period.
    pub to: NaiveDate,
    /// By employee id.
    pub employees: Vec<EmployeeOvertime>,
}

/// One employee's worked time and overtime, per period and in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmployeeOvertime {
    pub employee_id: Uuid,
    /// The contracted hours per week the periods are held against.
    pub weekly_hours: f64,
    /// Every period of the range, in order.
    pub periods: Vec<PeriodOvertime>,
    pub worked_minutes: i64,
    pub contracted_minutes: i64,
    /// The sum of the periods' overtime (a short week does not offset a long one).
    pub overtime_minutes: i64,
    pub overtime_hours: f64,
}

/// Worked, owed and overtime in one week or month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodOvertime {
    /// E.g. `2027-W01` or `2027-01`.
    pub period: String,
    pub starts: NaiveDate,
    pub ends: NaiveDate,
    pub worked_minutes: i64,
    pub worked_hours: f64,
    /// What the contract asks for in the period (days employed only).
    pub contracted_minutes: i64,
    /// `worked_minutes - contracted_minutes`, or 0.
    pub overtime_minutes: i64,
    pub overtime_hours: f64,
}

pub async fn handle(
    query: OvertimeQuery,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Overtime, AttendanceError> {
    let Context { store, employees, now } = *ctx;
    let (from, to) = range(&query, now.date_naive())?;
    let whose = match query.manager_id {
        Some(manager_id) if query.employee_id.is_none() => {
            let manages = requester.role == Role::Manager && requester.is(manager_id);
            if !(requester.is_hr() || manages) {
                return Err(AttendanceError::Forbidden(
                    "only the manager themselves, hr and admin see a team's overtime".into(),
                ));
            }
            None
        }
        Some(_) => {
            return Err(AttendanceError::invalid("manager_id", "name an employee or a manager, not both"));
        }
        None => {
            let id = query.employee_id.or(requester.employee_id).ok_or_else(|| {
                AttendanceError::invalid("employee_id", "name the employee whose overtime to sum")
            })?;
            Some(employee(id, requester, employees).await?)
        }
    };
    let people = match whose {
        Some(one) => vec![one],
        None => team(query.manager_id, (from, to), requester, employees).await?,
    };
    let period = query.period;
    let summaries = futures::stream::iter(people)
        .map(|e: Employee| async move {
            let records = records(store, e.employee_id, from, to).await?;
            let records: Vec<&AttendanceRecord> = records.iter().collect();
            Ok::<_, AttendanceError>(summarize(period, from, to, &e, &records))
        })
        .buffered(READS_AT_ONCE)
        .try_collect()
        .await?;
    Ok(Overtime { period: query.period, from, to, employees: summaries })
}

/// The records of `employee_id` that may fall on the local days `from` to
/// `to` (local days begin within 14 hours of UTC midnight, either way).
async fn records(
    store: &dyn crate::store::AttendanceStore,
    employee_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AttendanceRecord>, AttendanceError> {
    let margin = Duration::hours(14);
    let range = RecordsQuery {
        employee_id: Some(employee_id),
        from: from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - margin,
        to: (to + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + margin,
        limit: MAX_RECORDS + 1,
    };
    let records = store.list(&range).await?;
    if records.len() > MAX_RECORDS {
        return Err(AttendanceError::invalid(
            "to",
            format!("more than {MAX_RECORDS} records of one employee in the range: narrow it"),
        ));
    }
    Ok(records)
}

/// The range asked for, checked, widened to whole periods.
fn range(query: &OvertimeQuery, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), AttendanceError> {
    for (name, day) in [("from", query.from), ("to", query.to)] {
        if day.is_some_and(|d| !(EARLIEST..=LATEST).contains(&d)) {
            return Err(AttendanceError::invalid(name, format!("a day from {EARLIEST} to {LATEST}")));
        }
    }
    let period = query.period;
    let to = query.to.unwrap_or(today);
    let from = query.from.unwrap_or_else(|| match period {
        Period::Week => period.start(to) - Duration::weeks(DEFAULT_WEEKS - 1),
        Period::Month => period.start(to).checked_sub_months(Months::new(DEFAULT_MONTHS - 1)).unwrap_or(to),
    });
    if from > to {
        return Err(AttendanceError::invalid("from", "from is after to"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AttendanceError::invalid("to", format!("a range spans at most {MAX_DAYS} days")));
    }
    Ok((period.start(from), period.end(to)))
}

/// The employee `id`, if the requester may see their overtime.
async fn employee(
    id: Uuid,
    requester: &Requester,
    employees: &dyn EmployeeClient,
) -> Result<Employee, AttendanceError> {
    let refused =
        || AttendanceError::Forbidden("only they, their manager, hr and admin see someone's overtime".into());
    let mine = requester.is_hr() || requester.is(id);
    if !mine && requester.role != Role::Manager {
        return Err(refused());
    }
    match employees.get(id, requester).await {
        Ok(employee) if mine || requester.manages(employee.manager_id) => Ok(employee),
        Ok(_) => Err(refused()),
        Err(EmployeeError::NotFound | EmployeeError::Forbidden(_)) if !mine => Err(refused()),
        Err(e) => Err(e.into()),
    }
}

/// The reports of `manager_id` as Employee lists them to the requester,
/// every page, who were employed at some time within `from..=to`.
async fn team(
    manager_id: Option<Uuid>,
    (from, to): (NaiveDate, NaiveDate),
    requester: &Requester,
    employees: &dyn EmployeeClient,
) -> Result<Vec<Employee>, AttendanceError> {
    let filter = EmployeeFilter { manager_id, ..EmployeeFilter::default() };
    let mut query = EmployeeQuery { filter, cursor: None, limit: MAX_LIMIT };
    let mut reports = Vec::new();
    loop {
        let page = employees.list(&query, requester).await.map_err(|e| match e {
            EmployeeError::Forbidden(_) => AttendanceError::Forbidden(
                "only the manager themselves, hr and admin see a team's overtime".into(),
            ),
            e => e.into(),
        })?;
        reports.extend(page.employees.into_iter().filter(|e| {
            e.manager_id == manager_id
                && e.hire_date <= to
                && e.termination_date.is_none_or(|last| last >= from)
        }));
        if reports.len() > MAX_TEAM {
            return Err(AttendanceError::invalid("manager_id", format!("a team of more than {MAX_TEAM}")));
        }
        match page.next_cursor {
            Some(next) => query.cursor = Some(next),
            None => {
                reports.sort_by_key(|e| e.employee_id);
                return Ok(reports);
            }
        }
    }
}

/// `employee`'s worked time from `records` per period of `from..=to`
/// against their contract. Pure: the rules of the module doc.
pub fn summarize(
    period: Period,
    from: NaiveDate,
    to: NaiveDate,
    employee: &Employee,
    records: &[&AttendanceRecord],
) -> EmployeeOvertime {
    let closed = records.iter().filter_map(|r| r.check_out.map(|out| (r.check_in, out, zone(&r.time_zone))));
    let daily = daily_totals(closed);
    let employed = |day: NaiveDate| {
        day >= employee.hire_date && employee.termination_date.is_none_or(|last| day <= last)
    };
    let per_day = employee.weekly_hours.max(0.0) * 60.0 / 7.0;
    let mut periods = Vec::new();
    let mut start = period.start(from);
    while start <= to {
        let ends = period.end(start);
        let worked: i64 = daily.range(start..=ends).map(|(_, s)| s).sum();
        let days = start.iter_days().take_while(|d| *d <= ends).filter(|d| employed(*d)).count();
        let owed = (per_day * days as f64).round() as i64;
        let over = (worked / 60 - owed).max(0);
        periods.push(PeriodOvertime {
            period: period.name(start),
            starts: start,
            ends,
            worked_minutes: worked / 60,
            worked_hours: hours(worked),
            contracted_minutes: owed,
            overtime_minutes: over,
            overtime_hours: hours(over * 60),
        });
        start = ends + Duration::days(1);
    }
    let sum = |f: fn(&PeriodOvertime) -> i64| periods.iter().map(f).sum::<i64>();
    let overtime_minutes = sum(|p| p.overtime_minutes);
    EmployeeOvertime {
        employee_id: employee.employee_id,
        weekly_hours: employee.weekly_hours,
        worked_minutes: sum(|p| p.worked_minutes),
        contracted_minutes: sum(|p| p.contracted_minutes),
        overtime_minutes,
        overtime_hours: hours(overtime_minutes * 60),
        periods,
    }
}

#[cfg(test)]
mod tests;
