//! The manifests and the Terraform say what the code says: topic sizes from
//! the events crate's table, DynamoDB tables as the stores create them.

use hrms::app::Function;
use hrms_dynamodb::{Index, Layout};
use hrms_e2e::TempDir;
use hrms_events::topics::TOPICS;

/// The functions with a table, as `hrms` creates them (`Function::layout`).
const SERVICES: &[&str] = &["attendance", "audit", "compliance", "employee", "leave", "notification", "user"];
use serde_json::{Value, json};

use crate::tools::{checks, rendered, root, succeed};

#[test]
fn kafka_topics_sinks_and_sources_match_the_events_crate_table() {
    let table: Vec<Value> = TOPICS
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "partitions": t.partitions,
                "replication_factor": t.replication_factor,
                "min_insync_replicas": t.min_insync_replicas,
                "retention_ms": t.retention_ms,
                "consumer_group": t.consumer_group,
                "is_dlq": t.is_dlq(),
                "dlq": t.dlq().name,
            })
        })
        .collect();
    let (dir, files) = rendered();
    let table_file = dir.0.join("topics.json");
    std::fs::write(&table_file, Value::Array(table).to_string()).expect("write the table");
    for (overlay, file) in files {
        let out = succeed(&mut checks(&[&"topics", &table_file, &file]));
        let sources = hrms::app::consumers::CONSUMERS.len();
        let want = format!("4 topics compared with 4 KafkaTopics, 4 KafkaSinks, {sources} KafkaSources");
        assert!(out.contains(&want), "{overlay}: {out}");
    }
}

#[test]
fn terraform_dynamodb_tables_are_those_the_stores_create() {
    let indexes = |list: &[Index]| -> Vec<Value> {
        list.iter().map(|i| json!({"name": i.name, "partition": i.partition, "sort": i.sort})).collect()
    };
    // As `hrms` lays them out (`Function::layout`).
    let layouts: serde_json::Map<String, Value> = SERVICES
        .iter()
        .map(|service| {
            let layout: &Layout = Function::all()
                .into_iter()
                .find(|f| f.service() == *service)
                .map_or(&Layout::PLAIN, |f| f.layout());
            (service.to_string(), json!({"local": indexes(layout.local), "global": indexes(layout.global)}))
        })
        .collect();
    let dir = TempDir::new();
    let file = dir.0.join("layout.json");
    std::fs::write(&file, Value::Object(layouts).to_string()).expect("write the layout");
    let module = root().join("terraform/modules/dynamodb/main.tf");
    let out = succeed(&mut checks(&[&"tables", &file, &module]));
    assert!(out.contains(&format!("{} tables of the code compared", SERVICES.len())), "{out}");
}
