//! The Runtime API loop and what one invocation becomes, by the shape of
//! its event: a Kafka mapping's batch, DynamoDB Streams records, an
//! EventBridge schedule, or an HTTP request (API Gateway HTTP API payload
//! 2.0, function URL, ALB).

use std::convert::Infallible;
use std::sync::Arc;

use aws_lambda_events::event::kafka::KafkaEvent;
use axum::Router;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Service};
use lambda_runtime::{Context, Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

use crate::emf;
use crate::kafka::{self, BatchError, KafkaTarget};
use crate::relay::{RelayError, StreamRelay};
use crate::secrets::SecretFiles;

/// What one Lambda function does with its invocations: what `hrms::app`
/// built for the function the handler setting names.
#[derive(Clone)]
pub struct Target {
    /// The function's name, in logs and metrics.
    pub function: String,
    /// Its routes, for HTTP invocations.
    pub http: Option<Router>,
    /// Its handler, for Kafka mappings' batches.
    pub kafka: Option<KafkaTarget>,
    /// The outbox relay, for Streams records and the schedule.
    pub relay: Option<StreamRelay>,
    /// Secrets read again before an invocation when due.
    pub secrets: Option<Arc<SecretFiles>>,
}

/// Why an invocation failed: the runtime reports it, and the caller (a
/// mapping, a stream) retries.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error(transparent)]
    Kafka(#[from] BatchError),
    #[error(transparent)]
    Relay(#[from] RelayError),
    #[error("function {function} takes no {kind} events")]
    Unexpected { function: String, kind: &'static str },
    #[error("unrecognised event: not a Kafka batch, Streams records, a schedule or an HTTP request")]
    Unrecognised(#[source] serde_json::Error),
}

impl From<InvokeError> for Diagnostic {
    fn from(error: InvokeError) -> Self {
        let error_type = match &error {
            InvokeError::Kafka(
                BatchError::Transient { .. } | BatchError::DeadLetter { .. } | BatchError::Mark { .. },
            ) => "Retryable",
            InvokeError::Relay(_) => "Retryable",
            _ => "NonRetryable",
        };
        Diagnostic { error_type: error_type.into(), error_message: hrms_platform::Chain(&error).to_string() }
    }
}

/// The kinds of event a function can be invoked with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Kafka,
    Stream,
    Schedule,
    Http,
}

impl Kind {
    /// The kind of `event`, from its shape.
    pub fn of(event: &Value) -> Kind {
        let source = event.get("eventSource").and_then(Value::as_str);
        if matches!(source, Some(kafka::MSK | kafka::SELF_MANAGED)) {
            return Kind::Kafka;
        }
        let first = event.get("Records").and_then(|r| r.get(0));
        if first.and_then(|r| r.get("eventSource")).and_then(Value::as_str) == Some("aws:dynamodb") {
            return Kind::Stream;
        }
        if event.get("source").and_then(Value::as_str) == Some("aws.events") {
            return Kind::Schedule;
        }
        Kind::Http
    }
}

/// Handles one invocation with `event`'s payload.
pub async fn invoke(target: &Target, event: Value, context: Context) -> Result<Value, InvokeError> {
    let unexpected = |kind| InvokeError::Unexpected { function: target.function.clone(), kind };
    let function = target.function.as_str();
    let kind = Kind::of(&event);
    match kind {
        Kind::Kafka => {
            let consumer = target.kafka.as_ref().ok_or_else(|| unexpected("Kafka"))?;
            let batch: KafkaEvent = serde_json::from_value(event).map_err(InvokeError::Unrecognised)?;
            let report = kafka::handle(consumer, &batch).await;
            let (handled, dead) = report.as_ref().map_or((0, 0), |r| (r.handled, r.dead_lettered));
            emf::emit(
                function,
                &[
                    ("RecordsHandled", handled),
                    ("DeadLetters", dead),
                    ("BatchesFailed", u64::from(report.is_err())),
                ],
            );
            let report = report?;
            Ok(json!({
                "handled": report.handled,
                "dead_lettered": report.dead_lettered,
                "dead_lettered_before": report.dead_lettered_before,
            }))
        }
        Kind::Stream | Kind::Schedule => {
            let Some(relay) = target.relay.as_ref() else {
                // Other functions take a schedule as a way to be thawed
                // (the Notification function's dispatcher runs meanwhile).
                return match kind {
                    Kind::Schedule => Ok(json!({})),
                    _ => Err(unexpected("DynamoDB Streams")),
                };
            };
            let report = match kind {
                Kind::Stream => relay.on_stream(event).await,
                _ => relay.sweep().await,
            };
            let (published, dead) = report.as_ref().map_or((0, 0), |r| (r.published, r.dead));
            emf::emit(
                function,
                &[
                    ("EventsRelayed", published),
                    ("EventsSetAside", dead),
                    ("RelayFailures", u64::from(report.is_err())),
                ],
            );
            let report = report?;
            Ok(json!({"tables": report.tables, "published": report.published, "dead": report.dead}))
        }
        Kind::Http => {
            let router = target.http.clone().ok_or_else(|| unexpected("HTTP"))?;
            let request: LambdaRequest = serde_json::from_value(event).map_err(InvokeError::Unrecognised)?;
            let mut adapter = Adapter::from(router);
            let response = adapter
                .call(LambdaEvent::new(request, context))
                .await
                .unwrap_or_else(|e: Infallible| match e {});
            let response = serde_json::to_value(response).map_err(InvokeError::Unrecognised)?;
            let status = response.get("statusCode").and_then(Value::as_u64).unwrap_or(0);
            emf::emit(function, &[("Requests", 1), ("ServerErrors", u64::from(status >= 500))]);
            Ok(response)
        }
    }
}

/// The variables the Lambda service sets for a custom runtime; the runtime
/// crate panics without the first four.
const ENVIRONMENT: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// The Lambda variables missing from this process's environment.
pub fn missing_environment() -> Vec<&'static str> {
    ENVIRONMENT.into_iter().filter(|name| std::env::var(name).map_or(true, |v| v.trim().is_empty())).collect()
}

/// Takes invocations from the Runtime API (`AWS_LAMBDA_RUNTIME_API`) one at
/// a time and answers each, until the process is stopped.
pub async fn run(target: Target) -> Result<(), lambda_runtime::Error> {
    let target = Arc::new(target);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let target = target.clone();
        async move {
            if let Some(secrets) = target.secrets.clone() {
                refresh(secrets).await;
            }
            let answer = invoke(&target, event.payload, event.context).await;
            // The sandbox may be frozen once the answer is posted: the
            // invocation's spans go first, off the async worker: the flush
            // blocks until the exporter is done. Nothing when not exporting.
            if hrms_platform::traces::enabled() {
                let _ = tokio::task::spawn_blocking(hrms_platform::telemetry::flush_tracing).await;
            }
            answer
        }
    }))
    .await
}

/// Reads again the secrets that are due, off the async workers (the
/// extension's client is blocking). One that cannot be read keeps its old
/// value, and is tried again at the next invocation.
async fn refresh(secrets: Arc<SecretFiles>) {
    if !secrets.due(std::time::SystemTime::now()) {
        return;
    }
    let read = tokio::task::spawn_blocking(move || secrets.refresh(std::time::SystemTime::now())).await;
    match read {
        Ok(Ok(n)) => tracing::info!(secrets = n, "secrets read again"),
        Ok(Err(e)) => {
            tracing::warn!(error = %hrms_platform::Chain(&e), "cannot read a secret again; keeping its value")
        }
        Err(e) => tracing::warn!(error = %e, "reading the secrets again failed"),
    }
}

/// Tells the Runtime API that the function could not start
/// (`POST /2018-06-01/runtime/init/error`); Lambda then reports the error to
/// the caller and starts a new sandbox for the next invocation.
pub async fn report_init_error(message: &str) -> Result<(), reqwest::Error> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_default();
    reqwest::Client::new()
        .post(format!("http://{api}/2018-06-01/runtime/init/error"))
        .header("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
        .json(&json!({"errorType": "Runtime.InitError", "errorMessage": message}))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

#[cfg(test)]
mod tests;
