//! `hrms lambda`: the real binary under a local Lambda Runtime API
//! ([`RuntimeApi`]) on moto's DynamoDB and a tansu broker. An HTTP API
//! request creates an employee; a Kafka mapping's batch read from the
//! broker, with one poison record, is handled by the Audit function with the
//! poison in the DLQ, and changes nothing (no second dead letter) when
//! delivered again; the relay, fed stream records, publishes the outbox in
//! key order and loses nothing when the broker is down; SQLite is refused
//! at init.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hrms_e2e::{Broker, Moto, TempDir};
use hrms_events::{EventType, HrmsEvent, Role, fixtures};
use hrms_kafka::codec::EncodedRecord;
use hrms_kafka::{KafkaPublisher, ensure_topics};
use hrms_platform::EventPublisher;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message, OwnedMessage};
use rdkafka::producer::FutureRecord;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{Value, json};

use crate::binary::{Dev, free_port};
use crate::lambda_api::{Answer, RuntimeApi, SESSION_TOKEN};
use crate::running::mint;
use crate::wait;

const LIMIT: Duration = Duration::from_secs(60);

/// A `hrms lambda` process polling its own Runtime API; killed on drop.
struct Lambda {
    child: Child,
    api: RuntimeApi,
    /// Its standard output: where EMF lines go.
    stdout: Arc<Mutex<Vec<String>>>,
}

impl Drop for Lambda {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment the Lambda service and our configuration give `function`.
fn lambda_env(api: &str, function: &str, moto: &str, prefix: &str, secret: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", api),
        ("AWS_LAMBDA_FUNCTION_NAME", &format!("hrms-{function}")),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("_HANDLER", function),
        ("HRMS_STORE", "dynamodb"),
        ("HRMS_DYNAMODB_ENDPOINT", moto),
        ("HRMS_DYNAMODB_TABLE_PREFIX", prefix),
        ("HRMS_DYNAMODB_AUDIT_WRITERS", "1"),
        ("HRMS_DYNAMODB_NOTIFICATION_WRITERS", "1"),
        ("HRMS_JWT_SECRET", secret),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("RUST_LOG", "info"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

impl Lambda {
    /// Runs `program` (the binary, or a `bootstrap` link to it) with `env`.
    async fn start(program: &Path, args: &[&str], env: Vec<(String, String)>, api: RuntimeApi) -> Self {
        let mut command = Command::new(program);
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("TEST_LOG").is_some() { Stdio::inherit() } else { Stdio::null() });
        let mut child = command.spawn().expect("hrms starts");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (lines, out) = (stdout.clone(), child.stdout.take().expect("piped"));
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                lines.lock().expect("lock").push(line);
            }
        });
        Self { child, api, stdout }
    }

    async fn function(
        function: &str,
        moto: &Moto,
        prefix: &str,
        secret: &str,
        more: &[(&str, &str)],
    ) -> Self {
        let api = RuntimeApi::start().await;
        let mut env = lambda_env(&api.address, function, &moto.endpoint(), prefix, secret);
        env.extend(more.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        Self::start(Path::new(env!("CARGO_BIN_EXE_hrms")), &["lambda"], env, api).await
    }

    async fn invoke(&self, event: Value) -> Answer {
        self.api.invoke(event, LIMIT).await
    }

    /// The EMF lines written so far.
    fn metrics(&self) -> Vec<Value> {
        let lines = self.stdout.lock().expect("lock").clone();
        lines
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v.get("_aws").is_some())
            .collect()
    }

    /// The sum of `metric` over the EMF lines, once it reaches `expected`
    /// (the process prints a line after answering, so the last may come a
    /// moment after the answer), or what it is after 10 s.
    async fn metric_sum(&self, metric: &str, expected: u64) -> u64 {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let sum = self.metrics().iter().filter_map(|m| m[metric].as_u64()).sum();
            if sum >= expected || std::time::Instant::now() > deadline {
                return sum;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// An API Gateway HTTP API (payload 2.0) request.
fn http_api(method: &str, path: &str, token: &str, body: Option<&Value>) -> Value {
    json!({
        "version": "2.0", "routeKey": format!("{method} {path}"), "rawPath": path, "rawQueryString": "",
        "headers": {"authorization": format!("Bearer {token}"), "content-type": "application/json", "host": "api.example"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example", "domainPrefix": "api",
            "requestId": uuid::Uuid::now_v7().to_string(), "routeKey": format!("{method} {path}"), "stage": "$default",
            "time": "07/Dec/2026:04:00:00 +0000", "timeEpoch": 1_796_000_000_000i64,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test"},
        },
        "body": body.map(Value::to_string), "isBase64Encoded": false,
    })
}

/// The status and JSON body of an HTTP answer.
fn http_answer(answer: Answer) -> (u64, Value) {
    let response = answer.response();
    let body = response["body"].as_str().unwrap_or("null");
    (response["statusCode"].as_u64().unwrap_or(0), serde_json::from_str(body).unwrap_or(Value::Null))
}

/// The shared secret of the test's functions (and of the tokens it mints).
fn secret(data: &TempDir) -> String {
    String::from_utf8(hrms::secret::jwt_secret(&data.0).expect("a secret")).expect("hex")
}

fn new_employee(email: &str) -> Value {
    json!({
        "first_name": "Katherine", "last_name": "Johnson", "email": email, "department": "Engineering",
        "job_title": "Engineer", "country": "US", "time_zone": "America/New_York", "weekly_hours": 40,
        "hire_date": "2026-01-05"
    })
}

fn prefix() -> String {
    format!("l{}-", &uuid::Uuid::now_v7().simple().to_string()[20..])
}

/// Compliance served apart on the same tables (Employee calls it).
async fn compliance(moto: &Moto, prefix: &str, data: &TempDir) -> (Dev, String) {
    let port = free_port();
    let endpoint = moto.endpoint();
    let env = [
        ("HRMS_STORE", "dynamodb"),
        ("HRMS_DYNAMODB_ENDPOINT", endpoint.as_str()),
        ("HRMS_DYNAMODB_TABLE_PREFIX", prefix),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    (Dev::serve_with("compliance", port, data, &env).await, format!("http://127.0.0.1:{port}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bootstrap_binary_answers_http_api_requests_and_creates_an_employee() {
    let (moto, data, prefix) = (Moto::start(), TempDir::new(), prefix());
    let secret = secret(&data);
    let (_compliance, compliance_url) = compliance(&moto, &prefix, &data).await;
    // Installed as a custom runtime's `bootstrap`: no arguments, the handler in `_HANDLER`.
    let bootstrap = data.0.join("bootstrap");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_hrms"), &bootstrap).expect("a bootstrap link");
    // The token secret comes from Secrets Manager by ARN, through the extension.
    let api = RuntimeApi::start().await;
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hrms-jwt-AbCdEf";
    api.keep_secret(arn, &secret);
    let mut env = lambda_env(&api.address, "employee", &moto.endpoint(), &prefix, "");
    env.retain(|(k, _)| k != "HRMS_JWT_SECRET");
    env.extend(
        [
            ("HRMS_COMPLIANCE_URL", compliance_url.as_str()),
            ("HRMS_JWT_SECRET_SECRET_ARN", arn),
            ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", &api.port()),
            ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let lambda = Lambda::start(&bootstrap, &[], env, api).await;

    let hr = mint(&data.0, Role::Hr, &uuid::Uuid::now_v7().to_string(), None);
    let created = lambda
        .invoke(http_api("POST", "/employees", &hr, Some(&new_employee("katherine@example.com"))))
        .await;
    let (status, employee) = http_answer(created);
    assert_eq!(status, 201, "{employee}");
    let id = employee["employee_id"].as_str().expect("an id").to_owned();

    let (status, read) =
        http_answer(lambda.invoke(http_api("GET", &format!("/employees/{id}"), &hr, None)).await);
    assert_eq!((status, read["email"].as_str()), (200, Some("katherine@example.com")), "{read}");
    let (status, problem) =
        http_answer(lambda.invoke(http_api("GET", &format!("/employees/{id}"), "bad", None)).await);
    assert_eq!(status, 401, "{problem}");
    let requests = lambda.metric_sum("Requests", 3).await;
    assert_eq!(requests, 3, "one EMF line per request: {:?}", lambda.metrics());
    assert!(lambda.api.init_errors().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_is_refused_with_an_init_error() {
    let (moto, data) = (Moto::start(), TempDir::new());
    let secret = secret(&data);
    let mut lambda =
        Lambda::function("employee", &moto, &prefix(), &secret, &[("HRMS_STORE", "sqlite")]).await;
    let status = wait::until("hrms lambda exits", LIMIT, async || {
        lambda.child.try_wait().map_err(|e| e.to_string())?.ok_or_else(|| "running".to_owned())
    })
    .await;
    assert!(!status.success());
    let errors = lambda.api.init_errors();
    let message = errors.first().and_then(|e| e["errorMessage"].as_str()).unwrap_or_default().to_owned();
    assert!(message.contains("HRMS_STORE=dynamodb"), "{errors:?}");
}

/// A sandbox may be frozen once an answer is posted: an invocation's spans
/// are exported before it, not on the batch exporter's schedule (here ten
/// minutes away).
#[tokio::test(flavor = "multi_thread")]
async fn an_invocations_spans_are_exported_before_its_answer() {
    let (moto, data, receiver) = (Moto::start(), TempDir::new(), crate::traces::Receiver::start().await);
    let secret = secret(&data);
    let endpoint = receiver.endpoint();
    let exporting = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_SERVICE_NAME", "hrms-employee"),
        ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
        // Not called by a read.
        ("HRMS_COMPLIANCE_URL", "http://127.0.0.1:9"),
    ];
    let lambda = Lambda::function("employee", &moto, &prefix(), &secret, &exporting).await;
    let hr = mint(&data.0, Role::Hr, &uuid::Uuid::now_v7().to_string(), None);
    let missing = uuid::Uuid::now_v7();
    let (status, problem) =
        http_answer(lambda.invoke(http_api("GET", &format!("/employees/{missing}"), &hr, None)).await);
    assert_eq!(status, 404, "{problem}");
    // Exported before the answer; the receiver prints it a moment later.
    wait::until("the request's span at the receiver", Duration::from_secs(10), async || {
        let spans = receiver.spans();
        let names: Vec<_> = spans.iter().filter_map(|s| s["name"].as_str()).collect();
        if names.iter().any(|n| n.starts_with("GET /employees")) { Ok(()) } else { Err(format!("{names:?}")) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_that_cannot_be_read_is_an_init_error() {
    let moto = Moto::start();
    let api = RuntimeApi::start().await;
    let port = api.port();
    let mut env = lambda_env(&api.address, "compliance", &moto.endpoint(), &prefix(), "");
    env.retain(|(k, _)| k != "HRMS_JWT_SECRET");
    env.extend(
        [
            ("HRMS_JWT_SECRET_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:missing"),
            ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", port.as_str()),
            ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let mut lambda = Lambda::start(Path::new(env!("CARGO_BIN_EXE_hrms")), &["lambda"], env, api).await;
    let status = wait::until("hrms lambda exits", LIMIT, async || {
        lambda.child.try_wait().map_err(|e| e.to_string())?.ok_or_else(|| "running".to_owned())
    })
    .await;
    assert!(!status.success());
    let errors = lambda.api.init_errors();
    let message = errors.first().and_then(|e| e["errorMessage"].as_str()).unwrap_or_default().to_owned();
    assert!(message.contains("HRMS_JWT_SECRET") && message.contains("ResourceNotFound"), "{errors:?}");
}

/// A stand-in for User's standing route (`HRMS_USER_URL`) that takes one
/// service token, `accepted`, and records those it is shown; its base URL.
async fn user_standing(accepted: Arc<Mutex<String>>, shown: Arc<Mutex<Vec<String>>>) -> String {
    use axum::extract::Path as UrlPath;
    use axum::http::{HeaderMap, StatusCode};
    use hrms_http::auth::account::Standing;
    let route = move |UrlPath(id): UrlPath<uuid::Uuid>, headers: HeaderMap| {
        let (accepted, shown) = (accepted.clone(), shown.clone());
        async move {
            let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
            let token = bearer.strip_prefix("Bearer ").unwrap_or_default().to_owned();
            shown.lock().expect("lock").push(token.clone());
            if token != *accepted.lock().expect("lock") {
                return Err(StatusCode::UNAUTHORIZED);
            }
            Ok(axum::Json(Standing {
                user_id: id,
                status: hrms_events::user::UserStatus::Active,
                role: Role::Hr,
                employee_id: None,
                employee_terminated: false,
                tokens_valid_since: 0,
            }))
        }
    };
    let app = axum::Router::new().route("/users/{id}/standing", axum::routing::get(route));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

/// The service token comes from Secrets Manager by ARN; once rotated (the
/// old one refused), the sandbox reads it again instead of answering 503
/// until it is replaced.
#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_service_token_is_read_again_from_its_secret() {
    let (moto, data) = (Moto::start(), TempDir::new());
    let secret = secret(&data);
    let (one, two) = ("service-token-one", "service-token-two");
    let (accepted, shown) = (Arc::new(Mutex::new(one.to_owned())), Arc::new(Mutex::new(Vec::new())));
    let user_url = user_standing(accepted.clone(), shown.clone()).await;
    let api = RuntimeApi::start().await;
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hrms-service-token-AbCdEf";
    api.keep_secret(arn, one);
    let port = api.port();
    let mut env = lambda_env(&api.address, "employee", &moto.endpoint(), &prefix(), &secret);
    env.extend(
        [
            ("HRMS_USER_URL", user_url.as_str()),
            // Not called by a read.
            ("HRMS_COMPLIANCE_URL", "http://127.0.0.1:9"),
            ("HRMS_SERVICE_TOKEN_SECRET_ARN", arn),
            ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", port.as_str()),
            ("AWS_SESSION_TOKEN", SESSION_TOKEN),
            ("HRMS_SECRET_REFRESH_SECS", "1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let lambda = Lambda::start(Path::new(env!("CARGO_BIN_EXE_hrms")), &["lambda"], env, api).await;
    // A new caller each time: its account is looked up, not taken from the cache.
    let read = async || {
        let caller = mint(&data.0, Role::Hr, &uuid::Uuid::now_v7().to_string(), None);
        let missing = uuid::Uuid::now_v7();
        http_answer(lambda.invoke(http_api("GET", &format!("/employees/{missing}"), &caller, None)).await)
    };
    let (status, problem) = read().await;
    assert_eq!(status, 404, "checked with the first token: {problem}");

    lambda.api.keep_secret(arn, two);
    *accepted.lock().expect("lock") = two.to_owned();
    wait::until("a caller checked with the rotated token", LIMIT, async || match read().await {
        (404, _) => Ok(()),
        (status, body) => Err(format!("{status} {body}")),
    })
    .await;
    let shown = shown.lock().expect("lock").clone();
    assert_eq!(shown.first().map(String::as_str), Some(one), "{shown:?}");
    assert_eq!(shown.last().map(String::as_str), Some(two), "{shown:?}");
}

/// The records of `topic` on `broker` from its start, at least `count` (60 s).
async fn read_topic(broker: &Broker, topic: &str, count: usize) -> Vec<OwnedMessage> {
    let settings = hrms_e2e::consumer_settings(&format!("read-{}", uuid::Uuid::now_v7()));
    let consumer: StreamConsumer = broker.config().consumer_config(&settings).create().expect("a consumer");
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).expect("metadata");
    let mut partitions = TopicPartitionList::new();
    for p in metadata.topics().iter().flat_map(|t| t.partitions()) {
        partitions.add_partition_offset(topic, p.id(), Offset::Beginning).expect("a partition");
    }
    consumer.assign(&partitions).expect("assigned");
    let mut records = Vec::new();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while records.len() < count {
        match tokio::time::timeout_at(deadline, consumer.recv()).await {
            Ok(Ok(m)) => records.push(m.detach()),
            Ok(Err(e)) => panic!("reading {topic}: {e}"),
            Err(_) => panic!("{topic}: {} records of {count} within {LIMIT:?}", records.len()),
        }
    }
    records
}

/// A mapping's record (as MSK sends it) of a record read from the broker.
fn mapping_record(m: &OwnedMessage) -> Value {
    let headers: Vec<Value> = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| json!({ h.key: h.value.unwrap_or_default().iter().map(|b| *b as i8).collect::<Vec<i8>>() }))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "topic": m.topic(), "partition": m.partition(), "offset": m.offset(),
        "timestamp": m.timestamp().to_millis().unwrap_or(0), "timestampType": "CREATE_TIME",
        "key": m.key().map(|k| STANDARD.encode(k)), "value": m.payload().map(|v| STANDARD.encode(v)),
        "headers": headers,
    })
}

/// An MSK mapping's event of `records`.
fn msk_event(records: &[OwnedMessage]) -> Value {
    let mut groups = serde_json::Map::new();
    for m in records {
        let group = groups.entry(format!("{}-{}", m.topic(), m.partition())).or_insert_with(|| json!([]));
        group.as_array_mut().expect("array").push(mapping_record(m));
    }
    json!({
        "eventSource": "aws:kafka", "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/hrms/x",
        "bootstrapServers": "b-1.hrms:9098", "records": groups,
    })
}

fn header(m: &OwnedMessage, key: &str) -> Option<String> {
    let headers = m.headers()?;
    headers
        .iter()
        .find(|h| h.key == key)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kafka_batch_from_the_broker_is_audited_with_its_poison_dead_lettered_once() {
    let (moto, data, prefix, broker) = (Moto::start(), TempDir::new(), prefix(), Broker::start());
    ensure_topics(&broker.config(), &hrms_events::TOPICS).await.expect("topics");
    let events: Vec<HrmsEvent> = (0..3).map(|_| fixtures::sample(EventType::AuditEmployeeUpdated)).collect();
    let publisher = KafkaPublisher::new(&broker.config()).expect("a producer");
    publisher.publish_all(&events).await.expect("published");
    // The poison: a real record of a fourth event whose value is not its data.
    let poison = fixtures::sample(EventType::AuditEmployeeUpdated);
    let encoded = EncodedRecord::encode(&poison).expect("encodes");
    let record = FutureRecord::to(encoded.topic)
        .key(&encoded.key)
        .headers(encoded.headers.clone())
        .payload(&b"\x00not json"[..]);
    let delivery = publisher.enqueue(record).await.expect("enqueued");
    publisher.acknowledged(delivery).await.expect("stored");
    let batch = msk_event(&read_topic(&broker, "audit-queue", 4).await);

    let secret = secret(&data);
    let kafka =
        [("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap()), ("KAFKA_MESSAGE_TIMEOUT_MS", "5000".into())];
    let kafka: Vec<(&str, &str)> = kafka.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let lambda = Lambda::function("audit", &moto, &prefix, &secret, &kafka).await;
    let answer = lambda.invoke(batch.clone()).await.response();
    assert_eq!(answer, json!({"handled": 3, "dead_lettered": 1, "dead_lettered_before": 0}));

    let letters = read_topic(&broker, "audit-queue.dlq", 1).await;
    assert_eq!(header(&letters[0], "ce_id"), Some(poison.id.to_string()));
    assert_eq!(header(&letters[0], "dlq_group").as_deref(), Some("audit-service"));
    assert!(header(&letters[0], "dlq_reason").is_some_and(|r| r.starts_with("undecodable")));
    assert_eq!(letters[0].payload(), Some(&b"\x00not json"[..]), "the record as it was");

    let hr = mint(&data.0, Role::Hr, &uuid::Uuid::now_v7().to_string(), None);
    let history = async |event: &HrmsEvent| {
        let path = format!("/audit/subjects/{}", event.subject());
        let (status, rows) = http_answer(lambda.invoke(http_api("GET", &path, &hr, None)).await);
        assert_eq!(status, 200, "{rows}");
        rows
    };
    let mut before = Vec::new();
    for event in &events {
        let rows = history(event).await;
        assert!(rows.to_string().contains(&event.id.to_string()), "{} audited: {rows}", event.id);
        before.push(rows);
    }
    assert!(
        !history(&poison).await.to_string().contains(&poison.id.to_string()),
        "the poison is not audited"
    );

    // The mapping delivers the batch again (after a failure elsewhere): nothing changes twice.
    let again = lambda.invoke(batch).await.response();
    assert_eq!(again, json!({"handled": 3, "dead_lettered": 0, "dead_lettered_before": 1}));
    for (event, rows) in events.iter().zip(&before) {
        assert_eq!(&history(event).await, rows, "{} audited once", event.id);
    }
    let dead = lambda.metric_sum("DeadLetters", 1).await;
    assert_eq!(dead, 1, "an EMF count per dead letter written: {:?}", lambda.metrics());
    // The answer came after any write was acknowledged: the DLQ holds what it will hold.
    assert_eq!(stored(&broker, "audit-queue.dlq"), 1, "one dead letter for two deliveries");
}

/// How many records `topic` on `broker` holds, from its partitions' watermarks.
fn stored(broker: &Broker, topic: &str) -> i64 {
    let settings = hrms_e2e::consumer_settings(&format!("count-{}", uuid::Uuid::now_v7()));
    let consumer: StreamConsumer = broker.config().consumer_config(&settings).create().expect("a consumer");
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).expect("metadata");
    let partitions: Vec<i32> =
        metadata.topics().iter().flat_map(|t| t.partitions()).map(|p| p.id()).collect();
    partitions
        .into_iter()
        .map(|p| {
            let (low, high) =
                consumer.fetch_watermarks(topic, p, Duration::from_secs(10)).expect("watermarks");
            high - low
        })
        .sum()
}

/// A DynamoDB Streams event of new outbox items in `table`.
fn outbox_inserts(table: &str, ids: usize) -> Value {
    let arn = format!("arn:aws:dynamodb:us-east-1:123456789012:table/{table}/stream/2026-12-07T04:00:00.000");
    let records: Vec<Value> = (0..ids)
        .map(|i| json!({
            "eventID": i.to_string(), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "eventSourceARN": arn,
            "dynamodb": {"Keys": {"pk": {"S": "OUTBOX"}, "sk": {"S": uuid::Uuid::now_v7().to_string()}},
                "SequenceNumber": format!("{}", 100 + i), "SizeBytes": 100, "StreamViewType": "KEYS_ONLY"},
        }))
        .collect();
    json!({ "Records": records })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_relay_publishes_the_outbox_in_key_order_and_loses_nothing_while_the_broker_is_down() {
    let (moto, data, prefix) = (Moto::start(), TempDir::new(), prefix());
    let mut broker = Broker::start_persistent();
    ensure_topics(&broker.config(), &hrms_events::TOPICS).await.expect("topics");
    let secret = secret(&data);
    let (_compliance, compliance_url) = compliance(&moto, &prefix, &data).await;
    let employee =
        Lambda::function("employee", &moto, &prefix, &secret, &[("HRMS_COMPLIANCE_URL", &compliance_url)])
            .await;
    let hr = mint(&data.0, Role::Hr, &uuid::Uuid::now_v7().to_string(), None);
    let (status, created) = http_answer(
        employee
            .invoke(http_api("POST", "/employees", &hr, Some(&new_employee("dorothy@example.com"))))
            .await,
    );
    assert_eq!(status, 201, "{created}");
    let id = created["employee_id"].as_str().expect("an id").to_owned();
    for title in ["Senior Engineer", "Principal Engineer"] {
        let change = json!({"job_title": title});
        let (status, body) = http_answer(
            employee.invoke(http_api("PATCH", &format!("/employees/{id}"), &hr, Some(&change))).await,
        );
        assert_eq!(status, 200, "{body}");
    }

    let bootstrap = broker.bootstrap();
    let kafka = [
        ("KAFKA_BOOTSTRAP_SERVERS", bootstrap.as_str()),
        ("KAFKA_MESSAGE_TIMEOUT_MS", "3000"),
        ("HRMS_RELAY_FUNCTIONS", "employee,compliance"),
    ];
    let relay = Lambda::function("relay", &moto, &prefix, &secret, &kafka).await;
    let inserts = outbox_inserts(&format!("{prefix}employee"), 3);
    broker.stop();
    let failed = relay.invoke(inserts.clone()).await;
    assert!(matches!(&failed, Answer::Error(e) if e["errorType"] == "Retryable"), "{failed:?}");

    broker.restart();
    let published = relay.invoke(inserts.clone()).await.response();
    let count = published["published"].as_u64().expect("a count");
    assert!(count >= 3, "every event of the three changes: {published}");
    assert_eq!(relay.invoke(inserts).await.response()["published"], 0, "the outbox is empty");

    let mine = |records: Vec<OwnedMessage>| -> Vec<String> {
        records
            .iter()
            .filter(|m| header(m, "ce_subject").is_some_and(|s| s.contains(&id)))
            .filter_map(|m| header(m, "ce_type"))
            .collect()
    };
    let audited = mine(read_topic(&broker, "audit-queue", 3).await);
    assert_eq!(
        audited,
        ["audit.employee.created", "audit.employee.updated", "audit.employee.updated"],
        "in write order"
    );

    // The sweep publishes what waited longer than its threshold (0 s here) without a stream record.
    let swept_relay = Lambda::function(
        "relay",
        &moto,
        &prefix,
        &secret,
        &[kafka[0], kafka[1], kafka[2], ("HRMS_RELAY_SWEEP_AFTER_SECS", "0")],
    )
    .await;
    let change = json!({"job_title": "Distinguished Engineer"});
    let (status, _) = http_answer(
        employee.invoke(http_api("PATCH", &format!("/employees/{id}"), &hr, Some(&change))).await,
    );
    assert_eq!(status, 200);
    let schedule = json!({"version": "0", "id": "s", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-12-07T04:00:00Z", "region": "us-east-1", "resources": [], "detail": {}});
    let swept = swept_relay.invoke(schedule).await.response();
    assert!(swept["published"].as_u64().is_some_and(|n| n >= 1), "{swept}");
    assert_eq!(mine(read_topic(&broker, "audit-queue", 4).await).len(), 4);
}

#[path = "lambda_termination.rs"]
mod termination;
