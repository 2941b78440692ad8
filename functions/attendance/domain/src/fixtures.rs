//! Valid inputs for the tests of this crate and of the adapters.

use hrms_employee::{Employee, Requester};
use hrms_events::Role;
use uuid::Uuid;

/// An active employee in `time_zone`, managed by `manager_id`.
pub fn employee(time_zone: &str, manager_id: Option<Uuid>) -> Employee {
    Employee { time_zone: time_zone.to_owned(), manager_id, ..hrms_employee::fixtures::employee() }
}

/// A requester with `role` and, if given, their own employee record.
pub fn requester(role: Role, employee_id: Option<Uuid>) -> Requester {
    Requester { user_id: Uuid::now_v7(), role, employee_id }
}
