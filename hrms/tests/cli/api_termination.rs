//! The end of an employment completes: the User function's consumer
//! suspends the person's account (their token is then refused) and the
//! Attendance function's closes their open check-in, marked so, in the
//! process (in-process bus), over the broker (`hrms dev` on Kafka), and
//! apart (`hrms serve`, taking the event as a KafkaSource delivers it).

use std::time::Duration;

use hrms_e2e::{Broker, TempDir};
use hrms_events::{EventType, Role, fixtures};
use serde_json::{Value, json};

use crate::app::spawn_app;
use crate::binary::{Dev, dev, free_port, on_kafka};
use crate::fixtures::{account, mary_retires};
use crate::running::Running;
use crate::wait;

/// Ada checks in; HR ends her employment; her account is suspended with
/// the reason and her check-in closed at the termination, and her token
/// is refused for the suspension.
pub async fn a_termination_suspends_the_account_and_closes_the_check_in(hrms: &impl Running) {
    let api = hrms.api();
    let admin = hrms.token(Role::Admin);
    let email = format!("ada.{}@example.com", uuid::Uuid::now_v7().simple());
    let (user, employee) =
        api.create_account(&admin, &account(&email, "Ada", "Lovelace", "employee", None)).await;
    let ada = hrms.token_for(Role::Employee, &user, Some(&employee));
    let checked_in = api.post("/attendance/check-in", Some(&ada), None).await;
    assert_eq!(checked_in.status, 201, "{checked_in}");
    let record = checked_in.json()["record_id"].as_str().expect("an id").to_owned();

    let hr = hrms.token(Role::Hr);
    let today = chrono::Utc::now().date_naive();
    let termination = json!({ "termination_date": today, "reason": "Moved abroad" });
    let answer = api.post(&format!("/employees/{employee}/terminate"), Some(&hr), Some(&termination)).await;
    assert_eq!(answer.status, 200, "{answer}");
    let terminated_at = chrono::Utc::now();

    let limit = Duration::from_secs(60);
    let account = format!("/users/{user}");
    wait::until("the account suspended", limit, async || {
        let answer = api.get(&account, Some(&hr)).await;
        match answer.status {
            200 if answer.json()["status"] == "suspended" => Ok(()),
            _ => Err(answer.to_string()),
        }
    })
    .await;
    let listing = format!("/attendance?employee_id={employee}");
    let closed: Value = wait::until("the check-in closed", limit, async || {
        let answer = api.get(&listing, Some(&hr)).await;
        let records = answer.json()["records"].as_array().cloned().unwrap_or_default();
        match records.into_iter().find(|r| r["record_id"] == record.as_str()) {
            Some(r) if answer.status == 200 && !r["check_out"].is_null() => Ok(r),
            _ => Err(answer.to_string()),
        }
    })
    .await;
    assert_eq!(closed["closed_at_termination"], true, "{closed}");
    assert_eq!(closed["version"], 2, "closed once: {closed}");
    let out: chrono::DateTime<chrono::Utc> =
        closed["check_out"].as_str().and_then(|t| t.parse().ok()).expect("a check-out time");
    assert!(out <= terminated_at + chrono::Duration::seconds(1), "when the termination was recorded: {out}");
    hrms.published(&["user.suspended", "audit.user.suspended", "attendance.updated"]).await;

    // Her token is refused for the suspension (once the account check's
    // cache of her standing expires).
    wait::until("her token refused as suspended", limit, async || {
        let answer = api.get(&account, Some(&ada)).await;
        match answer.status {
            401 if answer.text.contains("suspended") => Ok(()),
            _ => Err(answer.to_string()),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_termination_suspends_the_account_and_closes_the_check_in_in_process() {
    let app = spawn_app().await;
    a_termination_suspends_the_account_and_closes_the_check_in(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_termination_suspends_the_account_and_closes_the_check_in_over_kafka() {
    let broker = Broker::start();
    let data = TempDir::new();
    let dev = Dev::dev(on_kafka(dev(&data), &broker.bootstrap()), &data).await;
    a_termination_suspends_the_account_and_closes_the_check_in(&dev).await;
    assert!(dev.terminate().await.success(), "graceful stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_user_and_attendance_take_terminations_the_way_a_kafkasource_delivers_them() {
    let data = TempDir::new();
    let ports = [free_port(), free_port(), free_port(), free_port()];
    let [compliance_url, employee_url, ..] = ports.map(|p| format!("http://127.0.0.1:{p}"));
    let _compliance = Dev::serve("compliance", ports[0], &data).await;
    let compliance = [("HRMS_COMPLIANCE_URL", compliance_url.as_str())];
    let _employee = Dev::serve_with("employee", ports[1], &data, &compliance).await;
    let callees = [compliance[0], ("HRMS_EMPLOYEE_URL", employee_url.as_str())];
    let user = Dev::serve_with("user", ports[2], &data, &callees).await;
    let attendance = Dev::serve_with("attendance", ports[3], &data, &callees[1..]).await;
    let admin = user.token(Role::Admin);
    let new_user = account("mary@example.com", "Mary", "Jackson", "employee", None);
    let (mary_user, mary) = user.api.create_account(&admin, &new_user).await;
    let me = attendance.token_for(Role::Employee, &mary_user, Some(&mary));
    let checked_in = attendance.api.post("/attendance/check-in", Some(&me), None).await;
    assert_eq!(checked_in.status, 201, "{checked_in}");
    let record = checked_in.json()["record_id"].as_str().expect("an id").to_owned();

    let event = mary_retires(&mary, chrono::Utc::now().date_naive());
    let other = fixtures::sample(EventType::UserCreated);
    for (function, path) in [(&user, "/deliveries/user"), (&attendance, "/deliveries/attendance")] {
        for _ in 0..2 {
            let answer = function.api.push(path, &event, &event.id.to_string(), "employee.terminated").await;
            assert_eq!(answer.status, 202, "{path}: handled (and a redelivery is harmless): {answer}");
        }
        let answer = function.api.push(path, &other, &other.id.to_string(), "user.created").await;
        assert_eq!(answer.status, 202, "{path}: other events are passed over: {answer}");
    }
    let account = user.api.get(&format!("/users/{mary_user}"), Some(&admin)).await.json();
    assert_eq!((account["status"].as_str(), account["version"].as_u64()), (Some("suspended"), Some(2)));
    let listing = attendance.api.get(&format!("/attendance?employee_id={mary}"), Some(&admin)).await.json();
    let closed =
        listing["records"].as_array().into_iter().flatten().find(|r| r["record_id"] == record.as_str());
    let closed = closed.expect("her record listed");
    assert_eq!(closed["closed_at_termination"], true, "{closed}");
    assert!(!closed["check_out"].is_null() && closed["version"] == 2, "closed once: {closed}");
    assert!(user.terminate().await.success() && attendance.terminate().await.success());
}
