//! Valid inputs for the tests of this crate and of the adapters.

use chrono::NaiveDate;
use hrms_events::Role;
use uuid::Uuid;

use crate::commands::create;
use crate::model::{Employee, NewEmployee};
use hrms_platform::Requester;

/// A new employee every default rule allows.
pub fn new_employee() -> NewEmployee {
    NewEmployee {
        employee_id: None,
        user_id: None,
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        email: format!("ada.{}@example.com", Uuid::now_v7().simple()),
        department: "Engineering".into(),
        job_title: "Analyst".into(),
        manager_id: Some(Uuid::now_v7()),
        country: "GB".into(),
        time_zone: "Europe/London".into(),
        weekly_hours: 37.5,
        hire_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
        date_of_birth: NaiveDate::from_ymd_opt(1990, 12, 10),
    }
}

/// The stored record of a new employee every default rule allows (version 1).
pub fn employee() -> Employee {
    create::record(new_employee())
}

/// A requester with `role` and no employee record.
pub fn requester(role: Role) -> Requester {
    Requester { user_id: Uuid::now_v7(), role, employee_id: None }
}
