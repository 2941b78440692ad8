//! The producer side of the event contract: what Leave accepts at the
//! edges of its limits makes events every consumer accepts
//! ([`hrms_events::checks`]); beyond them it refuses, so no valid request
//! emits an event its consumers would dead-letter.

use hrms_events::HrmsEvent;
use hrms_events::checks::{self, LEAVE_BALANCE, LEAVE_DAYS};
use hrms_events::leave::LeaveStatus;
use hrms_events::limits::REASON;

use super::testing::Harness;
use super::{approve, request, within_contract};
use crate::error::LeaveError;
use crate::fixtures::{date, new_leave};
use crate::model::NewLeave;
use crate::policy::LeaveType;

fn all_accepted(events: &[HrmsEvent]) {
    assert!(!events.is_empty());
    for event in events {
        if let Err(refused) = checks::check(event, event.time) {
            panic!("{} refused by its consumers: {refused}", event.event_type());
        }
    }
}

/// The whole of 2027 as one request of `leave_type`, with the longest reason.
fn whole_year(h: &Harness, leave_type: &str) -> NewLeave {
    let new = new_leave(Some(h.employee.employee_id), date(2027, 1, 1), date(2027, 12, 31));
    NewLeave { leave_type: leave_type.into(), reason: Some("r".repeat(REASON)), ..new }
}

#[tokio::test]
async fn a_year_long_leave_at_the_largest_and_the_smallest_balance_makes_accepted_events() {
    let mut h = Harness::new();
    let types = [
        ("largest", LeaveType { allowance: LEAVE_DAYS.1, needs_approval: false, ..LeaveType::default() }),
        ("overdrawn", LeaveType { allowance: LEAVE_DAYS.0, may_go_negative: true, ..LeaveType::default() }),
    ];
    h.policy.types.extend(types.map(|(name, rules)| (name.to_owned(), rules)));
    let at_once = request::handle(whole_year(&h, "largest"), &h.hr, &h.ctx()).await.expect("requested");
    assert_eq!(at_once.leave.status, LeaveStatus::Approved);
    all_accepted(&at_once.events);
    // Cancelled so the next request may cover the same days.
    let cancel = super::cancel::handle(at_once.leave.leave_id, Default::default(), &h.hr, &h.ctx()).await;
    all_accepted(&cancel.expect("cancelled").events);
    let pending = request::handle(whole_year(&h, "overdrawn"), &h.hr, &h.ctx()).await.expect("requested");
    all_accepted(&pending.events);
    let approved = approve::handle(pending.leave.leave_id, &h.manager(), &h.ctx()).await.expect("approved");
    all_accepted(&approved.events);
    assert!(pending.leave.days > 250.0, "a year's working days: {}", pending.leave.days);
}

#[tokio::test]
async fn a_reason_one_character_too_long_is_refused_naming_the_field() {
    let h = Harness::new();
    let new = NewLeave { reason: Some("r".repeat(REASON + 1)), ..whole_year(&h, "annual") };
    let refused = request::handle(new, &h.hr, &h.ctx()).await;
    assert!(
        matches!(refused, Err(LeaveError::Invalid { ref field, .. }) if field == "reason"),
        "{refused:?}"
    );
    assert!(h.outbox().is_empty());
}

#[test]
fn days_and_balances_outside_the_contract_are_refused() {
    assert!(within_contract(LEAVE_DAYS.1, Some(LEAVE_BALANCE.0)).is_ok());
    assert!(within_contract(0.5, Some(LEAVE_BALANCE.1)).is_ok());
    let too_many = within_contract(LEAVE_DAYS.1 + 0.5, None);
    assert!(matches!(too_many, Err(LeaveError::Invalid { ref field, .. }) if field == "end_date"));
    for left in [LEAVE_BALANCE.0 - 0.5, LEAVE_BALANCE.1 + 0.5, f64::NAN] {
        assert!(matches!(within_contract(1.0, Some(left)), Err(LeaveError::Conflict { .. })), "{left}");
    }
}
