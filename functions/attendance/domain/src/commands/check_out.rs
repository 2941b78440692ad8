//! `check_out`: the person ends the work they checked in for. Employee is
//! asked first, as for a check-in; no open record is 409. The worked
//! minutes are counted. Events: `attendance.marked` (`check_out`, with the
//! minutes) and `audit.attendance.marked` (before and after). A record
//! open longer than the contract's [`hrms_events::checks::WORKED_MINUTES`]
//! (a year) is not closed by the clock (409): a correction closes it.

use hrms_employee::Requester;
use hrms_events::attendance::Mark;

use super::check_in::Marked;
use super::{Context, marked, marking, second};
use crate::error::AttendanceError;
use crate::model::{AttendanceRecord, worked_minutes};

pub async fn handle(requester: &Requester, ctx: &Context<'_>) -> Result<Marked, AttendanceError> {
    let Context { store, employees, now } = *ctx;
    let employee = marking(requester, employees).await?;
    let before = store
        .open(employee.employee_id)
        .await?
        .ok_or_else(|| AttendanceError::Conflict("not checked in: check in first".into()))?;
    // A check-in corrected to a later time than the clock says ends at once.
    let out = second(now).max(before.check_in);
    let limit = hrms_events::checks::WORKED_MINUTES.1;
    if worked_minutes(before.check_in, Some(out)).is_some_and(|minutes| minutes > limit) {
        return Err(AttendanceError::Conflict(format!(
            "checked in at {}, more than {limit} minutes (a year) ago: the record needs a correction \
             of its check-out by the manager or hr",
            before.check_in
        )));
    }
    let after = AttendanceRecord {
        check_out: Some(out),
        worked_minutes: worked_minutes(before.check_in, Some(out)),
        version: before.version + 1,
        updated_at: out,
        ..before.clone()
    };
    let events = marked(Some(&before), &after, Mark::CheckOut, requester);
    store.update(&before, &after, &events).await?;
    Ok(Marked { record: after, events })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use hrms_events::audit::AuditRecord;
    use hrms_events::{EventType, Payload};

    use super::*;
    use crate::commands::check_in;
    use crate::commands::testing::{Harness, types};
    use crate::store::AttendanceStore;

    #[tokio::test]
    async fn checks_out_with_the_minutes_worked() {
        let h = Harness::new();
        let me = h.person(&h.employee("Europe/Berlin").await);
        let open = check_in::handle(&me, &h.ctx()).await.expect("in").record;
        let later = h.now + Duration::minutes(8 * 60 + 15) + Duration::milliseconds(700);
        let done = handle(&me, &h.at(later)).await.expect("out");
        assert_eq!(done.record.check_out, Some(h.now + Duration::minutes(8 * 60 + 15)));
        assert_eq!((done.record.worked_minutes, done.record.version), (Some(495), 2));
        assert_eq!(h.store.get(open.record_id).await.expect("read"), Some(done.record.clone()));
        assert_eq!(h.store.open(open.employee_id).await.expect("read"), None);
        assert_eq!(types(&done.events), [EventType::AttendanceMarked, EventType::AuditAttendanceMarked]);
        let Payload::AttendanceMarked(notice) = &done.events[0].payload else { panic!("marked") };
        assert_eq!((notice.mark, notice.worked_minutes), (Mark::CheckOut, Some(495)));
        let Payload::AuditAttendanceMarked(AuditRecord { before, after, changes, .. }) =
            &done.events[1].payload
        else {
            panic!("audit")
        };
        assert_eq!((before.as_ref(), after), (Some(&open.snapshot()), &done.record.snapshot()));
        let changed: Vec<_> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(changed, ["check_out", "worked_minutes"]);
        // And in again: a new record.
        let next = check_in::handle(&me, &h.at(later)).await.expect("in again");
        assert_ne!(next.record.record_id, open.record_id);
    }

    #[tokio::test]
    async fn checking_out_without_a_check_in_is_a_conflict_that_stores_nothing() {
        let h = Harness::new();
        let me = h.person(&h.employee("UTC").await);
        let refused = handle(&me, &h.ctx()).await;
        assert!(matches!(refused, Err(AttendanceError::Conflict(ref why)) if why.contains("not checked in")));
        check_in::handle(&me, &h.ctx()).await.expect("in");
        handle(&me, &h.at(h.now + Duration::hours(1))).await.expect("out");
        let twice = handle(&me, &h.at(h.now + Duration::hours(2))).await;
        assert!(matches!(twice, Err(AttendanceError::Conflict(_))));
        assert_eq!(h.outbox().len(), 4, "only the check-in and the one check-out");
    }

    #[tokio::test]
    async fn employee_down_keeps_the_record_open() {
        let h = Harness::new();
        let me = h.person(&h.employee("UTC").await);
        let open = check_in::handle(&me, &h.ctx()).await.expect("in").record;
        h.employees_down();
        assert!(matches!(
            handle(&me, &h.at(h.now + Duration::hours(1))).await,
            Err(AttendanceError::Unavailable(_))
        ));
        assert_eq!(h.store.get(open.record_id).await.expect("read"), Some(open));
        assert_eq!(h.outbox().len(), 2);
    }
}
