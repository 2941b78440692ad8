//! The producer side of the event contract: what Employee accepts at the
//! edges of its limits makes events every consumer accepts
//! ([`hrms_events::checks`]); one step beyond is refused (naming the field),
//! so no valid request emits an event its consumers would dead-letter.

use std::sync::Arc;

use chrono::NaiveDate;
use hrms_compliance::Policy;
use hrms_compliance::client::Local;
use hrms_compliance::memory::MemoryComplianceStore;
use hrms_compliance::policy::HoursRule;
use hrms_events::HrmsEvent;
use hrms_events::checks::{self, WEEKLY_HOURS};
use hrms_events::compliance::Severity;
use hrms_events::limits::{EMAIL, LABEL, NAME, REASON};

use super::{Context, create, terminate, update};
use crate::error::EmployeeError;
use crate::fixtures::{new_employee, requester};
use crate::memory::MemoryEmployeeStore;
use crate::model::{EmployeeChanges, NewEmployee, Termination};
use hrms_events::Role;

/// Compliance with a policy that only warns on hours, so the contract's own
/// limit is the one that decides.
fn lenient() -> Local {
    let hours = HoursRule { maximum: WEEKLY_HOURS.1, severity: Severity::Warn, alert_ratio: 1.0 };
    let policy = Policy { weekly_hours: hours, ..Policy::default() };
    Local { policy: Arc::new(policy), store: Arc::new(MemoryComplianceStore::default()) }
}

fn all_accepted(events: &[HrmsEvent]) {
    assert!(!events.is_empty());
    for event in events {
        if let Err(refused) = checks::check(event, event.time) {
            panic!("{} refused by its consumers: {refused}", event.event_type());
        }
    }
}

fn refused_field<T: std::fmt::Debug>(result: Result<T, EmployeeError>) -> String {
    match result {
        Err(EmployeeError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

/// Every text field at its longest, the most hours a week has.
fn longest() -> NewEmployee {
    let domain = "@example.com";
    NewEmployee {
        first_name: "é".repeat(NAME),
        last_name: "l".repeat(NAME),
        email: format!("{}{domain}", "a".repeat(EMAIL - domain.len())),
        department: "d".repeat(LABEL),
        job_title: "j".repeat(LABEL),
        weekly_hours: WEEKLY_HOURS.1,
        ..new_employee()
    }
}

#[tokio::test]
async fn the_longest_and_largest_record_makes_events_consumers_accept() {
    let (store, compliance, hr) = (MemoryEmployeeStore::default(), lenient(), requester(Role::Hr));
    let ctx = Context { store: &store, compliance: &compliance };
    let created = create::handle(longest(), &hr, &ctx).await.expect("created");
    all_accepted(&created.events);
    let id = created.employee.employee_id;
    let changes = EmployeeChanges {
        weekly_hours: Some(WEEKLY_HOURS.0),
        department: Some("e".repeat(LABEL)),
        ..Default::default()
    };
    all_accepted(&update::handle(id, changes, &hr, &ctx).await.expect("updated").events);
    let end = Termination {
        termination_date: NaiveDate::from_ymd_opt(2027, 1, 31).unwrap_or_default(),
        reason: "r".repeat(REASON),
    };
    all_accepted(&terminate::handle(id, end, &hr, &ctx).await.expect("terminated").events);
}

#[tokio::test]
async fn hours_outside_the_contract_are_refused_naming_the_field_and_change_nothing() {
    let (store, compliance, hr) = (MemoryEmployeeStore::default(), lenient(), requester(Role::Hr));
    let ctx = Context { store: &store, compliance: &compliance };
    for hours in [WEEKLY_HOURS.1 + 0.5, WEEKLY_HOURS.0 - 0.5, f64::INFINITY] {
        let new = NewEmployee { weekly_hours: hours, ..new_employee() };
        assert_eq!(refused_field(create::handle(new, &hr, &ctx).await), "weekly_hours", "{hours}");
    }
    assert!(store.events().is_empty(), "nothing stored or emitted");
    let id = create::handle(new_employee(), &hr, &ctx).await.expect("created").employee.employee_id;
    let changes = EmployeeChanges { weekly_hours: Some(WEEKLY_HOURS.1 + 0.5), ..Default::default() };
    assert_eq!(refused_field(update::handle(id, changes, &hr, &ctx).await), "weekly_hours");
    assert_eq!(store.events().len(), 2, "only the creation's events");
}

#[tokio::test]
async fn text_one_character_too_long_is_refused_naming_the_field() {
    let (store, compliance, hr) = (MemoryEmployeeStore::default(), lenient(), requester(Role::Hr));
    let ctx = Context { store: &store, compliance: &compliance };
    let cases = [
        ("first_name", NewEmployee { first_name: "é".repeat(NAME + 1), ..longest() }),
        ("last_name", NewEmployee { last_name: "l".repeat(NAME + 1), ..longest() }),
        ("email", NewEmployee { email: format!("a{}", longest().email), ..longest() }),
        ("department", NewEmployee { department: "d".repeat(LABEL + 1), ..longest() }),
        ("job_title", NewEmployee { job_title: "j".repeat(LABEL + 1), ..longest() }),
    ];
    for (field, new) in cases {
        assert_eq!(refused_field(create::handle(new, &hr, &ctx).await), field);
    }
    assert!(store.events().is_empty());
}
