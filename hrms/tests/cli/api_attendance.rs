//! Attendance: check-in and check-out in the employee's time zone, the
//! manager's corrections, worked hours per day, and a rest breach found by
//! Compliance and told to the manager and HR.

use hrms_events::Role;
use serde_json::{Value, json};

use crate::app::{TestApp, spawn_app};
use crate::client::Api;
use crate::running::Running;

/// Creates an account with `role` (and, for employees and managers, its
/// employee record in Berlin, managed by `manager_id`); answers the user id
/// and the employee id.
async fn create_account(
    api: &Api,
    admin: &str,
    role: &str,
    manager_id: Option<&str>,
) -> (String, Option<String>) {
    let name = format!("{role}.{}", uuid::Uuid::now_v7().simple());
    let mut new_user = json!({
        "email": format!("{name}@example.com"), "full_name": name, "role": role,
        "password": "a long enough passphrase",
    });
    if role != "hr" {
        new_user["employee"] = json!({
            "first_name": "Ada", "last_name": name, "department": "Engineering", "job_title": "Engineer",
            "country": "DE", "time_zone": "Europe/Berlin", "weekly_hours": 40, "hire_date": "2026-01-05",
            "manager_id": manager_id
        });
    }
    let answer = api.post("/users", Some(admin), Some(&new_user)).await;
    assert_eq!(answer.status, 201, "{answer}");
    let created = answer.json();
    let id = |field: &str| created[field].as_str().map(str::to_owned);
    (id("user_id").expect("a user id"), id("employee_id"))
}

/// Checks in and out twice; each check-in answers Berlin and refuses a
/// second one, and a check-out without a check-in is refused. The records.
async fn two_days(app: &TestApp, me: &str) -> Vec<String> {
    let mut records = Vec::new();
    for _ in 0..2 {
        let checked_in = app.api.post("/attendance/check-in", Some(me), None).await;
        assert_eq!(checked_in.status, 201, "{checked_in}");
        assert_eq!(checked_in.json()["time_zone"], "Europe/Berlin");
        let twice = app.api.post("/attendance/check-in", Some(me), None).await;
        assert!(twice.status == 409 && twice.is_problem(), "{twice}");
        let checked_out = app.api.post("/attendance/check-out", Some(me), None).await;
        assert_eq!(checked_out.status, 200, "{checked_out}");
        records.push(checked_out.json()["record_id"].as_str().expect("an id").to_owned());
    }
    let out = app.api.post("/attendance/check-out", Some(me), None).await;
    assert_eq!(out.status, 409, "not checked in: {out}");
    records
}

#[tokio::test(flavor = "multi_thread")]
async fn attendance_is_marked_and_the_manager_and_hr_are_told_of_a_rest_breach() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin);
    let (hr_user, _) = create_account(&app.api, &admin, "hr", None).await;
    let (manager_user, manager) = create_account(&app.api, &admin, "manager", None).await;
    let (ada_user, ada) = create_account(&app.api, &admin, "employee", manager.as_deref()).await;
    let ada = ada.expect("an employee record");
    let me = app.token_for(Role::Employee, &ada_user, Some(&ada));
    let boss = app.token_for(Role::Manager, &manager_user, manager.as_deref());
    let hr = app.token_for(Role::Hr, &hr_user, None);
    let records = two_days(&app, &me).await;

    // The manager corrects both: 08:00 to 20:00 UTC three days ago (12 h),
    // then 02:00 to 06:00 the next night: 6 hours of rest.
    let day = (chrono::Utc::now() - chrono::Duration::days(3)).date_naive();
    let at = |d: chrono::NaiveDate, h: u32| format!("{d}T{h:02}:00:00Z");
    let next = day.succ_opt().expect("a day");
    let fixes = [(&records[0], at(day, 8), at(day, 20)), (&records[1], at(next, 2), at(next, 6))];
    let fix = |from: &str, to: &str| json!({ "check_in": from, "check_out": to, "reason": "badge reader was down" });
    let (id, from, to) = &fixes[0];
    let refused = app.api.patch(&format!("/attendance/{id}"), &me, &fix(from, to)).await;
    assert_eq!(refused.status, 403, "not by the employee: {refused}");
    for (id, from, to) in &fixes {
        let fixed = app.api.patch(&format!("/attendance/{id}"), &boss, &fix(from, to)).await;
        assert_eq!(fixed.status, 200, "{fixed}");
    }
    app.published(&["attendance.updated", "compliance.violation"]).await;

    // Worked hours in Ada's own days (Berlin: 09:00 to 21:00, then 03:00 to 07:00).
    let listed = app.api.get(&format!("/attendance?from={day}&to={next}"), Some(&me)).await.json();
    let days: Vec<(String, i64)> = listed["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| {
            (d["date"].as_str().unwrap_or_default().to_owned(), d["worked_minutes"].as_i64().unwrap_or(0))
        })
        .collect();
    assert_eq!(days, [(day.to_string(), 720), (next.to_string(), 240)], "{listed}");

    // What was found in the attendance (the account's own check found its
    // missing date of birth).
    let rules = |checks: &Value| -> Vec<String> {
        let attendance =
            checks.as_array().into_iter().flatten().filter(|c| c["subject_kind"] == "attendance");
        attendance.filter_map(|c| c["findings"][0]["rule_id"].as_str().map(str::to_owned)).collect()
    };
    let path = format!("/compliance/violations?employee_id={ada}");
    let breach = |v: &Value| rules(v).iter().any(|r| r == "rest_period");
    let findings = app.api.poll(&path, &hr, "the rest breach", breach).await;
    assert_eq!(rules(&findings), ["rest_period", "daily_hours"], "newest first: {findings}");
    for (who, token) in [("the manager", &boss), ("hr", &hr)] {
        let told = |inbox: &Value| {
            inbox.as_array().into_iter().flatten().any(|n| n["event_type"] == "compliance.violation")
        };
        app.api.poll("/notifications", token, &format!("{who}'s notice"), told).await;
    }
    let stranger = app.token(Role::Employee);
    assert_eq!(app.api.get("/compliance/violations", Some(&stranger)).await.status, 403);
    app.stop().await;
}
