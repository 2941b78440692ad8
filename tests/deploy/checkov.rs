//! checkov finds nothing on the Terraform, the manifests (raw, rendered, and
//! each Knative Service's pod spec as the Deployment Knative makes of it) and
//! the Dockerfile; the checks it skips are named with their reasons in
//! tests/checkov.yaml. Every .tf file parses.

use std::process::Command;

use crate::tools::{checkov, checks, render, root, run, succeed};
use hrms_e2e::TempDir;

#[test]
fn checkov_passes_on_terraform_knative_workloads_and_the_dockerfile() {
    let dir = TempDir::new();
    let workloads = dir.0.join("workloads");
    succeed(&mut checks(&[&"workloads", &render("prod", &dir.0), &workloads]));
    let root = root();
    let output = run(Command::new(checkov())
        .arg("--config-file")
        .arg(root.join("tests/checkov.yaml"))
        .args(["--framework", "terraform", "kubernetes", "kustomize", "dockerfile"])
        .arg("-d")
        .arg(root.join("terraform"))
        .arg("-d")
        .arg(root.join("knative"))
        .arg("-d")
        .arg(&workloads)
        .arg("-f")
        .arg(root.join("Dockerfile"))
        .env("BC_SKIP_MAPPING", "TRUE")
        .current_dir(&dir.0));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "checkov found problems:\n{out}");
    for framework in ["terraform", "kubernetes", "kustomize", "dockerfile"] {
        assert!(out.contains(&format!("{framework} scan results")), "checkov did not scan {framework}:\n{out}");
    }
    assert!(!out.contains("FAILED for resource"), "{out}");
}

#[test]
fn every_terraform_file_parses() {
    let out = succeed(&mut checks(&[&"hcl", &root().join("terraform")]));
    assert!(out.contains(", 0 problems"), "{out}");
}
