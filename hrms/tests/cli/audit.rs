//! The audit trail and `hrms audit verify`, `export` and `replay` on it:
//! every audit event once, readable by HR only, and a rewritten row found.

use hrms::app::Function;
use hrms_e2e::TempDir;
use hrms_events::{EventType, Role, fixtures};
use serde_json::json;

use crate::app::{spawn_app, spawn_functions};
use crate::binary::hrms;
use crate::running::Running;

/// Runs `hrms audit <args>` on the data directory: success, and what it said.
fn audit(data: &TempDir, args: &[&str]) -> (bool, String) {
    let out = hrms().arg("audit").args(args).arg("--data-dir").arg(&data.0).output().expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_keeps_an_audit_trail_that_hrms_audit_verifies_exports_and_finds_tampered() {
    let app = spawn_app().await;
    let hr = app.token(Role::Hr);
    let mut ids = Vec::new();
    for (first, email) in [("Katherine", "katherine@example.com"), ("Dorothy", "dorothy@example.com")] {
        let employee = json!({
            "first_name": first, "last_name": "Johnson", "email": email, "department": "Flight Research",
            "job_title": "Mathematician", "country": "US", "weekly_hours": 40, "hire_date": "2026-12-01"
        });
        let answer = app.api.post("/employees", Some(&hr), Some(&employee)).await;
        assert_eq!(answer.status, 201, "{answer}");
        ids.push(answer.json()["employee_id"].as_str().expect("an id").to_owned());
    }
    // Each creation: audit.compliance.validated and audit.employee.created.
    let rows = |page: &serde_json::Value| page["entries"].as_array().map_or(0, Vec::len);
    let page = app.api.poll("/audit?limit=100", &hr, "four audit rows", |page| rows(page) >= 4).await;
    assert_eq!(rows(&page), 4, "each event once");
    let employee = app.api.get(&format!("/audit/subjects/{}/state", ids[0]), Some(&hr)).await;
    assert_eq!(employee.status, 200, "{employee}");
    assert_eq!(employee.json()["state"]["first_name"], "Katherine");
    let stranger = app.token(Role::Employee);
    assert_eq!(app.api.get("/audit", Some(&stranger)).await.status, 403);
    let data = app.stop().await;

    let (ok, said) = audit(&data, &["verify"]);
    assert!(ok && said.contains("4 rows") && said.contains("intact"), "{said}");
    let export = data.0.join("audit.jsonl");
    let (ok, said) = audit(&data, &["export", "--out", export.to_str().expect("path")]);
    assert!(ok, "{said}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&export)
        .expect("exported")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert!(lines.windows(2).all(|w| w[0]["time"].as_str() <= w[1]["time"].as_str()), "oldest first");
    let (ok, said) = audit(&data, &["replay"]);
    assert!(ok && said.contains("rebuilt the state of 4 subjects"), "{said}");

    // Someone with the sqlite3 shell rewrites history.
    let db = hrms_sqlite::outbox::connect(data.0.join("audit.db")).expect("db");
    db.execute_batch(&format!(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET event = replace(event, 'Katherine', 'Kathy') WHERE subject = '{}'",
        ids[0]
    ))
    .expect("tampered");
    let (ok, said) = audit(&data, &["verify"]);
    assert!(!ok, "verification fails: {said}");
    assert!(said.contains("Altered") && said.contains(&ids[0]), "names the row: {said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_function_alone_takes_events_the_way_a_kafkasource_delivers_them() {
    let function = spawn_functions(vec![Function::Audit]).await;
    let event = fixtures::sample(EventType::AuditEmployeeCreated);
    let id = event.id.to_string();
    for _ in 0..2 {
        let answer = function.api.push("/deliveries/audit", &event, &id, event.event_type().as_str()).await;
        assert_eq!(answer.status, 202, "stored (and a redelivery is harmless): {answer}");
    }
    let refused = function.api.push("/deliveries/audit", &event, &id, "audit.employee.promoted").await;
    assert!(refused.status == 400 && refused.text.contains("type"), "dead-lettered by the source: {refused}");
    let data = function.stop().await;
    let (ok, said) = audit(&data, &["verify"]);
    assert!(ok && said.contains("1 rows") && said.contains("intact"), "{said}");
}
