use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request};
use hrms_events::cloudevents::AttributesReader;
use hrms_events::{EventType, HrmsEvent, fixtures};
use serde_json::Value;
use tower::ServiceExt;

use super::*;
use hrms_platform::consume::tests::Recorder;
use hrms_platform::testing::{metric, recorder};

const TOPIC: &str = "audit-queue";
const TOKEN: &str = "a-delivery-token-of-32-characters";

/// Bounded quick retries, every caller admitted (the refusals of callers
/// are tested in `refusal_tests.rs`).
fn quick() -> DeliverySettings {
    let retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..RetryPolicy::default()
    };
    DeliverySettings { retry, auth: Arc::new(IntakeAuth::insecure_open()), ..DeliverySettings::default() }
}

fn app(handler: &Arc<Recorder>, settings: DeliverySettings) -> Router {
    Router::new().route("/", route(handler.clone(), TOPIC, settings))
}

/// The event in binary mode, as the KafkaSource dispatcher sends it, built
/// from its attributes.
fn binary(event: &HrmsEvent) -> axum::http::request::Builder {
    let ce = event.to_cloudevent();
    let mut request = Request::post("/")
        .header("ce-specversion", "1.0")
        .header("ce-id", ce.id())
        .header("ce-source", ce.source().to_string())
        .header("ce-type", ce.ty())
        .header("content-type", "application/json");
    for (name, value) in [
        ("subject", ce.subject().map(str::to_owned)),
        ("time", ce.time().map(|t| t.to_rfc3339())),
        ("dataschema", ce.dataschema().map(ToString::to_string)),
    ] {
        if let Some(value) = value {
            request = request.header(format!("ce-{name}"), value);
        }
    }
    for (name, value) in ce.iter_extensions() {
        request = request.header(format!("ce-{name}"), value.to_string());
    }
    request
}

fn with_body(request: axum::http::request::Builder, event: &HrmsEvent) -> Request<Body> {
    request.body(Body::from(event.payload.to_bytes())).expect("request")
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn problem(&self) -> Value {
        assert_eq!(self.headers["content-type"], "application/problem+json");
        serde_json::from_slice(&self.body).expect("problem body")
    }
}

async fn send(app: Router, request: Request<Body>) -> Answer {
    let response = app.oneshot(request).await.expect("response");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.expect("body").to_vec();
    Answer { status: parts.status, headers: parts.headers, body }
}

fn handled(handler: &Recorder) -> Vec<Delivery> {
    handler.handled.lock().unwrap().clone()
}

fn sample() -> HrmsEvent {
    fixtures::sample(EventType::AuditUserCreated)
}

#[tokio::test]
async fn a_binary_event_is_handled_once_then_accepted() {
    let recorder = recorder();
    let metrics = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    let handler = Arc::new(Recorder::default());
    let event = sample();
    let request =
        binary(&event).header("ce-knativekafkapartition", "2").header("ce-knativekafkaoffset", "41");

    let answer = send(app(&handler, quick()), with_body(request, &event)).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert!(answer.body.is_empty());
    let expected = Delivery { event, topic: TOPIC.into(), partition: 2, offset: 41 };
    assert_eq!(handled(&handler), vec![expected]);
    assert_eq!(*handler.calls.lock().unwrap(), 1);

    let rendered = metrics.render();
    let labels = [("handler", "recorder"), ("outcome", "handled")];
    assert_eq!(metric(&rendered, "hrms_delivery_requests_total", &labels), Some(1.0));
    assert_eq!(metric(&rendered, "hrms_event_age_seconds_count", &[("handler", "recorder")]), Some(1.0));
}

#[tokio::test]
async fn a_structured_event_is_handled() {
    let handler = Arc::new(Recorder::default());
    let event = sample();
    let structured = |extensions: &[(&str, Value)]| {
        let mut json = serde_json::to_value(event.to_cloudevent()).expect("json");
        for (name, value) in extensions {
            json[*name] = value.clone();
        }
        Request::post("/")
            .header("content-type", "application/cloudevents+json; charset=utf-8")
            .body(Body::from(json.to_string()))
            .expect("request")
    };

    let answer = send(app(&handler, quick()), structured(&[])).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let from_kafka = [(EXT_KAFKA_PARTITION, Value::from(1)), (EXT_KAFKA_OFFSET, Value::from("7"))];
    let answer = send(app(&handler, quick()), structured(&from_kafka)).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let at = |partition, offset| Delivery { event: event.clone(), topic: TOPIC.into(), partition, offset };
    assert_eq!(handled(&handler), vec![at(-1, -1), at(1, 7)], "without Kafka extensions, -1");
}

/// Sends `request` and expects 400 naming `attribute`, with nothing handled.
async fn refused(request: Request<Body>, attribute: &str) -> Value {
    let handler = Arc::new(Recorder::default());
    let answer = send(app(&handler, quick()), request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let problem = answer.problem();
    assert_eq!(problem["field"], attribute, "{problem}");
    assert_eq!(*handler.calls.lock().unwrap(), 0);
    problem
}

#[tokio::test]
async fn a_request_without_a_required_attribute_is_refused_naming_it() {
    let event = sample();
    let mut request = with_body(binary(&event), &event);
    request.headers_mut().remove("ce-id");
    refused(request, "id").await;

    let mut structured = serde_json::to_value(event.to_cloudevent()).expect("json");
    structured.as_object_mut().expect("object").remove("source");
    let request = Request::post("/")
        .header("content-type", "application/cloudevents+json")
        .body(Body::from(structured.to_string()))
        .expect("request");
    refused(request, "source").await;

    let not_an_event = Request::post("/").body(Body::from("{}")).expect("request");
    refused(not_an_event, "specversion").await;
}

#[tokio::test]
async fn events_outside_our_contract_are_refused_naming_the_attribute() {
    let event = sample();
    let mut request = with_body(binary(&event), &event);
    request.headers_mut().insert("ce-type", HeaderValue::from_static("hrms.audit.unheard.of"));
    let problem = refused(request, "type").await;
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("unheard.of")), "{problem}");

    let mut request = with_body(binary(&event), &event);
    let newer = hrms_events::catalogue::schema_uri(event.event_type().as_str(), 999);
    request.headers_mut().insert("ce-dataschema", HeaderValue::from_str(&newer).expect("header"));
    refused(request, "dataschema").await;

    let request = binary(&event).body(Body::from(r#"{"unexpected": true}"#)).expect("request");
    refused(request, "data").await;

    let mut request = with_body(binary(&event), &event);
    request.headers_mut().insert("ce-time", HeaderValue::from_static("yesterday"));
    refused(request, "time").await;
}

#[tokio::test]
async fn a_permanent_failure_is_422_for_the_source_to_dead_letter() {
    let handler = Arc::new(Recorder::default());
    let event = sample();
    handler.poison.lock().unwrap().insert(event.id);
    let answer = send(app(&handler, quick()), with_body(binary(&event), &event)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.problem()["detail"].as_str().is_some_and(|d| d.contains("cannot take")));
    assert_eq!(*handler.calls.lock().unwrap(), 1, "not retried");
}

#[tokio::test]
async fn a_transient_failure_is_503_with_retry_after_after_a_few_quick_attempts() {
    let handler = Arc::new(Recorder { transient_failures: Mutex::new(u32::MAX), ..Default::default() });
    let event = sample();
    let answer = send(app(&handler, quick()), with_body(binary(&event), &event)).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.headers["retry-after"], "5");
    assert_eq!(answer.problem()["status"], 503);
    assert_eq!(*handler.calls.lock().unwrap(), 2, "max_attempts");
    assert!(handled(&handler).is_empty());
}

#[tokio::test]
async fn with_a_token_configured_only_its_bearer_is_admitted() {
    let handler = Arc::new(Recorder::default());
    let auth = IntakeAuth::default().with_token(DeliveryToken::new(TOKEN).expect("token"));
    let settings = DeliverySettings { auth: Arc::new(auth), ..quick() };
    let event = sample();
    let app = app(&handler, settings);

    for authorization in [None, Some("Bearer not-the-token"), Some(TOKEN)] {
        let mut request = binary(&event);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let answer = send(app.clone(), with_body(request, &event)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{authorization:?}");
        assert_eq!(answer.problem()["status"], 401);
    }
    assert_eq!(*handler.calls.lock().unwrap(), 0);

    let request = binary(&event).header("authorization", format!("Bearer {TOKEN}"));
    assert_eq!(send(app, with_body(request, &event)).await.status, StatusCode::ACCEPTED);
    assert_eq!(handled(&handler).len(), 1);
}

#[tokio::test]
async fn without_a_credential_configured_nobody_is_admitted() {
    let handler = Arc::new(Recorder::default());
    let event = sample();
    let settings = DeliverySettings { auth: Arc::default(), ..quick() };
    let request = binary(&event).header("authorization", format!("Bearer {TOKEN}"));
    let answer = send(app(&handler, settings), with_body(request, &event)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(*handler.calls.lock().unwrap(), 0);
}

#[path = "refusal_tests.rs"]
mod refusals;
