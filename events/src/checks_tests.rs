use chrono::TimeDelta;

use super::*;
use crate::catalogue::Payload;
use crate::fixtures;

fn refusal(event: &HrmsEvent) -> Option<String> {
    check(event, event.time).err().map(|e| e.attribute)
}

#[test]
fn every_sample_event_is_acceptable() {
    for ty in EventType::ALL {
        let event = fixtures::sample(*ty);
        assert_eq!(check(&event, event.time), Ok(()), "{ty}");
    }
}

#[test]
fn times_beyond_the_skew_are_refused() {
    let event = fixtures::sample(EventType::AttendanceMarked);
    let at = |delta: TimeDelta| check(&event, event.time + delta).map_err(|e| e.attribute);
    assert_eq!(at(TimeDelta::minutes(-4)), Ok(()), "4 minutes ahead of this clock");
    assert_eq!(at(TimeDelta::minutes(-6)), Err("time".into()), "6 minutes ahead");
    assert_eq!(at(TimeDelta::days(20)), Ok(()), "within notification-queue's 7 + 14 days");
    assert_eq!(at(TimeDelta::days(22)), Err("time".into()));
    let audit = fixtures::sample(EventType::AuditAttendanceMarked);
    assert_eq!(max_age(audit.event_type()), Duration::from_secs(120 * 86_400), "30 + 90 days");
    assert!(check(&audit, audit.time + TimeDelta::days(100)).is_ok());
    let far = fixtures::sample(EventType::LeaveApproved);
    assert!(check(&far, DateTime::<Utc>::MIN_UTC).is_err(), "no overflow at the ends of time");
    assert!(check(&far, DateTime::<Utc>::MAX_UTC).is_err());
}

#[test]
fn values_outside_the_stated_ranges_are_refused_by_their_path() {
    let mut marked = fixtures::sample(EventType::AttendanceMarked);
    for (minutes, refused) in [(0, None), (WORKED_MINUTES.1, None), (-1, Some("data.worked_minutes"))] {
        if let Payload::AttendanceMarked(p) = &mut marked.payload {
            p.worked_minutes = Some(minutes);
        }
        assert_eq!(refusal(&marked).as_deref(), refused, "{minutes}");
    }
    if let Payload::AttendanceMarked(p) = &mut marked.payload {
        p.worked_minutes = Some(i64::MAX);
    }
    assert_eq!(refusal(&marked).as_deref(), Some("data.worked_minutes"));

    // Inside an audit record's optional `before`, behind a `$ref`.
    let mut audit = fixtures::sample(EventType::AuditAttendanceUpdated);
    if let Payload::AuditAttendanceUpdated(p) = &mut audit.payload {
        let mut before = p.after.clone();
        before.worked_minutes = Some(WORKED_MINUTES.1 + 1);
        p.before = Some(before);
    }
    assert_eq!(refusal(&audit).as_deref(), Some("data.before.worked_minutes"));

    let mut employee = fixtures::sample(EventType::AuditEmployeeUpdated);
    if let Payload::AuditEmployeeUpdated(p) = &mut employee.payload {
        p.after.weekly_hours = 169.0;
    }
    assert_eq!(refusal(&employee).as_deref(), Some("data.after.weekly_hours"));

    let mut leave = fixtures::sample(EventType::LeaveApproved);
    if let Payload::LeaveApproved(p) = &mut leave.payload {
        p.days = 1e9;
    }
    assert_eq!(refusal(&leave).as_deref(), Some("data.days"));
}

#[test]
fn an_attendance_record_spans_at_most_the_contract_minutes() {
    let mut updated = fixtures::sample(EventType::AttendanceUpdated);
    if let Payload::AttendanceUpdated(p) = &mut updated.payload {
        p.check_out = Some(p.check_in + TimeDelta::days(400));
        p.worked_minutes = Some(0);
    }
    assert_eq!(refusal(&updated).as_deref(), Some("data.check_out"));
}

#[test]
fn the_schemas_state_the_ranges() {
    let schema = crate::schema::current(EventType::AttendanceMarked);
    let minutes = &schema["properties"]["worked_minutes"];
    assert_eq!((minutes["minimum"].as_i64(), minutes["maximum"].as_i64()), (Some(0), Some(WORKED_MINUTES.1)));
    let schema = crate::schema::current(EventType::LeaveApproved);
    assert_eq!(schema["properties"]["days"]["maximum"].as_f64(), Some(LEAVE_DAYS.1));
}
