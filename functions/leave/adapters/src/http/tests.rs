use std::path::PathBuf;

use chrono::{Days, Weekday};
use futures::future::BoxFuture;
use hrms_compliance::ComplianceClient;
use hrms_compliance::client::Local as LocalCompliance;
use hrms_employee::{Employee, EmployeeChanges, EmployeeError, Local as LocalEmployees, NewEmployee};
use hrms_events::{EventType, HrmsEvent, Role};
use serde_json::{Value, json};

use super::*;
use crate::sqlite::SqliteLeaveStore;
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
use hrms_employee_adapters::sqlite::SqliteEmployeeStore;
use hrms_http::Authenticator;
use hrms_http::testing::{Client, temp_dir};
use hrms_platform::outbox::OutboxStore;
use hrms_sqlite::Store as _;
use hrms_sqlite::outbox::SqliteOutbox;

struct Fixture {
    client: Client,
    dir: PathBuf,
    employees: Arc<LocalEmployees>,
}

/// The Leave routes on SQLite, with Employee (and Compliance) in-process.
fn fixture() -> Fixture {
    fixture_with(Policy::default())
}

/// [`fixture`] with `policy`.
fn fixture_with(policy: Policy) -> Fixture {
    let dir = temp_dir("leave-http");
    let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("compliance store");
    let compliance: Arc<dyn ComplianceClient> = Arc::new(LocalCompliance {
        policy: Arc::new(hrms_compliance::Policy::default()),
        store: Arc::new(checks),
    });
    let store = SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store");
    let employees = Arc::new(LocalEmployees { store: Arc::new(store), compliance });
    with_employees(dir, employees.clone() as Arc<dyn EmployeeClient>, employees, policy)
}

fn with_employees(
    dir: PathBuf,
    callee: Arc<dyn EmployeeClient>,
    employees: Arc<LocalEmployees>,
    policy: Policy,
) -> Fixture {
    let store = SqliteLeaveStore::open(dir.join("leave.db")).expect("leave store");
    let auth = Arc::new(Authenticator::hs256(&[6u8; 32]).expect("key"));
    let deps =
        LeaveDeps { store: Arc::new(store), policy: Arc::new(policy), employees: Callee::local(callee) };
    let app = LeaveApi::new(auth.clone(), deps).router();
    Fixture { client: Client { app, auth }, dir, employees }
}

impl Fixture {
    async fn outbox(&self) -> Vec<HrmsEvent> {
        let outbox = SqliteOutbox::open(self.dir.join("leave.db")).expect("outbox");
        outbox.pending(1000).await.expect("pending").entries.into_iter().map(|e| e.event).collect()
    }

    /// An active employee in `country`, hired two years ago, with a manager.
    async fn employee(&self, country: &str) -> Employee {
        let hire = today().checked_sub_days(Days::new(730)).expect("date");
        let new = NewEmployee {
            country: country.into(),
            hire_date: hire,
            ..hrms_employee::fixtures::new_employee()
        };
        let hr = Requester { user_id: Uuid::now_v7(), role: Role::Hr, employee_id: None };
        self.employees.create(&new, &hr).await.expect("employee")
    }

    fn as_employee(&self, e: &Employee) -> String {
        self.client.token(Role::Employee, Some(e.employee_id))
    }

    fn as_manager(&self, e: &Employee) -> String {
        self.client.token(Role::Manager, e.manager_id)
    }

    async fn post(&self, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.client.call("POST", uri, Some(token), Some(&body)).await
    }
}

fn types(events: &[HrmsEvent]) -> Vec<EventType> {
    events.iter().map(HrmsEvent::event_type).collect()
}

fn ask(start: NaiveDate, end: NaiveDate) -> Value {
    json!({ "leave_type": "annual", "start_date": start, "end_date": end, "reason": "Family visit" })
}

/// Monday to Friday of a week some `weeks` from now (ago, when negative),
/// within one calendar year.
fn week(weeks: i64) -> (NaiveDate, NaiveDate) {
    let mut monday = today() + chrono::Duration::weeks(weeks);
    while monday.weekday() != Weekday::Mon {
        monday = monday.pred_opt().expect("date");
    }
    if (monday + Days::new(4)).year() != monday.year() {
        monday = monday + Days::new(7);
    }
    (monday, monday + Days::new(4))
}

#[tokio::test]
async fn every_route_refuses_unknown_callers_and_the_wrong_roles() {
    let f = fixture();
    let e = f.employee("GB").await;
    let (start, end) = week(8);
    let (status, made) = f.post("/leaves", &f.as_employee(&e), ask(start, end)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["leave_id"].as_str().expect("id").to_owned();
    let written = f.outbox().await.len();
    let for_someone = json!({ "employee_id": e.employee_id, "leave_type": "annual", "start_date": start });
    let routes = [
        ("POST", "/leaves".to_owned(), Some(for_someone)),
        ("GET", format!("/leaves/{id}"), None),
        ("POST", format!("/leaves/{id}/approve"), None),
        ("POST", format!("/leaves/{id}/reject"), Some(json!({ "reason": "no" }))),
        ("POST", format!("/leaves/{id}/cancel"), Some(json!({}))),
        ("GET", format!("/leave-balances/{}", e.employee_id), None),
    ];
    let colleague = f.client.token(Role::Employee, Some(Uuid::now_v7()));
    for (method, uri, body) in &routes {
        let (status, problem) = f.client.call(method, uri, None, body.as_ref()).await;
        assert_eq!(
            (status, problem["status"].clone()),
            (StatusCode::UNAUTHORIZED, json!(401)),
            "{method} {uri}"
        );
        let (status, problem) = f.client.call(method, uri, Some(&colleague), body.as_ref()).await;
        assert_eq!(
            (status, problem["status"].clone()),
            (StatusCode::FORBIDDEN, json!(403)),
            "{method} {uri}"
        );
    }
    let (status, _) = f.client.call("GET", "/leaves", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, mine) = f.client.call("GET", "/leaves", Some(&colleague), None).await;
    assert_eq!((status, mine), (StatusCode::OK, json!([])), "a colleague lists their own: none");
    assert_eq!(f.outbox().await.len(), written, "nothing written by the refusals");
}

#[tokio::test]
async fn request_approve_and_the_balance_follows() {
    let f = fixture();
    let e = f.employee("GB").await;
    let me = f.as_employee(&e);
    // Monday 22 March to Friday 2 April 2027 in GB: two weekends, Good
    // Friday and Easter Monday left out.
    let (status, leave) = f.post("/leaves", &me, ask(date(2027, 3, 22), date(2027, 4, 2))).await;
    assert_eq!(
        (status, leave["days"].clone(), leave["status"].clone()),
        (StatusCode::CREATED, json!(8.0), json!("pending"))
    );
    assert_eq!(leave["approver_id"], json!(e.manager_id));
    let id = leave["leave_id"].as_str().expect("id").to_owned();

    let (status, own) = f.post(&format!("/leaves/{id}/approve"), &me, json!(null)).await;
    assert_eq!((status, own["status"].clone()), (StatusCode::FORBIDDEN, json!(403)), "not their own: {own}");
    let manager = f.as_manager(&e);
    let (status, approved) =
        f.client.call("POST", &format!("/leaves/{id}/approve"), Some(&manager), None).await;
    assert_eq!(
        (status, approved["status"].clone(), approved["version"].clone()),
        (StatusCode::OK, json!("approved"), json!(2))
    );
    let (status, twice) = f.client.call("POST", &format!("/leaves/{id}/approve"), Some(&manager), None).await;
    assert_eq!((status, twice["field"].clone()), (StatusCode::CONFLICT, json!("status")), "{twice}");

    let uri = format!("/leave-balances/{}?year=2027", e.employee_id);
    for token in [&me, &manager] {
        let (status, report) = f.client.call("GET", &uri, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let annual = report["balances"]
            .as_array()
            .expect("list")
            .iter()
            .find(|b| b["leave_type"] == "annual")
            .cloned();
        let annual = annual.expect("annual");
        assert_eq!((annual["taken"].clone(), annual["remaining"].clone()), (json!(8.0), json!(17.0)));
    }
    let (status, listed) =
        f.client.call("GET", "/leaves?status=approved&from=2027-01-01", Some(&manager), None).await;
    assert_eq!((status, listed.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{listed}");

    let events = f.outbox().await;
    assert_eq!(
        types(&events),
        [
            EventType::LeaveRequested,
            EventType::AuditLeaveRequested,
            EventType::LeaveApproved,
            EventType::AuditLeaveApproved
        ]
    );
    assert!(events.iter().all(|ev| ev.partition_key() == e.employee_id.to_string() && ev.subject() == id));
}

/// The balance of `leave_type` in the report of `year`.
async fn balance_of(f: &Fixture, e: &Employee, year: i32, leave_type: &str) -> Value {
    let uri = format!("/leave-balances/{}?year={year}", e.employee_id);
    let (status, report) = f.client.call("GET", &uri, Some(&f.as_employee(e)), None).await;
    assert_eq!((status, report["year"].clone()), (StatusCode::OK, json!(year)), "{report}");
    let found =
        report["balances"].as_array().expect("list").iter().find(|b| b["leave_type"] == leave_type).cloned();
    found.expect("the type")
}

#[tokio::test]
async fn the_balance_explains_pro_rata_carry_over_and_a_request_across_new_year() {
    let mut policy = Policy::default();
    let annual = policy.types.get_mut("annual").expect("annual");
    annual.carry_over_cap = 5.0;
    let f = fixture_with(policy);
    let new = NewEmployee { hire_date: date(2026, 7, 1), ..hrms_employee::fixtures::new_employee() };
    let hr = Requester { user_id: Uuid::now_v7(), role: Role::Hr, employee_id: None };
    let e = f.employees.create(&new, &hr).await.expect("employee");
    let me = f.as_employee(&e);

    // Tuesday 29 December 2026 to Tuesday 5 January 2027 in GB: 3 days in
    // 2026, 2 in 2027 (1 January a holiday).
    let (status, leave) = f.post("/leaves", &me, ask(date(2026, 12, 29), date(2027, 1, 5))).await;
    assert_eq!(status, StatusCode::CREATED, "{leave}");
    assert_eq!((leave["days"].clone(), leave["next_year_days"].clone()), (json!(5.0), json!(2.0)));
    let pending = balance_of(&f, &e, 2027, "annual").await;
    assert_eq!((pending["pending"].clone(), pending["taken"].clone()), (json!(2.0), json!(0.0)));
    let id = leave["leave_id"].as_str().expect("id");
    let (status, _) =
        f.client.call("POST", &format!("/leaves/{id}/approve"), Some(&f.as_manager(&e)), None).await;
    assert_eq!(status, StatusCode::OK);

    // Hired 1 July: 184 of 365 days of 25, 12.6 rounded up to 13.
    let y2026 = balance_of(&f, &e, 2026, "annual").await;
    assert_eq!(
        y2026,
        json!({
            "leave_type": "annual", "allowance": 13.0, "carried": 0.0, "carried_expires": null,
            "taken": 3.0, "pending": 0.0, "expiring": 0.0, "remaining": 10.0, "may_go_negative": false
        })
    );
    // 10 unused in 2026, 5 carried (the cap) until 31 March; the 2 days of
    // January are taken from them, 3 expire untaken.
    let y2027 = balance_of(&f, &e, 2027, "annual").await;
    let remaining = if today() <= date(2027, 3, 31) { 28.0 } else { 25.0 };
    assert_eq!(
        y2027,
        json!({
            "leave_type": "annual", "allowance": 25.0, "carried": 5.0, "carried_expires": "2027-03-31",
            "taken": 2.0, "pending": 0.0, "expiring": 3.0, "remaining": remaining, "may_go_negative": false
        })
    );
}

#[tokio::test]
async fn refusals_are_problems_naming_the_field_that_store_nothing() {
    let f = fixture();
    let e = f.employee("GB").await;
    let me = f.as_employee(&e);
    let (start, end) = week(10);
    let (status, _) = f.post("/leaves", &me, ask(start, end)).await;
    assert_eq!(status, StatusCode::CREATED);
    let written = f.outbox().await;

    let cases = [
        (
            json!({ "leave_type": "sabbatical", "start_date": start }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "leave_type",
        ),
        (
            json!({ "leave_type": "annual", "start_date": end, "end_date": start }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "end_date",
        ),
        (
            json!({ "leave_type": "annual", "start_date": "soon" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "start_date",
        ),
        (json!({ "leave_type": "annual" }), StatusCode::UNPROCESSABLE_ENTITY, "start_date"),
        (
            json!({ "leave_type": "annual", "start_date": start, "half_day": "evening" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "half_day",
        ),
        (
            json!({ "leave_type": "annual", "start_date": start + Days::new(5) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "start_date",
        ),
        (ask(end, end + Days::new(3)), StatusCode::CONFLICT, "start_date"),
        (
            json!({ "employee_id": Uuid::now_v7(), "leave_type": "annual", "start_date": start }),
            StatusCode::FORBIDDEN,
            "",
        ),
    ];
    for (body, want, field) in cases {
        let (status, problem) = f.post("/leaves", &me, body.clone()).await;
        assert_eq!(status, want, "{body}: {problem}");
        if !field.is_empty() {
            assert_eq!(problem["field"], json!(field), "{body}: {problem}");
        }
    }
    let hr = f.client.token(Role::Hr, None);
    let nobody = json!({ "employee_id": Uuid::now_v7(), "leave_type": "annual", "start_date": start });
    let (status, problem) = f.post("/leaves", &hr, nobody).await;
    assert_eq!((status, problem["field"].clone()), (StatusCode::NOT_FOUND, json!("employee_id")));
    let (status, _) = f.client.call("GET", &format!("/leaves/{}", Uuid::now_v7()), Some(&hr), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = f.client.call("GET", "/leaves?from=yesterday", Some(&hr), None).await;
    assert_eq!((status, problem["field"].clone()), (StatusCode::BAD_REQUEST, json!("from")));
    assert_eq!(f.outbox().await, written, "no event from any refusal");
}

#[tokio::test]
async fn opposite_halves_of_a_day_both_fit_and_a_weekend_counts_nothing() {
    let f = fixture();
    let e = f.employee("DE").await;
    let me = f.as_employee(&e);
    let (monday, _) = week(6);
    let half = |h: &str| json!({ "leave_type": "annual", "start_date": monday, "half_day": h });
    let (status, first) = f.post("/leaves", &me, half("first_half")).await;
    assert_eq!((status, first["days"].clone()), (StatusCode::CREATED, json!(0.5)), "{first}");
    let (status, _) = f.post("/leaves", &me, half("second_half")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again) = f.post("/leaves", &me, half("first_half")).await;
    assert_eq!((status, again["field"].clone()), (StatusCode::CONFLICT, json!("start_date")));
    let saturday = monday - Days::new(2);
    let (status, problem) = f.post("/leaves", &me, ask(saturday, saturday + Days::new(1))).await;
    assert_eq!((status, problem["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("start_date")));
    // 3 October is German Unity Day: a Wednesday in 2029.
    let (status, around) = f.post("/leaves", &me, ask(date(2029, 10, 1), date(2029, 10, 5))).await;
    assert_eq!((status, around["days"].clone()), (StatusCode::CREATED, json!(4.0)));
    assert_eq!(f.outbox().await.len(), 6);
}

#[tokio::test]
async fn the_employee_cancels_before_the_start_only_and_an_approved_cancellation_credits_back() {
    let f = fixture();
    let e = f.employee("GB").await;
    let (me, manager, hr) = (f.as_employee(&e), f.as_manager(&e), f.client.token(Role::Hr, None));
    let (start, end) = week(5);
    let (_, leave) = f.post("/leaves", &me, ask(start, end)).await;
    let id = leave["leave_id"].as_str().expect("id").to_owned();
    f.client.call("POST", &format!("/leaves/{id}/approve"), Some(&manager), None).await;
    let taken = async || {
        let uri = format!("/leave-balances/{}?year={}", e.employee_id, start.year());
        let (_, report) = f.client.call("GET", &uri, Some(&hr), None).await;
        report["balances"]
            .as_array()
            .expect("list")
            .iter()
            .find(|b| b["leave_type"] == "annual")
            .expect("annual")["taken"]
            .clone()
    };
    assert_eq!(taken().await, leave["days"]);
    // No body at all is no reason.
    let (status, cancelled) = f.client.call("POST", &format!("/leaves/{id}/cancel"), Some(&me), None).await;
    assert_eq!((status, cancelled["status"].clone()), (StatusCode::OK, json!("cancelled")), "{cancelled}");
    assert_eq!(taken().await, json!(0.0), "credited back");

    // A request that started two weeks ago (requests for the past are allowed).
    let (past_start, past_end) = week(-2);
    let (status, past) = f.post("/leaves", &me, ask(past_start, past_end)).await;
    assert_eq!(status, StatusCode::CREATED, "{past}");
    let past_id = past["leave_id"].as_str().expect("id").to_owned();
    f.client.call("POST", &format!("/leaves/{past_id}/approve"), Some(&manager), None).await;
    let written = f.outbox().await.len();
    let (status, late) = f.post(&format!("/leaves/{past_id}/cancel"), &me, json!({ "reason": "x" })).await;
    assert_eq!((status, late["status"].clone()), (StatusCode::FORBIDDEN, json!(403)), "{late}");
    assert_eq!(f.outbox().await.len(), written);
    let (status, _) =
        f.post(&format!("/leaves/{past_id}/cancel"), &hr, json!({ "reason": "Booked in error" })).await;
    assert_eq!(status, StatusCode::OK, "hr cancels at any time");
    let events = f.outbox().await;
    assert_eq!(types(&events[written..]), [EventType::LeaveCancelled, EventType::AuditLeaveCancelled]);
}

/// Employee, down.
struct Down;

impl EmployeeClient for Down {
    fn get<'a>(&'a self, _: Uuid, _: &'a Requester) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(async { Err(EmployeeError::Unavailable("employee unavailable: connection refused".into())) })
    }
    fn create<'a>(
        &'a self,
        _: &'a NewEmployee,
        _: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(async { Err(EmployeeError::Unavailable("connection refused".into())) })
    }
    fn update<'a>(
        &'a self,
        _: Uuid,
        _: &'a EmployeeChanges,
        _: &'a Requester,
    ) -> BoxFuture<'a, Result<Employee, EmployeeError>> {
        Box::pin(async { Err(EmployeeError::Unavailable("connection refused".into())) })
    }
}

#[tokio::test]
async fn employee_down_is_503_and_nothing_is_stored() {
    let up = fixture();
    let e = up.employee("GB").await;
    let f = with_employees(temp_dir("leave-http"), Arc::new(Down), up.employees.clone(), Policy::default());
    let (start, end) = week(4);
    let (status, problem) = f.post("/leaves", &f.as_employee(&e), ask(start, end)).await;
    assert_eq!(
        (status, problem["status"].clone()),
        (StatusCode::SERVICE_UNAVAILABLE, json!(503)),
        "{problem}"
    );
    let (status, listed) = f.client.call("GET", "/leaves", Some(&f.client.token(Role::Hr, None)), None).await;
    assert_eq!((status, listed), (StatusCode::OK, json!([])));
    assert!(f.outbox().await.is_empty());
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[tokio::test]
async fn every_route_refuses_as_documented() {
    use hrms_http::testing::{Refusal, assert_refusals};
    let f = fixture();
    let e = f.employee("GB").await;
    let (start, end) = week(8);
    let (status, made) = f.post("/leaves", &f.as_employee(&e), ask(start, end)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["leave_id"].as_str().expect("id").to_owned();
    let written = f.outbox().await.len();
    let for_someone = json!({ "employee_id": e.employee_id, "leave_type": "annual", "start_date": start });
    let long = "x".repeat(hrms_events::limits::REASON + 1);
    let mut long_reason = ask(start, end);
    long_reason["reason"] = json!(long);
    let balances = format!("/leave-balances/{}", e.employee_id);
    let table = [
        Refusal::new("POST", "/leaves", Some(for_someone), Some(Role::Employee)).bad(
            Role::Employee,
            Some(e.employee_id),
            "/leaves",
            Some(long_reason),
            "reason",
        ),
        Refusal::new("GET", "/leaves", None, None).bad(Role::Hr, None, "/leaves?to=", None, "to"),
        Refusal::new("GET", format!("/leaves/{id}"), None, Some(Role::Employee)),
        Refusal::new("POST", format!("/leaves/{id}/approve"), None, Some(Role::Employee)),
        Refusal::new(
            "POST",
            format!("/leaves/{id}/reject"),
            Some(json!({ "reason": "no" })),
            Some(Role::Employee),
        )
        .bad(
            Role::Hr,
            None,
            format!("/leaves/{id}/reject"),
            Some(json!({ "reason": " " })),
            "reason",
        ),
        Refusal::new("POST", format!("/leaves/{id}/cancel"), Some(json!({})), Some(Role::Employee)).bad(
            Role::Hr,
            None,
            format!("/leaves/{id}/cancel"),
            Some(json!({ "reason": long })),
            "reason",
        ),
        Refusal::new("GET", balances.clone(), None, Some(Role::Employee)).bad(
            Role::Hr,
            None,
            format!("{balances}?year=0"),
            None,
            "year",
        ),
    ];
    assert_refusals(&f.client, &table).await;
    assert_eq!(f.outbox().await.len(), written, "nothing written by the refusals");
}

#[tokio::test]
async fn whoever_manages_the_employee_when_deciding_decides_before_any_event_is_taken_in() {
    let f = fixture();
    let e = f.employee("GB").await;
    let new_manager = f.employee("GB").await;
    let (start, end) = week(8);
    let (status, leave) = f.post("/leaves", &f.as_employee(&e), ask(start, end)).await;
    assert_eq!((status, leave["approver_id"].clone()), (StatusCode::CREATED, json!(e.manager_id)));
    let id = leave["leave_id"].as_str().expect("id").to_owned();
    // HR gives the employee another manager; Leave has not yet taken in employee.updated.
    let hr = Requester { user_id: Uuid::now_v7(), role: Role::Hr, employee_id: None };
    let change = EmployeeChanges { manager_id: Some(Some(new_manager.employee_id)), ..Default::default() };
    f.employees.update(e.employee_id, &change, &hr).await.expect("manager changed");

    let someone = f.client.token(Role::Manager, Some(Uuid::now_v7()));
    let (status, _) = f.client.call("POST", &format!("/leaves/{id}/approve"), Some(&someone), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a manager who is not theirs");
    let new = f.client.token(Role::Manager, Some(new_manager.employee_id));
    let (status, approved) = f.client.call("POST", &format!("/leaves/{id}/approve"), Some(&new), None).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(
        (approved["status"].clone(), approved["approver_id"].clone()),
        (json!("approved"), json!(new_manager.employee_id)),
        "the new manager decided and is recorded"
    );
}

#[test]
fn the_document_explains_the_balance_with_an_example() {
    let doc = serde_json::to_value(LeaveDeps::openapi()).expect("JSON");
    let ok = &doc["paths"]["/leave-balances/{employee_id}"]["get"]["responses"]["200"];
    let body = &ok["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(body, "#/components/schemas/Balances", "{ok}");
    let schemas = &doc["components"]["schemas"];
    let example = &schemas["Balances"]["example"]["balances"][0];
    let type_balance = &schemas["TypeBalance"]["properties"];
    for field in ["allowance", "carried", "carried_expires", "taken", "pending", "expiring", "remaining"] {
        assert!(type_balance[field].is_object(), "{field} documented");
        assert!(example.get(field).is_some(), "{field} in the example");
    }
    assert!(schemas["Leave"]["properties"]["next_year_days"].is_object());
    let required = schemas["Leave"]["required"].as_array().expect("required");
    assert!(!required.contains(&json!("next_year_days")), "absent for a request within one year");
}
