//! Calling a router in tests: requests with or without a token, answers as
//! status and JSON.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use hrms_events::Role;
use serde_json::Value;
use tower::ServiceExt;
use uuid::Uuid;

use super::auth::Authenticator;

mod refusals;
pub use refusals::{BadInput, Refusal, assert_refusals};

/// A router and the key its tokens are signed with.
pub struct Client {
    pub app: Router,
    pub auth: Arc<Authenticator>,
}

impl Client {
    pub fn token(&self, role: Role, employee_id: Option<Uuid>) -> String {
        self.auth.mint(Uuid::now_v7(), role, employee_id, Duration::from_secs(60)).expect("token")
    }

    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map(|b| Body::from(b.to_string())).unwrap_or_default();
        let response =
            self.app.clone().oneshot(request.body(body).expect("request")).await.expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// A fresh directory for a test's databases.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hrms-{name}-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}
