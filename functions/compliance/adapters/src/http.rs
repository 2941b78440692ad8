//! The Compliance routes:
//! - `POST /compliance/validate` (admin, hr; anyone about their own account
//!   or employee record, as when a user renames themselves; the User and
//!   Employee functions call it with their caller's token): the subject's
//!   facts in, allowed or the violated rules out. The same findings about
//!   the same facts within the policy's `notices` period answer the first
//!   check again, recording nothing; validations of one's own record are
//!   limited per caller ([`limit`]; 429 with `Retry-After`).
//! - `GET /compliance/violations?employee_id=&from=&to=&limit=` (admin and
//!   hr; an employee for their own record): checks that found something
//!   (refusals, and what the consumer of `notification-queue` found in
//!   attendance and leave over time), newest first, made within `[from, to)`.
//!
//! Each route is registered with its `#[utoipa::path]` ([`Routes`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use hrms_compliance::commands::Context;
use hrms_compliance::commands::validate::{Validate, handle};
use hrms_compliance::{ComplianceStore, FindingsQuery, Policy, Subject, Verdict};
use hrms_events::Role;
use hrms_events::compliance::ComplianceCheck;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use hrms_http::auth::Caller;
use hrms_http::json::ProblemJson;
use hrms_http::openapi::{
    BadRequest, Forbidden, PayloadTooLarge, Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use hrms_http::problem::Problem;
use hrms_http::{Api, Routes};

use limit::{SelfLimit, TooManyRequests};

pub mod limit;

/// The Compliance function's operations that a CloudEvent may invoke on `POST /`
/// (see `hrms_http::commands`).
pub const COMMANDS: &[hrms_http::commands::Command] =
    &[hrms_http::commands::command("hrms.command.compliance.validate", "POST", "/compliance/validate")];

/// What the routes need.
#[derive(Clone)]
pub struct ComplianceDeps {
    pub policy: Arc<Policy>,
    pub store: Arc<dyn ComplianceStore>,
    /// Self-validations per caller, as the policy's `self_validation` says.
    pub self_limit: Arc<SelfLimit>,
}

impl ComplianceDeps {
    /// The routes on `store` under `policy`, counting self-validations anew.
    pub fn new(policy: Arc<Policy>, store: Arc<dyn ComplianceStore>) -> Self {
        let self_limit = Arc::new(SelfLimit::new(policy.self_validation));
        Self { policy, store, self_limit }
    }
}

/// The routes' state.
pub type ComplianceApi = Api<ComplianceDeps>;

impl Routes for ComplianceDeps {
    fn routes(router: OpenApiRouter<ComplianceApi>) -> OpenApiRouter<ComplianceApi> {
        router.routes(routes!(validate)).routes(routes!(violations))
    }
}

/// Validate a user or an employee against the compliance policy
///
/// Admin and hr; anyone about their own account or employee record. The User and Employee functions
/// call it with their caller's token. The check is recorded, and its events emitted, whatever the
/// outcome; but a check finding the same rules broken for the same subject with the same facts as
/// one within the policy's `notices.repeat_after_hours` (24 h by default) records and emits nothing
/// and answers that check. Validations of one's own record (admin and hr excepted) are limited per
/// caller (`self_validation`: 10 a minute by default): past it, 429 with `Retry-After`.
#[utoipa::path(
    post,
    path = "/compliance/validate",
    tag = "compliance",
    request_body(content = Subject, example = json!({ "employee": {
        "employee_id": "0193a4a0-0000-7000-8000-000000000001", "first_name": "Ada", "last_name": "Lovelace",
        "email": "ada@example.com", "department": "Engineering", "job_title": "Analyst", "country": "GB",
        "date_of_birth": "1990-12-10", "hire_date": "2026-12-01", "weekly_hours": 37.5, "manager_id": null
    }})),
    responses(
        (status = 200, description = "Allowed, or refused with the violated rules.", body = Verdict),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = inline(TooManyRequests)),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn validate(
    State(api): State<ComplianceApi>,
    caller: Caller,
    ProblemJson(subject): ProblemJson<Subject>,
) -> Result<Json<Verdict>, Response> {
    let own = match &subject {
        Subject::User(user) => user.user_id == caller.user_id,
        Subject::Employee(employee) => caller.employee_id == Some(employee.employee_id),
    };
    let staff = caller.require(&[Role::Admin, Role::Hr]);
    match staff {
        Err(refused) if !own => return Err(refused.into_response()),
        Err(_) => api.self_limit.take(caller.user_id, Instant::now()).map_err(limit::too_many)?,
        Ok(()) => {}
    }
    let command = Validate { subject, actor: caller.actor() };
    let ctx = Context { policy: &api.policy, store: api.store.as_ref() };
    let validated = handle(command, &ctx).await.map_err(|e| {
        tracing::error!(error = %hrms_platform::Chain(&e), "compliance store unavailable");
        Problem::unavailable("compliance checks cannot be recorded right now; nothing was recorded")
            .into_response()
    })?;
    Ok(Json(validated.verdict()))
}

/// The query of a listing, as documented; read field by field.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
// The pattern of `from` and `to` leaves out days past the 28th, so that
// every string it matches is a day; the code reads them too.
struct ViolationsQuery {
    /// Only the checks about this employee.
    employee_id: Option<Uuid>,
    /// Only checks made at or after this time (RFC 3339, or a date: its start in UTC).
    #[param(
        pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$"
    )]
    from: Option<String>,
    /// Only checks made before this time (RFC 3339, or a date: its start in UTC).
    #[param(
        pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$"
    )]
    to: Option<String>,
    /// At most this many checks (1 to 1000; 100 when absent).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// Checks that found something, newest first
///
/// Admin and hr; an employee for their own record (`employee_id` their own). Refusals of
/// validations, and what was found in attendance and leave over time (rest periods, daily and
/// weekly hours, length of leave).
#[utoipa::path(
    get,
    path = "/compliance/violations",
    tag = "compliance",
    params(ViolationsQuery),
    responses(
        (status = 200, description = "The checks with findings, newest first.", body = Vec<ComplianceCheck>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn violations(
    State(api): State<ComplianceApi>,
    caller: Caller,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<ComplianceCheck>>, Problem> {
    let Query(params) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let field =
        |name: &str, what: &str| Problem::bad_request(format!("{name} must be {what}")).with_field(name);
    let employee_id = params
        .get("employee_id")
        .map(|v| v.parse::<Uuid>().map_err(|_| field("employee_id", "a UUID")))
        .transpose()?;
    let time = |name: &str| {
        params
            .get(name)
            .map(|v| instant(v).ok_or_else(|| field(name, "an RFC 3339 time or a date")))
            .transpose()
    };
    let (from, to) = (time("from")?, time("to")?);
    let limit = params
        .get("limit")
        .map(|v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| field("limit", "from 1 to 1000"))
        })
        .transpose()?
        .unwrap_or(100);
    let own = caller.employee_id.is_some() && employee_id == caller.employee_id;
    if !own {
        caller.require(&[Role::Admin, Role::Hr])?;
    }
    let query = FindingsQuery { employee_id, from, to, limit };
    let checks = api.store.findings(&query).await.map_err(|e| {
        tracing::error!(error = %hrms_platform::Chain(&e), "compliance store unavailable");
        Problem::unavailable("compliance checks cannot be read right now")
    })?;
    Ok(Json(checks))
}

/// An RFC 3339 time, or a date (its start in UTC).
fn instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| text.parse::<NaiveDate>().ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use futures::future::BoxFuture;
    use hrms_compliance::StoreError;
    use hrms_events::HrmsEvent;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use axum::Router;
    use hrms_http::Authenticator;

    use super::*;
    use crate::sqlite::SqliteComplianceStore;
    use hrms_sqlite::Store as _;

    struct Fixture {
        app: Router,
        auth: Arc<Authenticator>,
        _dir: std::path::PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = std::env::temp_dir().join(format!("hrms-compliance-http-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let store = SqliteComplianceStore::open(dir.join("compliance.db")).expect("store");
        with_store(Arc::new(store), dir)
    }

    fn with_store(store: Arc<dyn ComplianceStore>, dir: std::path::PathBuf) -> Fixture {
        let auth = Arc::new(Authenticator::hs256(&[3u8; 32]).expect("key"));
        let deps = ComplianceDeps::new(Arc::new(Policy::default()), store);
        Fixture { app: ComplianceApi::new(auth.clone(), deps).router(), auth, _dir: dir }
    }

    impl Fixture {
        fn token(&self, role: Role, employee_id: Option<Uuid>) -> String {
            self.auth.mint(Uuid::now_v7(), role, employee_id, Duration::from_secs(60)).expect("token")
        }

        async fn call(
            &self,
            method: &str,
            uri: &str,
            token: Option<&str>,
            body: Option<&str>,
        ) -> (StatusCode, Value) {
            let mut request = Request::builder().method(method).uri(uri);
            if let Some(t) = token {
                request = request.header("authorization", format!("Bearer {t}"));
            }
            if body.is_some() {
                request = request.header("content-type", "application/json");
            }
            let request =
                request.body(body.map(|b| Body::from(b.to_owned())).unwrap_or_default()).expect("request");
            let response = self.app.clone().oneshot(request).await.expect("response");
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
            (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
        }
    }

    #[tokio::test]
    async fn every_route_refuses_as_documented() {
        use hrms_http::testing::{Client, Refusal, assert_refusals};
        let f = fixture();
        let client = Client { app: f.app.clone(), auth: f.auth.clone() };
        let subject: Value = serde_json::from_str(&employee(37.5)).expect("json");
        let mut unnamed = subject.clone();
        unnamed["employee"].as_object_mut().expect("facts").remove("first_name");
        let table = [
            Refusal::new("POST", "/compliance/validate", Some(subject), Some(Role::Employee)).bad(
                Role::Hr,
                None,
                "/compliance/validate",
                Some(unnamed),
                "employee.first_name",
            ),
            Refusal::new("GET", "/compliance/violations", None, Some(Role::Employee)).bad(
                Role::Hr,
                None,
                "/compliance/violations?limit=0",
                None,
                "limit",
            ),
        ];
        assert_refusals(&client, &table).await;
    }

    fn employee(weekly_hours: f64) -> String {
        json!({ "employee": {
            "employee_id": Uuid::now_v7(), "first_name": "Ada", "last_name": "Lovelace",
            "email": "ada@example.com", "department": "Engineering", "job_title": "Analyst", "country": "GB",
            "date_of_birth": "1990-01-01", "hire_date": "2026-12-01", "weekly_hours": weekly_hours, "manager_id": null
        }})
        .to_string()
    }

    #[tokio::test]
    async fn every_route_refuses_unknown_callers_and_wrong_roles() {
        let f = fixture();
        let body = employee(37.5);
        let routes =
            [("POST", "/compliance/validate", Some(body.as_str())), ("GET", "/compliance/violations", None)];
        for (method, uri, body) in routes {
            let (status, problem) = f.call(method, uri, None, body).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
            assert_eq!(problem["status"], 401);
            for role in [Role::Employee, Role::Manager] {
                let token = f.token(role, Some(Uuid::now_v7()));
                let (status, problem) = f.call(method, uri, Some(&token), body).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri} as {role:?}");
                assert_eq!(problem["status"], 403);
            }
        }
    }

    #[tokio::test]
    async fn validation_answers_allowed_or_the_violated_rules() {
        let f = fixture();
        let hr = f.token(Role::Hr, None);
        let (status, ok) = f.call("POST", "/compliance/validate", Some(&hr), Some(&employee(37.5))).await;
        assert_eq!((status, ok["allowed"].clone()), (StatusCode::OK, json!(true)));

        let (status, refused) =
            f.call("POST", "/compliance/validate", Some(&hr), Some(&employee(60.0))).await;
        assert_eq!((status, refused["allowed"].clone()), (StatusCode::OK, json!(false)));
        assert_eq!(refused["findings"][0]["rule_id"], "weekly_hours_max");
        assert_eq!(refused["findings"][0]["field"], "weekly_hours");

        let (status, listed) = f.call("GET", "/compliance/violations", Some(&hr), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
        assert_eq!(listed[0]["check_id"], refused["check_id"]);
    }

    #[tokio::test]
    async fn bad_bodies_are_problems_naming_the_field_and_store_nothing() {
        let f = fixture();
        let hr = f.token(Role::Admin, None);
        let (status, problem) =
            f.call("POST", "/compliance/validate", Some(&hr), Some("{\"employee\":")).await;
        assert_eq!((status, problem["status"].clone()), (StatusCode::BAD_REQUEST, json!(400)));
        let mut wrong: Value = serde_json::from_str(&employee(37.5)).expect("json");
        wrong["employee"]["hire_date"] = json!("next tuesday");
        let (status, problem) =
            f.call("POST", "/compliance/validate", Some(&hr), Some(&wrong.to_string())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["field"], "employee.hire_date", "{problem}");
        let (_, listed) = f.call("GET", "/compliance/violations", Some(&hr), None).await;
        assert_eq!(listed, json!([]));
    }

    #[tokio::test]
    async fn anyone_may_validate_their_own_account_only() {
        let f = fixture();
        let me = Uuid::now_v7();
        let token = f.auth.mint(me, Role::Employee, None, Duration::from_secs(60)).expect("token");
        let subject = |user_id: Uuid| {
            json!({ "user": {
                "user_id": user_id, "email": "me@example.com", "full_name": "Me", "role": "employee",
                "employee_id": null
            }})
            .to_string()
        };
        let (status, verdict) =
            f.call("POST", "/compliance/validate", Some(&token), Some(&subject(me))).await;
        assert_eq!((status, verdict["allowed"].clone()), (StatusCode::OK, json!(true)), "{verdict}");
        let (status, _) =
            f.call("POST", "/compliance/validate", Some(&token), Some(&subject(Uuid::now_v7()))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn an_employee_reads_their_own_findings_only() {
        let f = fixture();
        let hr = f.token(Role::Hr, None);
        let (_, refused) = f.call("POST", "/compliance/validate", Some(&hr), Some(&employee(60.0))).await;
        let findings = f.call("GET", "/compliance/violations", Some(&hr), None).await.1;
        let own: Uuid = serde_json::from_value(findings[0]["employee_id"].clone()).expect("employee id");
        let me = f.token(Role::Employee, Some(own));
        let (status, mine) =
            f.call("GET", &format!("/compliance/violations?employee_id={own}"), Some(&me), None).await;
        assert_eq!((status, mine[0]["check_id"].clone()), (StatusCode::OK, refused["check_id"].clone()));
        let other = Uuid::now_v7();
        let (status, _) =
            f.call("GET", &format!("/compliance/violations?employee_id={other}"), Some(&me), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    /// The same facts refused twice within a day: one check, one violation queued.
    #[tokio::test]
    async fn a_repeated_refusal_is_recorded_and_mailed_once() {
        use hrms_platform::outbox::OutboxStore;
        let f = fixture();
        let hr = f.token(Role::Hr, None);
        let body = employee(60.0);
        let (_, first) = f.call("POST", "/compliance/validate", Some(&hr), Some(&body)).await;
        let (status, again) = f.call("POST", "/compliance/validate", Some(&hr), Some(&body)).await;
        assert_eq!((status, again["allowed"].clone()), (StatusCode::OK, json!(false)), "{again}");
        assert_eq!(again["check_id"], first["check_id"], "the first check answers");
        let (_, listed) = f.call("GET", "/compliance/violations", Some(&hr), None).await;
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
        let outbox = hrms_sqlite::outbox::SqliteOutbox::open(f._dir.join("compliance.db")).expect("outbox");
        let queued = outbox.pending(100).await.expect("pending").entries;
        let violations = queued
            .iter()
            .filter(|e| e.event.event_type() == hrms_events::EventType::ComplianceViolation)
            .count();
        assert_eq!(violations, 1, "mailed once");
    }

    #[tokio::test]
    async fn self_validation_is_limited_per_caller_with_retry_after() {
        use hrms_compliance::policy::SelfValidationRule;
        let dir = hrms_http::testing::temp_dir("compliance-limit");
        let store = Arc::new(SqliteComplianceStore::open(dir.join("compliance.db")).expect("store"));
        let policy = Policy {
            self_validation: SelfValidationRule { limit: 2, window_seconds: 60 },
            ..Policy::default()
        };
        let auth = Arc::new(Authenticator::hs256(&[3u8; 32]).expect("key"));
        let app = ComplianceApi::new(auth.clone(), ComplianceDeps::new(Arc::new(policy), store)).router();
        let f = Fixture { app, auth, _dir: dir };
        let own = |token: &str, id: Uuid| {
            let mut facts: Value = serde_json::from_str(&employee(37.5)).expect("json");
            facts["employee"]["employee_id"] = json!(id);
            let request = Request::post("/compliance/validate")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(facts.to_string()))
                .expect("request");
            let app = f.app.clone();
            async move { app.oneshot(request).await.expect("response") }
        };
        let (ada, grace) = (Uuid::now_v7(), Uuid::now_v7());
        let ada_token = f.token(Role::Employee, Some(ada));
        for _ in 0..2 {
            assert_eq!(own(&ada_token, ada).await.status(), StatusCode::OK);
        }
        let refused = own(&ada_token, ada).await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = refused.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(refused.headers()["content-type"], "application/problem+json");
        let bytes = axum::body::to_bytes(refused.into_body(), 1 << 20).await.expect("body");
        let problem: Value = serde_json::from_slice(&bytes).expect("a JSON problem");
        assert_eq!(problem["status"], 429, "{problem}");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains(&format!("{wait} s"))), "{problem}");

        let grace_token = f.token(Role::Employee, Some(grace));
        assert_eq!(own(&grace_token, grace).await.status(), StatusCode::OK, "each caller their own limit");
        let hr = f.token(Role::Hr, None);
        for _ in 0..3 {
            let (status, _) = f.call("POST", "/compliance/validate", Some(&hr), Some(&employee(37.5))).await;
            assert_eq!(status, StatusCode::OK, "hr validating others is not limited");
        }
    }

    struct Down;

    impl ComplianceStore for Down {
        fn record<'a>(
            &'a self,
            _: &'a ComplianceCheck,
            _: &'a [HrmsEvent],
        ) -> BoxFuture<'a, Result<(), StoreError>> {
            Box::pin(async { Err(StoreError::Unavailable("disk full".into())) })
        }
        fn findings<'a>(
            &'a self,
            _: &'a FindingsQuery,
        ) -> BoxFuture<'a, Result<Vec<ComplianceCheck>, StoreError>> {
            Box::pin(async { Err(StoreError::Unavailable("disk full".into())) })
        }
    }

    #[tokio::test]
    async fn a_store_failure_is_503_with_a_problem() {
        let f = with_store(Arc::new(Down), std::env::temp_dir());
        let hr = f.token(Role::Hr, None);
        let (status, problem) =
            f.call("POST", "/compliance/validate", Some(&hr), Some(&employee(37.5))).await;
        assert_eq!((status, problem["status"].clone()), (StatusCode::SERVICE_UNAVAILABLE, json!(503)));
    }
}
