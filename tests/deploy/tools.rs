//! Where the tools are, and running them: each one's output is printed, and
//! a failure shows what it said.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hrms_e2e::{TempDir, python, python_script};

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The overlays under `knative/overlays/`.
pub const OVERLAYS: [&str; 2] = ["dev", "prod"];

/// A tool from `$var`, else `default` (installed by tests/run).
fn tool(var: &str, default: impl FnOnce() -> PathBuf) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(default);
    assert!(
        path.is_file() || path.components().count() == 1,
        "{} not found: run tests/run, which installs it (or set {var})",
        path.display()
    );
    path
}

fn cache(path: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".cache/hrms").join(path)
}

pub fn kubectl() -> PathBuf {
    tool("HRMS_TEST_KUBECTL", || PathBuf::from("kubectl"))
}

pub fn promtool() -> PathBuf {
    tool("HRMS_TEST_PROMTOOL", || cache("prometheus/promtool"))
}

pub fn checkov() -> PathBuf {
    tool("HRMS_TEST_CHECKOV", || cache("checkov/bin/checkov"))
}

/// Runs `command`, prints what it said, and returns its output.
pub fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

/// Runs `command` and fails the test unless it succeeds.
pub fn succeed(command: &mut Command) -> String {
    let output = run(command);
    assert!(output.status.success(), "{command:?} failed: {}", output.status);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `deploy_checks.py` with `args`.
pub fn checks(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Command {
    let mut command = Command::new(python());
    command.arg(python_script("deploy_checks.py"));
    for arg in args {
        command.arg(arg);
    }
    command
}

/// `kubectl kustomize knative/overlays/<overlay>`, written to a file in `dir`.
pub fn render(overlay: &str, dir: &Path) -> PathBuf {
    let source = root().join("knative/overlays").join(overlay);
    let output = Command::new(kubectl()).arg("kustomize").arg(&source).output();
    let output = output.unwrap_or_else(|e| panic!("cannot run kubectl (tests/run needs it on PATH): {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "kubectl kustomize {} failed: {stderr}", source.display());
    let path = dir.join(format!("{overlay}.yaml"));
    std::fs::write(&path, &output.stdout).expect("write the rendered manifests");
    path
}

/// Every overlay rendered into a fresh directory.
pub fn rendered() -> (TempDir, Vec<(&'static str, PathBuf)>) {
    let dir = TempDir::new();
    let files = OVERLAYS.iter().map(|o| (*o, render(o, &dir.0))).collect();
    (dir, files)
}
