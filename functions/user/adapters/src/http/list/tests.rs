//! `GET /users` over HTTP, on the SQLite stores.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use hrms_compliance::client::Local as LocalCompliance;
use hrms_compliance::{ComplianceClient, Policy};
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
use hrms_employee::{EmployeeClient, Local as LocalEmployees};
use hrms_employee_adapters::sqlite::SqliteEmployeeStore;
use hrms_events::Role;
use hrms_http::Authenticator;
use hrms_http::callee::Callee;
use hrms_http::testing::{Client, temp_dir};
use hrms_sqlite::Store as _;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::http::{UserApi, UserDeps};
use crate::sqlite::SqliteUserStore;

struct Fixture {
    client: Client,
}

/// User, Employee and Compliance in one process on SQLite, as in `hrms dev`.
fn fixture() -> Fixture {
    let dir = temp_dir("user-list-http");
    let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("compliance store");
    let compliance: Arc<dyn ComplianceClient> =
        Arc::new(LocalCompliance { policy: Arc::new(Policy::default()), store: Arc::new(checks) });
    let employee_store =
        Arc::new(SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store"));
    let employees: Arc<dyn EmployeeClient> =
        Arc::new(LocalEmployees { store: employee_store, compliance: compliance.clone() });
    let store = SqliteUserStore::open(dir.join("user.db")).expect("user store");
    let auth = Arc::new(Authenticator::hs256(&[6u8; 32]).expect("key"));
    let deps = UserDeps {
        store: Arc::new(store),
        compliance: Callee::local(compliance),
        employees: Callee::local(employees),
    };
    Fixture { client: Client { app: UserApi::new(auth.clone(), deps).router(), auth } }
}

fn new_user() -> Value {
    json!({
        "email": format!("ada.{}@example.com", Uuid::now_v7().simple()), "full_name": "Ada Lovelace",
        "role": "employee", "password": "a long enough passphrase",
        "employee": {
            "first_name": "Ada", "last_name": "Lovelace", "department": "Engineering", "job_title": "Analyst",
            "country": "GB", "weekly_hours": 37.5, "hire_date": "2026-12-01", "date_of_birth": "1990-12-10"
        }
    })
}

fn ids(page: &Value) -> Vec<String> {
    let users = page["users"].as_array().expect("users");
    users.iter().map(|u| u["user_id"].as_str().expect("id").to_owned()).collect()
}

#[tokio::test]
async fn admin_and_hr_find_accounts_page_by_page_others_may_not() {
    let f = fixture();
    let admin = f.client.token(Role::Admin, None);
    let mut made = Vec::new();
    for role in ["employee", "manager", "employee"] {
        let mut user = new_user();
        user["role"] = json!(role);
        let (status, created) = f.client.call("POST", "/users", Some(&admin), Some(&user)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        made.push(created["user_id"].as_str().expect("id").to_owned());
    }
    let hr = f.client.token(Role::Hr, None);
    let (status, first) = f.client.call("GET", "/users?role=employee&limit=1", Some(&hr), None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(ids(&first), [made[0].clone()]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) =
        f.client.call("GET", &format!("/users?role=employee&limit=1&cursor={cursor}"), Some(&hr), None).await;
    assert_eq!(ids(&second), [made[2].clone()]);
    assert!(second.get("next_cursor").is_none(), "the last page: {second}");
    let text = first.to_string();
    assert!(!text.contains("password") && !text.contains("argon2"), "no credentials: {text}");

    let (_, by_email) = f.client.call("GET", "/users?email=ADA.&status=active", Some(&hr), None).await;
    assert_eq!(ids(&by_email), made);

    let manager = Uuid::parse_str(&made[1]).expect("uuid");
    let own = f.client.auth.mint(manager, Role::Manager, None, Duration::from_secs(60)).expect("token");
    let (status, mine) = f.client.call("GET", "/users", Some(&own), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{mine}");

    let (status, _) = f.client.call("GET", "/users", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_them() {
    let f = fixture();
    let hr = f.client.token(Role::Hr, None);
    for (query, field) in [
        ("status=gone", "status"),
        ("role=boss", "role"),
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("email=", "email"),
        ("sort=name", "sort"),
    ] {
        let (status, problem) = f.client.call("GET", &format!("/users?{query}"), Some(&hr), None).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{query}: {problem}"
        );
    }
    let (status, problem) = f.client.call("GET", "/users?cursor=nowhere", Some(&hr), None).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("cursor")),
        "{problem}"
    );
}
