//! What every router gets: a body size limit, a request timeout, a panicking
//! handler answered 500 with a problem (the process and its other requests
//! live on), and a log line and metrics per request (`hrms_http_requests_total` by method, route
//! and status; `hrms_http_request_seconds` by method and route).

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;

use super::json::MAX_BODY;
use super::problem::Problem;

/// How long a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Wraps `router` with the limit, the timeout, the panic catcher and the
/// observation (which counts a caught panic as the 500 it became).
pub fn serve(router: Router) -> Router {
    router
        .layer(CatchPanicLayer::custom(panicked))
        .layer(middleware::from_fn(observe))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// The answer to a request whose handler panicked: 500, logged with the
/// panic's message (never sent to the caller).
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked");
    Problem::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "the server failed on this request; it may or may not have taken effect",
    )
    .into_response()
}

async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    // The request's span, continuing the caller's trace: the events it
    // stores and the calls it makes carry it on.
    let traceparent = request.headers().get("traceparent").and_then(|v| v.to_str().ok());
    let span = hrms_platform::traces::http_server(&method, &route, traceparent);
    let answered = tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).instrument(span.clone()).await;
    let response = match answered {
        Ok(response) => response,
        Err(_) => Problem::unavailable(format!(
            "the request took longer than {REQUEST_TIMEOUT:?}; it may or may not have taken effect"
        ))
        .into_response(),
    };
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    hrms_platform::traces::http_status(&span, status);
    tracing::debug!(%method, %route, status, elapsed_ms = elapsed.as_secs_f64() * 1e3, "request");
    metrics::counter!("hrms_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("hrms_http_request_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::post;
    use serde_json::Value;
    use tower::ServiceExt;

    use crate::json::ProblemJson;

    #[tokio::test]
    async fn an_oversized_body_is_413_with_a_problem() {
        let app = serve(
            Router::new()
                .route("/echo", post(|ProblemJson(v): ProblemJson<Value>| async move { v.to_string() })),
        );
        let big = format!("{{\"a\": \"{}\"}}", "x".repeat(MAX_BODY + 1));
        let request = Request::post("/echo")
            .header("content-type", "application/json")
            .body(Body::from(big))
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let small = Request::post("/echo")
            .header("content-type", "application/json")
            .body(Body::from("{\"a\":1}"))
            .expect("request");
        assert_eq!(app.oneshot(small).await.expect("response").status(), StatusCode::OK);
    }

    async fn boom() -> &'static str {
        panic!("boom")
    }

    #[tokio::test]
    async fn a_panicking_handler_is_500_with_a_problem_and_the_router_lives_on() {
        let app = serve(
            Router::new()
                .route("/boom", axum::routing::get(boom))
                .route("/fine", axum::routing::get(|| async { "fine" })),
        );
        let boom = app
            .clone()
            .oneshot(Request::get("/boom").body(Body::empty()).expect("request"))
            .await
            .expect("response");
        assert_eq!(boom.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(boom.headers()["content-type"], "application/problem+json");
        let body = axum::body::to_bytes(boom.into_body(), 4096).await.expect("body");
        let problem: Value = serde_json::from_slice(&body).expect("problem");
        assert_eq!(problem["status"], 500);
        assert!(!problem["detail"].as_str().unwrap_or_default().contains("boom"), "{problem}");
        let fine =
            app.oneshot(Request::get("/fine").body(Body::empty()).expect("request")).await.expect("response");
        assert_eq!(fine.status(), StatusCode::OK);
    }
}
