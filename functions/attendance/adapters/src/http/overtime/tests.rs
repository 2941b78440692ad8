//! `GET /attendance/overtime` on SQLite with Employee in-process: who sees
//! whose overtime, a week across two months and years (2026-W53), the
//! month view, and bad parameters.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use futures::future::BoxFuture;
use hrms_attendance::model::{AttendanceRecord, worked_minutes};
use hrms_attendance::store::AttendanceStore;
use hrms_compliance::{CallError, ComplianceClient, Subject, Verdict};
use hrms_employee::{Employee, EmployeeClient, EmployeeStore, Local};
use hrms_events::{Actor, Role};
use hrms_http::testing::{Client, temp_dir};
use hrms_http::{Api, Authenticator};
use hrms_sqlite::Store;
use serde_json::Value;
use uuid::Uuid;

use crate::http::AttendanceDeps;
use crate::sqlite::SqliteAttendanceStore;
use hrms_employee_adapters::sqlite::SqliteEmployeeStore;
use hrms_http::callee::Callee;

/// Attendance reads employees only.
struct NoCompliance;

impl ComplianceClient for NoCompliance {
    fn validate<'a>(&'a self, _: &'a Subject, _: &'a Actor) -> BoxFuture<'a, Result<Verdict, CallError>> {
        Box::pin(async {
            Err(CallError::Unavailable { service: "compliance", reason: "unused".into(), cause: None })
        })
    }
}

struct Fixture {
    client: Client,
    store: SqliteAttendanceStore,
    people: Arc<dyn EmployeeStore>,
}

fn fixture() -> Fixture {
    let dir = temp_dir("attendance-overtime");
    let store: SqliteAttendanceStore = Store::open(dir.join("attendance.db")).expect("store");
    let people: Arc<dyn EmployeeStore> =
        Arc::new(SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store"));
    let employees: Arc<dyn EmployeeClient> =
        Arc::new(Local { store: people.clone(), compliance: Arc::new(NoCompliance) });
    let auth = Arc::new(Authenticator::hs256(&[7u8; 32]).expect("key"));
    let deps = AttendanceDeps { store: Arc::new(store.clone()), employees: Callee::local(employees) };
    let app = Api::new(auth.clone(), deps).router();
    Fixture { client: Client { app, auth }, store, people }
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().expect("valid")
}

impl Fixture {
    /// An employee in `time_zone` managed by `manager_id`, hired in 2026.
    async fn employee(&self, time_zone: &str, manager_id: Option<Uuid>) -> Employee {
        let mut e = hrms_attendance::fixtures::employee(time_zone, manager_id);
        e.hire_date = NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid");
        self.people.insert(&e, &[]).await.expect("stored");
        e
    }

    /// A closed record of `e` from `start` for `hours`.
    async fn worked(&self, e: &Employee, start: DateTime<Utc>, hours: i64) {
        let end = start + chrono::Duration::hours(hours);
        let record = AttendanceRecord {
            record_id: Uuid::now_v7(),
            employee_id: e.employee_id,
            check_in: start,
            check_out: Some(end),
            time_zone: e.time_zone.clone(),
            worked_minutes: worked_minutes(start, Some(end)),
            corrected: false,
            correction_reason: None,
            closed_at_termination: false,
            version: 1,
            created_at: start,
            updated_at: start,
        };
        self.store.insert(&record, &[]).await.expect("stored");
    }

    async fn get(&self, query: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.client.call("GET", &format!("/attendance/overtime{query}"), token, None).await
    }
}

fn ids(summary: &Value) -> Vec<String> {
    let mut ids: Vec<String> = summary["employees"]
        .as_array()
        .expect("employees")
        .iter()
        .map(|e| e["employee_id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn overtime_per_week_and_month_to_whom_may_see_it() {
    let f = fixture();
    let boss = Uuid::now_v7();
    let ada = f.employee("Europe/Berlin", Some(boss)).await;
    let grace = f.employee("UTC", Some(boss)).await;
    let other = f.employee("UTC", None).await;
    // 9 h a day, Monday 28 December 2026 to Friday 1 January 2027: 45 h in
    // 2026-W53, a week of two months and two years.
    for d in [28, 29, 30, 31] {
        f.worked(&ada, at(2026, 12, d, 7), 9).await;
    }
    f.worked(&ada, at(2027, 1, 1, 7), 9).await;
    f.worked(&grace, at(2026, 12, 28, 8), 8).await;
    f.worked(&other, at(2026, 12, 28, 8), 12).await;
    let week = "from=2026-12-28&to=2027-01-03";

    let ada_token = f.client.token(Role::Employee, Some(ada.employee_id));
    let (status, mine) = f.get(&format!("?{week}"), Some(&ada_token)).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!((mine["period"].as_str(), mine["from"].as_str()), (Some("week"), Some("2026-12-28")));
    let periods = &mine["employees"][0]["periods"];
    assert_eq!(periods.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(periods[0]["period"], "2026-W53");
    assert_eq!(
        (&periods[0]["worked_minutes"], &periods[0]["contracted_minutes"], &periods[0]["overtime_minutes"]),
        (&Value::from(2700), &Value::from(2250), &Value::from(450))
    );
    assert_eq!(mine["employees"][0]["overtime_hours"], 7.5);

    // The same work by month: four days in December, one in January.
    let hr = f.client.token(Role::Hr, None);
    let months = format!("?employee_id={}&period=month&from=2026-12-01&to=2027-01-31", ada.employee_id);
    let (status, by_month) = f.get(&months, Some(&hr)).await;
    assert_eq!(status, StatusCode::OK, "{by_month}");
    let months: Vec<_> = by_month["employees"][0]["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| (p["period"].as_str().unwrap_or_default().to_owned(), p["worked_minutes"].clone()))
        .collect();
    assert_eq!(months, [("2026-12".to_owned(), Value::from(2160)), ("2027-01".to_owned(), Value::from(540))]);

    // A manager sees their team and their reports, not others.
    let manager = f.client.token(Role::Manager, Some(boss));
    let (status, team) = f.get(&format!("?manager_id={boss}&{week}"), Some(&manager)).await;
    assert_eq!(status, StatusCode::OK, "{team}");
    let mut want = vec![ada.employee_id.to_string(), grace.employee_id.to_string()];
    want.sort();
    assert_eq!(ids(&team), want, "their reports, not the others");
    let (status, _) = f.get(&format!("?employee_id={}&{week}", grace.employee_id), Some(&manager)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, hr_team) = f.get(&format!("?manager_id={boss}&{week}"), Some(&hr)).await;
    assert_eq!((status, ids(&hr_team)), (StatusCode::OK, want));
    let (status, theirs) = f.get(&format!("?employee_id={}&{week}", other.employee_id), Some(&hr)).await;
    assert_eq!(
        (status, theirs["employees"][0]["periods"][0]["worked_minutes"].clone()),
        (StatusCode::OK, Value::from(720))
    );

    // Refused: an employee asking for someone else or a team, a manager for
    // someone not theirs or another's team; no token.
    let stranger = f.client.token(Role::Manager, Some(Uuid::now_v7()));
    for (token, query) in [
        (&ada_token, format!("?employee_id={}", grace.employee_id)),
        (&ada_token, format!("?manager_id={boss}")),
        (&manager, format!("?employee_id={}", other.employee_id)),
        (&stranger, format!("?manager_id={boss}")),
    ] {
        let (status, problem) = f.get(&query, Some(token)).await;
        assert_eq!((status, problem["status"].clone()), (StatusCode::FORBIDDEN, Value::from(403)), "{query}");
    }
    let (status, _) = f.get("", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_parameters_are_problems_naming_them() {
    let f = fixture();
    let ada = f.employee("UTC", None).await;
    let token = f.client.token(Role::Employee, Some(ada.employee_id));
    for (query, status, field) in [
        ("?period=year", StatusCode::BAD_REQUEST, "period"),
        ("?from=28-12-2026", StatusCode::BAD_REQUEST, "from"),
        ("?employee_id=ada", StatusCode::BAD_REQUEST, "employee_id"),
        ("?manager_id=boss", StatusCode::BAD_REQUEST, "manager_id"),
        ("?from=2027-01-10&to=2027-01-04", StatusCode::UNPROCESSABLE_ENTITY, "from"),
        ("?from=2025-01-01&to=2027-01-04", StatusCode::UNPROCESSABLE_ENTITY, "to"),
    ] {
        let (got, problem) = f.get(query, Some(&token)).await;
        assert_eq!((got, problem["field"].as_str()), (status, Some(field)), "{query}: {problem}");
    }
}
