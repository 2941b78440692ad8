//! Every rendered overlay is valid against the schemas the cluster enforces,
//! unknown fields included, and the event functions take KafkaSource
//! deliveries only where no outsider reaches them, never without
//! authenticating the sender.

use hrms_e2e::TempDir;

use crate::consumers::table;
use crate::tools::{checks, render, rendered, root, run, succeed};

#[test]
fn every_rendered_manifest_validates_against_its_crd_or_kubernetes_schema() {
    let schemas = root().join("knative/schemas");
    let (_dir, files) = rendered();
    for (overlay, file) in files {
        let out = succeed(&mut checks(&[&"validate", &schemas, &file]));
        for kind in [
            "Service/audit ",
            "KafkaSource/audit ",
            "KafkaSource/compliance ",
            "EventPolicy/hrms-audit-intake ",
            "EventPolicy/hrms-queues ",
            "ServiceAccount/hrms-audit ",
            "KafkaSink/audit-queue-dlq ",
            "Kafka/hrms-kafka ",
            "KafkaNodePool/brokers ",
            "KafkaTopic/audit-queue ",
            "KafkaUser/hrms-audit ",
            "PodMonitor/hrms-functions ",
            "PrometheusRule/hrms ",
            "NetworkPolicy/hrms-functions ",
            "ConfigMap/hrms-config-",
        ] {
            assert!(out.contains(&format!("ok {kind}")), "{overlay}: {kind}was not validated");
        }
        assert!(out.contains(", 0 problems"), "{overlay}: {out}");
        // Every function runs the overlay's image.
        let text = std::fs::read_to_string(&file).expect("read the rendered manifests");
        let tag = if overlay == "dev" { "dev" } else { "0.1.0" };
        let images: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("image:")).collect();
        assert!(!images.is_empty(), "{overlay}: no image");
        for line in images {
            assert_eq!(line.trim(), format!("image: registry.example.com/hrms/hrms:{tag}"), "{overlay}");
        }
    }
}

#[test]
fn unknown_fields_and_wrong_types_fail_validation() {
    let dir = TempDir::new();
    let file = dir.0.join("bad.yaml");
    std::fs::write(&file, BAD).expect("write");
    let output = run(&mut checks(&[&"validate", &root().join("knative/schemas"), &file]));
    assert_eq!(output.status.code(), Some(1), "invalid manifests passed");
    let out = String::from_utf8_lossy(&output.stdout);
    for finding in [
        "KafkaTopic/audit-queue: spec: Additional properties are not allowed ('partition' was unexpected)",
        "Service/user: spec.template.spec.containers.0: Additional properties are not allowed ('livenessprobe' was unexpected)",
        "KafkaUser/hrms-user: metadata: Additional properties are not allowed ('label' was unexpected)",
        "ConfigMap/hrms-config: (root): Additional properties are not allowed ('date' was unexpected)",
        "KafkaSource/audit: spec.consumers: 'five' is not of type 'integer'",
        "Widget/x: no CRD schema for example.com/v1 Widget",
        "EventPolicy/hrms-audit-intake: spec.from.0: Additional properties are not allowed ('kind' was unexpected)",
    ] {
        assert!(out.contains(finding), "missing finding {finding:?} in:\n{out}");
    }
}

#[test]
fn kafkasource_deliveries_reach_only_cluster_local_services_that_authenticate_them() {
    let (dir, files) = rendered();
    let table = table(&dir.0);
    for (overlay, file) in files {
        let out = succeed(&mut checks(&[&"deliveries", &table, &file]));
        let sources = format!("{} KafkaSources", hrms::app::consumers::CONSUMERS.len());
        assert!(out.contains(&sources), "{overlay}: {out}");
    }
}

#[test]
fn a_delivery_route_without_authentication_fails_the_delivery_check() {
    let dir = TempDir::new();
    let dev = render("dev", &dir.0);
    let text = std::fs::read_to_string(&dev).expect("read");
    let subjects = "- name: HRMS_INTAKE_SUBJECTS\n          value: system:serviceaccount:hrms:compliance-";
    assert!(text.contains(subjects), "the dev overlay no longer admits the compliance source");
    let file = dir.0.join("open.yaml");
    std::fs::write(&file, text.replacen(subjects, "- name: HRMS_UNUSED\n          value: x", 1))
        .expect("write");
    let output = run(&mut checks(&[&"deliveries", &table(&dir.0), &file]));
    assert_eq!(output.status.code(), Some(1));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("Service compliance serves /deliveries/compliance to anyone"), "{out}");
}

#[test]
fn a_public_sink_or_an_open_delivery_route_fails_the_delivery_check() {
    let dir = TempDir::new();
    let prod = render("prod", &dir.0);
    let text = std::fs::read_to_string(&prod).expect("read");
    // The audit source delivering to the public audit Service.
    let opened = text.replacen(
        "      name: audit-events\n    uri: /deliveries/audit",
        "      name: audit\n    uri: /deliveries/audit",
        1,
    );
    assert_ne!(opened, text, "the prod overlay no longer names audit-events as a sink");
    let file = dir.0.join("opened.yaml");
    std::fs::write(&file, opened).expect("write");
    let output = run(&mut checks(&[&"deliveries", &table(&dir.0), &file]));
    assert_eq!(output.status.code(), Some(1));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains(
            "KafkaSource audit delivers to Service audit, which is reachable from outside the cluster"
        ),
        "{out}"
    );
}

#[test]
fn knative_services_keep_the_rules_of_knative_servings_webhook() {
    let (_dir, files) = rendered();
    for (overlay, file) in files {
        let out = succeed(&mut checks(&[&"knative", &file]));
        assert!(out.contains("Knative Services keep the runtime contract"), "{overlay}: {out}");
    }
}

#[test]
fn a_reserved_path_variable_or_port_breaks_the_knative_contract() {
    let dir = TempDir::new();
    let file = dir.0.join("reserved.yaml");
    std::fs::write(&file, RESERVED).expect("write");
    let output = run(&mut checks(&[&"knative", &file]));
    assert_eq!(output.status.code(), Some(1), "a Service Knative refuses passed");
    let out = String::from_utf8_lossy(&output.stdout);
    for finding in [
        "Service user: mountPath /tmp is a reserved path",
        "Service user: PORT is a reserved environment variable",
        "Service user: port 8012 is reserved for the queue-proxy",
        "Service user: port name 'http' is not http1 or h2c",
        "Service user: volume data is ['persistentVolumeClaim'], which needs a Knative feature flag",
        "Service user: min-scale 3 exceeds max-scale 1",
    ] {
        assert!(out.contains(finding), "missing finding {finding:?} in:\n{out}");
    }
}

/// A Service valid against the CRD that Knative's webhook would refuse.
const RESERVED: &str = r#"
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: user, namespace: hrms}
spec:
  template:
    metadata:
      annotations: {autoscaling.knative.dev/min-scale: "3", autoscaling.knative.dev/max-scale: "1"}
    spec:
      containers:
      - image: hrms
        env: [{name: PORT, value: "8012"}]
        ports: [{name: http, containerPort: 8012}]
        volumeMounts: [{name: data, mountPath: /tmp/}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
"#;

/// One mistake per kind, as a person might make them.
const BAD: &str = r#"
apiVersion: kafka.strimzi.io/v1
kind: KafkaTopic
metadata: {name: audit-queue, namespace: hrms, labels: {strimzi.io/cluster: hrms-kafka}}
spec: {partition: 5, replicas: 3}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: user, namespace: hrms}
spec:
  template:
    spec:
      containers:
      - image: hrms
        livenessprobe: {httpGet: {path: /healthz}}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaUser
metadata: {name: hrms-user, namespace: hrms, label: {a: b}}
spec: {authentication: {type: scram-sha-512}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: hrms-config, namespace: hrms}
date: {A: b}
---
apiVersion: sources.knative.dev/v1
kind: KafkaSource
metadata: {name: audit, namespace: hrms}
spec:
  consumers: five
  bootstrapServers: [kafka:9093]
  topics: [audit-queue]
  sink: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: audit}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: x}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {name: hrms-audit-intake, namespace: hrms}
spec:
  from: [{kind: KafkaSource}]
"#;
