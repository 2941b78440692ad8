//! The AWS Lambda deployment (`terraform/aws`) says what the code says: its
//! DynamoDB tables are those the stores create; its Kafka event source
//! mappings are the consumer table's (topics, groups); the relay's streams
//! are the tables with an outbox; its HTTP routes are the public path
//! prefixes of each function's OpenAPI paths; and checkov passes on it.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use hrms::app::consumers::CONSUMERS;
use hrms::app::{App, Function, Options, Stores, Transport};
use hrms_dynamodb::{Index, Layout};
use hrms_e2e::{TempDir, python, python_script};
use hrms_platform::inprocess::InProcessBus;
use serde_json::{Value, json};

use crate::tools::{checkov, checks, root, run, succeed};

/// Path prefixes that API Gateway does not route: service-to-service only.
const INSIDE: &[&str] = &["/internal"];

/// Each function's public path prefixes (`/employees`, ...), from the OpenAPI
/// document the whole system serves, by the tag each operation carries.
async fn routes_of_the_code() -> BTreeMap<String, BTreeSet<String>> {
    let dir = TempDir::new();
    let options = Options {
        stores: Stores::sqlite(dir.0.clone()),
        functions: Function::all(),
        event_log: false,
        consume: true,
        intake: std::sync::Arc::new(hrms_http::intake_auth::IntakeAuth::default()),
    };
    let app = App::build_on(options, Transport::InProcess(InProcessBus::default())).await.expect("the app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("its address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(listener, async move {
        let _ = stopped.await;
    }));
    let document: Value = reqwest::get(format!("http://{address}/openapi.json"))
        .await
        .expect("the document")
        .json()
        .await
        .expect("JSON");
    let _ = stop.send(());
    let _ = server.await;
    let functions: BTreeSet<&str> = Function::all().into_iter().map(Function::service).collect();
    let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        let prefix = format!("/{}", path.trim_start_matches('/').split('/').next().unwrap_or_default());
        let tags = operations.as_object().into_iter().flat_map(|ops| ops.values()).flat_map(|op| {
            op["tags"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned)
        });
        for tag in tags.collect::<Vec<_>>() {
            if functions.contains(tag.as_str()) && !INSIDE.contains(&prefix.as_str()) {
                routes.entry(tag).or_default().insert(prefix.clone());
            }
        }
    }
    routes
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_consumers_outboxes_routes_roles_and_alarms_match_the_code() {
    let consumers: Vec<Value> = CONSUMERS
        .iter()
        .map(|c| json!({"function": c.function, "topics": c.topics, "group": c.group}))
        .collect();
    let functions: Vec<&str> = Function::all().into_iter().map(Function::service).collect();
    let outboxes: Vec<&str> =
        Function::all().into_iter().filter(|f| f.emits_events()).map(Function::service).collect();
    let routes = routes_of_the_code().await;
    assert_eq!(routes.len(), functions.len(), "every function serves routes: {routes:?}");
    let code =
        json!({"consumers": consumers, "functions": functions, "outboxes": outboxes, "routes": routes});
    let dir = TempDir::new();
    let file = dir.0.join("code.json");
    std::fs::write(&file, code.to_string()).expect("write the code's tables");
    let mut command = Command::new(python());
    command.arg(python_script("aws_checks.py")).arg("aws").arg(root().join("terraform/aws")).arg(&file);
    let out = succeed(&mut command);
    assert!(out.contains(&format!("{} consumers, {} outboxes", CONSUMERS.len(), outboxes.len())), "{out}");
}

#[test]
fn aws_dynamodb_tables_are_those_the_stores_create() {
    let indexes = |list: &[Index]| -> Vec<Value> {
        list.iter().map(|i| json!({"name": i.name, "partition": i.partition, "sort": i.sort})).collect()
    };
    let layouts: serde_json::Map<String, Value> = Function::all()
        .into_iter()
        .map(|f| {
            let layout: &Layout = f.layout();
            (
                f.service().to_owned(),
                json!({"local": indexes(layout.local), "global": indexes(layout.global)}),
            )
        })
        .collect();
    let dir = TempDir::new();
    let file = dir.0.join("layout.json");
    std::fs::write(&file, Value::Object(layouts).to_string()).expect("write the layout");
    let out = succeed(&mut checks(&[&"tables", &file, &root().join("terraform/aws/dynamodb.tf")]));
    assert!(out.contains(&format!("{} tables of the code compared", Function::all().len())), "{out}");
}

#[test]
fn checkov_passes_on_the_aws_module() {
    let dir = TempDir::new();
    let mut command = Command::new(checkov());
    command
        .arg("--config-file")
        .arg(root().join("tests/checkov.yaml"))
        .args(["--framework", "terraform", "-d"])
        .arg(root().join("terraform/aws"));
    let output = run(command.env("BC_SKIP_MAPPING", "TRUE").current_dir(&dir.0));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && out.contains("terraform scan results"), "checkov:\n{out}");
    assert!(!out.contains("FAILED for resource"), "{out}");
}
