//! `hrms topics create`: the topics and their dead-letter topics, once.

use hrms_e2e::Broker;

use crate::binary::hrms;

#[test]
fn topics_create_creates_the_table_once() {
    let broker = Broker::start();
    let run = || {
        let out = hrms()
            .args(["topics", "create"])
            .env("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap())
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = run();
    for topic in ["notification-queue", "audit-queue", "notification-queue.dlq", "audit-queue.dlq"] {
        assert!(first.lines().any(|l| l.starts_with("created") && l.contains(topic)), "{first}");
    }
    let again = run();
    assert_eq!(again.lines().filter(|l| l.starts_with("exists")).count(), 4, "{again}");
}

#[test]
fn topics_create_without_a_broker_says_what_is_missing() {
    let out = hrms().args(["topics", "create"]).output().expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("KAFKA_BOOTSTRAP_SERVERS"));
}
