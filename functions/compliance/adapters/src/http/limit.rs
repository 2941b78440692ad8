//! The limit on validations of one's own account or record, per caller
//! (`self_validation` in the policy): a window opens at a caller's first
//! validation, and past `limit` within it they are refused until it ends.
//! Counted in this process: each replica counts its own.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hrms_compliance::policy::SelfValidationRule;
use hrms_http::openapi::PROBLEM_JSON;
use hrms_http::problem::Problem;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToResponse};
use uuid::Uuid;

/// Callers kept before those whose window ended are forgotten.
const PRUNE_AT: usize = 10_000;

/// Each caller's window: when it opened and how many it counted.
pub struct SelfLimit {
    limit: u32,
    window: Duration,
    callers: Mutex<HashMap<Uuid, (Instant, u32)>>,
}

impl SelfLimit {
    pub fn new(rule: SelfValidationRule) -> Self {
        let window = Duration::from_secs(u64::from(rule.window_seconds));
        Self { limit: rule.limit, window, callers: Mutex::new(HashMap::new()) }
    }

    /// Counts a validation by `caller` at `now`; past the limit, how long
    /// until their window ends (and nothing is counted).
    pub fn take(&self, caller: Uuid, now: Instant) -> Result<(), Duration> {
        let mut callers = self.callers.lock().unwrap_or_else(|p| p.into_inner());
        if callers.len() >= PRUNE_AT {
            callers.retain(|_, (opened, _)| now.saturating_duration_since(*opened) < self.window);
        }
        let (opened, count) = callers.entry(caller).or_insert((now, 0));
        let open_for = now.saturating_duration_since(*opened);
        if open_for >= self.window {
            (*opened, *count) = (now, 0);
        } else if *count >= self.limit {
            return Err(self.window - open_for);
        }
        *count += 1;
        Ok(())
    }
}

/// 429 with a problem and `Retry-After`: whole seconds, at least 1.
pub fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let problem = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many validations of your own record: try again in {seconds} s"),
    );
    let mut response = problem.into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// The documented 429.
pub struct TooManyRequests;

impl<'r> ToResponse<'r> for TooManyRequests {
    fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
        let retry = HeaderBuilder::new()
            .schema(Some(u64::schema()))
            .description(Some("Seconds until the caller may validate their own record again."))
            .build();
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
        let response = ResponseBuilder::new()
            .description(
                "Too many validations of the caller's own account or record (`self_validation` of the \
                 policy; admin and hr are not limited).",
            )
            .content(PROBLEM_JSON, content)
            .header("Retry-After", retry)
            .build();
        ("TooManyRequests", response.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_past_the_limit_waits_for_their_window_to_end() {
        let limit = SelfLimit::new(SelfValidationRule { limit: 2, window_seconds: 60 });
        let (ada, grace, start) = (Uuid::now_v7(), Uuid::now_v7(), Instant::now());
        assert_eq!(limit.take(ada, start), Ok(()));
        assert_eq!(limit.take(ada, start + Duration::from_secs(10)), Ok(()));
        assert_eq!(limit.take(ada, start + Duration::from_secs(15)), Err(Duration::from_secs(45)));
        assert_eq!(limit.take(grace, start + Duration::from_secs(15)), Ok(()), "each caller their own");
        assert_eq!(limit.take(ada, start + Duration::from_secs(59)), Err(Duration::from_secs(1)));
        assert_eq!(limit.take(ada, start + Duration::from_secs(60)), Ok(()), "a new window");
    }

    #[test]
    fn the_answer_is_a_problem_with_retry_after_in_whole_seconds() {
        let response = too_many(Duration::from_millis(44_200));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "45");
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }
}
