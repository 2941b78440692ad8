//! A webhook receiver as a subscriber writes one, for the tests of the
//! webhook channel: it verifies the signature and refuses replays.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hrms_notification_adapters::channels::signature::{DELIVERY_HEADER, SIGNATURE_HEADER};
use hrms_notification_adapters::channels::{ReplayGuard, verify};
use serde_json::Value;

/// How far a signature's time may be from the receiver's clock.
pub const TOLERANCE: Duration = Duration::from_secs(300);

/// A webhook receiver: verifies the signature, refuses replays, keeps what
/// it accepted and every request it saw.
pub struct WebhookReceiver {
    secret: Vec<u8>,
    guard: ReplayGuard,
    pub accepted: Mutex<Vec<Value>>,
    pub requests: Mutex<Vec<(HeaderMap, Bytes)>>,
}

async fn receive(
    State(receiver): State<Arc<WebhookReceiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if let Ok(mut requests) = receiver.requests.lock() {
        requests.push((headers.clone(), body.clone()));
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (Some(signature), Some(delivery)) = (header(SIGNATURE_HEADER), header(DELIVERY_HEADER)) else {
        return StatusCode::BAD_REQUEST;
    };
    let now = SystemTime::now();
    if verify(&receiver.secret, &signature, &delivery, &body, now, TOLERANCE).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    if receiver.guard.check(&delivery, now).is_err() {
        return StatusCode::CONFLICT;
    }
    match (serde_json::from_slice(&body), receiver.accepted.lock()) {
        (Ok(value), Ok(mut accepted)) => {
            accepted.push(value);
            StatusCode::NO_CONTENT
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn answer(Path(status): Path<u16>) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Serves `/hook` (a verifying receiver) and `/status/{code}` on a free port.
pub async fn serve_webhooks(secret: &[u8]) -> (String, Arc<WebhookReceiver>) {
    let receiver = Arc::new(WebhookReceiver {
        secret: secret.to_vec(),
        guard: ReplayGuard::new(TOLERANCE),
        accepted: Mutex::default(),
        requests: Mutex::default(),
    });
    let app = Router::new()
        .route("/hook", post(receive))
        .route("/status/{status}", post(answer))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), receiver)
}
