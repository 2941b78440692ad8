//! The producer side of the event contract: what Attendance accepts at the
//! edges of its limits makes events every consumer accepts
//! ([`hrms_events::checks`]); one step beyond is refused, so no valid
//! request emits an event its consumers would dead-letter.

use chrono::Duration;
use hrms_events::HrmsEvent;
use hrms_events::checks::{self, WORKED_MINUTES};

use super::testing::Harness;
use super::{check_in, check_out, correct};
use crate::error::AttendanceError;
use crate::model::Correction;

fn all_accepted(events: &[HrmsEvent]) {
    assert!(!events.is_empty());
    for event in events {
        if let Err(refused) = checks::check(event, event.time) {
            panic!("{} refused by its consumers: {refused}", event.event_type());
        }
    }
}

#[tokio::test]
async fn a_record_open_for_the_longest_the_contract_allows_closes() {
    let h = Harness::new();
    let me = h.person(&h.employee("Europe/Berlin").await);
    all_accepted(&check_in::handle(&me, &h.ctx()).await.expect("in").events);
    let at_limit = h.now + Duration::minutes(WORKED_MINUTES.1);
    let done = check_out::handle(&me, &h.at(at_limit)).await.expect("out");
    assert_eq!(done.record.worked_minutes, Some(WORKED_MINUTES.1));
    all_accepted(&done.events);
}

#[tokio::test]
async fn a_record_open_longer_is_not_closed_by_the_clock_but_by_a_correction() {
    let h = Harness::new();
    let e = h.employee("UTC").await;
    let me = h.person(&e);
    let open = check_in::handle(&me, &h.ctx()).await.expect("in").record;
    let beyond = h.now + Duration::minutes(WORKED_MINUTES.1 + 1);
    let refused = check_out::handle(&me, &h.at(beyond)).await;
    assert!(
        matches!(refused, Err(AttendanceError::Conflict(ref why)) if why.contains("correction")),
        "{refused:?}"
    );
    assert_eq!(h.outbox().len(), 2, "only the check-in's events");
    let fix = Correction {
        check_in: None,
        check_out: Some(open.check_in + correct::MAX_SPAN),
        reason: "r".repeat(correct::MAX_REASON),
        version: None,
    };
    let fixed =
        correct::handle(open.record_id, fix, &h.manager_of(&e), &h.at(beyond)).await.expect("corrected");
    assert_eq!(fixed.record.worked_minutes, Some(correct::MAX_SPAN.num_minutes()));
    all_accepted(&fixed.events);
    all_accepted(&check_in::handle(&me, &h.at(beyond)).await.expect("in again").events);
}

#[test]
fn a_correction_spans_less_than_the_contract_and_its_reason_fits() {
    assert!(correct::MAX_SPAN.num_minutes() <= WORKED_MINUTES.1);
    assert!(correct::MAX_REASON <= hrms_events::limits::REASON);
}
