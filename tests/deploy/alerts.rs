//! The alerts load in Prometheus, the lag alert fires when it should, and
//! alerts and dashboard name only metrics the code records.

use std::process::Command;

use hrms_e2e::TempDir;

use crate::tools::{checks, promtool, render, root, succeed};

/// The PrometheusRule of the prod overlay as a rule file in a fresh directory.
fn rule_file() -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new();
    let manifests = render("prod", &dir.0);
    let rules = dir.0.join("rules.yaml");
    succeed(&mut checks(&[&"rules", &manifests, &rules]));
    (dir, rules)
}

#[test]
fn alert_rules_pass_promtool_check() {
    let (_dir, rules) = rule_file();
    let out = succeed(Command::new(promtool()).args(["check", "rules"]).arg(&rules));
    assert!(out.contains("SUCCESS: 9 rules found"), "{out}");
}

#[test]
fn the_lag_alert_fires_after_five_minutes_over_1000_in_promtool_unit_tests() {
    let (dir, _rules) = rule_file();
    let cases = dir.0.join("alerts_test.yaml");
    std::fs::copy(root().join("tests/promtool/alerts_test.yaml"), &cases).expect("copy the test cases");
    let out = succeed(Command::new(promtool()).args(["test", "rules"]).arg(&cases).current_dir(&dir.0));
    assert!(out.contains("SUCCESS"), "{out}");
}

#[test]
fn alerts_and_dashboard_name_only_metrics_the_code_records() {
    let dir = TempDir::new();
    let manifests = render("prod", &dir.0);
    let dashboard = root().join("knative/base/monitoring/hrms-dashboard.json");
    // The code that records metrics: the platform and the functions.
    let sources = std::env::join_paths([root().join("platform"), root().join("functions")]).expect("paths");
    let out = succeed(&mut checks(&[&"metrics", &sources, &manifests, &dashboard]));
    assert!(out.contains("expressions use"), "{out}");
}
