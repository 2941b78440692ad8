//! `hrms-bench mixed` as a user runs it: a short working day on `dev` in
//! the process, its table printed, no server errors.

use std::process::{Command, Stdio};

#[test]
fn bench_mixed_runs_a_working_day_and_prints_its_table_with_no_server_errors() {
    let args =
        ["--seconds", "1", "--concurrency", "2", "--employees", "4", "--team", "2", "--bare-requests", "50"];
    let out = Command::new(env!("CARGO_BIN_EXE_hrms-bench"))
        .arg("mixed")
        .args(args)
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .env_remove("HRMS_EVENT_SINK")
        .env_remove("HRMS_JWT_SECRET")
        .env_remove("HRMS_JWKS_URL")
        .env_remove("HRMS_JWT_ISSUER")
        .env_remove("HRMS_JWT_AUDIENCE")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("events: in-process"), "says how events travel: {stdout}");
    assert!(stdout.contains("population: 2 managers and 4 employees"), "{stdout}");
    let row = |name: &str| stdout.lines().find(|l| l.starts_with(name)).map(str::to_owned);
    for name in ["bare axum", "overlapping", "approval", "check-in", "check-out", "balance", "all"] {
        assert!(row(name).is_some(), "a row for {name}: {stdout}");
    }
    let requests = row("leave request").unwrap_or_default();
    assert!(requests.contains("201 x "), "every connection asks for leave first: {stdout}");
    assert!(stdout.contains("answers other than expected: 0; 5xx: 0"), "{stdout}");
    let ratio = stdout.lines().find_map(|l| l.strip_prefix("ratio to bare: ")?.parse::<f64>().ok());
    assert!(ratio.is_some_and(|r| r > 0.0), "{stdout}");
}
