use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use hrms_compliance::client::Local as LocalCompliance;
use hrms_compliance::{ComplianceClient, Policy, Verdict};
use hrms_employee::{EmployeeClient, Local as LocalEmployees};
use hrms_events::compliance::{RuleFinding, Severity};
use serde_json::Value;
use uuid::Uuid;

use hrms_compliance_adapters::http::ComplianceDeps;
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
use hrms_employee_adapters::http::EmployeeDeps;
use hrms_employee_adapters::sqlite::SqliteEmployeeStore;
use hrms_http::openapi::{BEARER, components, document};
use hrms_http::testing::{Client, temp_dir};
use hrms_http::{Api, Authenticator, Callee, Problem, Routes};
use hrms_sqlite::Store as _;
use hrms_user_adapters::http::UserDeps;
use hrms_user_adapters::sqlite::SqliteUserStore;
use utoipa::openapi::OpenApi;

/// What each router serves: method and path.
const COMPLIANCE: &[(&str, &str)] = &[("post", "/compliance/validate"), ("get", "/compliance/violations")];
const EMPLOYEE: &[(&str, &str)] = &[
    ("post", "/employees"),
    ("get", "/employees"),
    ("get", "/employees/{id}"),
    ("patch", "/employees/{id}"),
    ("post", "/employees/{id}/terminate"),
];
const USER: &[(&str, &str)] = &[
    ("post", "/users"),
    ("get", "/users"),
    ("get", "/users/{id}"),
    ("patch", "/users/{id}"),
    ("delete", "/users/{id}"),
    ("post", "/users/{id}/suspend"),
    ("post", "/users/{id}/password"),
    ("get", "/users/{id}/standing"),
];

/// The document as a reader gets it.
fn json(doc: &OpenApi) -> Value {
    serde_json::from_str(&doc.to_json().expect("serializes")).expect("valid JSON")
}

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().into_iter().flatten().map(move |(m, _)| (m.clone(), path.clone()))
        })
        .collect()
}

/// Every `$ref` in `value` names something `doc` has.
fn assert_refs_resolve(doc: &Value, value: &Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let pointer = target.strip_prefix('#').expect("a local reference");
                assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
            }
            map.values().for_each(|v| assert_refs_resolve(doc, v));
        }
        Value::Array(items) => items.iter().for_each(|v| assert_refs_resolve(doc, v)),
        _ => {}
    }
}

#[test]
fn each_fragment_is_a_valid_document_listing_exactly_its_routes() {
    for (fragment, table) in [
        (ComplianceDeps::openapi(), COMPLIANCE),
        (EmployeeDeps::openapi(), EMPLOYEE),
        (UserDeps::openapi(), USER),
    ] {
        let doc = json(&fragment);
        assert_eq!(doc["openapi"], "3.1.0");
        let expected = table.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        assert_eq!(operations(&doc), expected);
        assert_refs_resolve(&doc, &doc);
        for (method, path) in table.iter() {
            let operation = &doc["paths"][path][method];
            let at = format!("{method} {path}");
            assert!(operation["tags"][0].is_string() && operation["summary"].is_string(), "{at}");
            let roles = operation["security"][0][BEARER].as_array().expect(&at);
            assert!(!roles.is_empty() && !roles.contains(&"employee".into()), "{at}: {roles:?}");
            for status in ["401", "403"] {
                assert!(operation["responses"][status]["$ref"].is_string(), "{at} {status}");
            }
            if let Some(body) = operation["requestBody"]["content"]["application/json"].as_object() {
                assert!(body.contains_key("example"), "{at}: a body needs an example");
            }
        }
    }
}

/// The three routers over SQLite in `dir`.
fn routers(dir: &std::path::Path, auth: &Arc<Authenticator>) -> [Router; 3] {
    let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("compliance store");
    let (policy, checks) = (Arc::new(Policy::default()), Arc::new(checks));
    let local: Arc<dyn ComplianceClient> =
        Arc::new(LocalCompliance { policy: policy.clone(), store: checks.clone() });
    let people = Arc::new(SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store"));
    let employees: Arc<dyn EmployeeClient> =
        Arc::new(LocalEmployees { store: people.clone(), compliance: local.clone() });
    let accounts = Arc::new(SqliteUserStore::open(dir.join("user.db")).expect("user store"));
    [
        Api::new(auth.clone(), ComplianceDeps::new(policy, checks)).router(),
        Api::new(auth.clone(), EmployeeDeps { store: people, compliance: Callee::local(local.clone()) })
            .router(),
        Api::new(
            auth.clone(),
            UserDeps {
                store: accounts,
                compliance: Callee::local(local),
                employees: Callee::local(employees),
            },
        )
        .router(),
    ]
}

#[tokio::test]
async fn every_documented_route_is_served_and_asks_for_a_token() {
    let dir = temp_dir("openapi");
    let auth = Arc::new(Authenticator::hs256(&[8u8; 32]).expect("key"));
    let tables = [COMPLIANCE, EMPLOYEE, USER];
    for (app, table) in routers(&dir, &auth).into_iter().zip(tables) {
        let client = Client { app, auth: auth.clone() };
        for (method, path) in table.iter() {
            let uri = path.replace("{id}", &Uuid::now_v7().to_string());
            let (status, problem) = client.call(&method.to_uppercase(), &uri, None, None).await;
            assert_eq!(
                (status, &problem["status"]),
                (StatusCode::UNAUTHORIZED, &401.into()),
                "{method} {uri}"
            );
        }
    }
}

#[test]
fn a_problem_has_only_documented_members() {
    let doc = json(&components());
    let properties = doc["components"]["schemas"]["Problem"]["properties"].as_object().expect("properties");
    let finding = RuleFinding {
        rule_id: "weekly_hours_max".into(),
        field: "weekly_hours".into(),
        message: "too many".into(),
        severity: Severity::Block,
    };
    let verdict = Verdict {
        allowed: false,
        check_id: Uuid::now_v7(),
        policy_version: "v1".into(),
        findings: vec![finding],
    };
    for problem in [Problem::refused(&verdict), Problem::bad_request("x").with_field("a")] {
        let members = serde_json::to_value(&problem).expect("serializes");
        for name in members.as_object().expect("an object").keys() {
            assert!(properties.contains_key(name), "{name} is not documented");
        }
    }
}

#[test]
fn the_root_names_the_api_and_the_scheme() {
    let doc = json(&document("1.2.3"));
    assert_eq!(
        (&doc["openapi"], &doc["info"]["title"], &doc["info"]["version"]),
        (&"3.1.0".into(), &"HRMS".into(), &"1.2.3".into())
    );
    assert_eq!(doc["components"]["securitySchemes"][BEARER]["scheme"], "bearer");
    assert_eq!(doc["components"]["securitySchemes"][BEARER]["bearerFormat"], "JWT");
}
