//! A valid employee and an hr actor, for the tests of this crate and of the
//! adapters; tests change the one field they are about.

use chrono::NaiveDate;
use hrms_events::{Actor, Role};
use uuid::Uuid;

use crate::subject::EmployeeFacts;

/// An employee every rule allows: 36 years old at hire, 37.5 hours a week.
pub fn employee() -> EmployeeFacts {
    EmployeeFacts {
        employee_id: Uuid::now_v7(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        email: "ada@example.com".into(),
        department: "Engineering".into(),
        job_title: "Analyst".into(),
        country: "GB".into(),
        date_of_birth: NaiveDate::from_ymd_opt(1990, 12, 10),
        hire_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
        weekly_hours: 37.5,
        manager_id: Some(Uuid::now_v7()),
    }
}

/// An hr user acting.
pub fn hr() -> Actor {
    Actor::User { user_id: Uuid::now_v7(), role: Role::Hr }
}
