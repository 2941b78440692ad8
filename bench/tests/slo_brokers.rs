//! `hrms-bench slo --brokers 3`: three tansu brokers sharing one PostgreSQL
//! behind one address, as the design's cluster has three brokers; one of
//! them is SIGKILLed for 10 s while 50 operations/s go on. What a platform
//! engineer checks: nothing lost or doubled, and the events kept reaching
//! the audit log and the mailbox while that broker was dead (with the only
//! broker dead, none can).

mod support;

/// Needs the `hrms` binary beside this test's `hrms-bench` (`cargo build -p
/// hrms`), a tansu built with its `postgres` feature (`TANSU_BIN`) and
/// PostgreSQL 16's programs (`HRMS_TEST_POSTGRES`); tests/run provides both.
#[test]
fn the_flow_goes_on_while_one_broker_of_three_is_dead() {
    let run = support::slo(
        "slo-brokers-test",
        &[
            &["--brokers", "3", "--rate", "50", "--duration", "20s"][..],
            &["--employees", "20", "--team", "5", "--workers", "10"],
            &["--fault", "broker-restart@5s+10s", "--drain", "120s", "--gate", "delivery"],
        ]
        .concat(),
    );
    let (report, stdout) = (&run.report, &run.stdout);
    assert_eq!(report["brokers"], "3 tansu brokers on one PostgreSQL", "{stdout}");
    let fault = &report["faults"][0];
    assert_eq!(fault["kind"], "broker-restart", "{fault}");
    let audited = fault["audited_while_on"].as_u64();
    assert!(audited.is_some_and(|n| n > 50), "audited while a broker was dead: {stdout}");
    let mailed = fault["mailed_while_on"].as_u64();
    assert!(mailed.is_some_and(|n| n > 10), "mailed while a broker was dead: {stdout}");
    assert!(stdout.contains("window of broker-restart@5s+10s"), "{stdout}");
}
