//! A leaver's reports on every store: terminating someone moves their
//! active reports to their own manager, found through the store's listing
//! by manager, each with its events, and leaves everyone else as they were.

use chrono::NaiveDate;
use futures::future::BoxFuture;
use hrms_compliance::{CallError, ComplianceClient, Subject, Verdict};
use hrms_employee::commands::{Context, terminate};
use hrms_employee::{Employee, Termination};
use hrms_events::employee::EmployeeStatus;
use hrms_events::{Actor, EventType, Payload, Role};
use uuid::Uuid;

use super::{Stores, changed, employee, queued};
use hrms_employee::fixtures::requester;

/// Compliance is not asked by a termination: any call is a failure.
struct NotAsked;

impl ComplianceClient for NotAsked {
    fn validate<'a>(&'a self, _: &'a Subject, _: &'a Actor) -> BoxFuture<'a, Result<Verdict, CallError>> {
        Box::pin(async {
            Err(CallError::Unavailable {
                service: "compliance",
                reason: "not asked here".into(),
                cause: None,
            })
        })
    }
}

async fn stored(stores: &Stores, e: &Employee) -> Employee {
    stores.employee.insert(e, &[]).await.expect("stored");
    e.clone()
}

pub async fn a_leavers_active_reports_move_to_the_leavers_manager(stores: Stores) {
    let above = Uuid::now_v7();
    let leaver = stored(&stores, &Employee { manager_id: Some(above), ..employee() }).await;
    let mut reports = Vec::new();
    for _ in 0..3 {
        reports.push(stored(&stores, &Employee { manager_id: Some(leaver.employee_id), ..employee() }).await);
    }
    let gone = Employee { manager_id: Some(leaver.employee_id), ..employee() };
    let gone = stored(&stores, &gone).await;
    let gone_now = changed(&gone, |e| e.status = EmployeeStatus::Terminated);
    stores.employee.update(&gone_now, &[]).await.expect("a former report");
    let other = stored(&stores, &employee()).await;

    let ctx = Context { store: stores.employee.as_ref(), compliance: &NotAsked };
    let termination = Termination {
        termination_date: NaiveDate::from_ymd_opt(2027, 3, 31).expect("date"),
        reason: "resigned".into(),
    };
    terminate::handle(leaver.employee_id, termination, &requester(Role::Hr), &ctx).await.expect("terminated");

    for report in &reports {
        let now = stores.employee.get(report.employee_id).await.expect("read").expect("stored");
        assert_eq!((now.manager_id, now.version), (Some(above), report.version + 1), "moved up once");
    }
    let kept = stores.employee.get(gone.employee_id).await.expect("read").expect("stored");
    assert_eq!(kept, gone_now, "a former report stays as it was");
    assert_eq!(stores.employee.get(other.employee_id).await.expect("read"), Some(other));
    let moved: Vec<Uuid> = queued(&stores)
        .await
        .iter()
        .filter_map(|e| match &e.payload {
            Payload::EmployeeUpdated(u) if u.manager_id == Some(above) => Some(u.employee_id),
            _ => None,
        })
        .collect();
    let mut want: Vec<Uuid> = reports.iter().map(|r| r.employee_id).collect();
    let mut got = moved.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want, "one employee.updated per report moved");
    let types: Vec<EventType> = queued(&stores).await.iter().map(|e| e.event_type()).collect();
    assert_eq!(types.last(), Some(&EventType::AuditEmployeeTerminated), "the leaver's record closes last");
}
