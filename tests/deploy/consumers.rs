//! Every consumer `hrms dev` runs (the table `hrms::app::consumers`) has a
//! deployed path: a KafkaSource to its `/deliveries` route (topics, group,
//! ordering, retries, lag scaling) whose OIDC token the function admits, an
//! EventPolicy, read ACLs, and a `--consume` consumer in compose.

use std::path::{Path, PathBuf};

use hrms::app::Durability;
use hrms::app::consumers::{CONSUMERS, Ordering};
use hrms_e2e::TempDir;
use hrms_events::topics::TopicSpec;
use serde_json::{Value, json};

use crate::tools::{checks, render, rendered, root, run, succeed};

/// The consumer table as JSON, written into `dir`.
pub fn table(dir: &Path) -> PathBuf {
    let rows: Vec<Value> = CONSUMERS
        .iter()
        .map(|c| {
            let topics: Vec<Value> = c
                .topics
                .iter()
                .map(|name| {
                    let spec = TopicSpec::by_name(name).expect("a topic of the events crate's table");
                    json!({"name": name, "partitions": spec.partitions})
                })
                .collect();
            json!({
                "function": c.function,
                "topics": topics,
                "group": c.group,
                "ordering": match c.ordering { Ordering::Ordered => "ordered" },
                "durable": match c.durable {
                    Durability::RetryUntilHandled => "retry-until-handled",
                    Durability::DeadLetterAfterRetries => "dead-letter-after-retries",
                },
                "event_types": c.event_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let path = dir.join("consumers.json");
    std::fs::write(&path, Value::Array(rows).to_string()).expect("write the consumer table");
    path
}

fn compose() -> PathBuf {
    root().join("compose.yaml")
}

#[test]
fn every_consumer_of_the_code_has_a_source_a_policy_acls_and_a_compose_consumer() {
    let (dir, files) = rendered();
    let table = table(&dir.0);
    for (overlay, file) in files {
        let out = succeed(&mut checks(&[&"consumers", &table, &file, &compose()]));
        let want = format!("{} consumers compared with {} KafkaSources", CONSUMERS.len(), CONSUMERS.len());
        assert!(out.contains(&want), "{overlay}: {out}");
    }
}

/// Runs the consumer check on the prod overlay changed by `change`, and
/// answers what it found; fails unless the check fails.
fn findings(change: impl Fn(&str) -> String, compose_change: impl Fn(&str) -> String) -> String {
    let dir = TempDir::new();
    let prod = render("prod", &dir.0);
    let text = std::fs::read_to_string(&prod).expect("read");
    let changed = change(&text);
    let file = dir.0.join("changed.yaml");
    std::fs::write(&file, changed).expect("write");
    let original = std::fs::read_to_string(compose()).expect("read compose.yaml");
    let compose = dir.0.join("compose.yaml");
    std::fs::write(&compose, compose_change(&original)).expect("write");
    let output = run(&mut checks(&[&"consumers", &table(&dir.0), &file, &compose]));
    assert_eq!(output.status.code(), Some(1), "the change passed the consumer check");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn same(text: &str) -> String {
    text.to_owned()
}

/// `text` with `from` replaced once; fails when `from` is not there.
fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} is not in the rendered manifests");
    text.replacen(from, to, 1)
}

#[test]
fn a_consumer_without_its_kafkasource_fails() {
    let out = findings(
        |t| replaced(t, "consumerGroup: compliance-service", "consumerGroup: compliance-other"),
        same,
    );
    assert!(out.contains("consumer compliance (compliance-service): 0 KafkaSources in its group"), "{out}");
    assert!(
        out.contains("KafkaSource compliance: group compliance-other is no consumer of the code"),
        "{out}"
    );
}

#[test]
fn a_consumer_without_read_acls_or_a_compose_consumer_fails() {
    let out = findings(
        |t| {
            let group = "        name: compliance-service\n        patternType: literal\n        type: group";
            replaced(t, group, &group.replace("compliance-service", "compliance-elsewhere"))
        },
        |c| replaced(c, "[serve, compliance, --consume]", "[serve, compliance]"),
    );
    assert!(out.contains("may not read in group compliance-service"), "{out}");
    assert!(
        out.contains(
            "consumer compliance (compliance-service): compose runs no `serve compliance --consume`"
        ),
        "{out}"
    );
}

#[test]
fn a_compose_consumer_that_is_no_static_member_fails() {
    let out = findings(same, |c| replaced(c, "      KAFKA_GROUP_INSTANCE_ID: audit-0\n", ""));
    assert!(
        out.contains(
            "consumer audit (audit-service): compose's consumer is no static member (KAFKA_GROUP_INSTANCE_ID)"
        ),
        "{out}"
    );
}

#[test]
fn a_source_the_function_does_not_admit_or_that_gives_up_early_fails() {
    let out = findings(
        |t| {
            let t = replaced(t, "audience: hrms-intake-audit", "audience: hrms-intake-other");
            replaced(&t, "retry: 100", "retry: 10")
        },
        same,
    );
    assert!(
        out.contains(
            "sends tokens for audience hrms-intake-other, Service audit-events wants hrms-intake-audit"
        ),
        "{out}"
    );
    assert!(out.contains("less than a store outage of 6 hours"), "{out}");
}

#[test]
fn an_event_policy_admitting_another_sender_fails() {
    let out = findings(
        |t| {
            let from = "  name: hrms-leave-intake\n  namespace: hrms\nspec:\n  from:\n  - ref:\n      apiVersion: sources.knative.dev/v1\n      kind: KafkaSource";
            replaced(t, from, &from.replace("kind: KafkaSource", "kind: PingSource"))
        },
        same,
    );
    assert!(
        out.contains("KafkaSource leave (leave): no EventPolicy lets it into Service leave-events"),
        "{out}"
    );
    assert!(out.contains("not a KafkaSource of this system"), "{out}");
}
