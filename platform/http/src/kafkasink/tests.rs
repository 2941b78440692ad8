//! The KafkaSink publisher against a local server that reads each request
//! as Knative's KafkaSink receiver does (binary mode) and answers 202, 503
//! or 400.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hrms_events::{EventType, fixtures};

use super::*;
use crate::delivery::binding::decode;

type Received = Arc<Mutex<Vec<(String, HrmsEvent)>>>;

/// Decodes the binary-mode request, keeps (record key, event), answers `status`.
async fn sink(
    State(received): State<Received>,
    Path(status): Path<u16>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let key = headers.get("ce-partitionkey").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let binary = headers.get("ce-specversion").is_some() && headers.get(CONTENT_TYPE).is_some();
    match decode(&headers, body) {
        Ok(pushed) if binary => {
            if status == 202 {
                received.lock().expect("lock").push((key, pushed.event));
            }
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

async fn serve() -> (String, Received) {
    let received = Received::default();
    let app = Router::new().route("/{status}", post(sink)).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), received)
}

fn publisher(base: &str, status: u16) -> KafkaSinkPublisher {
    let url = format!("{base}/{status}");
    KafkaSinkPublisher::new(&[("notification-queue", &url), ("audit-queue", &url)], Duration::from_secs(5))
        .expect("publisher")
}

#[tokio::test]
async fn a_202_is_stored_with_the_partition_key_as_the_record_key() {
    let (base, received) = serve().await;
    let events =
        [fixtures::sample(EventType::LeaveRequested), fixtures::sample(EventType::AuditEmployeeCreated)];
    let results = publisher(&base, 202).publish(&events).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let received = received.lock().expect("lock").clone();
    let want: Vec<(String, HrmsEvent)> = events.iter().map(|e| (e.partition_key(), e.clone())).collect();
    assert_eq!(received, want, "every attribute and the data arrive as sent, in order");
}

#[tokio::test]
async fn a_503_is_retried_and_a_400_set_aside() {
    let (base, received) = serve().await;
    let event = [fixtures::sample(EventType::UserCreated)];
    let down = publisher(&base, 503).publish(&event).await;
    assert!(matches!(&down[0], Err(PublishError::Retryable { .. })), "{down:?}");
    let refused = publisher(&base, 400).publish(&event).await;
    assert!(matches!(&refused[0], Err(PublishError::Fatal { .. })), "{refused:?}");
    let gone =
        KafkaSinkPublisher::new(&[("notification-queue", "http://127.0.0.1:9/")], Duration::from_secs(2))
            .expect("publisher")
            .publish(&event)
            .await;
    assert!(matches!(&gone[0], Err(PublishError::Retryable { .. })), "unreachable: {gone:?}");
    assert!(received.lock().expect("lock").is_empty());
}

#[test]
fn each_topic_has_its_variable_and_values_are_percent_encoded() {
    assert_eq!(url_variable("notification-queue.dlq"), "HRMS_KAFKASINK_NOTIFICATION_QUEUE_DLQ_URL");
    assert_eq!(percent_encode("a b\"%é"), "a%20b%22%25%C3%A9");
}
