//! The process's own routes: health, readiness, metrics, the caller a token
//! names, and `GET /openapi.json`, the OpenAPI document of everything the
//! process serves (public: it is documentation).

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use hrms_events::Role;
use hrms_http::Caller;
use hrms_http::commands::Command;
use hrms_http::openapi::{Unauthorized, document};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;

/// Each route with its documentation.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(ready))
        .routes(routes!(metrics))
        .routes(routes!(whoami))
        .routes(routes!(openapi_json))
}

/// The document of this process, as JSON: its own routes, the hosted
/// functions' (`functions`), and the intake of their `commands`.
pub(super) fn openapi(functions: &OpenApi, commands: &[Command]) -> anyhow::Result<Bytes> {
    let mut doc = document(env!("CARGO_PKG_VERSION"));
    doc.merge(routes().into_openapi());
    doc.merge(functions.clone());
    doc.merge(hrms_http::commands::openapi(functions, commands).context("documenting the command intake")?);
    Ok(doc.to_json().context("serializing the OpenAPI document")?.into())
}

/// Alive
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "ops",
    responses((status = 200, description = "Alive.", body = String, example = "ok")),
)]
async fn healthz() -> &'static str {
    "ok"
}

/// Ready to serve
///
/// Ready when the event transport and every hosted function's store answer.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "ops",
    responses(
        (status = 200, description = "Ready.", body = String, example = "ready"),
        (status = 503, description = "What is unreachable.", body = String),
    ),
)]
async fn ready(State(state): State<AppState>) -> (StatusCode, String) {
    if !state.transport.reachable().await {
        return (StatusCode::SERVICE_UNAVAILABLE, "event transport unreachable".into());
    }
    for (name, probe) in state.probes.iter() {
        if let Err(e) = probe().await {
            tracing::warn!(function = name, error = format!("{e:#}"), "store unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, format!("{name} store unavailable"));
        }
    }
    (StatusCode::OK, "ready".into())
}

/// Metrics
///
/// In the Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "ops",
    responses((status = 200, description = "The metrics.", body = String)),
)]
async fn metrics(State(state): State<AppState>) -> String {
    state.metrics.render()
}

/// The caller a token names.
#[derive(Serialize, ToSchema)]
struct WhoAmI {
    user_id: Uuid,
    role: Role,
    employee_id: Option<Uuid>,
}

/// Who the token names
///
/// Any valid token: a way to check one.
#[utoipa::path(
    get,
    path = "/whoami",
    tag = "ops",
    responses(
        (status = 200, description = "The token's claims.", body = WhoAmI),
        (status = 401, response = Unauthorized),
    ),
    security(("bearer" = [])),
)]
async fn whoami(caller: Caller) -> axum::Json<WhoAmI> {
    axum::Json(WhoAmI { user_id: caller.user_id, role: caller.role, employee_id: caller.employee_id })
}

/// This document
///
/// OpenAPI 3.1 of everything this process serves.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "ops",
    responses((status = 200, description = "The OpenAPI document.", content_type = "application/json")),
)]
async fn openapi_json(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], state.openapi)
}
