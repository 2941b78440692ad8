//! Request bodies the tests send, and the dates they ask leave for.

use chrono::{Datelike, Days, NaiveDate};
use hrms_events::employee::EmployeeTerminated;
use hrms_events::{HrmsEvent, Payload, fixtures};
use serde_json::{Value, json};

/// Mary Jackson's (`mary`, no manager) retirement on `on`, as hr records it.
pub fn mary_retires(mary: &str, on: NaiveDate) -> HrmsEvent {
    let terminated = EmployeeTerminated {
        email: "mary@example.com".into(),
        first_name: "Mary".into(),
        last_name: "Jackson".into(),
        reason: "Retired".into(),
        ..fixtures::termination(mary.parse().expect("a uuid"), on)
    };
    HrmsEvent::new(Payload::EmployeeTerminated(terminated), &fixtures::hr_actor())
}

/// The body of `POST /users` for an employee account with its employee record.
pub fn employee_account(email: &str, first: &str, last: &str) -> Value {
    account(email, first, last, "employee", None)
}

/// The body of `POST /users` for an account of `role` with its employee
/// record (in the US, hired on 2026-12-01), managed by `manager`.
pub fn account(email: &str, first: &str, last: &str, role: &str, manager: Option<&str>) -> Value {
    json!({
        "email": email, "full_name": format!("{first} {last}"), "role": role,
        "password": "a long enough passphrase",
        "employee": {
            "first_name": first, "last_name": last, "department": "Engineering",
            "job_title": "Engineer", "country": "US", "weekly_hours": 40, "hire_date": "2026-12-01",
            "manager_id": manager
        }
    })
}

/// The body of `POST /employees` for an engineer in the US, hired on 2026-12-01.
pub fn engineer(first: &str, last: &str, email: &str) -> Value {
    json!({
        "first_name": first, "last_name": last, "email": email, "department": "Engineering",
        "job_title": "Engineer", "country": "US", "weekly_hours": 40, "hire_date": "2026-12-01"
    })
}

/// Monday to Friday of the week `weeks` from now, within one year.
pub fn week(weeks: i64) -> (NaiveDate, NaiveDate) {
    let mut monday = chrono::Utc::now().date_naive() + chrono::Duration::weeks(weeks);
    while monday.weekday() != chrono::Weekday::Mon {
        monday = monday.pred_opt().expect("a date");
    }
    if (monday + Days::new(4)).year() != monday.year() {
        monday = monday + Days::new(7);
    }
    (monday, monday + Days::new(4))
}

/// The body of `POST /leaves`: annual leave from `start` to `end`.
pub fn annual_leave((start, end): (NaiveDate, NaiveDate)) -> Value {
    json!({ "leave_type": "annual", "start_date": start, "end_date": end, "reason": "Family visit" })
}
