use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hrms_compliance::client::Local;
use hrms_compliance::{ComplianceClient, Policy};
use hrms_events::Role;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use axum::Router;
use hrms_compliance_adapters::http::COMMANDS as COMPLIANCE;
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
use hrms_employee_adapters::http::{COMMANDS as EMPLOYEE, EmployeeDeps};
use hrms_employee_adapters::sqlite::SqliteEmployeeStore;
use hrms_http::commands::with_intake;
use hrms_http::testing::temp_dir;
use hrms_http::{Api, Authenticator, Callee, Routes};
use hrms_sqlite::Store as _;

fn app() -> (Router, Arc<Authenticator>) {
    let dir = temp_dir("commands");
    let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("store");
    let compliance: Arc<dyn ComplianceClient> =
        Arc::new(Local { policy: Arc::new(Policy::default()), store: Arc::new(checks) });
    let store = SqliteEmployeeStore::open(dir.join("employee.db")).expect("store");
    let auth = Arc::new(Authenticator::hs256(&[8u8; 32]).expect("key"));
    let deps = EmployeeDeps { store: Arc::new(store), compliance: Callee::local(compliance) };
    let commands = [EMPLOYEE, COMPLIANCE].concat();
    (with_intake(Api::new(auth.clone(), deps).router(), commands, auth.clone()), auth)
}

fn employee() -> Value {
    json!({
        "first_name": "Mary", "last_name": "Jackson", "email": format!("mary.{}@example.com", Uuid::now_v7().simple()),
        "department": "Engineering", "job_title": "Engineer", "country": "US", "weekly_hours": 40,
        "hire_date": "2026-12-01"
    })
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn binary(token: Option<&str>, event_type: &str, subject: Option<&str>, data: &Value) -> Request<Body> {
    let mut request = Request::post("/")
        .header("ce-specversion", "1.0")
        .header("ce-id", Uuid::now_v7().to_string())
        .header("ce-source", "/triggers/test")
        .header("ce-type", event_type)
        .header("content-type", "application/json");
    if let Some(s) = subject {
        request = request.header("ce-subject", s);
    }
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    request.body(Body::from(data.to_string())).expect("request")
}

fn structured(token: &str, event: Value) -> Request<Body> {
    Request::post("/")
        .header("content-type", "application/cloudevents+json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(event.to_string()))
        .expect("request")
}

#[tokio::test]
async fn a_binary_command_runs_its_route_with_the_callers_token() {
    let (app, auth) = app();
    let hr = auth.mint(Uuid::now_v7(), Role::Hr, None, std::time::Duration::from_secs(60)).expect("token");
    let (status, created) =
        send(&app, binary(Some(&hr), "hrms.command.employee.create", None, &employee())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["employee_id"].as_str().expect("id").to_owned();

    let terminate = json!({
        "specversion": "1.0", "id": Uuid::now_v7(), "source": "/triggers/test",
        "type": "hrms.command.employee.terminate", "subject": id,
        "datacontenttype": "application/json",
        "data": { "termination_date": "2027-01-31", "reason": "contract ended" }
    });
    let (status, ended) = send(&app, structured(&hr, terminate)).await;
    assert_eq!((status, ended["status"].clone()), (StatusCode::OK, json!("terminated")), "{ended}");

    let (status, problem) = send(&app, binary(None, "hrms.command.employee.create", None, &employee())).await;
    assert_eq!((status, problem["status"].clone()), (StatusCode::UNAUTHORIZED, json!(401)));
    let employee_token = auth.mint(Uuid::now_v7(), Role::Employee, None, std::time::Duration::from_secs(60));
    let (status, _) =
        send(&app, binary(employee_token.ok().as_deref(), "hrms.command.employee.create", None, &employee()))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the route's own checks hold");
}

#[tokio::test]
async fn events_that_are_not_commands_here_are_400_naming_the_attribute() {
    let (app, auth) = app();
    let hr = auth.mint(Uuid::now_v7(), Role::Hr, None, std::time::Duration::from_secs(60)).expect("token");
    let cases = [
        (binary(Some(&hr), "hrms.command.user.create", None, &employee()), "type"),
        (binary(Some(&hr), "hrms.command.employee.update", None, &json!({})), "subject"),
        (binary(Some(&hr), "hrms.command.employee.update", Some("not-a-uuid"), &json!({})), "subject"),
        (
            Request::post("/")
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {hr}"))
                .body(Body::from("{}"))
                .expect("request"),
            "specversion",
        ),
        (
            structured(
                &hr,
                json!({ "specversion": "1.0", "id": "1", "type": "hrms.command.employee.create" }),
            ),
            "source",
        ),
        (
            structured(&hr, json!({ "specversion": "0.3", "id": "1", "source": "/x", "type": "t" })),
            "specversion",
        ),
    ];
    for (request, field) in cases {
        let (status, problem) = send(&app, request).await;
        assert_eq!((status, problem["field"].clone()), (StatusCode::BAD_REQUEST, json!(field)), "{problem}");
    }
}

/// The intake is never open: without a person's valid token every command
/// is 401 before it is read, even one whose route would take it.
#[tokio::test]
async fn commands_without_a_persons_valid_token_are_401() {
    let (app, _) = app();
    let other = Authenticator::hs256(&[9u8; 32]).expect("key");
    let forged =
        other.mint(Uuid::now_v7(), Role::Admin, None, std::time::Duration::from_secs(60)).expect("token");
    let check = json!({ "subject_kind": "user", "subject_id": Uuid::now_v7(), "user": {} });
    let delivery_token = "a-delivery-token-of-32-characters";
    for (case, token) in
        [("none", None), ("another key's", Some(forged.as_str())), ("a delivery token", Some(delivery_token))]
    {
        for ty in ["hrms.command.employee.create", "hrms.command.compliance.validate", "hrms.unknown"] {
            let (status, problem) = send(&app, binary(token, ty, None, &check)).await;
            assert_eq!(
                (status, problem["status"].clone()),
                (StatusCode::UNAUTHORIZED, json!(401)),
                "{case} {ty}"
            );
        }
    }
}

#[test]
fn every_command_has_an_example_event_carrying_its_routes_example() {
    let mut routes = hrms_compliance_adapters::http::ComplianceDeps::openapi();
    routes.merge(EmployeeDeps::openapi());
    routes.merge(hrms_user_adapters::http::UserDeps::openapi());
    let commands = [hrms_user_adapters::http::COMMANDS, EMPLOYEE, COMPLIANCE].concat();
    let doc =
        serde_json::to_value(hrms_http::commands::openapi(&routes, &commands).expect("built")).expect("JSON");
    let routes = serde_json::to_value(&routes).expect("JSON");
    let operation = &doc["paths"]["/"]["post"];
    assert_eq!(operation["security"][0][hrms_http::openapi::BEARER], json!(["admin", "hr"]));
    let body = &operation["requestBody"]["content"]["application/cloudevents+json"];
    let types: Vec<&str> = commands.iter().map(|c| c.event_type).collect();
    assert_eq!(body["schema"]["properties"]["type"]["enum"], json!(types));
    for command in &commands {
        let example = &body["examples"][command.event_type];
        assert_eq!(example["summary"], format!("{} {}", command.method, command.path));
        let event = &example["value"];
        assert_eq!(event["type"], command.event_type);
        assert_eq!(event["subject"].is_string(), command.path.contains("{id}"), "{}", command.event_type);
        let route = &routes["paths"][command.path][command.method.to_ascii_lowercase()];
        assert_eq!(event["data"], route["requestBody"]["content"]["application/json"]["example"]);
    }
}
