//! One invocation of each shape: HTTP requests as API Gateway's HTTP API
//! (payload 2.0), a function URL and an ALB send them, reach the router
//! unchanged and answer in the shape the caller reads; Kafka batches reach
//! the handler; events a function does not take are refused.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hrms_events::{EventType, fixtures};
use hrms_platform::consume::tests::Recorder;
use serde_json::{Value, json};

use super::*;
use crate::kafka::tests::{event_json, record_json};

/// Echoes what it got: path parameter, query, the caller's header and the body.
fn router() -> Router {
    Router::new().route(
        "/employees/{id}",
        post(
            |Path(id): Path<String>,
             Query(query): Query<std::collections::HashMap<String, String>>,
             headers: HeaderMap,
             Json(body): Json<Value>| async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                (StatusCode::CREATED, Json(json!({"id": id, "query": query, "auth": auth, "body": body})))
            },
        ),
    )
}

fn http_target() -> Target {
    Target { function: "employee".into(), http: Some(router()), kafka: None, relay: None, secrets: None }
}

fn request_context_v2(stage: &str) -> Value {
    json!({
        "accountId": "123456789012", "apiId": "api-id", "domainName": "id.execute-api.eu-west-1.amazonaws.com",
        "domainPrefix": "id", "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "routeKey": "POST /employees/{id}",
        "stage": stage, "time": "07/Dec/2026:04:00:00 +0000", "timeEpoch": 1_796_000_000_000i64,
        "http": {"method": "POST", "path": "/employees/42", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "curl/8"},
    })
}

fn apigw_v2() -> Value {
    json!({
        "version": "2.0", "routeKey": "POST /employees/{id}", "rawPath": "/employees/42", "rawQueryString": "dry=1",
        "headers": {"authorization": "Bearer t0ken", "content-type": "application/json"},
        "queryStringParameters": {"dry": "1"},
        "requestContext": request_context_v2("$default"),
        "body": "{\"name\":\"Ada\"}", "isBase64Encoded": false,
    })
}

fn function_url() -> Value {
    let mut context = request_context_v2("$default");
    context["routeKey"] = json!("$default");
    context["authorizer"] = json!({"iam": null});
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/employees/42", "rawQueryString": "dry=1",
        "headers": {"authorization": "Bearer t0ken", "content-type": "application/json"},
        "queryStringParameters": {"dry": "1"},
        "requestContext": context,
        // Function URLs base64-encode bodies they do not take for text.
        "body": STANDARD.encode("{\"name\":\"Ada\"}"), "isBase64Encoded": true,
    })
}

fn alb() -> Value {
    json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/hrms/abc"}},
        "httpMethod": "POST", "path": "/employees/42", "queryStringParameters": {"dry": "1"},
        "headers": {"authorization": "Bearer t0ken", "content-type": "application/json", "host": "hrms.example"},
        "body": "{\"name\":\"Ada\"}", "isBase64Encoded": false,
    })
}

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

async fn answer(event: Value) -> Value {
    assert_eq!(Kind::of(&event), Kind::Http);
    invoke(&http_target(), event, Context::default()).await.expect("answered")
}

fn body(response: &Value) -> Value {
    let text = response["body"].as_str().expect("a body");
    let text = if response["isBase64Encoded"] == json!(true) {
        String::from_utf8(STANDARD.decode(text).expect("base64")).expect("UTF-8")
    } else {
        text.to_owned()
    };
    serde_json::from_str(&text).expect("JSON body")
}

#[tokio::test]
async fn an_http_api_request_reaches_the_router_unchanged() {
    let response = answer(apigw_v2()).await;
    assert_eq!(response["statusCode"], 201);
    assert_eq!(
        body(&response),
        json!({"id": "42", "query": {"dry": "1"}, "auth": "Bearer t0ken", "body": {"name": "Ada"}})
    );
    assert!(response["headers"]["content-type"].as_str().is_some_and(|c| c.starts_with("application/json")));
}

#[tokio::test]
async fn a_function_url_request_with_a_base64_body_reaches_the_router_unchanged() {
    let response = answer(function_url()).await;
    assert_eq!(response["statusCode"], 201);
    assert_eq!(body(&response)["body"], json!({"name": "Ada"}));
}

#[tokio::test]
async fn an_alb_request_is_answered_in_the_albs_shape() {
    let response = answer(alb()).await;
    assert_eq!(response["statusCode"], 201);
    assert!(response["statusDescription"].as_str().is_some_and(|d| d.starts_with("201")), "{response}");
    assert_eq!(body(&response)["query"], json!({"dry": "1"}));
}

#[tokio::test]
async fn a_kafka_batch_reaches_the_handler_and_other_functions_refuse_it() {
    let event = fixtures::sample(EventType::AuditEmployeeUpdated);
    let batch = event_json(kafka::MSK, vec![record_json(&event, "audit-queue", 0, 1)]);
    assert_eq!(Kind::of(&batch), Kind::Kafka);
    let recorder = Arc::new(Recorder::default());
    let consumer = KafkaTarget {
        handler: recorder.clone(),
        group: "audit-service".into(),
        dead_letters: Arc::new(hrms_platform_dead_letters_never()),
        marks: Arc::new(kafka::marks::MemoryMarks::default()),
    };
    let target =
        Target { function: "audit".into(), http: None, kafka: Some(consumer), relay: None, secrets: None };
    let answer = invoke(&target, batch.clone(), Context::default()).await.expect("handled");
    assert_eq!(answer, json!({"handled": 1, "dead_lettered": 0, "dead_lettered_before": 0}));
    assert_eq!(recorder.handled.lock().unwrap()[0].event, event);

    let refused = invoke(&http_target(), batch, Context::default()).await.expect_err("not a consumer");
    assert!(matches!(refused, InvokeError::Unexpected { kind: "Kafka", .. }), "{refused}");
    let diagnostic = Diagnostic::from(refused);
    assert_eq!(diagnostic.error_type, "NonRetryable");
}

#[test]
fn streams_records_and_schedules_are_told_apart() {
    let stream = json!({"Records": [{"eventSource": "aws:dynamodb", "eventName": "INSERT",
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:1:table/hrms-employee/stream/x"}]});
    let schedule = json!({"version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "1", "time": "2026-12-07T04:00:00Z", "region": "eu-west-1", "resources": [], "detail": {}});
    assert_eq!((Kind::of(&stream), Kind::of(&schedule)), (Kind::Stream, Kind::Schedule));
}

#[tokio::test]
async fn an_unrecognised_event_is_refused() {
    let error =
        invoke(&http_target(), json!({"hello": "world"}), Context::default()).await.expect_err("refused");
    assert!(matches!(error, InvokeError::Unrecognised(_)), "{error}");
}

/// A dead-letter writer for batches that have none.
fn hrms_platform_dead_letters_never() -> impl kafka::DeadLetterWriter {
    struct Never;
    impl kafka::DeadLetterWriter for Never {
        fn write<'a>(
            &'a self,
            _: &'a hrms_kafka::dlq::DeadLetterRecord,
        ) -> futures::future::BoxFuture<'a, Result<(), hrms_platform::publish::PublishError>> {
            panic!("no dead letter expected")
        }
    }
    Never
}
