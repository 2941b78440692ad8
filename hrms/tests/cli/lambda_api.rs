//! A local Lambda Runtime API, as the Lambda service offers it to a custom
//! runtime (`AWS_LAMBDA_RUNTIME_API`): `GET /2018-06-01/runtime/invocation/next`
//! hands out the next event with its request id and deadline, `POST
//! .../invocation/{id}/response` and `.../error` answer it, and `POST
//! /2018-06-01/runtime/init/error` reports a function that could not start.
//! [`RuntimeApi::invoke`] queues an event and waits for its answer. It
//! also stands in for the Parameters and Secrets extension
//! (`GET /secretsmanager/get?secretId=ARN`, the session token in
//! `X-Aws-Parameters-Secrets-Token`), with the secrets of [`RuntimeApi::keep_secret`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// What the function answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Response(Value),
    /// The error body (`errorType`, `errorMessage`) and its error-type header.
    Error(Value),
}

impl Answer {
    /// The response; panics with the error otherwise.
    pub fn response(self) -> Value {
        match self {
            Answer::Response(v) => v,
            Answer::Error(e) => panic!("the invocation failed: {e}"),
        }
    }
}

#[derive(Default)]
struct Shared {
    waiting: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    init_errors: Mutex<Vec<Value>>,
    secrets: Mutex<HashMap<String, String>>,
}

/// The session token the extension takes (`AWS_SESSION_TOKEN` of the function).
pub const SESSION_TOKEN: &str = "test-session-token";

#[derive(Clone)]
struct Api {
    shared: Arc<Shared>,
    next: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>>,
}

/// The emulator, on a loopback port, for the life of the test.
pub struct RuntimeApi {
    /// `127.0.0.1:<port>`, what `AWS_LAMBDA_RUNTIME_API` holds.
    pub address: String,
    shared: Arc<Shared>,
    queue: mpsc::UnboundedSender<(String, Value)>,
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let (queue, next) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        let api = Api { shared: shared.clone(), next: Arc::new(tokio::sync::Mutex::new(next)) };
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .route("/secretsmanager/get", get(secret))
            .with_state(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let address = listener.local_addr().expect("its address").to_string();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { address, shared, queue }
    }

    /// Invokes the function with `event`; its answer, within `limit`.
    pub async fn invoke(&self, event: Value, limit: Duration) -> Answer {
        let id = uuid::Uuid::now_v7().to_string();
        let (answered, answer) = oneshot::channel();
        self.shared.waiting.lock().expect("lock").insert(id.clone(), answered);
        self.queue.send((id, event)).expect("the emulator runs");
        tokio::time::timeout(limit, answer).await.expect("an answer in time").expect("answered")
    }

    /// Keeps `value` as the Secrets Manager secret `arn`.
    pub fn keep_secret(&self, arn: &str, value: &str) {
        self.shared.secrets.lock().expect("lock").insert(arn.to_owned(), value.to_owned());
    }

    /// The port, for `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`.
    pub fn port(&self) -> String {
        self.address.rsplit(':').next().unwrap_or_default().to_owned()
    }

    /// The init errors reported so far.
    pub fn init_errors(&self) -> Vec<Value> {
        self.shared.init_errors.lock().expect("lock").clone()
    }
}

async fn next_invocation(State(api): State<Api>) -> (HeaderMap, String) {
    let (id, event) = api.next.lock().await.recv().await.expect("the test holds the queue");
    let deadline = chrono::Utc::now().timestamp_millis() + 60_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, value.parse().expect("a header value"));
    };
    set("lambda-runtime-aws-request-id", id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set("lambda-runtime-invoked-function-arn", "arn:aws:lambda:eu-west-1:123456789012:function:hrms".into());
    set(
        "lambda-runtime-trace-id",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".into(),
    );
    set("content-type", "application/json".into());
    (headers, event.to_string())
}

fn answer(api: &Api, id: &str, answer: Answer) -> StatusCode {
    match api.shared.waiting.lock().expect("lock").remove(id) {
        Some(waiting) => {
            let _ = waiting.send(answer);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(State(api): State<Api>, Path(id): Path<String>, body: String) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    answer(&api, &id, Answer::Response(value))
}

async fn error(State(api): State<Api>, Path(id): Path<String>, body: String) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    answer(&api, &id, Answer::Error(value))
}

async fn init_error(State(api): State<Api>, body: String) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    api.shared.init_errors.lock().expect("lock").push(value);
    StatusCode::ACCEPTED
}

async fn secret(
    State(api): State<Api>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> (StatusCode, String) {
    if headers.get("x-aws-parameters-secrets-token").and_then(|v| v.to_str().ok()) != Some(SESSION_TOKEN) {
        return (StatusCode::UNAUTHORIZED, "no session token".into());
    }
    let id = query.get("secretId").cloned().unwrap_or_default();
    match api.shared.secrets.lock().expect("lock").get(&id) {
        Some(value) => (StatusCode::OK, serde_json::json!({"ARN": id, "SecretString": value}).to_string()),
        None => (StatusCode::BAD_REQUEST, format!("ResourceNotFoundException: {id}")),
    }
}
