//! Least privilege: each function runs as a ServiceAccount of its own with
//! an IAM role of its own, which may use only its own table (only Audit
//! writes the audit table, and it may only put: no update or delete), and
//! reaches Kafka as its own KafkaUser.

use hrms_e2e::TempDir;
use serde_json::json;

use crate::tools::{checks, render, rendered, root, run, succeed};

/// The functions with a table and a role (terraform/modules/dynamodb).
const FUNCTIONS: &[&str] =
    &["audit", "compliance", "employee", "user", "leave", "attendance", "notification"];

#[test]
fn every_function_runs_as_its_own_service_account_with_its_own_role() {
    let (_dir, files) = rendered();
    for (overlay, file) in files {
        let out = succeed(&mut checks(&[&"identities", &file]));
        assert!(out.contains(&format!("{} ServiceAccounts of", FUNCTIONS.len())), "{overlay}: {out}");
    }
}

#[test]
fn a_shared_service_account_fails() {
    let dir = TempDir::new();
    let text = std::fs::read_to_string(render("prod", &dir.0)).expect("read");
    assert!(text.contains("serviceAccountName: hrms-leave\n"), "no Service runs as hrms-leave");
    let file = dir.0.join("shared.yaml");
    std::fs::write(
        &file,
        text.replace("serviceAccountName: hrms-leave\n", "serviceAccountName: hrms-audit\n"),
    )
    .expect("write");
    let output = run(&mut checks(&[&"identities", &file]));
    assert_eq!(output.status.code(), Some(1), "a shared ServiceAccount passed");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("Service leave (leave) runs as hrms-audit, not hrms-leave"), "{out}");
    assert!(out.contains("ServiceAccount hrms-audit is shared by ['audit', 'leave']"), "{out}");
}

fn iam(module: &std::path::Path) -> std::process::Output {
    let dir = TempDir::new();
    let functions = dir.0.join("functions.json");
    std::fs::write(&functions, json!(FUNCTIONS).to_string()).expect("write");
    run(&mut checks(&[&"iam", &module, &functions]))
}

#[test]
fn each_role_may_use_only_its_table_and_audit_only_appends() {
    let output = iam(&root().join("terraform/modules/dynamodb/main.tf"));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}");
    assert!(out.contains(&format!("{} functions' roles checked", FUNCTIONS.len())), "{out}");
}

#[test]
fn an_audit_role_that_may_delete_or_a_role_on_every_table_fails() {
    let module = std::fs::read_to_string(root().join("terraform/modules/dynamodb/main.tf")).expect("read");
    let audit = "    audit = [\n";
    let own = "${aws_dynamodb_table.function[each.key].arn}/index/*\"]";
    assert!(module.contains(audit) && module.contains(own), "the module's role layout changed");
    let widened = module.replacen(audit, "    audit = [\n      \"dynamodb:DeleteItem\",\n", 1).replacen(
        own,
        "${aws_dynamodb_table.function[each.key].arn}/index/*\", \"*\"]",
        1,
    );
    let dir = TempDir::new();
    let file = dir.0.join("main.tf");
    std::fs::write(&file, widened).expect("write");
    let output = iam(&file);
    assert_eq!(output.status.code(), Some(1), "a wider role passed");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("audit may ['dynamodb:DeleteItem']: it may only read and put"), "{out}");
    assert!(out.contains("statement OwnTable grants *: not the function's own table"), "{out}");
}
