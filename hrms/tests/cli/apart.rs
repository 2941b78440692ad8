//! Functions apart, each an `hrms serve`: they call each other over HTTP
//! (`HRMS_COMPLIANCE_URL`, `HRMS_EMPLOYEE_URL`) with the caller's token,
//! answer 503 while a callee is down, and take their events as a
//! KafkaSource pushes them.

use std::time::Duration;

use hrms_e2e::{TempDir, eventually};
use hrms_events::{EventType, Payload, Role, fixtures};
use serde_json::json;

use crate::binary::{Dev, free_port};
use crate::fixtures::{annual_leave, employee_account, engineer, mary_retires, week};
use crate::running::Running;

#[tokio::test(flavor = "multi_thread")]
async fn functions_apart_call_each_other_with_the_callers_token_and_a_callee_down_is_503() {
    let data = TempDir::new();
    let (compliance_port, employee_port, user_port) = (free_port(), free_port(), free_port());
    let compliance_url = format!("http://127.0.0.1:{compliance_port}");
    let employee_url = format!("http://127.0.0.1:{employee_port}");
    let compliance = Dev::serve("compliance", compliance_port, &data).await;
    let employee =
        Dev::serve_with("employee", employee_port, &data, &[("HRMS_COMPLIANCE_URL", &compliance_url)]).await;
    let user = Dev::serve_with(
        "user",
        user_port,
        &data,
        &[("HRMS_COMPLIANCE_URL", &compliance_url), ("HRMS_EMPLOYEE_URL", &employee_url)],
    )
    .await;
    let admin = user.token(Role::Admin);
    let new_user = |email: &str| employee_account(email, "Dorothy", "Vaughan");
    let answer = user.api.post("/users", Some(&admin), Some(&new_user("dorothy@example.com"))).await;
    assert_eq!(answer.status, 201, "{answer}");
    let created = answer.json();
    let employee_id = created["employee_id"].as_str().expect("an employee record");
    let record = employee.api.get(&format!("/employees/{employee_id}"), Some(&admin)).await;
    assert_eq!(record.status, 200, "{record}");
    assert_eq!(record.json()["user_id"], created["user_id"], "linked to the account");

    let user_id = created["user_id"].as_str().expect("an id");
    let own = user.token_for(Role::Employee, user_id, Some(employee_id));
    let rename = json!({ "full_name": "Dorothy Johnson Vaughan" });
    let renamed = user.api.patch(&format!("/users/{user_id}"), &own, &rename).await;
    assert_eq!(renamed.status, 200, "a user renames themselves across services: {renamed}");

    let employee_token = user.token(Role::Employee);
    let refused = user.api.post("/users", Some(&employee_token), Some(&new_user("eve@example.com"))).await;
    assert_eq!(refused.status, 403, "{refused}");

    assert!(compliance.terminate().await.success());
    let down = user.api.post("/users", Some(&admin), Some(&new_user("mary@example.com"))).await;
    assert!(down.status == 503 && down.is_problem(), "{down}");
    let mary = engineer("Mary", "Jackson", "mary@example.com");
    let down = employee.api.post("/employees", Some(&admin), Some(&mary)).await;
    assert_eq!(down.status, 503, "{down}");
    let _compliance = Dev::serve("compliance", compliance_port, &data).await;
    let again = user.api.post("/users", Some(&admin), Some(&new_user("mary@example.com"))).await;
    assert_eq!(again.status, 201, "nothing was half-written by the failed attempt: {again}");
    assert!(user.terminate().await.success() && employee.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_leave_calls_employee_apart_and_takes_terminations_the_way_a_kafkasource_delivers_them() {
    let data = TempDir::new();
    let (compliance_port, employee_port, leave_port) = (free_port(), free_port(), free_port());
    let compliance_url = format!("http://127.0.0.1:{compliance_port}");
    let employee_url = format!("http://127.0.0.1:{employee_port}");
    let _compliance = Dev::serve("compliance", compliance_port, &data).await;
    let employee =
        Dev::serve_with("employee", employee_port, &data, &[("HRMS_COMPLIANCE_URL", &compliance_url)]).await;
    let leave = Dev::serve_with("leave", leave_port, &data, &[("HRMS_EMPLOYEE_URL", &employee_url)]).await;
    let admin = leave.token(Role::Admin);
    let answer = employee
        .api
        .post("/employees", Some(&admin), Some(&engineer("Mary", "Jackson", "mary@example.com")))
        .await;
    assert_eq!(answer.status, 201, "{answer}");
    let mary = answer.json()["employee_id"].as_str().expect("an id").to_owned();
    let me = leave.token_for(Role::Employee, &uuid::Uuid::now_v7().to_string(), Some(&mary));

    // Employee is asked over HTTP, with Mary's own token.
    let answer = leave.api.post("/leaves", Some(&me), Some(&annual_leave(week(6)))).await;
    assert_eq!(answer.status, 201, "{answer}");
    let id = answer.json()["leave_id"].as_str().expect("an id").to_owned();

    let event = mary_retires(&mary, chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"));
    for _ in 0..2 {
        let answer =
            leave.api.push("/deliveries/leave", &event, &event.id.to_string(), "employee.terminated").await;
        assert_eq!(answer.status, 202, "handled (and a redelivery is harmless): {answer}");
    }
    let cancelled = leave.api.get(&format!("/leaves/{id}"), Some(&admin)).await.json();
    assert_eq!((cancelled["status"].as_str(), cancelled["version"].as_u64()), (Some("cancelled"), Some(2)));
    let other = fixtures::sample(EventType::UserCreated);
    let answer = leave.api.push("/deliveries/leave", &other, &other.id.to_string(), "user.created").await;
    assert_eq!(answer.status, 202, "other events are passed over: {answer}");

    assert!(employee.terminate().await.success());
    let down = leave.api.post("/leaves", Some(&me), Some(&annual_leave(week(10)))).await;
    assert!(down.status == 503 && down.is_problem(), "{down}");
    let listed = leave.api.get(&format!("/leaves?employee_id={mary}"), Some(&admin)).await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "nothing stored by the refused request: {listed}");
    assert!(leave.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_notification_takes_kafkasource_pushes_and_asks_employee_about_people_it_does_not_know() {
    let data = TempDir::new();
    let (compliance_port, employee_port, notification_port) = (free_port(), free_port(), free_port());
    let compliance = Dev::serve("compliance", compliance_port, &data).await;
    let compliance_url = format!("http://127.0.0.1:{compliance_port}");
    let employee =
        Dev::serve_with("employee", employee_port, &data, &[("HRMS_COMPLIANCE_URL", &compliance_url)]).await;
    let employee_url = format!("http://127.0.0.1:{employee_port}");
    let notification =
        Dev::serve_with("notification", notification_port, &data, &[("HRMS_EMPLOYEE_URL", &employee_url)])
            .await;
    let admin = notification.token(Role::Admin);
    let annie = engineer("Annie", "Easley", "annie@example.com");
    let created = employee.api.post("/employees", Some(&admin), Some(&annie)).await;
    assert_eq!(created.status, 201, "{created}");
    let employee_id: uuid::Uuid = created.json()["employee_id"].as_str().expect("id").parse().expect("uuid");

    // Her leave is approved; no event has told the Notification function about her.
    let mut event = fixtures::sample(EventType::LeaveApproved);
    if let Payload::LeaveApproved(p) = &mut event.payload {
        p.employee_id = employee_id;
    }
    let id = event.id.to_string();
    let push = async |ty: &str| notification.api.push("/deliveries/notification", &event, &id, ty).await;
    let answer = push("leave.approved").await;
    assert_eq!(answer.status, 202, "recorded: {answer}");
    let again = push("leave.approved").await;
    assert_eq!(again.status, 202, "a redelivery is harmless: {again}");
    let invalid = push("leave.postponed").await;
    assert!(invalid.status == 400 && invalid.text.contains("type"), "{invalid}");

    let outbox = data.0.join("outbox");
    let mails = || -> Vec<String> {
        std::fs::read_dir(&outbox)
            .map(|dir| dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect())
            .unwrap_or_default()
    };
    eventually("a mail", Duration::from_secs(30), || !mails().is_empty()).await;
    let mail = mails().remove(0);
    assert!(mail.contains("annie@example.com") && mail.contains("approved"), "{mail}");
    assert!(notification.terminate().await.success());
    assert_eq!(mails().len(), 1, "one mail for one event delivered twice");
    assert!(employee.terminate().await.success() && compliance.terminate().await.success());
}
