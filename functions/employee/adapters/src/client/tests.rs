//! The clients against real servers on 127.0.0.1: the real Compliance
//! router, and canned Employee answers (status and body per request) that
//! count what reached them. Real time, short timeouts; waits are deadlines.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use hrms_compliance::{CallError, Subject, fixtures};
use hrms_employee::fixtures::{new_employee, requester};
use hrms_employee::{Employee, EmployeeChanges, EmployeeError, NewEmployee};
use hrms_events::Role;
use hrms_events::employee::EmployeeStatus;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;
use url::Url;
use uuid::Uuid;

use hrms_compliance_adapters::client::HttpCompliance;
use hrms_http::client::breaker::{BreakerSettings, State};
use hrms_http::client::*;

use super::*;

const TIMEOUT: Duration = Duration::from_millis(300);

fn settings() -> ClientSettings {
    ClientSettings {
        timeout: TIMEOUT,
        connect_timeout: Duration::from_millis(200),
        retries: 2,
        backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(10),
        budget: Duration::from_secs(2),
        breaker: BreakerSettings { failures: 3, cool_down: Duration::from_millis(200) },
        ..ClientSettings::default()
    }
}

async fn serve(router: Router) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    base(addr)
}

fn base(addr: SocketAddr) -> Url {
    settings::base_url("test", &format!("http://{addr}")).expect("url")
}

fn employee_client(url: Url, settings: &ClientSettings) -> HttpEmployee {
    HttpEmployee::new(url, settings.http_client().expect("http client"), settings)
}

/// A request as the canned callee saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    traceparent: Option<String>,
    body: Value,
}

type Answer = dyn Fn(usize, &Seen) -> (u16, Value) + Send + Sync;

/// A callee answering the `n`th request (from 0) with `answer(n, seen)`.
async fn canned(
    answer: impl Fn(usize, &Seen) -> (u16, Value) + Send + Sync + 'static,
) -> (Url, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let answer: Arc<Answer> = Arc::new(answer);
    let log = seen.clone();
    let router = Router::new().fallback(move |request: Request| {
        let (seen, answer) = (log.clone(), answer.clone());
        async move { reply(request, &seen, answer.as_ref()).await }
    });
    (serve(router).await, seen)
}

async fn reply(request: Request, seen: &Mutex<Vec<Seen>>, answer: &Answer) -> Response {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (authorization, traceparent) = (header(header::AUTHORIZATION.as_str()), header("traceparent"));
    let (method, path) = (request.method().to_string(), request.uri().path().to_owned());
    let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.expect("body");
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let request = Seen { method, path, authorization, traceparent, body };
    let n = {
        let mut seen = seen.lock().expect("seen");
        seen.push(request.clone());
        seen.len() - 1
    };
    let (status, body) = answer(n, &request);
    let kind = if status >= 400 { "application/problem+json" } else { "application/json" };
    let status = StatusCode::from_u16(status).expect("status");
    (status, [(header::CONTENT_TYPE, kind)], body.to_string()).into_response()
}

fn count(seen: &Mutex<Vec<Seen>>) -> usize {
    seen.lock().expect("seen").len()
}

fn problem(status: u16, detail: &str) -> Value {
    json!({ "type": "about:blank", "title": "Error", "status": status, "detail": detail })
}

fn employee(new: &NewEmployee) -> Employee {
    Employee {
        employee_id: new.employee_id.unwrap_or_else(Uuid::now_v7),
        user_id: new.user_id,
        first_name: new.first_name.clone(),
        last_name: new.last_name.clone(),
        email: new.email.clone(),
        department: new.department.clone(),
        job_title: new.job_title.clone(),
        manager_id: new.manager_id,
        country: new.country.clone(),
        time_zone: new.time_zone.clone(),
        weekly_hours: new.weekly_hours,
        hire_date: new.hire_date,
        date_of_birth: new.date_of_birth,
        status: EmployeeStatus::Active,
        termination_date: None,
        termination_reason: None,
        version: 1,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

mod compliance {
    use super::*;
    use hrms_compliance::{ComplianceStore, FindingsQuery, Policy};
    use hrms_compliance_adapters::http::{ComplianceApi, ComplianceDeps};
    use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
    use hrms_http::auth::Authenticator;
    use hrms_sqlite::Store as _;

    pub(super) struct Fixture {
        pub client: HttpCompliance,
        pub auth: Arc<Authenticator>,
        pub store: Arc<SqliteComplianceStore>,
        pub dir: tempdir::Dir,
    }

    /// The real Compliance router on a port, and its client.
    pub(super) async fn fixture() -> Fixture {
        let dir = tempdir::Dir::new("hrms-client-compliance");
        let store = Arc::new(SqliteComplianceStore::open(dir.0.join("compliance.db")).expect("store"));
        let auth = Arc::new(Authenticator::hs256(&[5u8; 32]).expect("key"));
        let deps = ComplianceDeps::new(Arc::new(Policy::default()), store.clone());
        let url = serve(ComplianceApi::new(auth.clone(), deps).router()).await;
        let settings = settings();
        let client = HttpCompliance::new(url, settings.http_client().expect("http client"), &settings);
        Fixture { client, auth, store, dir }
    }

    impl Fixture {
        pub fn token(&self, role: Role) -> String {
            self.auth.mint(Uuid::now_v7(), role, None, Duration::from_secs(60)).expect("token")
        }
    }

    #[tokio::test]
    async fn allowed_and_refused_verdicts_round_trip() {
        let f = fixture().await;
        let client = f.client.for_token(f.token(Role::Hr));
        let allowed = client.validate(&Subject::Employee(fixtures::employee()), &fixtures::hr()).await;
        assert!(allowed.expect("a verdict").allowed);

        let facts = hrms_compliance::EmployeeFacts { weekly_hours: 60.0, ..fixtures::employee() };
        let refused =
            client.validate(&Subject::Employee(facts.clone()), &fixtures::hr()).await.expect("a verdict");
        assert!(!refused.allowed);
        assert_eq!(
            refused.violations().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(),
            ["weekly_hours_max"]
        );
        let query = FindingsQuery { employee_id: Some(facts.employee_id), ..FindingsQuery::newest(10) };
        let recorded = f.store.findings(&query).await.expect("findings");
        assert_eq!(recorded.iter().map(|c| c.check_id).collect::<Vec<_>>(), [refused.check_id]);
    }

    #[tokio::test]
    async fn the_callee_judges_the_forwarded_token() {
        let f = fixture().await;
        let subject = Subject::Employee(fixtures::employee());
        for (token, status) in [(f.token(Role::Employee), 403), ("not.a.token".to_owned(), 401)] {
            let answer = f.client.for_token(token).validate(&subject, &fixtures::hr()).await;
            match answer {
                Err(CallError::Refused { service: "compliance", status: s, detail }) => {
                    assert_eq!(s, status, "{detail}");
                    assert!(!detail.is_empty());
                }
                other => panic!("expected a refusal with {status}, got {other:?}"),
            }
        }
        assert_eq!(f.client.service().breaker().state(), State::Closed { failures: 0 }, "4xx is an answer");
    }

    /// A temporary directory, removed on drop.
    pub(super) mod tempdir {
        pub struct Dir(pub std::path::PathBuf);

        impl Dir {
            pub fn new(prefix: &str) -> Self {
                let path = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::now_v7()));
                std::fs::create_dir_all(&path).expect("temp dir");
                Self(path)
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}

#[tokio::test]
async fn employee_calls_carry_the_callers_token_trace_and_body() {
    let (url, seen) = canned(|_, seen| {
        let new: NewEmployee = serde_json::from_value(seen.body.clone()).unwrap_or_else(|_| new_employee());
        let status = if seen.method == "POST" { 201 } else { 200 };
        (status, serde_json::to_value(employee(&new)).expect("json"))
    })
    .await;
    let http = employee_client(url, &settings());
    let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    // As a handler binds it: the request's token and trace context.
    let request = hrms_http::Bearer { token: "tok-1".into(), traceparent: Some(trace.into()) };
    let client = http.callee().bind(&request);
    let me = requester(Role::Hr);
    let new = new_employee();

    let created = client.create(&new, &me).await.expect("created");
    assert_eq!((created.email.as_str(), created.version), (new.email.as_str(), 1));
    let id = created.employee_id;
    client.get(id, &me).await.expect("read");
    let changes = EmployeeChanges { job_title: Some("Lead".into()), version: Some(1), ..Default::default() };
    client.update(id, &changes, &me).await.expect("updated");

    let seen = seen.lock().expect("seen").clone();
    let calls: Vec<_> = seen.iter().map(|s| (s.method.as_str(), s.path.clone())).collect();
    let path = format!("/employees/{id}");
    assert_eq!(calls, [("POST", "/employees".to_owned()), ("GET", path.clone()), ("PATCH", path)]);
    for s in &seen {
        assert_eq!(
            (s.authorization.as_deref(), s.traceparent.as_deref()),
            (Some("Bearer tok-1"), Some(trace))
        );
    }
    assert_eq!(serde_json::from_value::<NewEmployee>(seen[0].body.clone()).expect("new employee"), new);
    assert_eq!(seen[2].body, json!({ "version": 1, "job_title": "Lead" }));
}

type Expect = fn(&Result<Employee, EmployeeError>) -> bool;

#[tokio::test]
async fn employee_answers_map_to_the_functions_results() {
    let check_id = Uuid::now_v7();
    let refusal = json!({
        "type": "about:blank", "title": "Unprocessable Entity", "status": 422,
        "detail": "refused by compliance policy", "check_id": check_id, "policy_version": "default",
        "violations": [{ "rule_id": "weekly_hours_max", "field": "weekly_hours",
                         "message": "at most 48 hours", "severity": "block" }]
    });
    let invalid =
        json!({ "status": 422, "title": "Unprocessable", "detail": "not an e-mail", "field": "email" });
    let stored = serde_json::to_value(employee(&new_employee())).expect("json");
    let cases: [(u16, Value, Expect); 9] = [
        (201, stored.clone(), |r| r.is_ok()),
        (200, stored, |r| r.is_ok()),
        (404, problem(404, "no such employee"), |r| matches!(r, Err(EmployeeError::NotFound))),
        (
            409,
            problem(409, "e-mail taken"),
            |r| matches!(r, Err(EmployeeError::Conflict(d)) if d == "e-mail taken"),
        ),
        (
            422,
            refusal.clone(),
            |r| matches!(r, Err(EmployeeError::Refused(v)) if !v.allowed && v.violations().count() == 1),
        ),
        (422, invalid, |r| matches!(r, Err(EmployeeError::Invalid { field, .. }) if field == "email")),
        (403, problem(403, "hr only"), |r| matches!(r, Err(EmployeeError::Forbidden(d)) if d == "hr only")),
        (401, problem(401, "expired"), |r| {
            matches!(r, Err(EmployeeError::Dependency(CallError::Refused { status: 401, .. })))
        }),
        (
            503,
            problem(503, "store down"),
            |r| matches!(r, Err(EmployeeError::Unavailable(d)) if hrms_platform::Chain(d.as_ref()).to_string().contains("store down")),
        ),
    ];
    for (status, body, expect) in cases {
        let (url, _) = canned(move |_, _| (status, body.clone())).await;
        let client = employee_client(url, &settings()).for_token("tok");
        let result = client.create(&new_employee(), &requester(Role::Hr)).await;
        assert!(expect(&result), "{status}: {result:?}");
    }

    let (url, _) = canned(move |_, _| (422, refusal.clone())).await;
    let client = employee_client(url, &settings()).for_token("tok");
    match client.create(&new_employee(), &requester(Role::Hr)).await {
        Err(EmployeeError::Refused(v)) => {
            assert_eq!((v.check_id, v.policy_version.as_str()), (check_id, "default"))
        }
        other => panic!("expected the refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_callee_that_is_down_is_unavailable_quickly() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let client = employee_client(base(addr), &settings()).for_token("tok");
    let started = Instant::now();
    let result = client.get(Uuid::now_v7(), &requester(Role::Hr)).await;
    assert!(
        matches!(&result, Err(EmployeeError::Unavailable(why)) if hrms_platform::Chain(why.as_ref()).to_string().contains("cannot connect")),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_slow_callee_is_unavailable_after_the_timeout() {
    let arrived = Arc::new(AtomicUsize::new(0));
    let log = arrived.clone();
    let router = Router::new().fallback(move || {
        log.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<&'static str>()
    });
    let client = employee_client(serve(router).await, &settings()).for_token("tok");
    let started = Instant::now();
    let result = client.get(Uuid::now_v7(), &requester(Role::Hr)).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(&result, Err(EmployeeError::Unavailable(why)) if hrms_platform::Chain(why.as_ref()).to_string().contains("no answer within")),
        "{result:?}"
    );
    assert!(elapsed >= TIMEOUT && elapsed < TIMEOUT + Duration::from_secs(1), "{elapsed:?}");
    assert_eq!(arrived.load(Ordering::SeqCst), 1, "a timeout is not retried");
}

/// 503 twice, then the employee.
fn flaky(n: usize, seen: &Seen) -> (u16, Value) {
    if n < 2 {
        return (503, problem(503, "starting"));
    }
    let new = serde_json::from_value(seen.body.clone()).unwrap_or_else(|_| new_employee());
    (200, serde_json::to_value(employee(&new)).expect("json"))
}

#[tokio::test]
async fn idempotent_calls_are_retried_on_503() {
    let me = requester(Role::Hr);
    let (url, seen) = canned(flaky).await;
    employee_client(url, &settings()).for_token("tok").get(Uuid::now_v7(), &me).await.expect("third time");
    assert_eq!(count(&seen), 3);

    let (url, seen) = canned(flaky).await;
    let new = NewEmployee { employee_id: Some(Uuid::now_v7()), ..new_employee() };
    employee_client(url, &settings()).for_token("tok").create(&new, &me).await.expect("third time");
    assert_eq!(count(&seen), 3);
}

#[tokio::test]
async fn other_calls_and_other_failures_are_not_retried() {
    let me = requester(Role::Hr);
    let changes = EmployeeChanges { version: Some(3), ..Default::default() };
    let (url, seen) = canned(flaky).await;
    let client = employee_client(url, &settings()).for_token("tok");
    assert!(client.create(&new_employee(), &me).await.is_err(), "no employee_id: not idempotent");
    assert!(client.update(Uuid::now_v7(), &changes, &me).await.is_err(), "PATCH");
    assert_eq!(count(&seen), 2);

    let (url, seen) = canned(|_, _| (500, problem(500, "bug"))).await;
    let client = employee_client(url, &settings()).for_token("tok");
    assert!(matches!(client.get(Uuid::now_v7(), &me).await, Err(EmployeeError::Unavailable(_))));
    assert_eq!(count(&seen), 1, "500 is not transient");

    let (url, seen) = canned(|_, _| (503, problem(503, "busy"))).await;
    let settings = settings();
    let compliance = HttpCompliance::new(url, settings.http_client().expect("http client"), &settings);
    let answer =
        compliance.for_token("tok").validate(&Subject::Employee(fixtures::employee()), &fixtures::hr()).await;
    assert!(matches!(answer, Err(CallError::Unavailable { service: "compliance", .. })), "{answer:?}");
    assert_eq!(count(&seen), 1, "every validation is recorded");
}

#[tokio::test]
async fn the_breaker_opens_fails_fast_and_recovers_after_the_cool_down() {
    let healthy = Arc::new(AtomicBool::new(false));
    let up = healthy.clone();
    let (url, seen) = canned(move |_, _| {
        if up.load(Ordering::SeqCst) {
            (200, serde_json::to_value(employee(&new_employee())).expect("json"))
        } else {
            (500, problem(500, "down"))
        }
    })
    .await;
    let http = employee_client(url, &ClientSettings { retries: 0, ..settings() });
    let (client, me) = (http.for_token("tok"), requester(Role::Hr));
    for _ in 0..3 {
        assert!(matches!(client.get(Uuid::now_v7(), &me).await, Err(EmployeeError::Unavailable(_))));
    }
    let State::Open { until } = http.service().breaker().state() else {
        panic!("open after 3 failures: {:?}", http.service().breaker().state());
    };
    let started = Instant::now();
    let fast = client.get(Uuid::now_v7(), &me).await;
    assert!(
        matches!(&fast, Err(EmployeeError::Unavailable(why)) if hrms_platform::Chain(why.as_ref()).to_string().contains("circuit open")),
        "{fast:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(100), "{:?}", started.elapsed());
    assert_eq!(count(&seen), 3, "the callee was not contacted");

    healthy.store(true, Ordering::SeqCst);
    tokio::time::sleep_until(until).await;
    client.get(Uuid::now_v7(), &me).await.expect("the probe goes through");
    assert_eq!((count(&seen), http.service().breaker().state()), (4, State::Closed { failures: 0 }));
}

#[tokio::test]
async fn client_errors_do_not_open_the_breaker() {
    let (url, seen) = canned(|_, _| (404, problem(404, "no such employee"))).await;
    let http = employee_client(url, &settings());
    for _ in 0..5 {
        let answer = http.for_token("tok").get(Uuid::now_v7(), &requester(Role::Hr)).await;
        assert!(matches!(answer, Err(EmployeeError::NotFound)));
    }
    assert_eq!((count(&seen), http.service().breaker().state()), (5, State::Closed { failures: 0 }));
}

/// User's view of the chain apart: Employee's real router on a port, which
/// calls the real Compliance router on another through [`HttpCompliance`],
/// both reached with the caller's token.
#[cfg(all(feature = "sqlite", feature = "http"))]
mod chain {
    use super::*;
    use crate::http::{EmployeeApi, EmployeeDeps};
    use crate::sqlite::SqliteEmployeeStore;
    use hrms_sqlite::Store as _;

    async fn employees() -> (HttpEmployee, compliance::Fixture) {
        let compliance = compliance::fixture().await;
        let store = SqliteEmployeeStore::open(compliance.dir.0.join("employee.db")).expect("store");
        let deps = EmployeeDeps { store: Arc::new(store), compliance: compliance.client.callee() };
        let api = EmployeeApi::new(compliance.auth.clone(), deps);
        (employee_client(serve(api.router()).await, &settings()), compliance)
    }

    #[tokio::test]
    async fn create_read_and_update_through_two_hops() {
        let (http, f) = employees().await;
        let (client, me) = (http.for_token(f.token(Role::Hr)), requester(Role::Hr));
        let new = NewEmployee { employee_id: Some(Uuid::now_v7()), ..new_employee() };
        let created = client.create(&new, &me).await.expect("created");
        assert_eq!(client.create(&new, &me).await.expect("the same again"), created);
        assert_eq!(client.get(created.employee_id, &me).await.expect("read"), created);

        let changes = EmployeeChanges { weekly_hours: Some(30.0), version: Some(1), ..Default::default() };
        let updated = client.update(created.employee_id, &changes, &me).await.expect("updated");
        assert_eq!((updated.weekly_hours, updated.version), (30.0, 2));
        let stale = client.update(created.employee_id, &changes, &me).await;
        assert!(matches!(stale, Err(EmployeeError::Conflict(_))), "{stale:?}");
        assert!(matches!(client.get(Uuid::now_v7(), &me).await, Err(EmployeeError::NotFound)));
    }

    #[tokio::test]
    async fn listings_page_with_the_filters_encoded() {
        use hrms_employee::listing::{EmployeeFilter, EmployeeQuery};
        let (http, f) = employees().await;
        let (client, me) = (http.for_token(f.token(Role::Hr)), requester(Role::Hr));
        let boss = Uuid::now_v7();
        let mut reports = Vec::new();
        for n in 0..3 {
            let new = NewEmployee {
                manager_id: Some(boss),
                email: format!("ada+{n}@example.com"),
                ..new_employee()
            };
            reports.push(client.create(&new, &me).await.expect("created").employee_id);
        }
        client.create(&new_employee(), &me).await.expect("someone else's report");
        let filter =
            EmployeeFilter { manager_id: Some(boss), email: Some("ada+".into()), ..Default::default() };
        let mut query = EmployeeQuery { filter, cursor: None, limit: 2 };
        let first = client.list(&query, &me).await.expect("a page");
        assert_eq!(first.employees.len(), 2);
        query.cursor = Some(first.next_cursor.clone().expect("a next page"));
        let second = client.list(&query, &me).await.expect("the next page");
        assert_eq!(second.next_cursor, None);
        let mut listed: Vec<_> =
            first.employees.iter().chain(&second.employees).map(|e| e.employee_id).collect();
        listed.sort();
        reports.sort();
        assert_eq!(listed, reports, "the '+' of the e-mail prefix is sent as itself");
        let as_employee = http.for_token(f.token(Role::Employee)).list(&query, &me).await;
        assert!(matches!(as_employee, Err(EmployeeError::Forbidden(_))), "{as_employee:?}");
    }

    #[tokio::test]
    async fn refusals_come_back_as_the_in_process_client_gives_them() {
        let (http, f) = employees().await;
        let me = requester(Role::Hr);
        let long_hours = NewEmployee { weekly_hours: 60.0, ..new_employee() };
        match http.for_token(f.token(Role::Hr)).create(&long_hours, &me).await {
            Err(EmployeeError::Refused(verdict)) => {
                let rules: Vec<_> = verdict.violations().map(|v| v.rule_id.as_str()).collect();
                assert_eq!(rules, ["weekly_hours_max"]);
                let query = hrms_compliance::FindingsQuery::newest(10);
                let recorded = hrms_compliance::ComplianceStore::findings(f.store.as_ref(), &query).await;
                assert_eq!(
                    recorded.expect("findings")[0].check_id,
                    verdict.check_id,
                    "Compliance's own check"
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let as_employee = http.for_token(f.token(Role::Employee)).create(&new_employee(), &me).await;
        assert!(matches!(as_employee, Err(EmployeeError::Forbidden(_))), "{as_employee:?}");
    }
}
