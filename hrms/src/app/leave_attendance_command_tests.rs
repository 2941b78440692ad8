//! Leave and Attendance take their commands as CloudEvents on `POST /`, as
//! User, Employee and Compliance do: each runs its route with the caller's
//! token, so the route's own checks hold.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use hrms_compliance::client::Local as LocalCompliance;
use hrms_compliance::{ComplianceClient, Policy};
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
use hrms_employee::{EmployeeClient, Local as LocalEmployees};
use hrms_employee_adapters::http::{COMMANDS as EMPLOYEE, EmployeeDeps};
use hrms_employee_adapters::sqlite::SqliteEmployeeStore;
use hrms_events::Role;
use hrms_http::commands::with_intake;
use hrms_http::testing::temp_dir;
use hrms_http::{Api, Authenticator, Callee, Routes};
use hrms_sqlite::Store as _;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use hrms_attendance_adapters::http::{AttendanceDeps, COMMANDS as ATTENDANCE};
use hrms_attendance_adapters::sqlite::SqliteAttendanceStore;
use hrms_leave_adapters::http::{COMMANDS as LEAVE, LeaveDeps};
use hrms_leave_adapters::sqlite::SqliteLeaveStore;

/// Employee, Leave and Attendance on SQLite behind one intake.
fn app() -> (Router, Arc<Authenticator>) {
    let dir = temp_dir("leave-attendance-commands");
    let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("store");
    let compliance: Arc<dyn ComplianceClient> =
        Arc::new(LocalCompliance { policy: Arc::new(Policy::default()), store: Arc::new(checks) });
    let people = Arc::new(SqliteEmployeeStore::open(dir.join("employee.db")).expect("store"));
    let employees: Arc<dyn EmployeeClient> =
        Arc::new(LocalEmployees { store: people.clone(), compliance: compliance.clone() });
    let auth = Arc::new(Authenticator::hs256(&[9u8; 32]).expect("key"));
    let leave = LeaveDeps {
        store: Arc::new(SqliteLeaveStore::open(dir.join("leave.db")).expect("store")),
        policy: Arc::new(hrms_leave::Policy::default()),
        employees: Callee::local(employees.clone()),
    };
    let attendance = AttendanceDeps {
        store: Arc::new(SqliteAttendanceStore::open(dir.join("attendance.db")).expect("store")),
        employees: Callee::local(employees),
    };
    let routes =
        Api::new(auth.clone(), EmployeeDeps { store: people, compliance: Callee::local(compliance) })
            .router()
            .merge(Api::new(auth.clone(), leave).router())
            .merge(Api::new(auth.clone(), attendance).router());
    (with_intake(routes, [EMPLOYEE, LEAVE, ATTENDANCE].concat(), auth.clone()), auth)
}

/// Sends `event_type` in binary mode, `data` as the body.
async fn command(
    app: &Router,
    token: &str,
    event_type: &str,
    subject: Option<&str>,
    data: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::post("/")
        .header("ce-specversion", "1.0")
        .header("ce-id", Uuid::now_v7().to_string())
        .header("ce-source", "/triggers/test")
        .header("ce-type", event_type)
        .header("authorization", format!("Bearer {token}"));
    if let Some(s) = subject {
        request = request.header("ce-subject", s);
    }
    let body = match data {
        Some(data) => {
            request = request.header("content-type", "application/json");
            Body::from(data.to_string())
        }
        None => Body::empty(),
    };
    let response = app.clone().oneshot(request.body(body).expect("request")).await.expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn leave_and_attendance_commands_run_their_routes_with_the_callers_token() {
    let (app, auth) = app();
    let token =
        |role, employee| auth.mint(Uuid::now_v7(), role, employee, Duration::from_secs(60)).expect("token");
    let hr = token(Role::Hr, None);
    let boss = Uuid::now_v7();
    let person = json!({
        "first_name": "Mary", "last_name": "Jackson", "email": format!("mary.{}@example.com", Uuid::now_v7().simple()),
        "department": "Engineering", "job_title": "Engineer", "country": "US", "weekly_hours": 40,
        "hire_date": "2026-12-01", "manager_id": boss
    });
    let (status, created) = command(&app, &hr, "hrms.command.employee.create", None, Some(person)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mary = Uuid::parse_str(created["employee_id"].as_str().expect("id")).expect("uuid");
    let (me, manager) = (token(Role::Employee, Some(mary)), token(Role::Manager, Some(boss)));

    let ask = json!({ "leave_type": "annual", "start_date": "2030-03-04", "end_date": "2030-03-05" });
    let (status, leave) = command(&app, &me, "hrms.command.leave.request", None, Some(ask)).await;
    assert_eq!((status, leave["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{leave}");
    let leave_id = leave["leave_id"].as_str().expect("id");
    let (status, _) = command(&app, &me, "hrms.command.leave.approve", Some(leave_id), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nobody approves their own request");
    let (status, approved) =
        command(&app, &manager, "hrms.command.leave.approve", Some(leave_id), None).await;
    assert_eq!((status, approved["status"].as_str()), (StatusCode::OK, Some("approved")), "{approved}");
    let reason = json!({ "reason": "Plans changed" });
    let (status, cancelled) =
        command(&app, &me, "hrms.command.leave.cancel", Some(leave_id), Some(reason)).await;
    assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{cancelled}");

    let (status, open) = command(&app, &me, "hrms.command.attendance.check-in", None, None).await;
    assert_eq!(status, StatusCode::CREATED, "{open}");
    let (status, closed) = command(&app, &me, "hrms.command.attendance.check-out", None, None).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let record = closed["record_id"].as_str().expect("id");
    let checked_in: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(closed["check_in"].clone()).expect("a time");
    let earlier = checked_in - chrono::Duration::minutes(30);
    let fix = json!({ "check_in": earlier, "reason": "badge reader was down" });
    let (status, _) =
        command(&app, &me, "hrms.command.attendance.correct", Some(record), Some(fix.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nobody corrects their own record");
    let (status, fixed) =
        command(&app, &hr, "hrms.command.attendance.correct", Some(record), Some(fix)).await;
    assert_eq!((status, fixed["corrected"].as_bool()), (StatusCode::OK, Some(true)), "{fixed}");
}

#[test]
fn the_intake_documents_each_leave_and_attendance_command_with_its_routes_example() {
    let mut routes = LeaveDeps::openapi();
    routes.merge(AttendanceDeps::openapi());
    let commands = [LEAVE, ATTENDANCE].concat();
    let doc =
        serde_json::to_value(hrms_http::commands::openapi(&routes, &commands).expect("built")).expect("JSON");
    let routes = serde_json::to_value(&routes).expect("JSON");
    let body = &doc["paths"]["/"]["post"]["requestBody"]["content"]["application/cloudevents+json"];
    let types: Vec<&str> = commands.iter().map(|c| c.event_type).collect();
    assert_eq!(body["schema"]["properties"]["type"]["enum"], json!(types));
    for command in &commands {
        let event = &body["examples"][command.event_type]["value"];
        assert_eq!(event["type"], command.event_type);
        assert_eq!(event["subject"].is_string(), command.path.contains("{id}"), "{}", command.event_type);
        let route = &routes["paths"][command.path][command.method.to_ascii_lowercase()];
        assert!(route.is_object(), "{} names a documented route", command.event_type);
        assert_eq!(event["data"], route["requestBody"]["content"]["application/json"]["example"]);
    }
}
