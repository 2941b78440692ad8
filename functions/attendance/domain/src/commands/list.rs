//! `list`: records and worked hours over a range of days. An employee sees
//! their own, a manager their reports' (as Employee says, asked
//! synchronously) and their own, hr and admin everyone's. Days are the
//! employee's local days (the time zone of each record): a record belongs
//! to the day it was checked in on, and its worked time is counted on the
//! days it was worked, split at local midnight; records still open count
//! once closed. Weeks are ISO weeks, summed over the days in the range.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use hrms_compliance::worked::{daily_totals, hours, iso_week, local_date, weekly_totals, zone};
use hrms_employee::{EmployeeClient, EmployeeError, Requester};
use hrms_events::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Context;
use crate::error::AttendanceError;
use crate::model::AttendanceRecord;
use crate::store::RecordsQuery;

/// Days listed when the range is not given.
pub const DEFAULT_DAYS: i64 = 7;
/// The longest range, in days.
pub const MAX_DAYS: i64 = 366;
/// The most records one listing returns.
pub const MAX_RECORDS: usize = 5000;
/// The first day a range may name (the first of the 4-digit years a
/// `YYYY-MM-DD` date has, so that no arithmetic on it overflows).
pub const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date");
/// The last day a range may name.
pub const LATEST: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

/// What to list: whose (everyone's for hr when absent, else the caller's
/// own), and the first and last local day (the last 7 days to today, UTC,
/// when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub employee_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The records in the range, and the worked time per day and week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Listing {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// By check-in.
    pub records: Vec<AttendanceRecord>,
    /// Each employee's days with worked time, by date.
    pub days: Vec<DayTotal>,
    /// Each employee's ISO weeks with worked time in the range.
    pub weeks: Vec<WeekTotal>,
}

/// Worked time on one local day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayTotal {
    pub employee_id: Uuid,
    pub date: NaiveDate,
    pub worked_minutes: i64,
    pub worked_hours: f64,
}

/// Worked time in one ISO week (its days in the range).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekTotal {
    pub employee_id: Uuid,
    /// E.g. `2027-W01`.
    pub week: String,
    /// Its Monday.
    pub starts: NaiveDate,
    pub worked_minutes: i64,
    pub worked_hours: f64,
}

pub async fn handle(
    query: ListQuery,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Listing, AttendanceError> {
    let Context { store, employees, now } = *ctx;
    let employee_id = whose(query.employee_id, requester, employees).await?;
    for (name, day) in [("from", query.from), ("to", query.to)] {
        if day.is_some_and(|d| !(EARLIEST..=LATEST).contains(&d)) {
            return Err(AttendanceError::invalid(name, format!("a day from {EARLIEST} to {LATEST}")));
        }
    }
    let to = query.to.unwrap_or_else(|| now.date_naive());
    let from = query.from.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
    if from > to {
        return Err(AttendanceError::invalid("from", "from is after to"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AttendanceError::invalid("to", format!("a range spans at most {MAX_DAYS} days")));
    }
    // Local days begin within 14 hours of UTC midnight, either way.
    let margin = Duration::hours(14);
    let range = RecordsQuery {
        employee_id,
        from: from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - margin,
        to: (to + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + margin,
        limit: MAX_RECORDS + 1,
    };
    let mut records = store.list(&range).await?;
    if records.len() > MAX_RECORDS {
        return Err(AttendanceError::invalid(
            "to",
            format!("more than {MAX_RECORDS} records in the range: narrow it, or name an employee"),
        ));
    }
    records.retain(|r| (from..=to).contains(&local_date(r.check_in, zone(&r.time_zone))));
    let (days, weeks) = totals(&records, from, to);
    Ok(Listing { from, to, records, days, weeks })
}

/// The employee whose records the requester may list (`None`: everyone's).
async fn whose(
    wanted: Option<Uuid>,
    requester: &Requester,
    employees: &dyn EmployeeClient,
) -> Result<Option<Uuid>, AttendanceError> {
    let Some(id) = wanted else {
        if requester.is_hr() {
            return Ok(None);
        }
        return requester.employee_id.map(Some).ok_or_else(|| {
            AttendanceError::invalid("employee_id", "name the employee whose attendance to list")
        });
    };
    if requester.is_hr() || requester.is(id) {
        return Ok(Some(id));
    }
    let refused =
        || AttendanceError::Forbidden("only their manager, hr and admin see someone's attendance".into());
    if requester.role != Role::Manager {
        return Err(refused());
    }
    match employees.get(id, requester).await {
        Ok(employee) if requester.manages(employee.manager_id) => Ok(Some(id)),
        Ok(_) | Err(EmployeeError::NotFound | EmployeeError::Forbidden(_)) => Err(refused()),
        Err(e) => Err(e.into()),
    }
}

/// Each employee's worked time per local day within `from..=to`, and per
/// ISO week of those days.
fn totals(records: &[AttendanceRecord], from: NaiveDate, to: NaiveDate) -> (Vec<DayTotal>, Vec<WeekTotal>) {
    let mut by_employee: BTreeMap<Uuid, Vec<&AttendanceRecord>> = BTreeMap::new();
    for r in records {
        by_employee.entry(r.employee_id).or_default().push(r);
    }
    let (mut days, mut weeks) = (Vec::new(), Vec::new());
    for (employee_id, records) in by_employee {
        let mut daily = daily_totals(
            records.iter().filter_map(|r| r.check_out.map(|out| (r.check_in, out, zone(&r.time_zone)))),
        );
        daily.retain(|date, _| (from..=to).contains(date));
        let minutes = |seconds: i64| (seconds / 60, hours(seconds));
        for (date, seconds) in &daily {
            let (worked_minutes, worked_hours) = minutes(*seconds);
            days.push(DayTotal { employee_id, date: *date, worked_minutes, worked_hours });
        }
        for (starts, seconds) in weekly_totals(&daily) {
            let (worked_minutes, worked_hours) = minutes(seconds);
            weeks.push(WeekTotal {
                employee_id,
                week: iso_week(starts),
                starts,
                worked_minutes,
                worked_hours,
            });
        }
    }
    (days, weeks)
}

#[cfg(test)]
mod tests;
