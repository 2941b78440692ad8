//! Overtime end to end: a week of nine-hour days (set by the manager's
//! corrections) shows as overtime against the contract in the summary, to
//! the employee and to their manager's team view, and Compliance alerts on
//! it once, having learnt the contract from `employee.created`: in the
//! process (in-process bus) and over the broker (`hrms dev` on Kafka).

use chrono::{Datelike, Duration, NaiveDate, Utc};
use hrms_events::Role;
use serde_json::{Value, json};

use hrms_e2e::{Broker, TempDir};

use crate::app::spawn_app;
use crate::binary::{Dev, dev, on_kafka};
use crate::client::Api;
use crate::running::Running;

/// An account with `role` and, unless hr, an employee record in Berlin on
/// 40 hours a week managed by `manager_id`: the user id and employee id.
async fn account(api: &Api, admin: &str, role: &str, manager_id: Option<&str>) -> (String, Option<String>) {
    let name = format!("{role}.{}", uuid::Uuid::now_v7().simple());
    let mut new_user = json!({
        "email": format!("{name}@example.com"), "full_name": name, "role": role,
        "password": "a long enough passphrase",
    });
    if role != "hr" {
        new_user["employee"] = json!({
            "first_name": "Ada", "last_name": name, "department": "Engineering", "job_title": "Engineer",
            "country": "DE", "time_zone": "Europe/Berlin", "weekly_hours": 40, "hire_date": "2026-01-05",
            "date_of_birth": "1990-01-01", "manager_id": manager_id
        });
    }
    let answer = api.post("/users", Some(admin), Some(&new_user)).await;
    assert_eq!(answer.status, 201, "{answer}");
    let created = answer.json();
    let id = |field: &str| created[field].as_str().map(str::to_owned);
    (id("user_id").expect("a user id"), id("employee_id"))
}

/// Ada works 45 h in a week on 40; she, her manager's team view and HR's
/// findings show it.
pub async fn a_long_week_is_overtime_in_the_summary_and_compliance_alerts_once(app: &impl Running) {
    let api = app.api();
    let admin = app.token(Role::Admin);
    let (hr_user, _) = account(api, &admin, "hr", None).await;
    let (manager_user, manager) = account(api, &admin, "manager", None).await;
    let (ada_user, ada) = account(api, &admin, "employee", manager.as_deref()).await;
    let ada = ada.expect("an employee record");
    let manager = manager.expect("an employee record");
    let me = app.token_for(Role::Employee, &ada_user, Some(&ada));
    let boss = app.token_for(Role::Manager, &manager_user, Some(&manager));
    let hr = app.token_for(Role::Hr, &hr_user, None);

    // Five records, moved by the manager to Monday to Friday of last week,
    // 07:00 to 16:00 UTC (08:00 to 17:00 in Berlin): 45 h against 40.
    let today = Utc::now().date_naive();
    let monday: NaiveDate =
        today - Duration::days(i64::from(today.weekday().num_days_from_monday())) - Duration::weeks(1);
    for day in monday.iter_days().take(5) {
        assert_eq!(api.post("/attendance/check-in", Some(&me), None).await.status, 201);
        let out = api.post("/attendance/check-out", Some(&me), None).await;
        assert_eq!(out.status, 200, "{out}");
        let id = out.json()["record_id"].as_str().expect("an id").to_owned();
        let fix = json!({
            "check_in": format!("{day}T07:00:00Z"), "check_out": format!("{day}T16:00:00Z"),
            "reason": "badge reader was down"
        });
        let fixed = api.patch(&format!("/attendance/{id}"), &boss, &fix).await;
        assert_eq!(fixed.status, 200, "{fixed}");
    }
    let sunday = monday + Duration::days(6);
    let week = format!("from={monday}&to={sunday}");

    let mine = api.get(&format!("/attendance/overtime?{week}"), Some(&me)).await;
    assert_eq!(mine.status, 200, "{mine}");
    let period = &mine.json()["employees"][0]["periods"][0];
    assert_eq!(period["period"], monday.format("%G-W%V").to_string(), "{mine}");
    let minutes = |p: &Value, f: &str| p[f].as_i64().unwrap_or(-1);
    assert_eq!(
        (
            minutes(period, "worked_minutes"),
            minutes(period, "contracted_minutes"),
            minutes(period, "overtime_minutes")
        ),
        (2700, 2400, 300),
        "{mine}"
    );
    let team = api.get(&format!("/attendance/overtime?manager_id={manager}&{week}"), Some(&boss)).await;
    assert_eq!(team.status, 200, "{team}");
    assert_eq!(team.json()["employees"][0]["employee_id"], ada.as_str(), "{team}");
    let others = api.get(&format!("/attendance/overtime?employee_id={manager}"), Some(&me)).await;
    assert!(others.status == 403 && others.is_problem(), "{others}");

    // Compliance learnt the 40 h from employee.created and alerts on 45 h
    // (above 44 h: 10 %), once for the week.
    let overtime = |checks: &Value| -> usize {
        let all = checks.as_array().into_iter().flatten();
        all.filter(|c| c["findings"].as_array().into_iter().flatten().any(|f| f["rule_id"] == "overtime"))
            .count()
    };
    let path = format!("/compliance/violations?employee_id={ada}");
    let found = api.poll(&path, &hr, "the overtime alert", |v| overtime(v) > 0).await;
    assert_eq!(overtime(&found), 1, "once for the week: {found}");
    app.published(&["compliance.alert"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_week_is_overtime_and_alerted_once_in_process() {
    let app = spawn_app().await;
    a_long_week_is_overtime_in_the_summary_and_compliance_alerts_once(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_week_is_overtime_and_alerted_once_over_kafka() {
    let broker = Broker::start();
    let data = TempDir::new();
    let dev = Dev::dev(on_kafka(dev(&data), &broker.bootstrap()), &data).await;
    a_long_week_is_overtime_in_the_summary_and_compliance_alerts_once(&dev).await;
    assert!(dev.terminate().await.success(), "graceful stop");
}
