//! The process's own routes: health, readiness, metrics, the caller a token
//! names, `GET /openapi.json`, the OpenAPI document of everything the
//! process serves, and `GET /asyncapi.json`, the AsyncAPI document of the
//! whole event side (the same in every process; both public: they are
//! documentation). Health, readiness and metrics are for the cluster only:
//! a public host gets 404 ([`internal_only`]).

use std::sync::{Arc, LazyLock};

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::middleware;
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
use internal_only::InternalHosts;

mod internal_only;

/// Each route with its documentation. Health, readiness and metrics answer
/// only requests naming an internal host ([`internal_only`]).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    let hosts = Arc::new(InternalHosts::from_env());
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(ready))
        .routes(routes!(metrics))
        .route_layer(middleware::from_fn_with_state(hosts, internal_only::internal_only))
        .routes(routes!(whoami))
        .routes(routes!(openapi_json))
        .routes(routes!(asyncapi_json))
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
    responses(
        (status = 200, description = "Alive.", body = String, example = "ok"),
        (status = 404, description = "Asked on a public host.", content_type = "application/problem+json"),
    ),
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
        (status = 404, description = "Asked on a public host.", content_type = "application/problem+json"),
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
    responses(
        (status = 200, description = "The metrics.", body = String),
        (status = 404, description = "Asked on a public host.", content_type = "application/problem+json"),
    ),
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

/// The event side
///
/// AsyncAPI 3.0 of every topic, event type and version, who sends and who
/// receives it, and the dead-letter topics; the same in every process
/// (`hrms events --asyncapi` prints it).
#[utoipa::path(
    get,
    path = "/asyncapi.json",
    tag = "ops",
    responses((status = 200, description = "The AsyncAPI document.", content_type = "application/json")),
)]
async fn asyncapi_json() -> impl IntoResponse {
    static DOCUMENT: LazyLock<Bytes> = LazyLock::new(|| super::asyncapi::document().to_string().into());
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT.clone())
}
