//! `hrms-bench slo` as CI runs it: 20 s at 50 operations/s on the functions
//! apart (each an `hrms serve` beside this benchmark's binary) over tansu,
//! with a broker restart and a kill of the Audit function; it fails on any
//! loss, duplicate effect, delivery under 99.9 % or lag of 1,000 and more,
//! and writes its JSON and HTML reports. (The latency targets are in the
//! table and the JSON; `--gate targets` fails on them too, which the
//! system does not pass yet: docs/benchmarks.md.)

mod support;

/// Needs the `hrms` binary beside this test's `hrms-bench` (`cargo build -p
/// hrms`). The functions are static members of their groups
/// (`KAFKA_GROUP_INSTANCE_ID`): the Audit restarted after its kill takes its
/// partitions back at once, where a new member would wait out the session
/// of the killed one and could, on tansu 0.6, be left with none
/// (docs/events.md).
#[test]
fn slo_meets_the_targets_through_a_broker_restart_and_a_killed_function() {
    let dir = std::env::temp_dir().join(format!("hrms-slo-pages-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let (html, charts) = (dir.join("slo.html"), dir.join("charts"));
    let (html_arg, charts_arg) = (html.display().to_string(), charts.display().to_string());
    let run = support::slo(
        "slo-test",
        &[
            &["--rate", "50", "--duration", "20s", "--employees", "20", "--team", "5", "--workers", "10"][..],
            &["--fault", "broker-restart@5s+4s", "--fault", "kill:audit@12s", "--drain", "120s"],
            // Latency targets are printed, not gated, until the system meets them.
            &["--gate", "delivery", "--html", &html_arg, "--charts", &charts_arg],
        ]
        .concat(),
    );
    let (report, stdout) = (&run.report, &run.stdout);
    assert!(report["audit_expected"].as_u64().is_some_and(|n| n > 100), "events flowed: {stdout}");
    assert!(report["mail_due"].as_u64().is_some_and(|n| n > 10), "mail was due: {stdout}");
    let answered = |op: &str, status: &str| {
        let ops = report["http"].as_array().into_iter().flatten();
        ops.filter(|o| o["operation"] == op).find_map(|o| o["answers"][status].as_u64()).unwrap_or(0)
    };
    for (op, status) in [("rejection", "200"), ("correction", "200"), ("hire", "201"), ("termination", "200")]
    {
        assert!(answered(op, status) > 0, "the whole HR workload ran, {op}s among it: {stdout}");
    }
    let faults = report["faults"].as_array().expect("faults");
    assert_eq!(faults.len(), 2);
    assert!(faults.iter().all(|f| f["injected_at"].is_number() && f["lifted_at"].is_number()), "{faults:?}");
    let page = std::fs::read_to_string(&html).expect("the HTML report");
    assert_eq!(page.matches("<svg").count(), 3, "three charts");
    for chart in ["latency.svg", "lag.svg", "distribution.svg"] {
        let svg = std::fs::read_to_string(charts.join(chart)).expect("a chart of its own");
        assert!(svg.starts_with("<svg") && svg.contains("xmlns") && page.contains(&svg), "{chart}");
    }
    assert!(stdout.contains("PASS"), "{stdout}");
    for target in ["delivery >= 99.9 %", "zero loss", "produce p95 < 100 ms", "event->mail p95 <= 5 s"] {
        assert!(stdout.contains(target), "the table has {target:?}: {stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same run with every function's store a DynamoDB table on moto
/// (`$HRMS_TEST_MOTO`), shorter and slower (moto takes one transaction per
/// table at a time), through a kill of the Audit function: what the
/// functions recorded is read back from their tables.
#[test]
fn slo_on_dynamodb_loses_and_duplicates_nothing_through_a_killed_function() {
    let run = support::slo(
        "slo-dynamodb-test",
        &[
            &["--store", "dynamodb", "--rate", "15", "--duration", "10s"][..],
            &["--employees", "10", "--team", "5", "--workers", "5"],
            &["--fault", "kill:audit@5s", "--drain", "90s", "--gate", "delivery"],
        ]
        .concat(),
    );
    let (report, stdout) = (&run.report, &run.stdout);
    assert!(report["audit_expected"].as_u64().is_some_and(|n| n > 50), "events flowed: {stdout}");
    assert!(report["mail_due"].as_u64().is_some_and(|n| n > 0), "mail was due: {stdout}");
    let dir = run.dir.join("run");
    assert!(dir.join("logs/moto.log").exists(), "moto ran as part of the topology");
    assert!(!dir.join("data/audit/audit.db").exists(), "the audit log is in DynamoDB, not SQLite");
}
