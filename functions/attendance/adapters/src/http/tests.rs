use futures::future::BoxFuture;
use hrms_attendance::fixtures::employee;
use hrms_compliance::{CallError, ComplianceClient, Subject, Verdict};
use hrms_employee::{Employee, EmployeeError, EmployeeStore, Local, Requester};
use hrms_events::audit::AuditRecord;
use hrms_events::{Actor, EventType, HrmsEvent, Payload, Role};
use serde_json::{Value, json};

use super::*;
use crate::sqlite::SqliteAttendanceStore;
use hrms_employee_adapters::sqlite::SqliteEmployeeStore;
use hrms_http::Authenticator;
use hrms_http::testing::{Client, temp_dir};
use hrms_platform::outbox::OutboxStore;
use hrms_sqlite::Store;

/// Attendance reads employees only.
struct NoCompliance;

impl ComplianceClient for NoCompliance {
    fn validate<'a>(&'a self, _: &'a Subject, _: &'a Actor) -> BoxFuture<'a, Result<Verdict, CallError>> {
        Box::pin(async {
            Err(CallError::Unavailable { service: "compliance", reason: "unused".into(), cause: None })
        })
    }
}

/// Employee that does not answer.
struct Down;

impl EmployeeClient for Down {
    fn get<'a>(&'a self, _: Uuid, _: &'a Requester) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(async { Err(EmployeeError::Unavailable("employee unavailable: connection refused".into())) })
    }
    fn create<'a>(
        &'a self,
        _: &'a hrms_employee::NewEmployee,
        _: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(async { Err(EmployeeError::Unavailable("down".into())) })
    }
    fn update<'a>(
        &'a self,
        _: Uuid,
        _: &'a hrms_employee::EmployeeChanges,
        _: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(async { Err(EmployeeError::Unavailable("down".into())) })
    }
}

struct Fixture {
    client: Client,
    people: Arc<dyn EmployeeStore>,
    outbox: Arc<dyn OutboxStore>,
}

/// Whether Employee answers the routes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EmployeeIs {
    Up,
    Down,
}

/// The routes on `store` (and its `outbox`), with Employee in-process on
/// SQLite, or down.
fn fixture(store: Arc<dyn AttendanceStore>, outbox: Arc<dyn OutboxStore>, employee: EmployeeIs) -> Fixture {
    let dir = temp_dir("attendance-http");
    let people: Arc<dyn EmployeeStore> =
        Arc::new(SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store"));
    let employees: Arc<dyn EmployeeClient> = match employee {
        EmployeeIs::Down => Arc::new(Down),
        EmployeeIs::Up => Arc::new(Local { store: people.clone(), compliance: Arc::new(NoCompliance) }),
    };
    let auth = Arc::new(Authenticator::hs256(&[9u8; 32]).expect("key"));
    let deps = AttendanceDeps { store, employees: Callee::local(employees) };
    let app = AttendanceApi::new(auth.clone(), deps).router();
    Fixture { client: Client { app, auth }, people, outbox }
}

fn on_sqlite(employee: EmployeeIs) -> Fixture {
    let store: SqliteAttendanceStore =
        Store::open(temp_dir("attendance-http").join("attendance.db")).expect("store");
    let outbox = Arc::new(store.outbox());
    fixture(Arc::new(store), outbox, employee)
}

impl Fixture {
    /// A stored employee in `time_zone` with a manager, and their token.
    async fn employee(&self, time_zone: &str) -> (Employee, String) {
        let e = employee(time_zone, Some(Uuid::now_v7()));
        self.people.insert(&e, &[]).await.expect("stored");
        let token = self.client.token(Role::Employee, Some(e.employee_id));
        (e, token)
    }

    async fn events(&self) -> Vec<HrmsEvent> {
        self.outbox.pending(1000).await.expect("pending").entries.into_iter().map(|e| e.event).collect()
    }

    async fn types(&self) -> Vec<EventType> {
        self.events().await.iter().map(HrmsEvent::event_type).collect()
    }
}

fn assert_problem(answer: &(StatusCode, Value), status: StatusCode, field: Option<&str>) {
    assert_eq!((answer.0, answer.1["status"].clone()), (status, json!(status.as_u16())), "{}", answer.1);
    if let Some(field) = field {
        assert_eq!(answer.1["field"], field, "{}", answer.1);
    }
}

#[tokio::test]
async fn every_route_refuses_unknown_callers_and_employees_may_not_correct() {
    let f = on_sqlite(EmployeeIs::Up);
    let body = json!({ "check_in": "2026-01-05T08:00:00Z", "reason": "x" });
    let id = Uuid::now_v7();
    let routes = [
        ("POST", "/attendance/check-in".to_owned(), None),
        ("POST", "/attendance/check-out".to_owned(), None),
        ("PATCH", format!("/attendance/{id}"), Some(body.clone())),
        ("GET", "/attendance".to_owned(), None),
    ];
    for (method, uri, body) in &routes {
        let answer = f.client.call(method, uri, None, body.as_ref()).await;
        assert_problem(&answer, StatusCode::UNAUTHORIZED, None);
    }
    let (_, token) = f.employee("UTC").await;
    let answer = f.client.call("PATCH", &format!("/attendance/{id}"), Some(&token), Some(&body)).await;
    assert_problem(&answer, StatusCode::FORBIDDEN, None);
    assert!(f.events().await.is_empty());
}

/// Check-in twice, check-out without a check-in, and a correction by a
/// plain employee and by the manager: statuses, problems, what is stored
/// and which events are queued.
async fn marks_and_corrections(f: Fixture) {
    let (ada, token) = f.employee("America/New_York").await;
    let out = f.client.call("POST", "/attendance/check-out", Some(&token), None).await;
    assert_problem(&out, StatusCode::CONFLICT, None);
    assert!(out.1["detail"].as_str().is_some_and(|d| d.contains("not checked in")), "{}", out.1);

    let (status, open) = f.client.call("POST", "/attendance/check-in", Some(&token), None).await;
    assert_eq!(status, StatusCode::CREATED, "{open}");
    assert_eq!(
        (open["time_zone"].clone(), open["check_out"].clone()),
        (json!("America/New_York"), Value::Null)
    );
    let again = f.client.call("POST", "/attendance/check-in", Some(&token), None).await;
    assert_problem(&again, StatusCode::CONFLICT, None);
    assert_eq!(f.types().await, [EventType::AttendanceMarked, EventType::AuditAttendanceMarked], "no more");

    let (status, closed) = f.client.call("POST", "/attendance/check-out", Some(&token), None).await;
    assert_eq!((status, closed["version"].clone()), (StatusCode::OK, json!(2)), "{closed}");
    assert!(closed["worked_minutes"].is_i64());

    let id = open["record_id"].as_str().expect("an id");
    let check_in = chrono::DateTime::parse_from_rfc3339(open["check_in"].as_str().expect("a time"))
        .expect("RFC 3339")
        .with_timezone(&Utc);
    let earlier = (check_in - chrono::Duration::hours(2)).to_rfc3339();
    let fix = json!({ "check_in": earlier, "reason": "badge reader down", "version": 2 });
    let mine = f.client.call("PATCH", &format!("/attendance/{id}"), Some(&token), Some(&fix)).await;
    assert_problem(&mine, StatusCode::FORBIDDEN, None);
    let manager = f.client.token(Role::Manager, ada.manager_id);
    let no_reason = json!({ "check_in": earlier });
    let refused =
        f.client.call("PATCH", &format!("/attendance/{id}"), Some(&manager), Some(&no_reason)).await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, Some("reason"));
    let future =
        json!({ "check_out": (Utc::now() + chrono::Duration::hours(3)).to_rfc3339(), "reason": "x" });
    let refused = f.client.call("PATCH", &format!("/attendance/{id}"), Some(&manager), Some(&future)).await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, Some("check_out"));
    let before = f.events().await.len();
    assert_eq!(before, 4, "refusals queue nothing");

    let (status, fixed) =
        f.client.call("PATCH", &format!("/attendance/{id}"), Some(&manager), Some(&fix)).await;
    assert_eq!(
        (status, fixed["version"].clone(), fixed["corrected"].clone()),
        (StatusCode::OK, json!(3), json!(true))
    );
    let stale = f.client.call("PATCH", &format!("/attendance/{id}"), Some(&manager), Some(&fix)).await;
    assert_problem(&stale, StatusCode::CONFLICT, None);

    let events = f.events().await;
    let types: Vec<_> = events.iter().map(HrmsEvent::event_type).collect();
    assert_eq!(types[4..], [EventType::AttendanceUpdated, EventType::AuditAttendanceUpdated]);
    let Payload::AuditAttendanceUpdated(AuditRecord { before, after, reason, .. }) = &events[5].payload
    else {
        panic!("an audit record")
    };
    assert_eq!(before.as_ref().map(|b| b.check_in), Some(check_in));
    assert_eq!((after.check_in.to_rfc3339(), reason.as_deref()), (earlier, Some("badge reader down")));

    let (status, listed) = f.client.call("GET", "/attendance", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["records"][0], fixed, "the stored record");
}

#[tokio::test]
async fn marks_and_corrections_on_sqlite() {
    marks_and_corrections(on_sqlite(EmployeeIs::Up)).await;
}

#[cfg(feature = "dynamodb")]
#[tokio::test]
async fn marks_and_corrections_on_dynamodb() {
    use crate::dynamodb::DynamoAttendanceStore;
    use hrms_dynamodb::Store as _;
    use hrms_dynamodb::outbox::DynamoOutbox;
    let tables = hrms_dynamodb::testing::tables(&["attendance"]).await;
    let table = tables.table("attendance");
    let store = DynamoAttendanceStore::new(tables.client.clone(), &table);
    let outbox = Arc::new(DynamoOutbox::new(tables.client.clone(), &table));
    marks_and_corrections(fixture(Arc::new(store), outbox, EmployeeIs::Up)).await;
}

#[tokio::test]
async fn only_an_active_employee_record_checks_in_and_employee_down_is_503() {
    let f = on_sqlite(EmployeeIs::Up);
    let stranger = f.client.token(Role::Employee, Some(Uuid::now_v7()));
    let unknown = f.client.call("POST", "/attendance/check-in", Some(&stranger), None).await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, None);
    let no_record = f.client.token(Role::Hr, None);
    let forbidden = f.client.call("POST", "/attendance/check-in", Some(&no_record), None).await;
    assert_problem(&forbidden, StatusCode::FORBIDDEN, None);
    let (ada, token) = f.employee("UTC").await;
    let gone =
        Employee { status: hrms_events::employee::EmployeeStatus::Terminated, version: 2, ..ada.clone() };
    f.people.update(&gone, &[]).await.expect("terminated");
    let ended = f.client.call("POST", "/attendance/check-in", Some(&token), None).await;
    assert_problem(&ended, StatusCode::CONFLICT, None);
    assert!(f.events().await.is_empty());

    let down = on_sqlite(EmployeeIs::Down);
    let (_, token) = down.employee("UTC").await;
    let answer = down.client.call("POST", "/attendance/check-in", Some(&token), None).await;
    assert_problem(&answer, StatusCode::SERVICE_UNAVAILABLE, None);
    assert!(down.events().await.is_empty(), "nothing stored, no event");
    let hr = down.client.token(Role::Hr, None);
    let (status, listed) = down.client.call("GET", "/attendance", Some(&hr), None).await;
    assert_eq!((status, listed["records"].clone()), (StatusCode::OK, json!([])));
}

#[tokio::test]
async fn listings_name_a_bad_parameter() {
    let f = on_sqlite(EmployeeIs::Up);
    let hr = f.client.token(Role::Hr, None);
    let bad = f.client.call("GET", "/attendance?from=yesterday", Some(&hr), None).await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("from"));
    let far = f.client.call("GET", "/attendance?to=-262143-01-01", Some(&hr), None).await;
    assert_problem(&far, StatusCode::BAD_REQUEST, Some("to"));
    let far = f.client.call("GET", "/attendance?from=%2B262142-12-31", Some(&hr), None).await;
    assert_problem(&far, StatusCode::BAD_REQUEST, Some("from"));
    let bad = f.client.call("GET", "/attendance?employee_id=ada", Some(&hr), None).await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("employee_id"));
    let backwards = f.client.call("GET", "/attendance?from=2027-01-05&to=2027-01-04", Some(&hr), None).await;
    assert_problem(&backwards, StatusCode::UNPROCESSABLE_ENTITY, Some("from"));
    let (ada, token) = f.employee("UTC").await;
    let others = f
        .client
        .call("GET", &format!("/attendance?employee_id={}", Uuid::now_v7()), Some(&token), None)
        .await;
    assert_problem(&others, StatusCode::FORBIDDEN, None);
    let manager = f.client.token(Role::Manager, ada.manager_id);
    let (status, listed) = f
        .client
        .call(
            "GET",
            &format!("/attendance?employee_id={}&from=2027-01-04&to=2027-01-10", ada.employee_id),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(
        (status, listed["from"].clone(), listed["days"].clone()),
        (StatusCode::OK, json!("2027-01-04"), json!([]))
    );
}

#[tokio::test]
async fn every_route_refuses_as_documented() {
    use hrms_http::testing::{Refusal, assert_refusals};
    let f = on_sqlite(EmployeeIs::Up);
    let id = Uuid::now_v7();
    let correction = json!({ "check_in": "2026-01-05T08:00:00Z", "reason": "badge reader down" });
    let table = [
        Refusal::new("POST", "/attendance/check-in", None, None),
        Refusal::new("POST", "/attendance/check-out", None, None),
        Refusal::new("PATCH", format!("/attendance/{id}"), Some(correction), Some(Role::Employee)).bad(
            Role::Hr,
            None,
            format!("/attendance/{id}"),
            Some(json!({ "check_in": "2026-01-05T08:00:00Z", "reason": " " })),
            "reason",
        ),
        Refusal::new("GET", "/attendance", None, None).bad(
            Role::Hr,
            None,
            "/attendance?to=-262143-01-01",
            None,
            "to",
        ),
    ];
    assert_refusals(&f.client, &table).await;
    assert!(f.events().await.is_empty(), "no refusal wrote anything");
}

mod overlap;
