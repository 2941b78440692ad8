//! Valid records and inputs for the tests of this crate and of the adapters.

use chrono::{NaiveDate, SubsecRound, Utc};
use hrms_employee::Employee;
use hrms_events::leave::LeaveStatus;
use uuid::Uuid;

use crate::model::{Leave, NewLeave};

/// A date (panics on an impossible one: for tests).
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("no such date {y}-{m}-{d}"))
}

/// A pending request of `employee_id` from `start` to `end` (one day per
/// calendar day: the store does not count).
pub fn leave(employee_id: Uuid, start: NaiveDate, end: NaiveDate) -> Leave {
    let now = Utc::now().trunc_subsecs(6);
    Leave {
        leave_id: Uuid::now_v7(),
        employee_id,
        approver_id: Some(Uuid::now_v7()),
        leave_type: "annual".into(),
        start_date: start,
        end_date: end,
        half_day: None,
        days: ((end - start).num_days() + 1) as f64,
        next_year_days: None,
        status: LeaveStatus::Pending,
        reason: Some("Time off".into()),
        requested_by: Uuid::now_v7(),
        decided_by: None,
        decision_note: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// An annual leave request of `employee_id` from `start` to `end`.
pub fn new_leave(employee_id: Option<Uuid>, start: NaiveDate, end: NaiveDate) -> NewLeave {
    NewLeave {
        employee_id,
        leave_type: "annual".into(),
        start_date: start,
        end_date: Some(end),
        half_day: None,
        reason: Some("Family visit".into()),
    }
}

/// An active employee in Great Britain with an account and a manager,
/// hired on 5 January 2026.
pub fn employee() -> Employee {
    Employee {
        user_id: Some(Uuid::now_v7()),
        manager_id: Some(Uuid::now_v7()),
        country: "GB".into(),
        hire_date: date(2026, 1, 5),
        ..hrms_employee::fixtures::employee()
    }
}
