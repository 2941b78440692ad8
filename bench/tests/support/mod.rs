//! `hrms-bench slo` run as a user would run it, for the tests that judge
//! its report.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A finished run: its directory (removed when the test passes), the JSON
/// report and the table it printed.
pub struct Run {
    pub dir: PathBuf,
    pub report: serde_json::Value,
    pub stdout: String,
}

/// Runs `hrms-bench slo <args>` with the broker, SMTP server (and moto) of
/// its own, its JSON report in `<dir>/slo.json` and its run in `<dir>/run`;
/// asserts that it exited 0, that its report passes and that it lost and
/// doubled nothing.
pub fn slo(name: &str, args: &[&str]) -> Run {
    let dir = std::env::temp_dir().join(format!("hrms-{name}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let json = dir.join("slo.json");
    let out = Command::new(env!("CARGO_BIN_EXE_hrms-bench"))
        .arg("slo")
        .args(args)
        .arg("--json")
        .arg(&json)
        .arg("--dir")
        .arg(dir.join("run"))
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report")).expect("JSON");
    assert_eq!(report["pass"], true, "{report:#}");
    assert_eq!((report["lost"].as_u64(), report["duplicates"].as_u64()), (Some(0), Some(0)), "{stdout}");
    Run { dir, report, stdout: stdout.into_owned() }
}

impl Drop for Run {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
