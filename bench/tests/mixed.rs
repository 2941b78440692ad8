//! `hrms-bench mixed` as a user runs it: a short working day on `dev` in
//! the process, its table printed, no server errors.

use std::process::{Command, Stdio};

#[test]
fn bench_mixed_runs_a_working_day_and_prints_its_table_with_no_server_errors() {
    let args =
        ["--seconds", "1", "--concurrency", "2", "--employees", "4", "--team", "2", "--bare-requests", "50"];
    let stdout = bench_mixed(&args);
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

/// The kinds `bench mixed` leaves out by default, given weights: each gets
/// the answer a user expects, hires and terminations included (a terminated
/// employee is no longer acted for, so nothing of theirs is refused).
#[test]
fn bench_mixed_rejects_corrects_hires_and_terminates_with_only_the_expected_answers() {
    let args = [
        ["--seconds", "3"],
        ["--concurrency", "2"],
        // Records live a second or more: only those are corrected.
        ["--employees", "20"],
        ["--team", "5"],
        ["--attendance", "10"],
        ["--bare-requests", "50"],
        ["--rejections", "10"],
        ["--corrections", "10"],
        ["--hires", "4"],
        ["--terminations", "4"],
    ];
    let stdout = bench_mixed(&args.concat());
    assert!(stdout.contains("mix: request 30, overlap 10, approve 20, reject 10"), "{stdout}");
    let row = |name: &str| stdout.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_owned();
    for (name, answer) in
        [("rejection", "200 x "), ("correction", "200 x "), ("hire", "201 x "), ("termination", "200 x ")]
    {
        assert!(row(name).contains(answer), "{name} answered {answer}: {stdout}");
    }
    assert!(stdout.contains("answers other than expected: 0; 5xx: 0"), "{stdout}");
}

/// `hrms-bench mixed` with `args`, events in-process, the default
/// authentication; what it printed, once it exited successfully.
fn bench_mixed(args: &[&str]) -> String {
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
    stdout.into_owned()
}
