//! `hrms dev` and `hrms serve` on DynamoDB (moto): the scenarios of the
//! `api_*` tests with the data in DynamoDB, readiness that follows the
//! store, and functions apart that store nothing while a callee is down.

use hrms_e2e::{Moto, TempDir};
use hrms_events::Role;
use serde_json::json;

use crate::binary::{Dev, dev, free_port};
use crate::running::Running;
use crate::{api_leave, api_notifications, api_termination, api_users};

/// The environment of `hrms` on the DynamoDB at `endpoint` (moto), with
/// test credentials; each test chooses the store, by flag or environment.
/// moto cannot take concurrent transactions on one table: the audit log
/// writes one subject at a time, the Notification function one write.
fn on_dynamodb(endpoint: &str) -> [(&str, &str); 8] {
    [
        ("HRMS_DYNAMODB_ENDPOINT", endpoint),
        ("HRMS_DYNAMODB_AUDIT_WRITERS", "1"),
        ("HRMS_DYNAMODB_NOTIFICATION_WRITERS", "1"),
        ("HRMS_DYNAMODB_TABLE_PREFIX", "cli-"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
}

/// `hrms dev` on the DynamoDB of `moto`, with its files under `data`.
async fn dev_on_dynamodb(moto: &Moto, data: &TempDir) -> Dev {
    let mut command = dev(data);
    command.args(["--store", "dynamodb"]).envs(on_dynamodb(&moto.endpoint()));
    Dev::dev(command, data).await
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_on_dynamodb_keeps_its_data_there_and_is_ready_only_while_it_answers() {
    let mut moto = Moto::start();
    let data = TempDir::new();
    let dev = dev_on_dynamodb(&moto, &data).await;
    api_users::a_user_is_created_once_and_their_events_flow(&dev).await;
    assert_eq!(dev.api.get("/readyz", None).await.status, 200);
    for file in ["user.db", "employee.db", "compliance.db"] {
        assert!(!data.0.join(file).exists(), "{file}: the data is in DynamoDB");
    }

    moto.stop();
    let unready = dev.api.get("/readyz", None).await;
    assert!(unready.status == 503 && unready.text.contains("store unavailable"), "{unready}");
    assert!(dev.terminate().await.success(), "graceful stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_on_dynamodb_keeps_leave_and_balances_there() {
    let moto = Moto::start();
    let data = TempDir::new();
    let dev = dev_on_dynamodb(&moto, &data).await;
    api_leave::leave_is_approved_and_cancelled_when_the_employment_ends(&dev).await;
    assert!(!data.0.join("leave.db").exists(), "the requests are in DynamoDB");
    assert!(dev.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_on_dynamodb_suspends_the_account_and_closes_the_check_in_of_a_terminated_employee() {
    let moto = Moto::start();
    let data = TempDir::new();
    let dev = dev_on_dynamodb(&moto, &data).await;
    api_termination::a_termination_suspends_the_account_and_closes_the_check_in(&dev).await;
    assert!(dev.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_on_dynamodb_welcomes_a_new_user_from_its_notification_table() {
    let moto = Moto::start();
    let data = TempDir::new();
    let dev = dev_on_dynamodb(&moto, &data).await;
    api_notifications::a_new_user_is_welcomed_by_mail_and_in_their_inbox(&dev).await;
    assert!(!data.0.join("notification.db").exists(), "the deliveries are in DynamoDB");
    assert!(dev.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_runs_one_function_on_dynamodb() {
    let moto = Moto::start();
    let data = TempDir::new();
    let endpoint = moto.endpoint();
    let env = [on_dynamodb(&endpoint).as_slice(), &[("HRMS_STORE", "dynamodb")]].concat();
    let function = Dev::serve_with("compliance", free_port(), &data, &env).await;
    assert_eq!(function.api.get("/readyz", None).await.status, 200);
    let hr = function.token(Role::Hr);
    let subject = json!({ "user": {
        "user_id": uuid::Uuid::now_v7(), "email": "not-an-address", "full_name": "Ada", "role": "employee",
        "employee_id": null
    }});
    let answer = function.api.post("/compliance/validate", Some(&hr), Some(&subject)).await;
    assert!(answer.text.contains("\"allowed\":false") && answer.text.contains("email_format"), "{answer}");
    let findings = function.api.get("/compliance/violations", Some(&hr)).await;
    assert!(findings.status == 200 && findings.text.contains("email_format"), "{findings}");
    assert!(!data.0.join("compliance.db").exists(), "the check is in DynamoDB");
    assert!(function.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_attendance_on_dynamodb_asks_employee_and_stores_nothing_while_it_is_down() {
    let moto = Moto::start();
    let data = TempDir::new();
    let (compliance_port, employee_port, attendance_port) = (free_port(), free_port(), free_port());
    let endpoint = moto.endpoint();
    let dynamo = [on_dynamodb(&endpoint).as_slice(), &[("HRMS_STORE", "dynamodb")]].concat();
    let (compliance_url, employee_url) =
        (format!("http://127.0.0.1:{compliance_port}"), format!("http://127.0.0.1:{employee_port}"));
    let employee_env = [dynamo.as_slice(), &[("HRMS_COMPLIANCE_URL", compliance_url.as_str())]].concat();
    let attendance_env = [dynamo.as_slice(), &[("HRMS_EMPLOYEE_URL", employee_url.as_str())]].concat();
    let _compliance = Dev::serve_with("compliance", compliance_port, &data, &dynamo).await;
    let employee = Dev::serve_with("employee", employee_port, &data, &employee_env).await;
    let attendance = Dev::serve_with("attendance", attendance_port, &data, &attendance_env).await;
    assert_eq!(attendance.api.get("/readyz", None).await.status, 200);

    let hr = employee.token(Role::Hr);
    let new_employee = json!({
        "first_name": "Mary", "last_name": "Jackson", "email": "mary@example.com", "department": "Engineering",
        "job_title": "Engineer", "country": "US", "time_zone": "America/New_York", "weekly_hours": 40,
        "hire_date": "2026-01-05"
    });
    let created = employee.api.post("/employees", Some(&hr), Some(&new_employee)).await;
    assert_eq!(created.status, 201, "{created}");
    let mary = created.json()["employee_id"].as_str().expect("an id").to_owned();
    let me = employee.token_for(Role::Employee, &uuid::Uuid::now_v7().to_string(), Some(&mary));
    let nobody = uuid::Uuid::now_v7().to_string();
    let stranger = employee.token_for(Role::Employee, &uuid::Uuid::now_v7().to_string(), Some(&nobody));
    let unknown = attendance.api.post("/attendance/check-in", Some(&stranger), None).await;
    assert_eq!(unknown.status, 404, "no such employee: {unknown}");

    let checked_in = attendance.api.post("/attendance/check-in", Some(&me), None).await;
    assert_eq!(checked_in.status, 201, "{checked_in}");
    assert_eq!(checked_in.json()["time_zone"], "America/New_York");
    assert!(employee.terminate().await.success());
    let down = attendance.api.post("/attendance/check-out", Some(&me), None).await;
    assert!(down.status == 503 && down.is_problem(), "{down}");
    let listed = attendance.api.get("/attendance", Some(&me)).await.json();
    assert_eq!(listed["records"].as_array().map(Vec::len), Some(1), "{listed}");
    assert!(listed["records"][0]["check_out"].is_null(), "still checked in: {listed}");

    let employee = Dev::serve_with("employee", employee_port, &data, &employee_env).await;
    let checked_out = attendance.api.post("/attendance/check-out", Some(&me), None).await;
    assert_eq!(checked_out.status, 200, "{checked_out}");
    assert!(!data.0.join("attendance.db").exists(), "the records are in DynamoDB");
    assert!(attendance.terminate().await.success() && employee.terminate().await.success());
}
