//! Valid inputs for the tests of this crate and of the adapters.

use chrono::{SubsecRound, Utc};
use hrms_employee::fixtures::new_employee;
use hrms_employee::{Employee, Requester};
use hrms_events::Role;
use hrms_events::employee::EmployeeStatus;
use uuid::Uuid;

/// An active employee in `time_zone`, managed by `manager_id`.
pub fn employee(time_zone: &str, manager_id: Option<Uuid>) -> Employee {
    let new = new_employee();
    let now = Utc::now().trunc_subsecs(6);
    Employee {
        employee_id: Uuid::now_v7(),
        user_id: None,
        first_name: new.first_name,
        last_name: new.last_name,
        email: new.email,
        department: new.department,
        job_title: new.job_title,
        manager_id,
        country: new.country,
        time_zone: time_zone.to_owned(),
        weekly_hours: new.weekly_hours,
        hire_date: new.hire_date,
        date_of_birth: new.date_of_birth,
        status: EmployeeStatus::Active,
        termination_date: None,
        termination_reason: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// A requester with `role` and, if given, their own employee record.
pub fn requester(role: Role, employee_id: Option<Uuid>) -> Requester {
    Requester { user_id: Uuid::now_v7(), role, employee_id }
}
