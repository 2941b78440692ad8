//! Another stack reads our events: Python's confluent-kafka and the
//! `cloudevents` SDK check every record on both topics
//! (`tests/python/read_events.py`).

use std::process::Command;

use hrms_e2e::{Broker, python, python_script};
use hrms_events::{EventType, fixtures};
use hrms_kafka::{KafkaPublisher, ensure_topics};
use hrms_platform::EventPublisher;

#[tokio::test(flavor = "multi_thread")]
async fn python_confluent_kafka_and_cloudevents_read_every_type() {
    let broker = Broker::start();
    let config = broker.config();
    ensure_topics(&config, &hrms_events::TOPICS).await.expect("topics");
    let sent: Vec<_> = (0..2).flat_map(|_| fixtures::all()).collect();
    KafkaPublisher::new(&config).expect("producer").publish_all(&sent).await.expect("published");

    let catalogue: Vec<_> = EventType::ALL
        .iter()
        .map(|t| serde_json::json!({ "type": t.as_str(), "topic": t.topic().name, "dataschema": t.schema_uri(), "source": t.service().source() }))
        .collect();
    let (bootstrap, expect) = (broker.bootstrap(), sent.len().to_string());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .arg(python_script("read_events.py"))
            .args(["--bootstrap", &bootstrap, "--expect", &expect])
            .args(["--catalogue", &serde_json::to_string(&catalogue).expect("json")])
            .output()
    })
    .await
    .expect("joined")
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "reader failed:\n{stdout}\n{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON summary");
    assert_eq!(summary["records"], sent.len(), "{summary}");
    assert_eq!(summary["errors"].as_array().map(Vec::len), Some(0), "{summary}");
    for ty in EventType::ALL {
        assert_eq!(summary["types"][ty.as_str()], 2, "{ty} seen twice: {summary}");
    }
}
