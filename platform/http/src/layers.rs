//! What every router gets: a body size limit, a request timeout, and a log
//! line and metrics per request (`hrms_http_requests_total` by method, route
//! and status; `hrms_http_request_seconds` by method and route).

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use super::json::MAX_BODY;
use super::problem::Problem;

/// How long a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Wraps `router` with the limit, the timeout and the observation.
pub fn serve(router: Router) -> Router {
    router.layer(middleware::from_fn(observe)).layer(DefaultBodyLimit::max(MAX_BODY))
}

async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem::unavailable(format!(
            "the request took longer than {REQUEST_TIMEOUT:?}; it may or may not have taken effect"
        ))
        .into_response(),
    };
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
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
}
