//! The Compliance store's contract: a check is recorded once with its
//! events, and the checks with findings are listed newest first, for
//! everyone or one employee.

use hrms_compliance::commands::validate::{Validate, Validated, decide};
use hrms_compliance::{EmployeeFacts, FindingsQuery, Policy, Subject, fixtures};
use hrms_events::HrmsEvent;
use uuid::Uuid;

use std::sync::Arc;

use hrms_compliance::ComplianceStore;
use hrms_platform::outbox::OutboxStore;

/// An empty Compliance store with its outbox.
pub struct Stores {
    pub compliance: Box<dyn ComplianceStore>,
    pub compliance_outbox: Arc<dyn OutboxStore>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

/// The store in memory, its outbox beside it.
fn on_memory() -> Stores {
    let store = hrms_compliance::memory::MemoryComplianceStore::default();
    Stores { compliance_outbox: store.outbox(), compliance: Box::new(store), _keep: Box::new(()) }
}

#[cfg(feature = "sqlite")]
fn on_sqlite() -> Stores {
    use hrms_sqlite::Store as _;
    use hrms_sqlite::outbox::SqliteOutbox;
    let dir = hrms_platform::testing::TempDir::new("compliance-conformance");
    let db = dir.0.join("compliance.db");
    Stores {
        compliance: Box::new(crate::sqlite::SqliteComplianceStore::open(&db).expect("compliance store")),
        compliance_outbox: Arc::new(SqliteOutbox::open(&db).expect("outbox")),
        _keep: Box::new(dir),
    }
}

#[cfg(feature = "dynamodb")]
async fn on_dynamodb() -> Stores {
    use hrms_dynamodb::Store as _;
    use hrms_dynamodb::outbox::DynamoOutbox;
    let tables = hrms_dynamodb::testing::tables(&["compliance"]).await;
    let (table, client) = (tables.table("compliance"), tables.client.clone());
    Stores {
        compliance: Box::new(crate::dynamodb::DynamoComplianceStore::new(client.clone(), &table)),
        compliance_outbox: Arc::new(DynamoOutbox::new(client, &table)),
        _keep: Box::new(()),
    }
}

hrms_platform::suite!(
    checks_with_findings_are_listed_newest_first,
    a_check_is_recorded_once,
    findings_are_listed_within_a_time_range,
    a_timeline_is_written_on_its_version_with_its_check,
    a_notice_is_recorded_once_within_its_period,
);

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

    let all = FindingsQuery::newest(10);
    let want = [&other, &second, &first].map(|v| v.check.clone()).to_vec();
    assert_eq!(stores.compliance.findings(&all).await.expect("listed"), want, "newest first, with findings");

    let adas = FindingsQuery { employee_id: Some(ada), ..FindingsQuery::newest(10) };
    let want = vec![second.check.clone(), first.check.clone()];
    assert_eq!(stores.compliance.findings(&adas).await.expect("listed"), want, "only Ada's");

    let newest = FindingsQuery { employee_id: Some(ada), ..FindingsQuery::newest(1) };
    assert_eq!(stores.compliance.findings(&newest).await.expect("listed"), vec![second.check.clone()]);
    let nobody = FindingsQuery { employee_id: Some(Uuid::now_v7()), ..FindingsQuery::newest(10) };
    assert!(stores.compliance.findings(&nobody).await.expect("listed").is_empty());

    let events: Vec<_> = [first, clean, second, other].into_iter().flat_map(|v| v.events).collect();
    assert_eq!(queued(&stores).await, events, "every check's events, in order");
}

pub async fn a_check_is_recorded_once(stores: Stores) {
    let refused = checked(&stores, Uuid::now_v7(), 60.0).await;
    let again = stores.compliance.record(&refused.check, &refused.events).await;
    assert!(again.is_err(), "the same check twice");
    let all = FindingsQuery::newest(10);
    assert_eq!(stores.compliance.findings(&all).await.expect("listed"), vec![refused.check.clone()]);
    assert_eq!(queued(&stores).await, refused.events, "the failed write queued nothing");
}

/// A check of `employee` with a finding, made at `at` (its id says when).
fn found_at(employee: Uuid, at: chrono::DateTime<chrono::Utc>) -> Validated {
    let facts = EmployeeFacts { employee_id: employee, weekly_hours: 60.0, ..fixtures::employee() };
    let mut validated =
        decide(Validate { subject: Subject::Employee(facts), actor: fixtures::hr() }, &Policy::default());
    let seconds = u64::try_from(at.timestamp()).unwrap_or(0);
    validated.check.check_id = Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, seconds, 0));
    validated
}

pub async fn findings_are_listed_within_a_time_range(stores: Stores) {
    use chrono::{Duration, TimeZone, Utc};
    let ada = Uuid::now_v7();
    let monday = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().expect("valid");
    let checks: Vec<Validated> = (0..3).map(|day| found_at(ada, monday + Duration::days(day))).collect();
    for v in &checks {
        stores.compliance.record(&v.check, &v.events).await.expect("recorded");
    }
    let within = |from, to| FindingsQuery { from, to, ..FindingsQuery::newest(10) };
    let tuesday = monday + Duration::days(1);
    let found = stores.compliance.findings(&within(Some(tuesday), None)).await.expect("listed");
    assert_eq!(found, vec![checks[2].check.clone(), checks[1].check.clone()], "from Tuesday on");
    let found = stores.compliance.findings(&within(None, Some(tuesday))).await.expect("listed");
    assert_eq!(found, vec![checks[0].check.clone()], "before Tuesday");
    let one_day =
        FindingsQuery { employee_id: Some(ada), ..within(Some(tuesday), Some(tuesday + Duration::days(1))) };
    assert_eq!(stores.compliance.findings(&one_day).await.expect("listed"), vec![checks[1].check.clone()]);
}

pub async fn a_timeline_is_written_on_its_version_with_its_check(stores: Stores) {
    use hrms_compliance::{StoreError, Timeline};
    let ada = Uuid::now_v7();
    assert_eq!(stores.compliance.timeline(ada).await.expect("read"), None);
    let mut first = Timeline::new(ada);
    first.version = 1;
    first.manager_id = Some(Uuid::now_v7());
    stores.compliance.save_timeline(&first, None, &[]).await.expect("written");
    assert_eq!(stores.compliance.timeline(ada).await.expect("read"), Some(first.clone()));
    let twice = stores.compliance.save_timeline(&first, None, &[]).await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "a second version 1: {twice:?}");

    let found = found_at(ada, chrono::Utc::now());
    let mut second = first.clone();
    second.version = 2;
    second.reported.insert("rest_period:x".into(), chrono::Utc::now().date_naive());
    stores.compliance.save_timeline(&second, Some(&found.check), &found.events).await.expect("written");
    assert_eq!(stores.compliance.timeline(ada).await.expect("read"), Some(second.clone()));
    let listed = stores.compliance.findings(&FindingsQuery::newest(10)).await.expect("listed");
    assert_eq!(listed, vec![found.check.clone()], "the check, with the timeline");

    // A writer that read version 1 too writes nothing, and queues nothing.
    let other = found_at(ada, chrono::Utc::now());
    let stale = stores.compliance.save_timeline(&second, Some(&other.check), &other.events).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(stores.compliance.findings(&FindingsQuery::newest(10)).await.expect("listed").len(), 1);
    assert_eq!(queued(&stores).await, found.events);

    // Read together with an employee who has none: only the stored one.
    let nobody = Uuid::now_v7();
    let both = stores.compliance.timelines(&[nobody, ada]).await.expect("read");
    assert_eq!(both, std::collections::HashMap::from([(ada, second)]));
}

pub async fn a_notice_is_recorded_once_within_its_period(stores: Stores) {
    use chrono::{Duration, TimeZone, Utc};
    use hrms_compliance::Notice;
    use hrms_compliance::store::first_v7;
    let ada = Uuid::now_v7();
    let monday = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().expect("valid");
    let tuesday = monday + Duration::days(1);
    let stores = &stores;
    let notice = |key: &str, since| Notice { key: key.into(), since: first_v7(since) };
    let record = |v: Validated, n: Notice| async move {
        stores.compliance.record_notice(&v.check, &v.events, &n).await.expect("recorded or answered")
    };

    let first = found_at(ada, monday);
    assert_eq!(record(first.clone(), notice("k", monday - Duration::days(1))).await, None, "recorded");
    let again = found_at(ada, monday + Duration::hours(1));
    let answered = record(again.clone(), notice("k", monday - Duration::hours(23))).await;
    assert_eq!(answered, Some(first.check.clone()), "within the period: the first check answers");
    let other = found_at(ada, monday + Duration::hours(2));
    assert_eq!(record(other.clone(), notice("other", monday)).await, None, "another notice");
    let later = found_at(ada, tuesday + Duration::hours(1));
    assert_eq!(record(later.clone(), notice("k", tuesday)).await, None, "past the period: recorded again");
    let newest = record(found_at(ada, tuesday + Duration::hours(2)), notice("k", monday)).await;
    assert_eq!(newest, Some(later.check.clone()), "the newest check of the notice answers");

    let listed = stores.compliance.findings(&FindingsQuery::newest(10)).await.expect("listed");
    assert_eq!(listed, vec![later.check.clone(), other.check.clone(), first.check.clone()]);
    let events: Vec<_> = [first, other, later].into_iter().flat_map(|v| v.events).collect();
    assert_eq!(queued(stores).await, events, "the answered checks queued nothing");
}
