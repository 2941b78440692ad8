//! The allowance pro rata and the carry-over as the commands apply them:
//! what a request may take, what an approval may debit, what the balance
//! report says; requests across 31 December; sick leave told to the
//! manager.

use hrms_employee::Requester;
use hrms_events::Payload;
use hrms_events::leave::LeaveStatus;

use super::{approve, balances, cancel, request};
use crate::commands::testing::Harness;
use crate::error::LeaveError;
use crate::fixtures::{date, new_leave};
use crate::model::{Cancellation, NewLeave, TypeBalance};

async fn annual(h: &Harness, year: i32, today: chrono::NaiveDate) -> TypeBalance {
    let report = balances::handle(h.employee.employee_id, year, &h.hr, &h.on(today)).await.expect("report");
    report.balances.into_iter().find(|b| b.leave_type == "annual").expect("annual")
}

fn refused_for_balance(outcome: Result<super::Changed, LeaveError>) -> bool {
    matches!(outcome, Err(LeaveError::Conflict { field: Some(f), .. }) if f == "leave_type")
}

async fn ask(
    h: &Harness,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<super::Changed, LeaveError> {
    request::handle(new_leave(None, from, to), &h.employee_requester(), &h.ctx()).await
}

#[tokio::test]
async fn hired_mid_year_has_the_allowance_of_the_days_employed() {
    let mut h = Harness::new();
    h.change_employee(|e| e.hire_date = date(2027, 7, 1));
    // 25 days x 184/365 = 12.6, rounded up to 13.
    assert_eq!(annual(&h, 2027, date(2027, 7, 1)).await.allowance, 13.0);
    // Monday 2 to Wednesday 18 August 2027: 13 working days in GB.
    let leave = ask(&h, date(2027, 8, 2), date(2027, 8, 18)).await.expect("13 of 13").leave;
    assert_eq!(leave.days, 13.0);
    approve::handle(leave.leave_id, &h.manager(), &h.ctx()).await.expect("approved");
    assert!(refused_for_balance(ask(&h, date(2027, 8, 19), date(2027, 8, 19)).await), "nothing left");
    let report = annual(&h, 2027, date(2027, 9, 1)).await;
    assert_eq!((report.allowance, report.taken, report.remaining), (13.0, 13.0, 0.0));
}

#[tokio::test]
async fn terminated_mid_year_keeps_the_allowance_of_the_days_employed() {
    let mut h = Harness::new();
    h.change_employee(|e| e.termination_date = Some(date(2027, 3, 31)));
    // 1 January to 31 March: 90 of 365 days, 6.2 rounded up to 6.5.
    assert_eq!(annual(&h, 2027, date(2027, 1, 4)).await.allowance, 6.5);
    assert!(refused_for_balance(ask(&h, date(2027, 2, 1), date(2027, 2, 9)).await), "7 days of 6.5");
    let six = ask(&h, date(2027, 2, 1), date(2027, 2, 8)).await.expect("6 days").leave;
    // The approval checks the same allowance: 6 of 6.5 fit, 7 would not.
    let seventh = ask(&h, date(2027, 2, 10), date(2027, 2, 10)).await.expect("pending").leave;
    approve::handle(six.leave_id, &h.hr, &h.ctx()).await.expect("approved");
    assert!(refused_for_balance(approve::handle(seventh.leave_id, &h.hr, &h.ctx()).await));
}

#[tokio::test]
async fn unused_days_carry_over_capped_and_expire_unless_taken_first() {
    let mut h = Harness::new();
    let annual_rules = h.policy.types.get_mut("annual").expect("annual");
    annual_rules.carry_over_cap = 5.0;
    annual_rules.max_consecutive_days = None;
    // 2026: 25 days (hired 5 January: 361/365 rounds up), 10 taken, 15 unused.
    let hr = h.hr;
    let y2026 = request::handle(
        new_leave(Some(h.employee.employee_id), date(2026, 6, 1), date(2026, 6, 12)),
        &hr,
        &h.ctx(),
    )
    .await;
    let y2026 = y2026.expect("2026").leave;
    assert_eq!(y2026.days, 10.0);
    approve::handle(y2026.leave_id, &h.manager(), &h.ctx()).await.expect("approved");

    let january = annual(&h, 2027, date(2027, 1, 15)).await;
    assert_eq!(
        (january.allowance, january.carried, january.carried_expires),
        (25.0, 5.0, Some(date(2027, 3, 31))),
        "capped at 5"
    );
    assert_eq!((january.expiring, january.remaining), (5.0, 30.0));

    // Three days in March draw on the carried days.
    let march = ask(&h, date(2027, 3, 1), date(2027, 3, 3)).await.expect("3 days").leave;
    approve::handle(march.leave_id, &h.manager(), &h.ctx()).await.expect("approved");
    let before = annual(&h, 2027, date(2027, 3, 31)).await;
    assert_eq!((before.taken, before.expiring, before.remaining), (3.0, 2.0, 27.0));
    let after = annual(&h, 2027, date(2027, 4, 1)).await;
    assert_eq!((after.expiring, after.remaining), (2.0, 25.0), "the 2 untaken carried days are gone");

    // After the expiry: 3 carried days taken, 20 of the year's own 25.
    let april = ask(&h, date(2027, 4, 5), date(2027, 4, 30)).await.expect("20 days").leave;
    approve::handle(april.leave_id, &h.manager(), &h.ctx()).await.expect("approved");
    assert!(refused_for_balance(ask(&h, date(2027, 5, 4), date(2027, 5, 11)).await), "6 of 5 left");
    let may = ask(&h, date(2027, 5, 4), date(2027, 5, 10)).await.expect("the last 5").leave;
    approve::handle(may.leave_id, &h.manager(), &h.ctx()).await.expect("approved");
    assert!(refused_for_balance(ask(&h, date(2027, 5, 11), date(2027, 5, 11)).await), "none left after");
    // Until the expiry the 2 carried days left still count.
    ask(&h, date(2027, 3, 8), date(2027, 3, 9)).await.expect("carried days left in March");
}

#[tokio::test]
async fn a_type_without_carry_over_reports_none() {
    let h = Harness::new();
    let report = annual(&h, 2027, date(2027, 1, 4)).await;
    assert_eq!((report.carried, report.carried_expires, report.expiring), (0.0, None, 0.0));
    let _: (NewLeave, Requester) = (new_leave(None, date(2027, 1, 4), date(2027, 1, 4)), h.hr);
}

#[tokio::test]
async fn a_request_across_new_year_charges_each_year_its_part() {
    let h = Harness::new();
    // Monday 27 December 2027 to Friday 7 January 2028 in GB: 27 and 28
    // December and 3 January are bank holidays (substitutes), so 29 to 31
    // December (3 days) and 4 to 7 January (4 days).
    let leave = ask(&h, date(2027, 12, 27), date(2028, 1, 7)).await.expect("across the new year").leave;
    assert_eq!((leave.days, leave.next_year_days, leave.year()), (7.0, Some(4.0), 2027));
    let pending = (annual(&h, 2027, date(2027, 12, 1)).await, annual(&h, 2028, date(2027, 12, 1)).await);
    assert_eq!((pending.0.pending, pending.1.pending), (3.0, 4.0), "each year its part");
    let approved = approve::handle(leave.leave_id, &h.manager(), &h.ctx()).await.expect("approved");
    let id = h.employee.employee_id;
    assert_eq!((h.taken(id, "annual", 2027).await, h.taken(id, "annual", 2028).await), (3.0, 4.0));
    let Payload::LeaveApproved(notice) = &approved.events[0].payload else { panic!("notice") };
    assert_eq!(notice.balance_after, 22.0, "left in 2027, the year it starts in");
    let y2028 = annual(&h, 2028, date(2028, 1, 10)).await;
    assert_eq!((y2028.taken, y2028.remaining), (4.0, 21.0));

    let undo = Cancellation { reason: Some("plans changed".into()) };
    cancel::handle(leave.leave_id, undo, &h.hr, &h.on(date(2027, 12, 1))).await.expect("cancelled");
    assert_eq!((h.taken(id, "annual", 2027).await, h.taken(id, "annual", 2028).await), (0.0, 0.0));
}

#[tokio::test]
async fn a_request_across_new_year_is_refused_when_either_year_is_short() {
    let h = Harness::new();
    let comp = |from, to| NewLeave { leave_type: "compensatory".into(), ..new_leave(None, from, to) };
    let me = h.employee_requester();
    // 4 of the 5 compensatory days of 2028 taken in March.
    let march = request::handle(comp(date(2028, 3, 6), date(2028, 3, 9)), &me, &h.ctx()).await;
    approve::handle(march.expect("4 days").leave.leave_id, &h.hr, &h.ctx()).await.expect("approved");
    // Wednesday 29 December 2027 to Wednesday 5 January 2028: 3 days in
    // 2027 (5 left), 2 in 2028 (1 left).
    let across = request::handle(comp(date(2027, 12, 29), date(2028, 1, 5)), &me, &h.ctx()).await;
    assert!(refused_for_balance(across), "2028 has 1 day left");
    let fits = request::handle(comp(date(2027, 12, 29), date(2028, 1, 4)), &me, &h.ctx()).await;
    assert_eq!(fits.expect("3 + 1 days").leave.next_year_days, Some(1.0));
    let three_years = request::handle(comp(date(2027, 12, 29), date(2029, 1, 2)), &me, &h.ctx()).await;
    assert!(matches!(three_years, Err(LeaveError::Invalid { field, .. }) if field == "end_date"));
}

#[tokio::test]
async fn sick_leave_is_approved_at_once_and_says_so_for_the_manager() {
    let h = Harness::new();
    let sick = NewLeave { leave_type: "sick".into(), ..new_leave(None, date(2027, 2, 1), date(2027, 2, 2)) };
    let done = request::handle(sick, &h.employee_requester(), &h.ctx()).await.expect("sick");
    assert_eq!(done.leave.status, LeaveStatus::Approved);
    let Payload::LeaveApproved(notice) = &done.events[0].payload else { panic!("leave.approved") };
    assert!(notice.without_approval, "Notification tells the manager too");
    assert_eq!(notice.employee_id, h.employee.employee_id);

    let annual = ask(&h, date(2027, 3, 1), date(2027, 3, 1)).await.expect("annual").leave;
    let decided = approve::handle(annual.leave_id, &h.manager(), &h.ctx()).await.expect("approved");
    let Payload::LeaveApproved(notice) = &decided.events[0].payload else { panic!("leave.approved") };
    assert!(!notice.without_approval, "the manager decided it: no notice to them");
}

#[tokio::test]
async fn carried_days_cover_only_the_days_up_to_their_expiry() {
    let mut h = Harness::new();
    let annual_rules = h.policy.types.get_mut("annual").expect("annual");
    annual_rules.carry_over_cap = 5.0;
    annual_rules.max_consecutive_days = None;
    // Nothing taken in 2026: 5 days carried into 2027, until 31 March.
    assert_eq!(annual(&h, 2027, date(2027, 1, 4)).await.carried, 5.0);
    // Tuesday 30 March to Friday 7 May 2027: 28 working days in GB (Easter
    // Monday before, the early May bank holiday within), of which 2 by the
    // expiry: 25 of the year's own and 2 carried cover 27 of them.
    assert!(refused_for_balance(ask(&h, date(2027, 3, 30), date(2027, 5, 7)).await), "28 days");
    let fits = ask(&h, date(2027, 3, 30), date(2027, 5, 6)).await.expect("27 days").leave;
    assert_eq!(fits.days, 27.0);
}

#[tokio::test]
async fn rejections_and_cancellations_report_the_balance_pro_rata() {
    let mut h = Harness::new();
    h.change_employee(|e| e.hire_date = date(2027, 7, 1));
    let balance_of = |changed: &super::Changed| match &changed.events[1].payload {
        Payload::AuditLeaveRejected(r) | Payload::AuditLeaveCancelled(r) => {
            (r.before.as_ref().and_then(|b| b.balance_after), r.after.balance_after)
        }
        other => panic!("an audit record, not {other:?}"),
    };
    // 13 days pro rata (not the policy's 25); 3 days (2-4 August) asked.
    let turned_down = ask(&h, date(2027, 8, 2), date(2027, 8, 4)).await.expect("asked").leave;
    let no = crate::model::Rejection { reason: "busy".into() };
    let rejected =
        super::reject::handle(turned_down.leave_id, no, &h.manager(), &h.ctx()).await.expect("rejected");
    assert_eq!(balance_of(&rejected), (Some(13.0), Some(13.0)), "untouched, of 13");

    let taken = ask(&h, date(2027, 8, 2), date(2027, 8, 4)).await.expect("asked").leave;
    approve::handle(taken.leave_id, &h.manager(), &h.ctx()).await.expect("approved");
    let why = Cancellation { reason: Some("Plans changed".into()) };
    let me = h.employee_requester();
    let cancelled =
        cancel::handle(taken.leave_id, why, &me, &h.on(date(2027, 7, 15))).await.expect("cancelled");
    assert_eq!(balance_of(&cancelled), (Some(10.0), Some(13.0)), "credited back to 13");
}
