//! `observe`: Compliance's reaction to an event on `notification-queue`
//! (its consumer group `compliance-service`): the event is learnt into its
//! employee's [`Timeline`], and the rules over time ([`crate::over_time`])
//! run on the record or leave that changed. Findings not reported before
//! are recorded as one check (subject: the attendance record or the leave)
//! with its events, in the write that stores the timeline:
//! - a breach: `compliance.violation` (to hr and the manager) and
//!   `audit.compliance.violation` (the check's outcome is `refused`);
//! - only warnings: `compliance.alert` and `audit.compliance.alert`.
//!
//! Redelivered events find nothing new to learn or to report, and write
//! nothing. The actor of the events is the system (`system:compliance`).

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use hrms_events::compliance::{ComplianceCheck, Outcome, Severity, SubjectKind};
use hrms_events::{Actor, HrmsEvent};
use uuid::Uuid;

use super::{Context, check_events};
use crate::over_time::{self, Found};
use crate::policy::Policy;
use crate::store::StoreError;
use crate::timeline::{Learnt, Timeline, employee_of};

/// The actor of what Compliance finds over time.
pub fn actor() -> Actor {
    Actor::System { name: "compliance".into() }
}

/// What an event changed: the timeline to store and, if something new was
/// found, the check and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub timeline: Timeline,
    pub check: Option<ComplianceCheck>,
    pub events: Vec<HrmsEvent>,
}

/// Learns `event` and stores what changed; `None` when the event teaches
/// nothing (another type, or a redelivery). A timeline changed since it was
/// read is a [`StoreError::Conflict`]: nothing was written, and handling the
/// event again is safe.
pub async fn handle(event: &HrmsEvent, ctx: &Context<'_>) -> Result<Option<Observed>, StoreError> {
    Ok(handle_all([event], ctx).await?.pop())
}

/// [`handle`] for a batch of events, in order: the timelines of their
/// employees are read at once, then each event is learnt into its
/// employee's timeline as the events before it left it, and stored when it
/// changed it. Returns what changed, in order. On an error, what was stored
/// before it stays; handling the batch again is safe (those events are
/// redeliveries then).
pub async fn handle_all<'e>(
    events: impl IntoIterator<Item = &'e HrmsEvent>,
    ctx: &Context<'_>,
) -> Result<Vec<Observed>, StoreError> {
    let Context { policy, store } = *ctx;
    let events: Vec<(&HrmsEvent, Uuid)> =
        events.into_iter().filter_map(|e| employee_of(e).map(|id| (e, id))).collect();
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let ids: BTreeSet<Uuid> = events.iter().map(|(_, id)| *id).collect();
    let mut timelines = store.timelines(&ids.into_iter().collect::<Vec<_>>()).await?;
    let mut changed = Vec::new();
    for (event, id) in events {
        let timeline = timelines.get(&id).cloned().unwrap_or_else(|| Timeline::new(id));
        let Some(observed) = decide(event, timeline, policy) else { continue };
        store.save_timeline(&observed.timeline, observed.check.as_ref(), &observed.events).await?;
        timelines.insert(id, observed.timeline.clone());
        changed.push(observed);
    }
    Ok(changed)
}

/// Learns `event` into `timeline` and evaluates; never fails.
pub fn decide(event: &HrmsEvent, mut timeline: Timeline, policy: &Policy) -> Option<Observed> {
    let learnt = timeline.learn(event)?;
    let (subject_kind, subject_id, found) = match learnt {
        Learnt::Shift(id) => (SubjectKind::Attendance, id, over_time::attendance(policy, &timeline, id)),
        Learnt::Leave(id) => (SubjectKind::Leave, id, over_time::leave(policy, &timeline, id)),
        Learnt::Manager | Learnt::LeaveGone(_) => (SubjectKind::Employee, timeline.employee_id, Vec::new()),
    };
    let new: Vec<Found> = found.into_iter().filter(|f| !timeline.reported.contains_key(&f.key)).collect();
    for f in &new {
        timeline.reported.insert(f.key.clone(), f.date);
    }
    let look_back = Duration::weeks(i64::from(policy.weekly_average.reference_weeks) + 1);
    timeline.prune(event.time.checked_sub_signed(look_back).unwrap_or(DateTime::<Utc>::MIN_UTC));
    timeline.version += 1;
    let check = (!new.is_empty()).then(|| check(&timeline, subject_kind, subject_id, policy, new));
    let events = check.as_ref().map(|c| check_events(c, timeline.manager_id, &actor())).unwrap_or_default();
    Some(Observed { timeline, check, events })
}

fn check(
    timeline: &Timeline,
    subject_kind: SubjectKind,
    subject_id: Uuid,
    policy: &Policy,
    found: Vec<Found>,
) -> ComplianceCheck {
    let breach = found.iter().any(|f| f.finding.severity == Severity::Block);
    ComplianceCheck {
        check_id: Uuid::now_v7(),
        subject_kind,
        subject_id,
        employee_id: Some(timeline.employee_id),
        policy_version: policy.version.clone(),
        outcome: if breach { Outcome::Refused } else { Outcome::Allowed },
        findings: found.into_iter().map(|f| f.finding).collect(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use hrms_events::attendance::{AttendanceMarked, AttendanceUpdated, Mark};
    use hrms_events::{EventType, Payload, fixtures};

    use super::*;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, d, h, 0, 0).single().expect("valid")
    }

    fn shift(record_id: Uuid, start: DateTime<Utc>, end: DateTime<Utc>) -> [HrmsEvent; 2] {
        let mark = |mark, at, worked_minutes| {
            let payload = Payload::AttendanceMarked(AttendanceMarked {
                record_id,
                employee_id: fixtures::EMPLOYEE,
                mark,
                at,
                time_zone: "Europe/Madrid".into(),
                worked_minutes,
            });
            HrmsEvent::new(payload, &fixtures::hr_actor())
        };
        [mark(Mark::CheckIn, start, None), mark(Mark::CheckOut, end, Some((end - start).num_minutes()))]
    }

    /// Runs `events` through `decide`, as the store would keep the timeline.
    fn run(events: &[HrmsEvent]) -> (Timeline, Vec<Observed>) {
        let mut timeline = Timeline::new(fixtures::EMPLOYEE);
        let mut observed = Vec::new();
        for event in events {
            if let Some(o) = decide(event, timeline.clone(), &Policy::default()) {
                timeline = o.timeline.clone();
                observed.push(o);
            }
        }
        (timeline, observed)
    }

    fn types(observed: &[Observed]) -> Vec<EventType> {
        observed.iter().flat_map(|o| o.events.iter().map(HrmsEvent::event_type)).collect()
    }

    #[test]
    fn a_rest_breach_is_a_violation_to_the_manager_and_hr_once() {
        let record = Uuid::now_v7();
        let mut events = vec![fixtures::sample(EventType::EmployeeCreated)];
        events.extend(shift(Uuid::now_v7(), at(4, 8), at(4, 18)));
        events.extend(shift(record, at(5, 1), at(5, 6)));
        let (timeline, observed) = run(&events);
        assert_eq!(types(&observed), [EventType::ComplianceViolation, EventType::AuditComplianceViolation]);
        let found = observed.iter().find_map(|o| o.check.clone()).expect("a check");
        assert_eq!((found.subject_kind, found.subject_id), (SubjectKind::Attendance, record));
        assert_eq!((found.outcome, found.findings[0].rule_id.as_str()), (Outcome::Refused, "rest_period"));
        let violation = observed.iter().flat_map(|o| &o.events).next().expect("an event");
        let Payload::ComplianceViolation(notice) = &violation.payload else { panic!("violation") };
        assert_eq!(
            (notice.employee_id, notice.manager_id),
            (Some(fixtures::EMPLOYEE), Some(fixtures::MANAGER))
        );
        assert_eq!(violation.actor, "system:compliance");
        assert_eq!(timeline.version, observed.len() as u64, "one more with every write");

        // Every event again: nothing new learnt, nothing reported twice.
        let mut again = timeline.clone();
        for event in &events {
            assert!(decide(event, again.clone(), &Policy::default()).is_none(), "{}", event.event_type());
        }
        // A correction that keeps the breach reports nothing new either.
        let correction = HrmsEvent::new(
            Payload::AttendanceUpdated(AttendanceUpdated {
                record_id: record,
                employee_id: fixtures::EMPLOYEE,
                corrected_by: fixtures::MANAGER,
                check_in: at(5, 1),
                check_out: Some(at(5, 5)),
                worked_minutes: Some(240),
                reason: "left early".into(),
            }),
            &fixtures::hr_actor(),
        );
        let corrected = decide(&correction, again.clone(), &Policy::default()).expect("learnt");
        assert!(corrected.check.is_none() && corrected.events.is_empty());
        again = corrected.timeline;
        assert_eq!(again.shifts[&record].check_out, Some(at(5, 5)));
    }

    #[test]
    fn a_week_near_the_maximum_is_an_alert() {
        let events: Vec<HrmsEvent> = (4..=8)
            .flat_map(|d| shift(Uuid::now_v7(), at(d, 7), at(d, 7) + Duration::minutes(530)))
            .collect();
        let (_, observed) = run(&events);
        assert_eq!(types(&observed), [EventType::ComplianceAlert, EventType::AuditComplianceAlert]);
        let check = observed.iter().find_map(|o| o.check.clone()).expect("a check");
        assert_eq!(
            (check.outcome, check.findings[0].rule_id.as_str()),
            (Outcome::Allowed, "weekly_average_near")
        );
        let Payload::ComplianceAlert(notice) = &observed.last().expect("observed").events[0].payload else {
            panic!("an alert")
        };
        assert_eq!(notice.manager_id, None, "no employee.* event seen: Notification finds the manager");
    }

    #[test]
    fn overtime_past_the_threshold_is_an_alert_once_a_week() {
        // 37.5 contracted hours; 8.5 h Monday to Friday is 42.5 h, past 41.25 h (10 %).
        let mut events = vec![fixtures::sample(EventType::EmployeeCreated)];
        events
            .extend((4..=8).flat_map(|d| shift(Uuid::now_v7(), at(d, 7), at(d, 7) + Duration::minutes(510))));
        let (timeline, observed) = run(&events);
        assert_eq!(types(&observed), [EventType::ComplianceAlert, EventType::AuditComplianceAlert]);
        let check = observed.iter().find_map(|o| o.check.clone()).expect("a check");
        assert_eq!(check.findings.len(), 1, "{:?}", check.findings);
        assert_eq!((check.outcome, check.findings[0].rule_id.as_str()), (Outcome::Allowed, "overtime"));
        assert!(
            check.findings[0].message.starts_with("42.5 h worked in 2027-W01"),
            "{}",
            check.findings[0].message
        );
        let Payload::ComplianceAlert(notice) = &observed.last().expect("observed").events[0].payload else {
            panic!("an alert")
        };
        assert_eq!(notice.manager_id, Some(fixtures::MANAGER));
        // More work the same week: already reported.
        let saturday = shift(Uuid::now_v7(), at(9, 7), at(9, 7) + Duration::minutes(30));
        for event in &saturday {
            let later = decide(event, timeline.clone(), &Policy::default()).expect("learnt");
            assert!(later.check.is_none() && later.events.is_empty(), "{:?}", later.check);
        }
    }

    #[test]
    fn long_leave_is_an_alert_and_other_events_are_ignored() {
        let approved = fixtures::sample(EventType::LeaveApproved);
        let Payload::LeaveApproved(mut leave) = approved.payload.clone() else { panic!("leave") };
        leave.end_date = leave.start_date + Duration::days(30);
        let long = HrmsEvent::new(Payload::LeaveApproved(leave), &fixtures::hr_actor());
        let (_, observed) = run(&[fixtures::sample(EventType::UserCreated), long]);
        assert_eq!(types(&observed), [EventType::ComplianceAlert, EventType::AuditComplianceAlert]);
        let check = observed[0].check.clone().expect("a check");
        assert_eq!(
            (check.subject_kind, check.findings[0].rule_id.as_str()),
            (SubjectKind::Leave, "leave_length")
        );
        for event in observed.iter().flat_map(|o| &o.events) {
            assert_eq!(&HrmsEvent::from_cloudevent(&event.to_cloudevent()).expect("valid"), event);
        }
    }
}
