//! `request`: an employee asks for time off (hr and admin may ask for
//! anyone). Employee is asked whether the person exists and is active;
//! the working days are counted on the calendar of their country; a
//! request overlapping a pending or approved one is refused by the store,
//! in the transaction that would write it. A request across 31 December
//! takes its days in each year from that year's balance. A type that
//! needs no approval is approved at once and debits the balance. Events:
//! `leave.requested` (to the approver) and `audit.leave.requested`; or,
//! approved at once, `leave.approved` (to the employee, and marked
//! `without_approval` so that their manager is told too) and
//! `audit.leave.approved`.

use chrono::{Datelike, NaiveDate, SubsecRound, Utc};
use hrms_employee::{Employee, Requester};
use hrms_events::leave::{LeaveApproved, LeaveRequested, LeaveStatus};
use hrms_events::{HrmsEvent, Payload};
use uuid::Uuid;

use super::entitled::{Part, charged, left_in_first, parts};
use super::{Changed, Context, audit, decider_id, text, within_contract};
use crate::error::LeaveError;
use crate::model::{Balance, Leave, NewLeave};
use crate::policy::{LeaveType, Policy};

pub async fn handle(new: NewLeave, requester: &Requester, ctx: &Context<'_>) -> Result<Changed, LeaveError> {
    let policy = ctx.policy;
    let Some(employee_id) = new.employee_id.or(requester.employee_id) else {
        return Err(LeaveError::invalid("employee_id", "required: the caller has no employee record"));
    };
    if !requester.is_hr() && !requester.is(employee_id) {
        return Err(LeaveError::Forbidden("only hr and admin request leave for someone else".into()));
    }
    let draft = draft(new, employee_id, requester, policy)?;
    let employee = ctx.employees.get(employee_id, requester).await?;
    let leave = counted(draft, &employee, policy)?;
    let rules = *policy.leave_type(&leave.leave_type).ok_or(LeaveError::invalid("leave_type", "unknown"))?;
    with_retries!(attempt(&leave, &employee, &rules, requester, ctx))
}

/// One read and write.
async fn attempt(
    leave: &Leave,
    employee: &Employee,
    rules: &LeaveType,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Changed, LeaveError> {
    let store = ctx.store;
    let parts = parts(leave, Some(employee), ctx.policy, store).await?;
    let leave = Leave { leave_id: Uuid::now_v7(), ..leave.clone() };
    let (leave, debited) = decide(leave, &parts, rules, requester)?;
    let (left_before, left_after) = left_in_first(&parts, 1.0);
    let left = if debited.is_empty() { left_before } else { left_after };
    within_contract(leave.days, left)?;
    let events = events(&leave, left, requester);
    store.insert(&leave, &debited, &events).await?;
    Ok(Changed { leave, events })
}

/// The request with its fields checked; its days are counted once the
/// employee's country is known.
fn draft(
    new: NewLeave,
    employee_id: Uuid,
    requester: &Requester,
    policy: &Policy,
) -> Result<Leave, LeaveError> {
    let leave_type = new.leave_type.trim().to_owned();
    if policy.leave_type(&leave_type).is_none() {
        let known: Vec<&str> = policy.types.keys().map(String::as_str).collect();
        return Err(LeaveError::invalid("leave_type", format!("one of {}", known.join(", "))));
    }
    let (start, end) = (new.start_date, new.end_date.unwrap_or(new.start_date));
    if end < start {
        return Err(LeaveError::invalid("end_date", "before start_date"));
    }
    if end.year() > start.year() + 1 {
        return Err(LeaveError::invalid(
            "end_date",
            "a request spans at most two calendar years: split it at a new year",
        ));
    }
    if new.half_day.is_some() && start != end {
        return Err(LeaveError::invalid(
            "half_day",
            "half a day is one day: start_date and end_date the same",
        ));
    }
    let now = Utc::now().trunc_subsecs(6);
    Ok(Leave {
        leave_id: Uuid::nil(),
        employee_id,
        approver_id: None,
        leave_type,
        start_date: start,
        end_date: end,
        half_day: new.half_day,
        days: 0.0,
        next_year_days: None,
        status: LeaveStatus::Pending,
        reason: text("reason", new.reason)?,
        requested_by: requester.user_id,
        decided_by: None,
        decision_note: None,
        version: 1,
        created_at: now,
        updated_at: now,
    })
}

/// The request of `employee` with its working days and approver.
fn counted(draft: Leave, employee: &Employee, policy: &Policy) -> Result<Leave, LeaveError> {
    if !employee.is_active() {
        return Err(LeaveError::conflict("employee_id", "the employee is no longer active"));
    }
    if draft.start_date < employee.hire_date {
        return Err(LeaveError::invalid(
            "start_date",
            format!("before the hire date, {}", employee.hire_date),
        ));
    }
    let calendar = policy.calendar(&employee.country);
    let working = calendar.working_days(draft.start_date, draft.end_date).len() as f64;
    let days = if draft.half_day.is_some() { working / 2.0 } else { working };
    let next_year = draft.end_date.year() > draft.start_date.year();
    let next_year_days = next_year
        .then(|| NaiveDate::from_ymd_opt(draft.end_date.year(), 1, 1))
        .flatten()
        .map(|new_year| calendar.working_days(new_year, draft.end_date).len() as f64);
    if days == 0.0 {
        return Err(LeaveError::invalid(
            "start_date",
            format!(
                "no working day from start_date to end_date: weekends and holidays ({})",
                employee.country
            ),
        ));
    }
    let rules = policy.leave_type(&draft.leave_type).ok_or(LeaveError::invalid("leave_type", "unknown"))?;
    if let Some(max) = rules.max_consecutive_days
        && days > max
    {
        return Err(LeaveError::invalid(
            "end_date",
            format!(
                "{} leave takes at most {max} working days per request; this is {days}",
                draft.leave_type
            ),
        ));
    }
    Ok(Leave { approver_id: employee.manager_id, days, next_year_days, ..draft })
}

/// The request as it is stored: pending, or approved at once with the
/// balances it debits (one per year it takes days in). Refused when a
/// year's entitlement (the allowance pro rata, and the carried days its
/// days up to their expiry draw on) does not cover its part there
/// ([`Part::fits`]).
fn decide(
    leave: Leave,
    parts: &[Part],
    rules: &LeaveType,
    requester: &Requester,
) -> Result<(Leave, Vec<Balance>), LeaveError> {
    for part in parts {
        part.fits(rules, &leave.leave_type)?;
    }
    if rules.needs_approval {
        return Ok((leave, Vec::new()));
    }
    let approved = Leave { status: LeaveStatus::Approved, decided_by: Some(requester.user_id), ..leave };
    Ok((approved, charged(parts, 1.0)))
}

/// The events of the request, `after` days left of its type once written
/// (in the first year it takes days in).
fn events(leave: &Leave, after: Option<f64>, requester: &Requester) -> Vec<HrmsEvent> {
    let actor = requester.actor();
    let record = audit(&actor, None, (leave, after), None);
    if leave.status == LeaveStatus::Approved {
        let notice = LeaveApproved {
            leave_id: leave.leave_id,
            employee_id: leave.employee_id,
            approver_id: decider_id(requester),
            leave_type: leave.leave_type.clone(),
            start_date: leave.start_date,
            end_date: leave.end_date,
            days: leave.days,
            balance_after: after.unwrap_or_default(),
            without_approval: true,
        };
        return vec![
            HrmsEvent::new(Payload::LeaveApproved(notice), &actor),
            HrmsEvent::new(Payload::AuditLeaveApproved(record), &actor),
        ];
    }
    let notice = LeaveRequested {
        leave_id: leave.leave_id,
        employee_id: leave.employee_id,
        approver_id: leave.approver_id,
        leave_type: leave.leave_type.clone(),
        start_date: leave.start_date,
        end_date: leave.end_date,
        half_day: leave.half_day,
        days: leave.days,
        reason: leave.reason.clone(),
    };
    vec![
        HrmsEvent::new(Payload::LeaveRequested(notice), &actor),
        HrmsEvent::new(Payload::AuditLeaveRequested(record), &actor),
    ]
}

#[cfg(test)]
mod tests {
    use hrms_events::leave::HalfDay;
    use hrms_events::{EventType, Role};

    use super::*;
    use crate::commands::testing::{Harness, types};
    use crate::fixtures::{date, new_leave};
    use crate::store::LeaveStore;

    #[tokio::test]
    async fn stores_a_pending_request_with_its_working_days_and_two_events() {
        let h = Harness::new();
        let me = h.employee_requester();
        // Monday 22 March to Friday 2 April 2027 in GB: Good Friday and
        // Easter Monday are holidays, two weekends: 8 working days.
        let new = new_leave(None, date(2027, 3, 22), date(2027, 4, 2));
        let done = handle(new, &me, &h.ctx()).await.expect("requested");
        let leave = &done.leave;
        assert_eq!((leave.days, leave.status, leave.version), (8.0, LeaveStatus::Pending, 1));
        assert_eq!((leave.employee_id, leave.approver_id), (h.employee.employee_id, h.employee.manager_id));
        assert_eq!(h.store.get(leave.leave_id).await.expect("read"), Some(leave.clone()));
        assert_eq!(types(&done.events), [EventType::LeaveRequested, EventType::AuditLeaveRequested]);
        assert_eq!(h.outbox(), done.events, "events stored with the request");
        let Payload::LeaveRequested(notice) = &done.events[0].payload else { panic!("notice") };
        assert_eq!(notice.approver_id, h.employee.manager_id, "to the approver");
        let Payload::AuditLeaveRequested(record) = &done.events[1].payload else { panic!("audit") };
        assert_eq!((record.before.clone(), record.after.balance_after), (None, Some(25.0)));
        for event in &done.events {
            assert_eq!(event.partition_key(), leave.employee_id.to_string());
            assert_eq!(event.subject(), leave.leave_id.to_string());
        }
    }

    #[tokio::test]
    async fn half_days_count_half_and_opposite_halves_of_one_day_both_fit() {
        let h = Harness::new();
        let me = h.employee_requester();
        let half = |half_day| NewLeave {
            half_day: Some(half_day),
            ..new_leave(None, date(2027, 6, 7), date(2027, 6, 7))
        };
        let morning = handle(half(HalfDay::FirstHalf), &me, &h.ctx()).await.expect("first");
        assert_eq!(morning.leave.days, 0.5);
        handle(half(HalfDay::SecondHalf), &me, &h.ctx()).await.expect("the other half");
        for clash in [half(HalfDay::FirstHalf), new_leave(None, date(2027, 6, 4), date(2027, 6, 8))] {
            let refused = handle(clash, &me, &h.ctx()).await;
            assert!(
                matches!(&refused, Err(LeaveError::Conflict { field: Some(f), .. }) if f == "start_date"),
                "{refused:?}"
            );
        }
        assert_eq!(h.outbox().len(), 4, "only the two halves were written");
    }

    #[tokio::test]
    async fn a_type_without_approval_is_approved_and_debited_at_once() {
        let h = Harness::new();
        let me = h.employee_requester();
        let sick =
            NewLeave { leave_type: "sick".into(), ..new_leave(None, date(2027, 2, 1), date(2027, 2, 3)) };
        let done = handle(sick, &me, &h.ctx()).await.expect("approved");
        assert_eq!((done.leave.status, done.leave.days), (LeaveStatus::Approved, 3.0));
        assert_eq!(types(&done.events), [EventType::LeaveApproved, EventType::AuditLeaveApproved]);
        let Payload::LeaveApproved(notice) = &done.events[0].payload else { panic!("notice") };
        assert_eq!(notice.balance_after, 7.0);
        assert_eq!(h.taken(h.employee.employee_id, "sick", 2027).await, 3.0);
    }

    #[tokio::test]
    async fn refusals_store_nothing_and_name_the_field() {
        let h = Harness::new();
        let me = h.employee_requester();
        let base = new_leave(None, date(2027, 3, 1), date(2027, 3, 5));
        let cases: Vec<(NewLeave, &str)> = vec![
            (NewLeave { leave_type: "sabbatical".into(), ..base.clone() }, "leave_type"),
            (NewLeave { end_date: Some(date(2027, 2, 26)), ..base.clone() }, "end_date"),
            (NewLeave { end_date: Some(date(2029, 1, 3)), ..base.clone() }, "end_date"),
            (NewLeave { half_day: Some(HalfDay::FirstHalf), ..base.clone() }, "half_day"),
            (new_leave(None, date(2027, 3, 6), date(2027, 3, 7)), "start_date"),
            (new_leave(None, date(2025, 12, 1), date(2025, 12, 2)), "start_date"),
            (new_leave(None, date(2027, 3, 1), date(2027, 4, 30)), "end_date"),
            (NewLeave { reason: Some("x".repeat(1001)), ..base.clone() }, "reason"),
        ];
        for (new, field) in cases {
            let refused = handle(new.clone(), &me, &h.ctx()).await;
            assert!(
                matches!(&refused, Err(LeaveError::Invalid { field: f, .. }) if f == field),
                "{new:?}: {refused:?}"
            );
        }
        let colleague = NewLeave { employee_id: Some(Uuid::now_v7()), ..base.clone() };
        assert!(matches!(handle(colleague, &me, &h.ctx()).await, Err(LeaveError::Forbidden(_))));
        let stranger = NewLeave { employee_id: Some(Uuid::now_v7()), ..base.clone() };
        assert!(matches!(handle(stranger, &h.hr, &h.ctx()).await, Err(LeaveError::NotFound("employee"))));
        let nobody = Requester { employee_id: None, ..me };
        assert!(matches!(
            handle(base, &nobody, &h.ctx()).await,
            Err(LeaveError::Invalid { field, .. }) if field == "employee_id"
        ));
        assert!(h.outbox().is_empty() && h.store.is_empty());
    }

    #[tokio::test]
    async fn a_balance_too_low_already_is_a_conflict() {
        let h = Harness::new();
        let me = h.employee_requester();
        let comp = |from, to| NewLeave { leave_type: "compensatory".into(), ..new_leave(None, from, to) };
        // 5 days a year; approved ones count, pending ones do not.
        let first = handle(comp(date(2027, 6, 7), date(2027, 6, 10)), &me, &h.ctx()).await.expect("4 days");
        h.approve(first.leave.leave_id).await;
        let refused = handle(comp(date(2027, 6, 14), date(2027, 6, 15)), &me, &h.ctx()).await;
        assert!(matches!(refused, Err(LeaveError::Conflict { field: Some(f), .. }) if f == "leave_type"));
        handle(comp(date(2027, 6, 14), date(2027, 6, 14)), &me, &h.ctx()).await.expect("the last day");
    }

    #[tokio::test]
    async fn employee_down_or_the_person_gone_stores_nothing() {
        let h = Harness::new();
        let me = h.employee_requester();
        let new = new_leave(None, date(2027, 3, 1), date(2027, 3, 5));
        h.employees_down();
        assert!(matches!(handle(new.clone(), &me, &h.ctx()).await, Err(LeaveError::Unavailable(_))));
        h.employees_up();
        h.terminate_employee();
        assert!(matches!(
            handle(new, &me, &h.ctx()).await,
            Err(LeaveError::Conflict { field: Some(f), .. }) if f == "employee_id"
        ));
        assert!(h.outbox().is_empty() && h.store.is_empty());
    }

    #[tokio::test]
    async fn hr_requests_for_anyone_and_the_country_picks_the_holidays() {
        let h = Harness::new();
        let us = h.add_employee("US");
        // Thursday 25 November 2027 is Thanksgiving in the US, not in GB.
        let new = new_leave(Some(us.employee_id), date(2027, 11, 25), date(2027, 11, 26));
        let done = handle(new.clone(), &h.hr, &h.ctx()).await.expect("for someone");
        assert_eq!((done.leave.days, done.leave.requested_by), (1.0, h.hr.user_id));
        let gb = NewLeave { employee_id: Some(h.employee.employee_id), ..new };
        assert_eq!(handle(gb, &h.hr, &h.ctx()).await.expect("GB").leave.days, 2.0);
        let manager = Requester { role: Role::Manager, ..h.employee_requester() };
        let other = new_leave(Some(us.employee_id), date(2027, 3, 1), date(2027, 3, 1));
        assert!(matches!(handle(other, &manager, &h.ctx()).await, Err(LeaveError::Forbidden(_))));
    }
}
