//! The OpenAPI document fuzzed by schemathesis (PyPI, `st` in the test
//! venv) against `hrms dev`: every check (`--checks all`: no 5xx, statuses,
//! content types, headers and bodies as documented, schema-valid requests
//! accepted, schema-violating ones refused, ...), in every phase (examples,
//! coverage, fuzzing, and stateful: the document's links from `POST /users`,
//! `POST /employees`, `POST /leaves` and check-in to the routes taking their
//! ids), with a token of each role. Bounded and reproducible: a few examples
//! per operation, a fixed seed. Its configuration,
//! `tests/python/schemathesis.toml`, names the refusals of business rules a
//! JSON Schema cannot state. A second test checks that the document's
//! `maxLength`s are the limits the functions enforce (`hrms_events::limits`).

use std::path::PathBuf;
use std::process::Command;

use hrms_e2e::TempDir;
use hrms_events::Role;
use serde_json::Value;

use crate::binary::Dev;
use crate::fixtures::account;
use crate::running::mint;

/// Test cases per operation and phase.
const EXAMPLES: &str = "12";
/// The seed of every run, so that a failure reproduces.
const SEED: &str = "20261207";

/// `st` of the test venv (next to its python).
fn schemathesis() -> PathBuf {
    hrms_e2e::python().with_file_name("st")
}

/// Creates an account of `role` with its employee record; its user and employee ids.
async fn person(dev: &Dev, admin: &str, role: &str, manager: Option<&str>) -> (String, String) {
    let email = format!("{role}-{}@example.com", uuid::Uuid::now_v7().simple());
    let created =
        dev.api.post("/users", Some(admin), Some(&account(&email, "Fuzz", role, role, manager))).await;
    assert_eq!(created.status, 201, "{created}");
    let body: Value = created.json();
    let id = |name: &str| body[name].as_str().unwrap_or_else(|| panic!("{name} in {body}")).to_owned();
    (id("user_id"), id("employee_id"))
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_server_error_and_no_contract_failure_for_any_role() {
    let data = TempDir::new();
    let dev = Dev::start(&data).await;
    let admin = mint(&data.0, Role::Admin, &uuid::Uuid::now_v7().to_string(), None);
    let (hr, hr_record) = person(&dev, &admin, "hr", None).await;
    let (manager, manager_record) = person(&dev, &admin, "manager", None).await;
    let (employee, employee_record) = person(&dev, &admin, "employee", Some(&manager_record)).await;
    let tokens = [
        ("admin", admin.clone()),
        ("hr", mint(&data.0, Role::Hr, &hr, Some(&hr_record))),
        ("manager", mint(&data.0, Role::Manager, &manager, Some(&manager_record))),
        ("employee", mint(&data.0, Role::Employee, &employee, Some(&employee_record))),
    ];
    let config = hrms_e2e::python_script("schemathesis.toml");
    let mut failed = Vec::new();
    for (role, token) in &tokens {
        let out = Command::new(schemathesis())
            .arg("--config-file")
            .arg(&config)
            .arg("--no-color")
            .args(["run", &format!("{}/openapi.json", dev.api.base), "--checks", "all"])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1"])
            .args(["--generation-database", "none", "--request-timeout", "15"])
            .current_dir(&data.0)
            .output()
            .expect("schemathesis runs (tests/run installs it into the venv)");
        let report = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            failed.push(format!("as {role}:\n{report}\n{}", String::from_utf8_lossy(&out.stderr)));
        }
    }
    assert!(failed.is_empty(), "schemathesis found failures:\n{}", failed.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_states_the_lengths_the_functions_enforce() {
    use hrms_events::limits::{EMAIL, LABEL, NAME, REASON};
    let app = crate::app::spawn_app().await;
    let document = app.api.get("/openapi.json", None).await.json();
    let schemas = &document["components"]["schemas"];
    let reason = hrms_attendance::commands::correct::MAX_REASON;
    for (schema, field, max) in [
        ("NewUser", "email", EMAIL),
        ("NewUser", "full_name", NAME),
        ("UserChanges", "full_name", NAME),
        ("EmployeeDetails", "job_title", LABEL),
        ("Suspension", "reason", REASON),
        ("NewEmployee", "first_name", NAME),
        ("NewEmployee", "department", LABEL),
        ("EmployeeChanges", "last_name", NAME),
        ("Termination", "reason", REASON),
        ("NewLeave", "reason", REASON),
        ("Rejection", "reason", REASON),
        ("Cancellation", "reason", REASON),
        ("Correction", "reason", reason),
    ] {
        let stated = &schemas[schema]["properties"][field]["maxLength"];
        assert_eq!(stated.as_u64(), Some(max as u64), "{schema}.{field}: {stated}");
    }
    app.stop().await;
}
