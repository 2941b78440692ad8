//! `GET /employees` over HTTP, on the SQLite store.

use std::sync::Arc;

use axum::http::StatusCode;
use hrms_compliance::ComplianceClient;
use hrms_compliance::Policy;
use hrms_compliance::client::Local;
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
use hrms_events::Role;
use hrms_http::Authenticator;
use hrms_http::callee::Callee;
use hrms_http::testing::{Client, temp_dir};
use hrms_sqlite::Store as _;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::http::{EmployeeApi, EmployeeDeps};
use crate::sqlite::SqliteEmployeeStore;

fn client() -> Client {
    let dir = temp_dir("employee-list-http");
    let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("compliance store");
    let compliance: Arc<dyn ComplianceClient> =
        Arc::new(Local { policy: Arc::new(Policy::default()), store: Arc::new(checks) });
    let store = SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store");
    let auth = Arc::new(Authenticator::hs256(&[5u8; 32]).expect("key"));
    let deps = EmployeeDeps { store: Arc::new(store), compliance: Callee::local(compliance) };
    Client { app: EmployeeApi::new(auth.clone(), deps).router(), auth }
}

fn person(last_name: &str, department: &str, manager: Uuid) -> Value {
    json!({
        "first_name": "Grace", "last_name": last_name,
        "email": format!("{}.{}@example.com", last_name.to_lowercase(), Uuid::now_v7().simple()),
        "department": department, "job_title": "Engineer", "country": "US", "time_zone": "America/New_York",
        "weekly_hours": 40, "hire_date": "2026-12-01", "date_of_birth": "1990-12-09", "manager_id": manager
    })
}

fn ids(page: &Value) -> Vec<String> {
    let employees = page["employees"].as_array().expect("employees");
    employees.iter().map(|e| e["employee_id"].as_str().expect("id").to_owned()).collect()
}

#[tokio::test]
async fn hr_finds_by_filters_page_by_page_managers_their_reports_employees_nobody() {
    let c = client();
    let hr = c.token(Role::Hr, None);
    let boss = Uuid::now_v7();
    let mut hired = Vec::new();
    for (name, department) in [("Hopper", "Engineering"), ("Hoare", "Engineering"), ("Liskov", "Research")] {
        let (status, created) =
            c.call("POST", "/employees", Some(&hr), Some(&person(name, department, boss))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        hired.push(created["employee_id"].as_str().expect("id").to_owned());
    }
    c.call("POST", "/employees", Some(&hr), Some(&person("Lamport", "Engineering", Uuid::now_v7()))).await;

    let (status, first) = c.call("GET", "/employees?department=engineering&limit=2", Some(&hr), None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(ids(&first).len(), 2);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = c
        .call("GET", &format!("/employees?department=engineering&limit=2&cursor={cursor}"), Some(&hr), None)
        .await;
    assert_eq!(ids(&second).len(), 1);
    assert!(second.get("next_cursor").is_none(), "the last page: {second}");
    assert_eq!(first["employees"][0]["date_of_birth"], "1990-12-09", "hr sees the date of birth");

    let (_, named) = c.call("GET", "/employees?name=HO&status=active", Some(&hr), None).await;
    assert_eq!(ids(&named), hired[..2].to_vec());

    let manager = c.token(Role::Manager, Some(boss));
    let (_, reports) = c.call("GET", "/employees", Some(&manager), None).await;
    assert_eq!(ids(&reports), hired);
    assert!(reports["employees"][0]["date_of_birth"].is_null(), "a manager does not: {reports}");
    let (status, _) =
        c.call("GET", &format!("/employees?manager_id={}", Uuid::now_v7()), Some(&manager), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let me = Uuid::parse_str(&hired[2]).expect("uuid");
    let (status, _) = c.call("GET", "/employees", Some(&c.token(Role::Employee, Some(me))), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an employee reads their own record at /employees/{{id}}");

    let (status, _) = c.call("GET", "/employees", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_them() {
    let c = client();
    let hr = c.token(Role::Hr, None);
    for (query, field) in [
        ("status=gone", "status"),
        ("manager_id=42", "manager_id"),
        ("hired_from=yesterday", "hired_from"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=many", "limit"),
        ("name=", "name"),
        ("departmnt=Sales", "departmnt"),
    ] {
        let (status, problem) = c.call("GET", &format!("/employees?{query}"), Some(&hr), None).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{query}: {problem}"
        );
    }
    let (status, problem) = c.call("GET", "/employees?cursor=nowhere", Some(&hr), None).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("cursor")),
        "{problem}"
    );
}
