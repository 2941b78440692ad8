use std::path::PathBuf;

use hrms_compliance::client::Local as LocalCompliance;
use hrms_compliance::{CallError, Policy, Subject, Verdict};
use hrms_employee::Local as LocalEmployees;
use hrms_events::{Actor, EventType, HrmsEvent, Role};
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::sqlite::SqliteUserStore;
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
use hrms_employee_adapters::sqlite::SqliteEmployeeStore;
use hrms_http::Authenticator;
use hrms_http::testing::{Client, temp_dir};
use hrms_platform::outbox::OutboxStore;
use hrms_sqlite::Store as _;
use hrms_sqlite::outbox::SqliteOutbox;

const SECRET: &str = "a long enough passphrase";

struct Fixture {
    client: Client,
    dir: PathBuf,
    deps: UserDeps,
    employee_store: Arc<SqliteEmployeeStore>,
    compliance: Arc<dyn ComplianceClient>,
}

/// User, Employee and Compliance in one process on SQLite, as in `hrms dev`.
fn fixture() -> Fixture {
    let dir = temp_dir("user-http");
    let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("compliance store");
    let compliance: Arc<dyn ComplianceClient> =
        Arc::new(LocalCompliance { policy: Arc::new(Policy::default()), store: Arc::new(checks) });
    with_compliance(dir, compliance)
}

fn with_compliance(dir: PathBuf, compliance: Arc<dyn ComplianceClient>) -> Fixture {
    let employee_store =
        Arc::new(SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store"));
    let employees: Arc<dyn EmployeeClient> =
        Arc::new(LocalEmployees { store: employee_store.clone(), compliance: compliance.clone() });
    let store = SqliteUserStore::open(dir.join("user.db")).expect("user store");
    let auth = Arc::new(Authenticator::hs256(&[6u8; 32]).expect("key"));
    let deps = UserDeps {
        store: Arc::new(store),
        compliance: Callee::local(compliance.clone()),
        employees: Callee::local(employees),
    };
    let app = UserApi::new(auth.clone(), deps.clone()).router();
    Fixture { client: Client { app, auth }, dir, deps, employee_store, compliance }
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

fn new_user() -> Value {
    json!({
        "email": format!("ada.{}@example.com", Uuid::now_v7().simple()), "full_name": "Ada Lovelace",
        "role": "employee", "password": SECRET,
        "employee": {
            "first_name": "Ada", "last_name": "Lovelace", "department": "Engineering", "job_title": "Analyst",
            "country": "GB", "weekly_hours": 37.5, "hire_date": "2026-12-01", "date_of_birth": "1990-12-10"
        }
    })
}

#[tokio::test]
async fn every_route_refuses_unknown_callers_and_wrong_roles() {
    let f = fixture();
    let admin = f.client.token(Role::Admin, None);
    let (status, created) = f.client.call("POST", "/users", Some(&admin), Some(&new_user())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["user_id"].as_str().expect("id").to_owned();
    let routes = [
        ("POST", "/users".to_owned(), Some(new_user())),
        ("GET", format!("/users/{id}"), None),
        ("PATCH", format!("/users/{id}"), Some(json!({ "full_name": "X" }))),
        ("DELETE", format!("/users/{id}"), None),
        ("POST", format!("/users/{id}/suspend"), Some(json!({ "reason": "x" }))),
        ("POST", format!("/users/{id}/password"), Some(json!({ "new_password": "another long passphrase" }))),
        ("GET", format!("/users/{id}/standing"), None),
    ];
    for (method, uri, body) in &routes {
        let (status, problem) = f.client.call(method, uri, None, body.as_ref()).await;
        assert_eq!(
            (status, problem["status"].clone()),
            (StatusCode::UNAUTHORIZED, json!(401)),
            "{method} {uri}"
        );
        let stranger = f.client.token(Role::Employee, Some(Uuid::now_v7()));
        let (status, problem) = f.client.call(method, uri, Some(&stranger), body.as_ref()).await;
        assert_eq!(
            (status, problem["status"].clone()),
            (StatusCode::FORBIDDEN, json!(403)),
            "{method} {uri}"
        );
    }
    assert_eq!(f.outbox("user.db").await.len(), 2, "only the one creation was written");
}

#[tokio::test]
async fn create_runs_the_chain_and_shows_no_credentials() {
    let f = fixture();
    let hr = f.client.token(Role::Hr, None);
    let (status, user) = f.client.call("POST", "/users", Some(&hr), Some(&new_user())).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert!(user.get("password_hash").is_none() && user.get("password").is_none(), "{user}");
    let id = user["user_id"].as_str().expect("id");
    let employee_id = user["employee_id"].as_str().expect("an employee record");

    let (status, read) = f.client.call("GET", &format!("/users/{id}"), Some(&hr), None).await;
    assert_eq!((status, &read), (StatusCode::OK, &user));
    let (status, employee) =
        f.client.call("GET", &format!("/employees/{employee_id}"), Some(&hr), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the employee routes are not this router's: {employee}");

    let users = f.outbox("user.db").await;
    assert_eq!(types(&users), [EventType::UserCreated, EventType::AuditUserCreated]);
    assert!(users.iter().all(|e| e.partition_key() == employee_id && e.subject() == id));
    assert_eq!(
        types(&f.outbox("employee.db").await),
        [EventType::EmployeeCreated, EventType::AuditEmployeeCreated]
    );
    for db in ["user.db", "employee.db", "compliance.db"] {
        let raw = std::fs::read(f.dir.join(db)).expect("db");
        let text = String::from_utf8_lossy(&raw);
        assert!(!text.contains(SECRET), "{db} holds no password");
    }
}

#[tokio::test]
async fn bad_bodies_name_the_field_and_store_nothing() {
    let f = fixture();
    let admin = f.client.token(Role::Admin, None);
    let cases = [
        ("password", json!(null)),
        ("role", json!("boss")),
        ("email", json!("ada-at-example.com")),
        ("weekly_hours", json!(70)),
    ];
    for (field, value) in cases {
        let mut body = new_user();
        match field {
            "password" => drop(body.as_object_mut().expect("object").remove("password")),
            "weekly_hours" => body["employee"]["weekly_hours"] = value,
            _ => body[field] = value,
        }
        let (status, problem) = f.client.call("POST", "/users", Some(&admin), Some(&body)).await;
        assert_eq!(
            (status, problem["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{problem}"
        );
    }
    let (status, _) = f.client.call("POST", "/users", Some(&admin), Some(&json!("{"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(f.outbox("user.db").await.is_empty() && f.outbox("employee.db").await.is_empty());
}

#[tokio::test]
async fn the_owner_changes_their_password_with_the_current_one() {
    let f = fixture();
    let admin = f.client.token(Role::Admin, None);
    let (_, user) = f.client.call("POST", "/users", Some(&admin), Some(&new_user())).await;
    let id: Uuid = user["user_id"].as_str().expect("id").parse().expect("uuid");
    let own =
        f.client.auth.mint(id, Role::Employee, None, std::time::Duration::from_secs(60)).expect("token");
    let uri = format!("/users/{id}/password");
    let wrong = json!({ "current_password": "not the password", "new_password": "another long passphrase" });
    let (status, problem) = f.client.call("POST", &uri, Some(&own), Some(&wrong)).await;
    assert_eq!(
        (status, problem["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("current_password"))
    );
    let right = json!({ "current_password": SECRET, "new_password": "another long passphrase" });
    let (status, _) = f.client.call("POST", &uri, Some(&own), Some(&right)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let events = f.outbox("user.db").await;
    assert_eq!(types(&events)[2..], [EventType::UserPasswordChanged, EventType::AuditUserPasswordChanged]);
}

#[tokio::test]
async fn the_standing_route_answers_what_tokens_are_checked_against() {
    use hrms_http::auth::account::{AccountLookup, NO_ACCOUNT, Standing};

    let f = fixture();
    let (admin, hr) = (f.client.token(Role::Admin, None), f.client.token(Role::Hr, None));
    let (_, user) = f.client.call("POST", "/users", Some(&admin), Some(&new_user())).await;
    let id: Uuid = user["user_id"].as_str().expect("id").parse().expect("uuid");
    let employee_id: Uuid = user["employee_id"].as_str().expect("id").parse().expect("uuid");
    let uri = format!("/users/{id}/standing");
    let local = accounts::LocalAccounts {
        store: f.deps.store.clone(),
        employees: f.deps.employees.clone(),
        bearer: Arc::new(|| Ok(String::new())),
    };
    let standing = async || {
        let (status, body) = f.client.call("GET", &uri, Some(&hr), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let answered: Standing = serde_json::from_value(body).expect("a standing");
        assert_eq!(local.standing(id).await.expect("answered"), Some(answered.clone()), "in-process alike");
        answered
    };
    let first = standing().await;
    assert_eq!(
        first,
        Standing {
            user_id: id,
            status: hrms_events::user::UserStatus::Active,
            role: Role::Employee,
            employee_id: Some(employee_id),
            employee_terminated: false,
            tokens_valid_since: 0,
        }
    );

    let before = chrono::Utc::now().timestamp();
    let (status, _) = f
        .client
        .call("PATCH", &format!("/users/{id}"), Some(&admin), Some(&json!({"role": "manager"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let re_roled = standing().await;
    assert_eq!(re_roled.role, Role::Manager);
    assert!(re_roled.tokens_valid_since >= before, "tokens before the new role are void: {re_roled:?}");

    let ctx = hrms_employee::commands::Context {
        store: f.employee_store.as_ref(),
        compliance: f.compliance.as_ref(),
    };
    let termination = hrms_employee::Termination {
        termination_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date"),
        reason: "Moved abroad".into(),
    };
    let hr_requester =
        hrms_platform::Requester { user_id: Uuid::now_v7(), role: Role::Hr, employee_id: None };
    hrms_employee::commands::terminate::handle(employee_id, termination, &hr_requester, &ctx)
        .await
        .expect("terminated");
    assert!(standing().await.employee_terminated);

    let (status, _) = f
        .client
        .call("POST", &format!("/users/{id}/suspend"), Some(&admin), Some(&json!({"reason": "x"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(standing().await.status, hrms_events::user::UserStatus::Suspended);

    let stranger = Uuid::now_v7();
    let (status, problem) =
        f.client.call("GET", &format!("/users/{stranger}/standing"), Some(&hr), None).await;
    assert_eq!((status, problem["detail"].as_str()), (StatusCode::NOT_FOUND, Some(NO_ACCOUNT)));
    assert_eq!(local.standing(stranger).await.expect("answered"), None);
    let manager = f.client.token(Role::Manager, None);
    let (status, _) = f.client.call("GET", &uri, Some(&manager), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admin and hr only");
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
    let f = with_compliance(temp_dir("user-http"), Arc::new(Down));
    let admin = f.client.token(Role::Admin, None);
    let (status, problem) = f.client.call("POST", "/users", Some(&admin), Some(&new_user())).await;
    assert_eq!((status, problem["status"].clone()), (StatusCode::SERVICE_UNAVAILABLE, json!(503)));
    assert!(f.outbox("user.db").await.is_empty() && f.outbox("employee.db").await.is_empty());
}

#[tokio::test]
async fn every_route_refuses_as_documented() {
    use hrms_http::testing::{Refusal, assert_refusals};
    let f = fixture();
    let admin = f.client.token(Role::Admin, None);
    let (status, created) = f.client.call("POST", "/users", Some(&admin), Some(&new_user())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["user_id"].as_str().expect("id").to_owned();
    let mut long_email = new_user();
    long_email["email"] = json!(format!("{}@example.com", "a".repeat(hrms_events::limits::EMAIL)));
    let long_name = json!({ "full_name": "x".repeat(hrms_events::limits::NAME + 1) });
    let password = json!({ "new_password": "another long passphrase" });
    let table = [
        Refusal::new("POST", "/users", Some(new_user()), Some(Role::Employee)).bad(
            Role::Admin,
            None,
            "/users",
            Some(long_email),
            "email",
        ),
        Refusal::new("GET", format!("/users/{id}"), None, Some(Role::Employee)),
        Refusal::new(
            "PATCH",
            format!("/users/{id}"),
            Some(json!({ "full_name": "X" })),
            Some(Role::Employee),
        )
        .bad(Role::Admin, None, format!("/users/{id}"), Some(long_name), "full_name"),
        Refusal::new("DELETE", format!("/users/{id}"), None, Some(Role::Employee)),
        Refusal::new(
            "POST",
            format!("/users/{id}/suspend"),
            Some(json!({ "reason": "x" })),
            Some(Role::Employee),
        )
        .bad(
            Role::Admin,
            None,
            format!("/users/{id}/suspend"),
            Some(json!({ "reason": " " })),
            "reason",
        ),
        Refusal::new("POST", format!("/users/{id}/password"), Some(password), Some(Role::Employee)).bad(
            Role::Admin,
            None,
            format!("/users/{id}/password"),
            Some(json!({ "new_password": "short" })),
            "new_password",
        ),
        Refusal::new("GET", format!("/users/{id}/standing"), None, Some(Role::Employee)),
    ];
    assert_refusals(&f.client, &table).await;
    assert_eq!(f.outbox("user.db").await.len(), 2, "only the one creation was written");
}
