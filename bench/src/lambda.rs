//! `hrms-bench lambda`: one function's `hrms lambda` under a local Lambda
//! Runtime API, next to the same function's `hrms serve`: init duration
//! (process start to its first `GET .../invocation/next`), the first and
//! the warm invocations' latency (event queued to response posted), and
//! the process's resident memory (VmHWM, the peak). An HTTP function
//! (employee: `GET /employees/{id}` through an API Gateway HTTP API event)
//! or a Kafka one (audit: a mapping's batch of one event). Run the binary
//! built for that function alone:
//!
//! ```text
//! cargo build --profile lambda -p hrms --no-default-features --features employee,lambda,system-allocator
//! cargo run --release -p hrms-bench -- lambda --hrms $CARGO_TARGET_DIR/lambda/hrms \
//!     --function employee --dynamodb-endpoint http://127.0.0.1:5000
//! ```
//!
//! The store is the DynamoDB at `--dynamodb-endpoint` (moto, or DynamoDB
//! Local): its latency is part of every figure but init's table check.

use std::collections::HashMap;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hrms_events::{EventType, Role, fixtures};
use hrms_http::{AuthSettings, Authenticator};
use hrms_kafka::codec::EncodedRecord;
use rdkafka::message::Headers;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

#[derive(clap::Args)]
pub struct LambdaArgs {
    /// The `hrms` binary to run (built for the function alone).
    #[arg(long)]
    hrms: PathBuf,
    /// `employee` (HTTP) or `audit` (Kafka).
    #[arg(long, default_value = "employee")]
    function: String,
    /// The DynamoDB the function keeps its data in.
    #[arg(long)]
    dynamodb_endpoint: String,
    /// Warm invocations measured after the first.
    #[arg(long, default_value_t = 200)]
    invocations: usize,
    /// Start-ups measured (each a new process).
    #[arg(long, default_value_t = 5)]
    starts: usize,
}

const SECRET: &str = "hrms-bench-lambda-secret-of-at-least-32-chars";

pub async fn run(args: LambdaArgs) -> anyhow::Result<()> {
    if !matches!(args.function.as_str(), "employee" | "audit") {
        bail!("--function is employee (HTTP) or audit (Kafka)");
    }
    let prefix = format!("bench{}-", &uuid::Uuid::now_v7().simple().to_string()[24..]);
    let mut inits = Vec::new();
    let mut firsts = Vec::new();
    let mut warm = Vec::new();
    let mut rss = Vec::new();
    for start in 0..args.starts {
        let api = RuntimeApi::start().await?;
        let started = Instant::now();
        let mut child = spawn_lambda(&args, &api.address, &prefix)?;
        let ready = tokio::time::timeout(Duration::from_secs(60), api.ready())
            .await
            .context("no init within 60 s")?;
        inits.push(ready.duration_since(started));
        let (first, _) = api.invoke(event(&args.function)).await?;
        firsts.push(first);
        if start == 0 {
            for _ in 0..args.invocations {
                warm.push(api.invoke(event(&args.function)).await?.0);
            }
        }
        rss.push(peak_rss_kb(child.id()).unwrap_or(0));
        let _ = child.kill();
        let _ = child.wait();
    }
    let serve = serve_start(&args, &prefix)?;
    warm.sort_unstable();
    let median = |v: &mut Vec<Duration>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    let q = |p: f64| warm[((warm.len() as f64 * p) as usize).min(warm.len() - 1)];
    println!(
        "hrms lambda --function {} ({} starts, {} warm invocations)",
        args.function,
        args.starts,
        warm.len()
    );
    println!("  init (start to first poll), median   {:>8.1?}", median(&mut inits));
    println!("  first invocation, median             {:>8.1?}", median(&mut firsts));
    println!("  warm invocation p50 / p99            {:>8.1?} / {:.1?}", q(0.5), q(0.99));
    rss.sort_unstable();
    println!("  peak RSS (VmHWM), median             {:>8.1} MB", rss[rss.len() / 2] as f64 / 1024.0);
    println!("hrms serve {}", args.function);
    println!("  start to listening, median           {:>8.1?}", serve.0);
    println!("  peak RSS at listening, median        {:>8.1} MB", serve.1 as f64 / 1024.0);
    Ok(())
}

fn environment(args: &LambdaArgs, prefix: &str) -> Vec<(&'static str, String)> {
    vec![
        ("HRMS_STORE", "dynamodb".into()),
        ("HRMS_DYNAMODB_ENDPOINT", args.dynamodb_endpoint.clone()),
        ("HRMS_DYNAMODB_TABLE_PREFIX", prefix.into()),
        ("HRMS_DYNAMODB_AUDIT_WRITERS", "1".into()),
        ("HRMS_JWT_SECRET", SECRET.into()),
        ("HRMS_COMPLIANCE_URL", "http://127.0.0.1:9".into()),
        // The Kafka function writes dead letters there; none here.
        ("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("RUST_LOG", "warn".into()),
    ]
}

fn spawn_lambda(args: &LambdaArgs, api: &str, prefix: &str) -> anyhow::Result<Child> {
    let mut command = Command::new(&args.hrms);
    command
        .args(["lambda", "--function", &args.function])
        .env_clear()
        .envs(environment(args, prefix))
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", format!("hrms-{}", args.function))
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command.spawn().with_context(|| format!("starting {}", args.hrms.display()))
}

/// `hrms serve <function>`: median start to listening, and RSS then.
fn serve_start(args: &LambdaArgs, prefix: &str) -> anyhow::Result<(Duration, u64)> {
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..args.starts {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let started = Instant::now();
        let mut child = Command::new(&args.hrms)
            .args(["serve", &args.function])
            .env_clear()
            .envs(environment(args, prefix))
            .env("PORT", port.to_string())
            .env("HRMS_EVENT_SINK", "inprocess")
            .env("HRMS_DELIVERY_TOKEN", "hrms-bench-delivery-token-of-at-least-32-chars")
            .env("HRMS_DATA_DIR", std::env::temp_dir().join("hrms-bench-serve"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait()? {
                bail!("hrms serve exited at start: {status}");
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                bail!("hrms serve did not listen within 60 s");
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        times.push(started.elapsed());
        rss.push(peak_rss_kb(child.id()).unwrap_or(0));
        let _ = child.kill();
        let _ = child.wait();
    }
    times.sort_unstable();
    rss.sort_unstable();
    Ok((times[times.len() / 2], rss[rss.len() / 2]))
}

/// VmHWM of `pid`, in kB.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The next invocation's event.
fn event(function: &str) -> Value {
    match function {
        "audit" => kafka_batch(),
        _ => http_request(),
    }
}

fn http_request() -> Value {
    let auth =
        Authenticator::hs256_with(SECRET.as_bytes(), AuthSettings::default()).expect("an authenticator");
    let token = auth.mint(uuid::Uuid::now_v7(), Role::Hr, None, Duration::from_secs(600)).expect("a token");
    let path = format!("/employees/{}", uuid::Uuid::now_v7());
    json!({
        "version": "2.0", "routeKey": "GET /employees/{proxy+}", "rawPath": path, "rawQueryString": "",
        "headers": {"authorization": format!("Bearer {token}"), "host": "api.example"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example", "domainPrefix": "api",
            "requestId": uuid::Uuid::now_v7().to_string(), "routeKey": "GET /employees/{proxy+}", "stage": "$default",
            "time": "07/Dec/2026:04:00:00 +0000", "timeEpoch": 1_796_000_000_000i64,
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "bench"},
        },
        "isBase64Encoded": false,
    })
}

fn kafka_batch() -> Value {
    let event = fixtures::sample(EventType::AuditEmployeeUpdated);
    let r = EncodedRecord::encode(&event).expect("encodes");
    let headers: Vec<Value> = r
        .headers
        .iter()
        .map(|h| json!({ h.key: h.value.unwrap_or_default().iter().map(|b| *b as i8).collect::<Vec<i8>>() }))
        .collect();
    json!({
        "eventSource": "aws:kafka", "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/hrms/x",
        "records": {"audit-queue-0": [{
            "topic": "audit-queue", "partition": 0, "offset": 0, "timestamp": 1_796_000_000_000i64,
            "timestampType": "CREATE_TIME", "key": STANDARD.encode(r.key), "value": STANDARD.encode(r.payload),
            "headers": headers,
        }]},
    })
}

/// A Runtime API that hands out one event at a time.
#[derive(Clone)]
struct RuntimeApi {
    address: String,
    queue: mpsc::UnboundedSender<(String, Value)>,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    waiting: Mutex<HashMap<String, oneshot::Sender<StatusCode>>>,
    first_poll: Mutex<Option<oneshot::Sender<Instant>>>,
}

#[derive(Clone)]
struct ApiState {
    shared: Arc<Shared>,
    next: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>>,
}

impl RuntimeApi {
    async fn start() -> anyhow::Result<Self> {
        let (queue, next) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        let state = ApiState { shared: shared.clone(), next: Arc::new(tokio::sync::Mutex::new(next)) };
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_event))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(answered))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(failed))
            .route("/2018-06-01/runtime/init/error", post(init_failed))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(Self { address, queue, shared })
    }

    /// When the function first asked for an event.
    async fn ready(&self) -> Instant {
        let (tell, told) = oneshot::channel();
        *self.shared.first_poll.lock().expect("lock") = Some(tell);
        told.await.unwrap_or_else(|_| Instant::now())
    }

    /// Queues `event`; how long until its answer, and the answer's kind.
    async fn invoke(&self, event: Value) -> anyhow::Result<(Duration, StatusCode)> {
        let id = uuid::Uuid::now_v7().to_string();
        let (tell, told) = oneshot::channel();
        self.shared.waiting.lock().expect("lock").insert(id.clone(), tell);
        let started = Instant::now();
        self.queue.send((id, event)).context("the emulator stopped")?;
        let status =
            tokio::time::timeout(Duration::from_secs(30), told).await.context("no answer in 30 s")??;
        if status != StatusCode::OK {
            bail!("the invocation failed");
        }
        Ok((started.elapsed(), status))
    }
}

async fn next_event(State(api): State<ApiState>) -> (HeaderMap, String) {
    if let Some(tell) = api.shared.first_poll.lock().expect("lock").take() {
        let _ = tell.send(Instant::now());
    }
    let (id, event) = api.next.lock().await.recv().await.unwrap_or_default();
    let mut headers = HeaderMap::new();
    let deadline = (chrono::Utc::now().timestamp_millis() + 30_000).to_string();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", id.as_str()),
        ("lambda-runtime-deadline-ms", deadline.as_str()),
        ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:hrms"),
    ] {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    }
    (headers, event.to_string())
}

fn settle(api: &ApiState, id: &str, status: StatusCode) -> StatusCode {
    if let Some(tell) = api.shared.waiting.lock().expect("lock").remove(id) {
        let _ = tell.send(status);
    }
    StatusCode::ACCEPTED
}

async fn answered(State(api): State<ApiState>, Path(id): Path<String>) -> StatusCode {
    settle(&api, &id, StatusCode::OK)
}

async fn failed(State(api): State<ApiState>, Path(id): Path<String>, body: String) -> StatusCode {
    eprintln!("invocation {id} failed: {body}");
    settle(&api, &id, StatusCode::INTERNAL_SERVER_ERROR)
}

async fn init_failed(body: String) -> StatusCode {
    eprintln!("init failed: {body}");
    StatusCode::ACCEPTED
}
