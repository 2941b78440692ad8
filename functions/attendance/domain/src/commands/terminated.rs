//! `terminated`: the reaction to `employee.terminated`. The employee's open
//! record, if they are checked in, is closed at the termination time and
//! marked so (`closed_at_termination`). Events: `attendance.updated`
//! (reason [`REASON`], `corrected_by` the user who ended the employment,
//! the nil id if the system did) and `audit.attendance.updated`, with
//! `system:attendance` as their actor.
//!
//! The termination time ([`closing_time`]) is the end of the termination
//! date in the record's time zone (the employee's at check-in), or the
//! time of the event if that is earlier: Employee refuses marks from the
//! moment it records the termination, so a person terminated with a later
//! date checks out no more. It is never before the check-in (a check-in
//! after the end of the employment closes with no minutes worked), nor
//! more than the contract's longest record after it.
//!
//! A redelivered event finds no open record: the reaction is idempotent.

use chrono::{DateTime, Days, Duration, SubsecRound, Utc};
use hrms_compliance::worked::{start_of_day, zone};
use hrms_events::attendance::AttendanceUpdated;
use hrms_events::audit::AuditRecord;
use hrms_events::employee::EmployeeTerminated;
use hrms_events::{Actor, HrmsEvent, Payload};
use uuid::Uuid;

use super::changes;
use crate::error::AttendanceError;
use crate::model::{AttendanceRecord, worked_minutes};
use crate::store::AttendanceStore;

/// The reason the events and the record give.
pub const REASON: &str = "closed at termination";

/// Tries of a record that keeps changing while it is closed.
const ATTEMPTS: usize = 3;

/// The closed record and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct Closed {
    pub record: AttendanceRecord,
    pub events: Vec<HrmsEvent>,
}

/// When `record` closes for a termination on `terminated.termination_date`
/// recorded at `recorded` (the event's time).
pub fn closing_time(
    record: &AttendanceRecord,
    terminated: &EmployeeTerminated,
    recorded: DateTime<Utc>,
) -> DateTime<Utc> {
    let tz = zone(&record.time_zone);
    let day_after = terminated.termination_date.checked_add_days(Days::new(1));
    let end_of_day = day_after.map_or(DateTime::<Utc>::MAX_UTC, |d| start_of_day(d, tz));
    let longest = record.check_in + Duration::minutes(hrms_events::checks::WORKED_MINUTES.1);
    end_of_day.min(recorded.trunc_subsecs(0)).max(record.check_in).min(longest)
}

/// Closes the open record of the employee `terminated` names, if any.
pub async fn handle(
    event: &HrmsEvent,
    terminated: &EmployeeTerminated,
    store: &dyn AttendanceStore,
) -> Result<Option<Closed>, AttendanceError> {
    let by = Uuid::parse_str(&event.actor).unwrap_or(Uuid::nil());
    let mut tried = 1;
    loop {
        let Some(before) = store.open(terminated.employee_id).await? else {
            return Ok(None);
        };
        let out = closing_time(&before, terminated, event.time);
        let after = AttendanceRecord {
            check_out: Some(out),
            worked_minutes: worked_minutes(before.check_in, Some(out)),
            closed_at_termination: true,
            version: before.version + 1,
            updated_at: Utc::now().trunc_subsecs(0),
            ..before.clone()
        };
        let events = events(&before, &after, by);
        match store.update(&before, &after, &events).await {
            Ok(()) => return Ok(Some(Closed { record: after, events })),
            // Changed meanwhile (a correction): as it is now.
            Err(crate::store::StoreError::Conflict(_)) if tried < ATTEMPTS => tried += 1,
            Err(e) => return Err(AttendanceError::writing(&after)(e)),
        }
    }
}

fn events(before: &AttendanceRecord, after: &AttendanceRecord, by: Uuid) -> Vec<HrmsEvent> {
    let actor = Actor::System { name: "attendance".into() };
    let notice = AttendanceUpdated {
        record_id: after.record_id,
        employee_id: after.employee_id,
        corrected_by: by,
        check_in: after.check_in,
        check_out: after.check_out,
        worked_minutes: after.worked_minutes,
        reason: REASON.into(),
    };
    let audit = AuditRecord {
        actor: actor.clone(),
        before: Some(before.snapshot()),
        after: after.snapshot(),
        changes: changes(Some(before), after),
        reason: Some(REASON.into()),
    };
    vec![
        HrmsEvent::new(Payload::AttendanceUpdated(notice), &actor),
        HrmsEvent::new(Payload::AuditAttendanceUpdated(audit), &actor),
    ]
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use hrms_employee::Employee;
    use hrms_events::EventType;

    use super::*;
    use crate::commands::check_in;
    use crate::commands::testing::{Harness, types};

    fn termination(e: &Employee, on: NaiveDate) -> EmployeeTerminated {
        EmployeeTerminated {
            employee_id: e.employee_id,
            email: e.email.clone(),
            first_name: e.first_name.clone(),
            last_name: e.last_name.clone(),
            manager_id: e.manager_id,
            termination_date: on,
            reason: "resigned".into(),
        }
    }

    fn event_at(terminated: &EmployeeTerminated, actor: &Actor, at: DateTime<Utc>) -> HrmsEvent {
        HrmsEvent { time: at, ..HrmsEvent::new(Payload::EmployeeTerminated(terminated.clone()), actor) }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("time")
    }

    #[tokio::test]
    async fn the_open_record_closes_at_the_end_of_the_day_once() {
        let h = Harness::new();
        let ada = h.employee("Europe/Berlin").await;
        let open = check_in::handle(&h.person(&ada), &h.ctx()).await.expect("in").record;
        let marks = h.outbox().len();
        // Terminated on the check-in's day (Monday 4 January), recorded the day after.
        let ended = termination(&ada, date(2027, 1, 4));
        let event = event_at(&ended, &h.hr.actor(), utc(2027, 1, 5, 10, 0));

        let closed = handle(&event, &ended, &h.store).await.expect("handled").expect("closed");
        let midnight_in_berlin = utc(2027, 1, 4, 23, 0);
        assert_eq!(closed.record.check_out, Some(midnight_in_berlin));
        assert_eq!(closed.record.worked_minutes, Some(14 * 60), "09:00 to 23:00 UTC");
        assert!(closed.record.closed_at_termination && !closed.record.corrected);
        assert_eq!(closed.record.version, 2);
        assert_eq!(h.store.get(open.record_id).await.expect("read"), Some(closed.record.clone()));
        assert_eq!(h.store.open(ada.employee_id).await.expect("read"), None);
        assert_eq!(types(&closed.events), [EventType::AttendanceUpdated, EventType::AuditAttendanceUpdated]);
        let Payload::AttendanceUpdated(notice) = &closed.events[0].payload else { panic!("notice") };
        assert_eq!(notice.reason, REASON);
        assert_eq!(notice.corrected_by, h.hr.user_id, "who ended the employment");
        assert_eq!(notice.check_out, Some(midnight_in_berlin));
        assert!(closed.events.iter().all(|e| e.actor == "system:attendance"));
        let Payload::AuditAttendanceUpdated(audit) = &closed.events[1].payload else { panic!("audit") };
        assert_eq!(audit.reason.as_deref(), Some(REASON));

        assert_eq!(h.outbox().len(), marks + 2);
        let again = handle(&event, &ended, &h.store).await.expect("redelivered");
        assert_eq!(again, None, "nothing open any more");
        assert_eq!(h.outbox().len(), marks + 2, "no event twice");
    }

    #[tokio::test]
    async fn a_later_termination_date_closes_when_it_is_recorded_by_the_system() {
        let h = Harness::new();
        let ada = h.employee("UTC").await;
        check_in::handle(&h.person(&ada), &h.ctx()).await.expect("in");
        let ended = termination(&ada, date(2027, 3, 31));
        let recorded = h.now + Duration::minutes(90);
        let event = event_at(&ended, &Actor::System { name: "employee".into() }, recorded);
        let closed = handle(&event, &ended, &h.store).await.expect("handled").expect("closed");
        assert_eq!((closed.record.check_out, closed.record.worked_minutes), (Some(recorded), Some(90)));
        let Payload::AttendanceUpdated(notice) = &closed.events[0].payload else { panic!("notice") };
        assert_eq!(notice.corrected_by, Uuid::nil(), "no person ended it");
    }

    #[tokio::test]
    async fn no_open_record_changes_nothing() {
        let h = Harness::new();
        let ada = h.employee("UTC").await;
        let ended = termination(&ada, date(2027, 1, 4));
        let event = event_at(&ended, &h.hr.actor(), h.now);
        assert_eq!(handle(&event, &ended, &h.store).await.expect("handled"), None);
        assert!(h.outbox().is_empty());
    }

    #[test]
    fn the_closing_time_lies_between_the_check_in_and_the_end_of_the_day() {
        let record = |check_in, time_zone: &str| AttendanceRecord {
            record_id: Uuid::now_v7(),
            employee_id: Uuid::now_v7(),
            check_in,
            check_out: None,
            time_zone: time_zone.into(),
            worked_minutes: None,
            corrected: false,
            correction_reason: None,
            closed_at_termination: false,
            version: 1,
            created_at: check_in,
            updated_at: check_in,
        };
        let e = |on| hrms_events::fixtures::termination(Uuid::nil(), on);
        let morning = utc(2027, 1, 4, 9, 0);
        // New York is UTC-5 in January: 4 January ends at 05:00 UTC on the 5th.
        let ny = record(morning, "America/New_York");
        assert_eq!(closing_time(&ny, &e(date(2027, 1, 4)), utc(2027, 2, 1, 0, 0)), utc(2027, 1, 5, 5, 0));
        // Recorded earlier than the end of the day: then.
        assert_eq!(closing_time(&ny, &e(date(2027, 1, 4)), utc(2027, 1, 4, 12, 30)), utc(2027, 1, 4, 12, 30));
        // Checked in after the employment ended: no minutes.
        assert_eq!(closing_time(&ny, &e(date(2027, 1, 1)), utc(2027, 2, 1, 0, 0)), morning);
    }
}
