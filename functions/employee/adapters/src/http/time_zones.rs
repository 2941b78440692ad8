//! Over HTTP, a time zone that is not an IANA name is 400 naming
//! `time_zone`, and the OpenAPI document lists the names it takes.

use std::sync::Arc;

use axum::http::StatusCode;
use hrms_compliance::client::Local;
use hrms_compliance::{ComplianceClient, Policy};
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
use hrms_events::Role;
use hrms_http::testing::{Client, temp_dir};
use hrms_http::{Authenticator, Callee, Routes};
use hrms_sqlite::Store as _;
use serde_json::json;
use uuid::Uuid;

use super::{EmployeeApi, EmployeeDeps};
use crate::sqlite::SqliteEmployeeStore;

fn client() -> Client {
    let dir = temp_dir("employee-time-zones");
    let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("compliance store");
    let compliance: Arc<dyn ComplianceClient> =
        Arc::new(Local { policy: Arc::new(Policy::default()), store: Arc::new(checks) });
    let store = SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store");
    let auth = Arc::new(Authenticator::hs256(&[5u8; 32]).expect("key"));
    let deps = EmployeeDeps { store: Arc::new(store), compliance: Callee::local(compliance) };
    Client { app: EmployeeApi::new(auth.clone(), deps).router(), auth }
}

#[tokio::test]
async fn a_time_zone_that_is_not_iana_is_400_naming_it_and_changes_nothing() {
    let c = client();
    let hr = c.token(Role::Hr, None);
    let person = |zone: &str| {
        json!({
            "first_name": "Grace", "last_name": "Hopper", "email": format!("grace.{}@example.com", Uuid::now_v7().simple()),
            "department": "Engineering", "job_title": "Engineer", "country": "US", "time_zone": zone,
            "weekly_hours": 40, "hire_date": "2026-12-01"
        })
    };
    let (status, problem) = c.call("POST", "/employees", Some(&hr), Some(&person("Mars/Olympus_Mons"))).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("time_zone")),
        "{problem}"
    );
    let (_, listed) = c.call("GET", "/employees", Some(&hr), None).await;
    assert_eq!(listed["employees"], json!([]), "nothing created");

    let (status, created) = c.call("POST", "/employees", Some(&hr), Some(&person("America/New_York"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let uri = format!("/employees/{}", created["employee_id"].as_str().expect("id"));
    let (status, problem) =
        c.call("PATCH", &uri, Some(&hr), Some(&json!({ "time_zone": "EST5EDT-ish" }))).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("time_zone")),
        "{problem}"
    );
    let (_, stored) = c.call("GET", &uri, Some(&hr), None).await;
    assert_eq!(stored["time_zone"], "America/New_York");
}

#[test]
fn the_document_lists_the_iana_names() {
    let doc = serde_json::to_value(EmployeeDeps::openapi()).expect("json");
    for schema in ["NewEmployee", "EmployeeChanges"] {
        let zones = &doc["components"]["schemas"][schema]["properties"]["time_zone"]["enum"];
        let zones = zones.as_array().unwrap_or_else(|| panic!("{schema}: {doc}"));
        assert!(zones.contains(&json!("Europe/Berlin")) && !zones.contains(&json!("Mars/Olympus_Mons")));
    }
}
