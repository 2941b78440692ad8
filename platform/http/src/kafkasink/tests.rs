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

/// A sink that answers 503 to its first request and stores every later one.
async fn serve_failing_first() -> (String, Received) {
    let received = Received::default();
    let refused = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stored = received.clone();
    let app = Router::new().route(
        "/",
        post(move |headers: HeaderMap, body: Bytes| async move {
            if !refused.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return StatusCode::SERVICE_UNAVAILABLE;
            }
            let key = headers.get("ce-partitionkey").and_then(|v| v.to_str().ok()).unwrap_or_default();
            match decode(&headers, body) {
                Ok(pushed) => {
                    stored.lock().expect("lock").push((key.to_owned(), pushed.event));
                    StatusCode::ACCEPTED
                }
                Err(_) => StatusCode::BAD_REQUEST,
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/"), received)
}

/// Events of one employee (one key), then one of another.
fn two_keys() -> (Vec<HrmsEvent>, HrmsEvent) {
    let one = uuid::Uuid::now_v7();
    let of = |employee| {
        let mut e = fixtures::sample(EventType::LeaveRequested);
        if let hrms_events::Payload::LeaveRequested(p) = &mut e.payload {
            p.employee_id = employee;
        }
        e
    };
    ((0..3).map(|_| of(one)).collect(), of(uuid::Uuid::now_v7()))
}

#[tokio::test]
async fn after_a_keys_first_event_fails_the_sink_gets_its_events_first_in_write_order() {
    use hrms_platform::outbox::{OutboxStore, Relay, RelaySettings};
    use hrms_platform::testing::MemoryOutbox;

    let (base, received) = serve_failing_first().await;
    let sink =
        KafkaSinkPublisher::new(&[("notification-queue", &base)], Duration::from_secs(5)).expect("publisher");
    let (key, other) = two_keys();
    let outbox = Arc::new(MemoryOutbox::default());
    outbox.extend(&[key.clone(), vec![other.clone()]].concat());
    let settings = RelaySettings {
        backoff: hrms_platform::consume::RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            ..RelaySettings::default().backoff
        },
        ..RelaySettings::default()
    };
    let relay = Relay::new(outbox.clone(), Arc::new(sink), settings);
    relay
        .run(async {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while outbox.backlog().await.expect("backlog") > 0 {
                assert!(tokio::time::Instant::now() < deadline, "the outbox did not drain");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
    // What a consumer keeping the first copy of each id sees, per key.
    let received = received.lock().expect("lock").clone();
    let mut first_seen: Vec<uuid::Uuid> = Vec::new();
    for (_, event) in &received {
        if !first_seen.contains(&event.id) {
            first_seen.push(event.id);
        }
    }
    let of_key: Vec<_> = first_seen.iter().filter(|id| key.iter().any(|e| e.id == **id)).copied().collect();
    assert_eq!(
        of_key,
        key.iter().map(|e| e.id).collect::<Vec<_>>(),
        "the key's events, first copies, in order"
    );
    assert!(first_seen.contains(&other.id), "the other key's event went too");
    assert!(received.iter().all(|(k, e)| *k == e.partition_key()));
}

#[tokio::test]
async fn after_a_keys_event_fails_its_later_events_in_the_call_are_not_sent() {
    let (base, received) = serve_failing_first().await;
    let sink =
        KafkaSinkPublisher::new(&[("notification-queue", &base)], Duration::from_secs(5)).expect("publisher");
    let (key, other) = two_keys();
    let results = sink.publish(&[key.clone(), vec![other.clone()]].concat()).await;
    assert!(results[..3].iter().all(|r| matches!(r, Err(PublishError::Retryable { .. }))), "{results:?}");
    assert!(results[3].is_ok(), "the other key goes on: {results:?}");
    let received: Vec<_> = received.lock().expect("lock").iter().map(|(_, e)| e.id).collect();
    assert_eq!(received, [other.id], "none of the key's later events went out before the failed one");
}

/// A sink that, like a KafkaSink with OIDC on, stores only requests
/// presenting `Bearer <expected>` and answers 401 to the rest.
async fn serve_requiring(expected: Arc<Mutex<String>>) -> (String, Received) {
    let received = Received::default();
    let stored = received.clone();
    let app = Router::new().route(
        "/",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let presented = headers.get("authorization").and_then(|v| v.to_str().ok());
            if presented != Some(format!("Bearer {}", expected.lock().expect("lock")).as_str()) {
                return StatusCode::UNAUTHORIZED;
            }
            let key = headers.get("ce-partitionkey").and_then(|v| v.to_str().ok()).unwrap_or_default();
            match decode(&headers, body) {
                Ok(pushed) => {
                    stored.lock().expect("lock").push((key.to_owned(), pushed.event));
                    StatusCode::ACCEPTED
                }
                Err(_) => StatusCode::BAD_REQUEST,
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/"), received)
}

#[tokio::test]
async fn with_oidc_the_projected_token_is_sent_and_read_again_when_it_rotates() {
    let expected = Arc::new(Mutex::new("token-1".to_owned()));
    let (url, received) = serve_requiring(expected.clone()).await;
    let sinks = [("notification-queue", url.as_str())];
    let event = [fixtures::sample(EventType::LeaveRequested)];

    let anonymous = KafkaSinkPublisher::new(&sinks, Duration::from_secs(5)).expect("publisher");
    let refused = anonymous.publish(&event).await;
    assert!(matches!(&refused[0], Err(PublishError::Retryable { .. })), "{refused:?}");
    assert!(received.lock().expect("lock").is_empty(), "no token, nothing stored");

    let dir = hrms_platform::testing::TempDir::new("kafkasink-token");
    let file = dir.0.join("token");
    assert!(matches!(anonymous.clone().with_token_file(&file), Err(KafkaSinkError::Token { .. })));
    std::fs::write(&file, "token-1\n").expect("write the token");
    let publisher = anonymous.with_token_file(&file).expect("publisher with a token");
    let stored = publisher.publish(&event).await;
    assert!(stored.iter().all(Result::is_ok), "{stored:?}");

    // The kubelet writes a new token (a new length, as a real one may keep
    // its modification second); the sink takes only the new one.
    std::fs::write(&file, "token-2-rotated").expect("rotate the token");
    *expected.lock().expect("lock") = "token-2-rotated".to_owned();
    let second = [fixtures::sample(EventType::LeaveApproved)];
    let stored = publisher.publish(&second).await;
    assert!(stored.iter().all(Result::is_ok), "the rotated token is sent: {stored:?}");
    let ids: Vec<_> = received.lock().expect("lock").iter().map(|(_, e)| e.id).collect();
    assert_eq!(ids, [event[0].id, second[0].id]);
}

#[tokio::test]
async fn each_sink_gets_the_token_of_its_topic_and_the_others_the_shared_one() {
    let expected = Arc::new(Mutex::new("for-the-notification-queue-sink".to_owned()));
    let (url, received) = serve_requiring(expected).await;
    let dir = hrms_platform::testing::TempDir::new("kafkasink-tokens");
    let (own, shared) = (dir.0.join("notification-queue"), dir.0.join("shared"));
    std::fs::write(&own, "for-the-notification-queue-sink").expect("write");
    std::fs::write(&shared, "for-another-audience").expect("write");
    let publisher = KafkaSinkPublisher::new(
        &[("notification-queue", url.as_str()), ("audit-queue", url.as_str())],
        Duration::from_secs(5),
    )
    .expect("publisher")
    .with_topic_token_file("notification-queue", &own)
    .and_then(|p| p.with_token_file(&shared))
    .expect("token files");
    let notification = fixtures::sample(EventType::LeaveRequested);
    assert_eq!(notification.topic(), "notification-queue");
    let audit = fixtures::sample(EventType::AuditEmployeeCreated);
    assert_eq!(audit.topic(), "audit-queue");
    let results = publisher.publish(&[notification.clone(), audit]).await;
    assert!(results[0].is_ok(), "{results:?}");
    assert!(
        matches!(&results[1], Err(PublishError::Retryable { .. })),
        "the shared token is refused: {results:?}"
    );
    let ids: Vec<_> = received.lock().expect("lock").iter().map(|(_, e)| e.id).collect();
    assert_eq!(ids, [notification.id]);
    assert_eq!(token_variable("audit-queue.dlq"), "HRMS_KAFKASINK_AUDIT_QUEUE_DLQ_TOKEN_FILE");
}
