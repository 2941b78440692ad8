//! The Compliance store's contract: a check is recorded once with its
//! events, and the checks with findings are listed newest first, for
//! everyone or one employee.

use hrms_compliance::commands::validate::{Validate, Validated, decide};
use hrms_compliance::{EmployeeFacts, FindingsQuery, Policy, Subject, fixtures};
use hrms_events::HrmsEvent;
use uuid::Uuid;

use super::Stores;

/// A check of `employee` working `weekly_hours` (60 is refused, 45 warned,
/// 37.5 allowed without findings), recorded.
async fn checked(stores: &Stores, employee: Uuid, weekly_hours: f64) -> Validated {
    let facts = EmployeeFacts { employee_id: employee, weekly_hours, ..fixtures::employee() };
    let validated =
        decide(Validate { subject: Subject::Employee(facts), actor: fixtures::hr() }, &Policy::default());
    stores.compliance.record(&validated.check, &validated.events).await.expect("recorded");
    validated
}

async fn queued(stores: &Stores) -> Vec<HrmsEvent> {
    let pending = stores.compliance_outbox.pending(1000).await.expect("pending");
    pending.entries.into_iter().map(|e| e.event).collect()
}

pub async fn checks_with_findings_are_listed_newest_first(stores: Stores) {
    let (ada, grace) = (Uuid::now_v7(), Uuid::now_v7());
    let first = checked(&stores, ada, 60.0).await;
    let clean = checked(&stores, ada, 37.5).await;
    let second = checked(&stores, ada, 45.0).await;
    let other = checked(&stores, grace, 60.0).await;
    assert!(clean.check.findings.is_empty() && !second.check.findings.is_empty());

    let all = FindingsQuery { employee_id: None, limit: 10 };
    let want = [&other, &second, &first].map(|v| v.check.clone()).to_vec();
    assert_eq!(stores.compliance.findings(&all).await.expect("listed"), want, "newest first, with findings");

    let adas = FindingsQuery { employee_id: Some(ada), limit: 10 };
    let want = vec![second.check.clone(), first.check.clone()];
    assert_eq!(stores.compliance.findings(&adas).await.expect("listed"), want, "only Ada's");

    let newest = FindingsQuery { employee_id: Some(ada), limit: 1 };
    assert_eq!(stores.compliance.findings(&newest).await.expect("listed"), vec![second.check.clone()]);
    let nobody = FindingsQuery { employee_id: Some(Uuid::now_v7()), limit: 10 };
    assert!(stores.compliance.findings(&nobody).await.expect("listed").is_empty());

    let events: Vec<_> = [first, clean, second, other].into_iter().flat_map(|v| v.events).collect();
    assert_eq!(queued(&stores).await, events, "every check's events, in order");
}

pub async fn a_check_is_recorded_once(stores: Stores) {
    let refused = checked(&stores, Uuid::now_v7(), 60.0).await;
    let again = stores.compliance.record(&refused.check, &refused.events).await;
    assert!(again.is_err(), "the same check twice");
    let all = FindingsQuery { employee_id: None, limit: 10 };
    assert_eq!(stores.compliance.findings(&all).await.expect("listed"), vec![refused.check.clone()]);
    assert_eq!(queued(&stores).await, refused.events, "the failed write queued nothing");
}
