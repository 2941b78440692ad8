//! The AsyncAPI document (`hrms::app::asyncapi`): every process serves at
//! `GET /asyncapi.json` (public, like `/openapi.json`) what `hrms events
//! --asyncapi` prints; it lists exactly the catalogue (every topic and
//! dead-letter topic, every readable version of every type, who sends and
//! who receives each, the `dlq_*` headers `hrms-kafka` writes); and the
//! AsyncAPI project's own parser (`@asyncapi/parser`, installed by
//! `tests/run`; `tests/asyncapi/validate.cjs`) accepts it without an error
//! or a warning.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use hrms::app::consumers::CONSUMERS;
use hrms_events::asyncapi::{DLQ_HEADERS, KAFKASINK_DLQ_HEADERS, message_id};
use hrms_events::{EventType, TOPICS, schema};
use serde_json::Value;

use crate::app::spawn_app;
use crate::binary::hrms;
use crate::running::Running;

fn doc() -> Value {
    hrms::app::asyncapi::document()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_process_serves_the_document_that_hrms_events_prints() {
    let app = spawn_app().await;
    let served = app.api().get("/asyncapi.json", None).await;
    assert_eq!(served.status, 200, "public, no token: {served}");
    let out = hrms().args(["events", "--asyncapi"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(served.json(), printed);
    assert_eq!(printed, doc());
    assert_eq!(printed["info"]["version"], env!("CARGO_PKG_VERSION"));
    app.stop().await;
}

#[test]
fn the_dead_letter_headers_are_those_hrms_kafka_writes() {
    use hrms_kafka::dlq;
    let documented: BTreeSet<&str> = DLQ_HEADERS.iter().map(|(name, _)| *name).collect();
    let written = [
        dlq::REASON,
        dlq::ATTEMPTS,
        dlq::ORIGINAL_TOPIC,
        dlq::ORIGINAL_PARTITION,
        dlq::ORIGINAL_OFFSET,
        dlq::GROUP,
        dlq::FAILED_AT,
    ];
    assert_eq!(documented, written.into_iter().collect());
}

/// The message ids an operation lists.
fn operation_messages(doc: &Value, id: &str) -> BTreeSet<String> {
    let op = &doc["operations"][id];
    assert!(op.is_object(), "no operation {id}");
    let refs = op["messages"].as_array().unwrap_or_else(|| panic!("{id}: messages"));
    refs.iter().filter_map(|r| r["$ref"].as_str()?.rsplit('/').next().map(str::to_owned)).collect()
}

#[test]
fn it_lists_exactly_the_catalogue() {
    let doc = doc();
    assert_eq!(doc["asyncapi"], "3.0.0");

    let topics: BTreeSet<String> = TOPICS.iter().map(|t| t.name.to_owned()).collect();
    assert_eq!(keys(&doc["channels"]), topics);
    for topic in TOPICS {
        let channel = &doc["channels"][topic.name];
        let kafka = &channel["bindings"]["kafka"];
        assert_eq!(channel["address"], topic.name);
        assert_eq!(kafka["partitions"], topic.partitions, "{}", topic.name);
        assert_eq!(kafka["replicas"], topic.replication_factor, "{}", topic.name);
        assert_eq!(kafka["topicConfiguration"]["retention.ms"], topic.retention_ms, "{}", topic.name);
    }

    let mut expected = BTreeSet::new();
    for ty in EventType::ALL {
        for version in ty.readable_versions() {
            let id = message_id(*ty, version);
            let message = &doc["components"]["messages"][&id];
            let headers = &message["headers"]["properties"];
            assert_eq!(headers["ce_type"]["const"], ty.as_str(), "{id}");
            assert_eq!(headers["ce_source"]["const"], ty.service().source(), "{id}");
            assert_eq!(headers["ce_dataschema"]["const"], schema::expected_id(ty.as_str(), version), "{id}");
            assert!(message["bindings"]["kafka"]["key"].is_object(), "{id}: the record key");
            let payload = &doc["components"]["schemas"][&id];
            let committed = schema::of_version(*ty, version).expect("readable");
            assert_eq!(
                payload["properties"].as_object().map(|p| p.len()),
                committed["properties"].as_object().map(|p| p.len())
            );
            assert_eq!(payload["required"], committed["required"], "{id}");
            assert!(keys(&doc["channels"][ty.topic().name]["messages"]).contains(&id), "{id} on its topic");
            expected.insert(id);
        }
    }
    let letters: BTreeSet<String> =
        TOPICS.iter().filter(|t| t.is_dlq()).map(|t| format!("{}.letter", t.name)).collect();
    expected.extend(letters);
    assert_eq!(keys(&doc["components"]["messages"]), expected);

    // Each function sends its types, at the version written.
    for topic in TOPICS.iter().filter(|t| !t.is_dlq()) {
        for service in hrms_events::Service::ALL {
            let sent: BTreeSet<String> = EventType::ALL
                .iter()
                .filter(|t| t.service() == service && t.topic() == topic)
                .map(|t| message_id(*t, t.schema_version()))
                .collect();
            let id = format!("{service}.send.{}", topic.name);
            if sent.is_empty() {
                assert!(doc["operations"][&id].is_null(), "{id}");
            } else {
                assert_eq!(operation_messages(&doc, &id), sent, "{id}");
            }
        }
    }
    // Each consumer receives the types it acts on, at every version read.
    for consumer in CONSUMERS {
        let read: BTreeSet<String> = consumer
            .event_types()
            .into_iter()
            .flat_map(|t| t.readable_versions().into_iter().map(move |v| message_id(t, v)))
            .collect();
        let id = format!("{}.receive", consumer.function);
        assert_eq!(operation_messages(&doc, &id), read, "{id}");
        assert_eq!(doc["operations"][&id]["bindings"]["kafka"]["groupId"]["enum"][0], consumer.group);
        for topic in consumer.topics {
            assert!(doc["operations"][format!("{}.deadLetter.{topic}", consumer.function)].is_object());
        }
    }
    // The dead letters and their headers.
    for dlq in TOPICS.iter().filter(|t| t.is_dlq()) {
        let letter = &doc["components"]["messages"][format!("{}.letter", dlq.name)];
        let headers = keys(&letter["headers"]["properties"]);
        for (name, _) in DLQ_HEADERS.iter().chain(&KAFKASINK_DLQ_HEADERS) {
            assert!(headers.contains(*name), "{}: {name}", dlq.name);
        }
    }
}

#[test]
fn every_version_read_is_received_by_someone() {
    let doc = doc();
    let received: BTreeSet<String> =
        CONSUMERS.iter().flat_map(|c| operation_messages(&doc, &format!("{}.receive", c.function))).collect();
    for ty in EventType::ALL {
        assert!(received.contains(&message_id(*ty, ty.schema_version())), "nobody reads {ty}");
    }
}

/// `HRMS_TEST_ASYNCAPI_PARSER` (the `node_modules` holding
/// `@asyncapi/parser`), else where `tests/run` installs it.
fn parser_modules() -> PathBuf {
    let modules = std::env::var_os("HRMS_TEST_ASYNCAPI_PARSER").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        home.join(".cache/hrms/npm/node_modules")
    });
    assert!(
        modules.join("@asyncapi/parser").is_dir(),
        "@asyncapi/parser not found in {}: run tests/run, which installs it (or set HRMS_TEST_ASYNCAPI_PARSER)",
        modules.display()
    );
    modules
}

#[test]
fn the_asyncapi_parser_accepts_it_without_errors_or_warnings() {
    let modules = parser_modules();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let file = std::env::temp_dir().join(format!("hrms-asyncapi-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_string_pretty(&doc()).expect("JSON")).expect("written");
    let output = Command::new("node")
        .arg(root.join("tests/asyncapi/validate.cjs"))
        .arg(&file)
        .env("NODE_PATH", &modules)
        .output()
        .expect("node runs (node 20 is needed)");
    let _ = std::fs::remove_file(&file);
    let said = String::from_utf8_lossy(&output.stdout);
    print!("{said}");
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the parser refused the document:\n{said}");
    assert!(said.contains("parsed AsyncAPI 3.0.0"), "{said}");
    assert!(said.contains(", 0 errors or warnings"), "{said}");
}
