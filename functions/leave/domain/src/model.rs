//! The leave request and balance records, and the inputs of the commands.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use hrms_events::leave::{HalfDay, LeaveSnapshot, LeaveStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A request for time off, as the Leave function keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Leave {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    /// Who decides (with hr and admin): the employee's manager (an employee
    /// id) when the request was made.
    pub approver_id: Option<Uuid>,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Set for half a day: then `start_date` is `end_date`.
    pub half_day: Option<HalfDay>,
    /// Working days taken: weekends and the holidays of the employee's
    /// country left out, 0.5 for a half day.
    pub days: f64,
    /// Of `days`, those in the year after the start date's (a request
    /// across 31 December): that year's balance is charged them, the
    /// start date's year the rest ([`Leave::parts`]). Absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_year_days: Option<f64>,
    pub status: LeaveStatus,
    pub reason: Option<String>,
    /// The user who made the request.
    pub requested_by: Uuid,
    /// The user who approved, rejected or cancelled it (cancelled because
    /// the employment ended: the user who ended it, if a user did).
    pub decided_by: Option<Uuid>,
    /// Why it was rejected or cancelled.
    pub decision_note: Option<String>,
    /// 1 when requested, one more with every change.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Leave {
    /// Pending or approved: it holds its days.
    pub fn is_active(&self) -> bool {
        matches!(self.status, LeaveStatus::Pending | LeaveStatus::Approved)
    }

    /// The year of its start date, whose balance it draws on (with the
    /// next one's for a request across 31 December: [`Leave::parts`]).
    pub fn year(&self) -> i32 {
        self.start_date.year()
    }

    /// The working days it takes in each year, the start date's first;
    /// a year it takes no working day in is left out.
    pub fn parts(&self) -> Vec<(i32, f64)> {
        let next = self.next_year_days.unwrap_or(0.0);
        [(self.year(), self.days - next), (self.year() + 1, next)]
            .into_iter()
            .filter(|(_, days)| *days > 0.0)
            .collect()
    }

    /// The working days it takes in `year`.
    pub fn days_in(&self, year: i32) -> f64 {
        self.parts().iter().filter(|(y, _)| *y == year).map(|(_, days)| days).sum()
    }

    /// Whether the two hold a day in common: both active, of one employee,
    /// their dates meeting, unless they are the opposite halves of one day.
    pub fn overlaps(&self, other: &Leave) -> bool {
        if self.leave_id == other.leave_id || self.employee_id != other.employee_id {
            return false;
        }
        if !self.is_active() || !other.is_active() {
            return false;
        }
        if self.start_date > other.end_date || other.start_date > self.end_date {
            return false;
        }
        !matches!((self.half_day, other.half_day), (Some(a), Some(b)) if a != b)
    }

    /// The request as events carry it, with the balance left of its type.
    pub fn snapshot(&self, balance_after: Option<f64>) -> LeaveSnapshot {
        LeaveSnapshot {
            leave_id: self.leave_id,
            employee_id: self.employee_id,
            approver_id: self.approver_id,
            leave_type: self.leave_type.clone(),
            start_date: self.start_date,
            end_date: self.end_date,
            half_day: self.half_day,
            days: self.days,
            status: self.status,
            reason: self.reason.clone(),
            balance_after,
            version: self.version,
        }
    }
}

/// A request for time off. Without `employee_id`, for the caller's own
/// employee record; without `end_date`, for one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewLeave {
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    )]
    pub employee_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub leave_type: String,
    pub start_date: NaiveDate,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub half_day: Option<HalfDay>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub reason: Option<String>,
}

/// Why a request is rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1000, pattern = r"\S"))]
    pub reason: String,
}

/// Why a request is cancelled, if the caller says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub reason: Option<String>,
}

/// What an employee has taken of one type of leave in one year: the days
/// of its approved requests. Each write adds one to `version` (0: nothing
/// stored yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    pub employee_id: Uuid,
    pub leave_type: String,
    pub year: i32,
    pub taken: f64,
    pub version: u64,
}

impl Balance {
    /// Nothing taken yet.
    pub fn empty(employee_id: Uuid, leave_type: &str, year: i32) -> Self {
        Self { employee_id, leave_type: leave_type.to_owned(), year, taken: 0.0, version: 0 }
    }

    /// This balance with `days` more taken (fewer when negative), as the
    /// next write stores it.
    pub fn taking(&self, days: f64) -> Self {
        Self { taken: self.taken + days, version: self.version + 1, ..self.clone() }
    }
}

/// An employee's balances in one year, one per type of the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({
        "employee_id": "0190a5c4-7f3e-7b2a-9c1d-2e3f4a5b6c7d", "year": 2027,
        "balances": [{
            "leave_type": "annual", "allowance": 13.0, "carried": 5.0, "carried_expires": "2027-03-31",
            "taken": 7.0, "pending": 2.0, "expiring": 0.0, "remaining": 11.0, "may_go_negative": false
        }, {
            "leave_type": "sick", "allowance": 5.0, "carried": 0.0, "carried_expires": null,
            "taken": 1.0, "pending": 0.0, "expiring": 0.0, "remaining": 4.0, "may_go_negative": true
        }]
    }))
)]
pub struct Balances {
    pub employee_id: Uuid,
    pub year: i32,
    pub balances: Vec<TypeBalance>,
}

/// One type's balance in the year, explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({
        "leave_type": "annual", "allowance": 13.0, "carried": 5.0, "carried_expires": "2027-03-31",
        "taken": 7.0, "pending": 2.0, "expiring": 0.0, "remaining": 11.0, "may_go_negative": false
    }))
)]
pub struct TypeBalance {
    pub leave_type: String,
    /// Working days of the year: the policy's allowance pro rata to the
    /// days employed in the year, rounded up to the next half day.
    pub allowance: f64,
    /// Unused days of the year before carried into this one (at most the
    /// type's cap).
    pub carried: f64,
    /// The last day carried days may be taken on; absent when none were
    /// carried.
    pub carried_expires: Option<NaiveDate>,
    /// The days of approved requests (those up to `carried_expires` drawn
    /// on the carried days first).
    pub taken: f64,
    /// The days of requests waiting for a decision.
    pub pending: f64,
    /// Carried days not taken: they are gone after `carried_expires`.
    pub expiring: f64,
    /// `allowance + carried - taken`, less the carried days expired by
    /// today: below zero only where the type may go negative.
    pub remaining: f64,
    pub may_go_negative: bool,
}

/// Which requests to list: every condition given must hold. Newest start
/// date first.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveQuery {
    pub employee_id: Option<Uuid>,
    /// Requests this approver decides (the employees they manage).
    pub approver_id: Option<Uuid>,
    pub status: Option<LeaveStatus>,
    /// Requests ending on or after this date.
    pub from: Option<NaiveDate>,
    /// Requests starting on or before this date.
    pub to: Option<NaiveDate>,
    pub limit: usize,
}

impl LeaveQuery {
    /// Every request of `employee_id`, up to `limit`.
    pub fn of(employee_id: Uuid, limit: usize) -> Self {
        Self { employee_id: Some(employee_id), approver_id: None, status: None, from: None, to: None, limit }
    }

    /// Whether `leave` is one of the requests asked for.
    pub fn matches(&self, leave: &Leave) -> bool {
        self.employee_id.is_none_or(|id| leave.employee_id == id)
            && self.approver_id.is_none_or(|id| leave.approver_id == Some(id))
            && self.status.is_none_or(|s| leave.status == s)
            && self.from.is_none_or(|from| leave.end_date >= from)
            && self.to.is_none_or(|to| leave.start_date <= to)
    }
}

/// The order of listings: newest start date first, then newest request.
pub fn newest_first(a: &Leave, b: &Leave) -> std::cmp::Ordering {
    (b.start_date, b.leave_id).cmp(&(a.start_date, a.leave_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::leave;

    fn on(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, day).expect("date")
    }

    #[test]
    fn requests_overlap_when_they_hold_a_day_in_common() {
        let employee = Uuid::now_v7();
        let a = leave(employee, on(1), on(5));
        assert!(a.overlaps(&leave(employee, on(5), on(9))), "sharing the last day");
        assert!(a.overlaps(&leave(employee, on(2), on(3))), "inside");
        assert!(!a.overlaps(&leave(employee, on(6), on(9))), "the day after");
        assert!(!a.overlaps(&leave(Uuid::now_v7(), on(1), on(5))), "someone else");
        let rejected = Leave { status: LeaveStatus::Rejected, ..leave(employee, on(1), on(5)) };
        assert!(!a.overlaps(&rejected), "a rejected request holds nothing");
        assert!(!a.overlaps(&a), "not itself");
    }

    #[test]
    fn opposite_halves_of_one_day_do_not_overlap() {
        let employee = Uuid::now_v7();
        let half = |h| Leave { half_day: Some(h), ..leave(employee, on(3), on(3)) };
        let (morning, afternoon) = (half(HalfDay::FirstHalf), half(HalfDay::SecondHalf));
        assert!(!morning.overlaps(&afternoon));
        assert!(morning.overlaps(&half(HalfDay::FirstHalf)), "the same half");
        assert!(morning.overlaps(&leave(employee, on(3), on(3))), "a whole day");
        assert!(afternoon.overlaps(&leave(employee, on(1), on(5))), "a range around it");
    }

    #[test]
    fn a_query_matches_every_condition_given() {
        let l = leave(Uuid::now_v7(), on(10), on(12));
        let all = LeaveQuery { employee_id: None, ..LeaveQuery::of(l.employee_id, 10) };
        assert!(all.matches(&l));
        assert!(LeaveQuery { from: Some(on(12)), to: Some(on(10)), ..all.clone() }.matches(&l));
        assert!(!LeaveQuery { from: Some(on(13)), ..all.clone() }.matches(&l));
        assert!(!LeaveQuery { to: Some(on(9)), ..all.clone() }.matches(&l));
        assert!(!LeaveQuery { status: Some(LeaveStatus::Approved), ..all.clone() }.matches(&l));
        assert!(!LeaveQuery { approver_id: Some(Uuid::now_v7()), ..all }.matches(&l));
        assert!(!LeaveQuery::of(Uuid::now_v7(), 10).matches(&l));
    }
}
