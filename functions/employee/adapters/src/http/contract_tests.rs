//! Hours outside the event contract's range are refused over HTTP (422
//! naming `weekly_hours`, nothing written) even where Compliance's policy
//! only warns: consumers would refuse the events such a record makes.

use hrms_compliance::Policy;
use hrms_compliance::client::Local;
use hrms_compliance::policy::HoursRule;
use hrms_events::Role;
use hrms_events::checks::WEEKLY_HOURS;
use hrms_events::compliance::Severity;
use hrms_platform::outbox::OutboxStore;
use hrms_sqlite::Store as _;
use hrms_sqlite::outbox::SqliteOutbox;
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::sqlite::SqliteEmployeeStore;
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
use hrms_http::Authenticator;
use hrms_http::testing::{Client, temp_dir};

#[tokio::test]
async fn hours_beyond_the_contract_are_422_naming_the_field_and_write_nothing() {
    let dir = temp_dir("employee-contract");
    let hours = HoursRule { maximum: WEEKLY_HOURS.1, severity: Severity::Warn, alert_ratio: 1.0 };
    let policy = Policy { weekly_hours: hours, ..Policy::default() };
    let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("compliance store");
    let compliance: Arc<dyn ComplianceClient> =
        Arc::new(Local { policy: Arc::new(policy), store: Arc::new(checks) });
    let store = SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store");
    let auth = Arc::new(Authenticator::hs256(&[5u8; 32]).expect("key"));
    let deps = EmployeeDeps { store: Arc::new(store), compliance: Callee::local(compliance) };
    let client = Client { app: EmployeeApi::new(auth.clone(), deps).router(), auth };
    let hr = client.token(Role::Hr, None);
    let new = |weekly_hours: f64| {
        json!({
            "first_name": "Grace", "last_name": "Hopper", "email": format!("grace.{}@example.com", Uuid::now_v7().simple()),
            "department": "Engineering", "job_title": "Engineer", "country": "US", "time_zone": "America/New_York",
            "weekly_hours": weekly_hours, "hire_date": "2026-12-01"
        })
    };
    for hours in [WEEKLY_HOURS.1 + 0.5, WEEKLY_HOURS.0 - 1.0, 1e300] {
        let (status, problem) = client.call("POST", "/employees", Some(&hr), Some(&new(hours))).await;
        assert_eq!(
            (status, &problem["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!("weekly_hours")),
            "{problem}"
        );
    }
    let outbox = SqliteOutbox::open(dir.join("employee.db")).expect("outbox");
    assert!(outbox.pending(1000).await.expect("pending").entries.is_empty(), "nothing written");

    let (status, created) = client.call("POST", "/employees", Some(&hr), Some(&new(WEEKLY_HOURS.1))).await;
    assert_eq!(status, StatusCode::CREATED, "the most hours a week has: {created}");
    let id = created["employee_id"].as_str().expect("id").to_owned();
    let change = json!({ "weekly_hours": WEEKLY_HOURS.1 + 0.5 });
    let (status, problem) = client.call("PATCH", &format!("/employees/{id}"), Some(&hr), Some(&change)).await;
    assert_eq!(
        (status, &problem["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("weekly_hours")),
        "{problem}"
    );
    assert_eq!(outbox.pending(1000).await.expect("pending").entries.len(), 2, "only the creation's events");
}
