//! checkov finds nothing on the Terraform, the manifests (raw, rendered, and
//! each Knative Service's pod spec as the Deployment Knative makes of it) and
//! the Dockerfile; the checks it skips are named with their reasons in
//! tests/checkov.yaml. Every .tf file parses.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use hrms_e2e::TempDir;

use crate::tools::{checkov, checks, render, root, run, succeed};

/// Runs checkov with the project's configuration on `targets`; fails the
/// test on any finding, or when a framework in `frameworks` scanned nothing.
fn scan(dir: &Path, frameworks: &[&str], targets: &[&dyn AsRef<OsStr>]) {
    let mut command = Command::new(checkov());
    command.arg("--config-file").arg(root().join("tests/checkov.yaml")).arg("--framework").args(frameworks);
    for target in targets {
        command.arg(target);
    }
    let output = run(command.env("BC_SKIP_MAPPING", "TRUE").current_dir(dir));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "checkov found problems:\n{out}");
    for framework in frameworks {
        assert!(
            out.contains(&format!("{framework} scan results")),
            "checkov did not scan {framework}:\n{out}"
        );
    }
    assert!(!out.contains("FAILED for resource"), "{out}");
}

#[test]
fn checkov_passes_on_terraform_knative_and_the_knative_workloads() {
    let dir = TempDir::new();
    let workloads = dir.0.join("workloads");
    succeed(&mut checks(&[&"workloads", &render("prod", &dir.0), &workloads]));
    let root = root();
    let (terraform, knative) = (root.join("terraform"), root.join("knative"));
    scan(
        &dir.0,
        &["terraform", "kubernetes", "kustomize"],
        &[&"-d", &terraform, &"-d", &knative, &"-d", &workloads],
    );
}

#[test]
fn checkov_passes_on_the_dockerfile() {
    let dir = TempDir::new();
    scan(&dir.0, &["dockerfile"], &[&"-f", &root().join("Dockerfile")]);
}

#[test]
fn every_terraform_file_parses() {
    let out = succeed(&mut checks(&[&"hcl", &root().join("terraform")]));
    assert!(out.contains(", 0 problems"), "{out}");
}
