use std::path::PathBuf;

use hrms_compliance::client::Local;
use hrms_compliance::{CallError, Policy, Subject, Verdict};
use hrms_events::{Actor, EventType, HrmsEvent, Role};
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::sqlite::SqliteEmployeeStore;
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
use hrms_http::Authenticator;
use hrms_http::testing::{Client, temp_dir};
use hrms_platform::outbox::OutboxStore;
use hrms_sqlite::Store as _;
use hrms_sqlite::outbox::SqliteOutbox;

struct Fixture {
    client: Client,
    dir: PathBuf,
}

fn fixture() -> Fixture {
    let dir = temp_dir("employee-http");
    let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("compliance store");
    let compliance: Arc<dyn ComplianceClient> =
        Arc::new(Local { policy: Arc::new(Policy::default()), store: Arc::new(checks) });
    with_compliance(dir, Callee::local(compliance))
}

fn with_compliance(dir: PathBuf, compliance: Callee<dyn ComplianceClient>) -> Fixture {
    let store = SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store");
    let auth = Arc::new(Authenticator::hs256(&[5u8; 32]).expect("key"));
    let app = EmployeeApi::new(auth.clone(), EmployeeDeps { store: Arc::new(store), compliance }).router();
    Fixture { client: Client { app, auth }, dir }
}

impl Fixture {
    async fn outbox(&self, db: &str) -> Vec<HrmsEvent> {
        let outbox = SqliteOutbox::open(self.dir.join(db)).expect("outbox");
        outbox.pending(1000).await.expect("pending").entries.into_iter().map(|e| e.event).collect()
    }
}

fn types(events: &[HrmsEvent]) -> Vec<EventType> {
    events.iter().map(HrmsEvent::event_type).collect()
}

fn new_employee() -> Value {
    json!({
        "first_name": "Grace", "last_name": "Hopper", "email": format!("grace.{}@example.com", Uuid::now_v7().simple()),
        "department": "Engineering", "job_title": "Engineer", "country": "US", "time_zone": "America/New_York",
        "weekly_hours": 40, "hire_date": "2026-12-01", "date_of_birth": "1990-12-09", "manager_id": Uuid::now_v7()
    })
}

#[tokio::test]
async fn every_route_refuses_unknown_callers_and_wrong_roles() {
    let f = fixture();
    let hr = f.client.token(Role::Hr, None);
    let (_, created) = f.client.call("POST", "/employees", Some(&hr), Some(&new_employee())).await;
    let id = created["employee_id"].as_str().expect("id").to_owned();
    let body = json!({ "termination_date": "2027-01-31", "reason": "x" });
    let routes = [
        ("POST", "/employees".to_owned(), Some(new_employee())),
        ("GET", format!("/employees/{id}"), None),
        ("PATCH", format!("/employees/{id}"), Some(json!({ "job_title": "X" }))),
        ("POST", format!("/employees/{id}/terminate"), Some(body)),
    ];
    for (method, uri, body) in &routes {
        let (status, problem) = f.client.call(method, uri, None, body.as_ref()).await;
        assert_eq!(
            (status, problem["status"].clone()),
            (StatusCode::UNAUTHORIZED, json!(401)),
            "{method} {uri}"
        );
        let colleague = f.client.token(Role::Employee, Some(Uuid::now_v7()));
        let (status, problem) = f.client.call(method, uri, Some(&colleague), body.as_ref()).await;
        assert_eq!(
            (status, problem["status"].clone()),
            (StatusCode::FORBIDDEN, json!(403)),
            "{method} {uri}"
        );
    }
    assert_eq!(types(&f.outbox("employee.db").await).len(), 2, "only the one creation was written");
}

#[tokio::test]
async fn create_read_update_terminate() {
    let f = fixture();
    let hr = f.client.token(Role::Hr, None);
    let new = new_employee();
    let (status, created) = f.client.call("POST", "/employees", Some(&hr), Some(&new)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["employee_id"].as_str().expect("id").to_owned();
    assert_eq!((created["version"].clone(), created["status"].clone()), (json!(1), json!("active")));

    let me = f.client.token(Role::Employee, Some(id.parse().expect("uuid")));
    let (status, mine) = f.client.call("GET", &format!("/employees/{id}"), Some(&me), None).await;
    assert_eq!((status, mine["date_of_birth"].clone()), (StatusCode::OK, json!("1990-12-09")));
    let manager =
        f.client.token(Role::Manager, Some(new["manager_id"].as_str().expect("id").parse().expect("uuid")));
    let (status, report) = f.client.call("GET", &format!("/employees/{id}"), Some(&manager), None).await;
    assert_eq!(
        (status, report["date_of_birth"].clone()),
        (StatusCode::OK, Value::Null),
        "no birth date for managers"
    );

    let change = json!({ "version": 1, "job_title": "Rear Admiral" });
    let (status, updated) =
        f.client.call("PATCH", &format!("/employees/{id}"), Some(&hr), Some(&change)).await;
    assert_eq!((status, updated["version"].clone()), (StatusCode::OK, json!(2)), "{updated}");
    let (status, stale) = f.client.call("PATCH", &format!("/employees/{id}"), Some(&hr), Some(&change)).await;
    assert_eq!((status, stale["status"].clone()), (StatusCode::CONFLICT, json!(409)));

    let end = json!({ "termination_date": "2027-06-30", "reason": "retired" });
    let (status, ended) =
        f.client.call("POST", &format!("/employees/{id}/terminate"), Some(&hr), Some(&end)).await;
    assert_eq!((status, ended["status"].clone()), (StatusCode::OK, json!("terminated")));
    let (status, _) =
        f.client.call("POST", &format!("/employees/{id}/terminate"), Some(&hr), Some(&end)).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let events = f.outbox("employee.db").await;
    assert_eq!(
        types(&events),
        [
            EventType::EmployeeCreated,
            EventType::AuditEmployeeCreated,
            EventType::EmployeeUpdated,
            EventType::AuditEmployeeUpdated,
            EventType::EmployeeTerminated,
            EventType::AuditEmployeeTerminated,
        ]
    );
    assert!(events.iter().all(|e| e.partition_key() == id && e.subject() == id));
    assert_eq!(types(&f.outbox("compliance.db").await), [EventType::AuditComplianceValidated; 2]);
}

#[tokio::test]
async fn refusals_are_problems_that_store_nothing() {
    let f = fixture();
    let hr = f.client.token(Role::Hr, None);
    let mut too_long = new_employee();
    too_long["weekly_hours"] = json!(70);
    let (status, problem) = f.client.call("POST", "/employees", Some(&hr), Some(&too_long)).await;
    assert_eq!((status, problem["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("weekly_hours")));
    assert_eq!(problem["violations"][0]["rule_id"], "weekly_hours_max", "{problem}");

    let mut no_name = new_employee();
    no_name.as_object_mut().expect("object").remove("last_name");
    let (status, problem) = f.client.call("POST", "/employees", Some(&hr), Some(&no_name)).await;
    assert_eq!((status, problem["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("last_name")));

    let mut bad_date = new_employee();
    bad_date["hire_date"] = json!("soon");
    let (status, problem) = f.client.call("POST", "/employees", Some(&hr), Some(&bad_date)).await;
    assert_eq!((status, problem["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("hire_date")));

    let (status, _) = f.client.call("GET", &format!("/employees/{}", Uuid::now_v7()), Some(&hr), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(f.outbox("employee.db").await.is_empty());
    assert_eq!(
        types(&f.outbox("compliance.db").await),
        [EventType::ComplianceViolation, EventType::AuditComplianceViolation]
    );
}

struct Down;

impl ComplianceClient for Down {
    fn validate<'a>(
        &'a self,
        _: &'a Subject,
        _: &'a Actor,
    ) -> futures::future::BoxFuture<'a, Result<Verdict, CallError>> {
        Box::pin(async {
            Err(CallError::Unavailable {
                service: "compliance",
                reason: "connection refused".into(),
                cause: None,
            })
        })
    }
}

#[tokio::test]
async fn compliance_down_is_503_and_nothing_is_stored() {
    let f = with_compliance(
        temp_dir("employee-http"),
        Callee::local(Arc::new(Down) as Arc<dyn ComplianceClient>),
    );
    let hr = f.client.token(Role::Hr, None);
    let (status, problem) = f.client.call("POST", "/employees", Some(&hr), Some(&new_employee())).await;
    assert_eq!((status, problem["status"].clone()), (StatusCode::SERVICE_UNAVAILABLE, json!(503)));
    assert!(f.outbox("employee.db").await.is_empty());
}

#[tokio::test]
async fn every_route_refuses_as_documented() {
    use hrms_http::testing::{Refusal, assert_refusals};
    let f = fixture();
    let hr = f.client.token(Role::Hr, None);
    let (_, created) = f.client.call("POST", "/employees", Some(&hr), Some(&new_employee())).await;
    let id = created["employee_id"].as_str().expect("id").to_owned();
    let mut lower_case = new_employee();
    lower_case["country"] = json!("us");
    let termination = json!({ "termination_date": "2027-01-31", "reason": "x" });
    let long_name = json!({ "first_name": "x".repeat(hrms_events::limits::NAME + 1) });
    let table = [
        Refusal::new("POST", "/employees", Some(new_employee()), Some(Role::Employee)).bad(
            Role::Hr,
            None,
            "/employees",
            Some(lower_case),
            "country",
        ),
        Refusal::new("GET", format!("/employees/{id}"), None, Some(Role::Employee)),
        Refusal::new(
            "PATCH",
            format!("/employees/{id}"),
            Some(json!({ "job_title": "X" })),
            Some(Role::Manager),
        )
        .bad(Role::Hr, None, format!("/employees/{id}"), Some(long_name), "first_name"),
        Refusal::new("POST", format!("/employees/{id}/terminate"), Some(termination), Some(Role::Employee))
            .bad(
                Role::Hr,
                None,
                format!("/employees/{id}/terminate"),
                Some(json!({ "termination_date": "2027-01-31", "reason": "  " })),
                "reason",
            ),
    ];
    assert_refusals(&f.client, &table).await;
    assert_eq!(types(&f.outbox("employee.db").await).len(), 2, "only the one creation was written");
}
