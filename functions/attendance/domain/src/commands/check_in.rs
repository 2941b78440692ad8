//! `check_in`: a person with an active employee record starts work now.
//! Employee is asked first (synchronously): no record is 404, an ended
//! employment 409, Employee down 503, and nothing is stored. Checked in
//! already, or a check-in inside another record (however old): 409 (the
//! store holds to one open record per employee, and to no overlap). The
//! employee's time zone is recorded with the record. Events:
//! `attendance.marked` (`check_in`, to the employee) and
//! `audit.attendance.marked`.

use hrms_employee::Requester;
use hrms_events::HrmsEvent;
use hrms_events::attendance::Mark;
use uuid::Uuid;

use super::{Context, marked, marking, second};
use crate::error::AttendanceError;
use crate::model::AttendanceRecord;

/// The new record and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct Marked {
    pub record: AttendanceRecord,
    pub events: Vec<HrmsEvent>,
}

pub async fn handle(requester: &Requester, ctx: &Context<'_>) -> Result<Marked, AttendanceError> {
    let Context { store, employees, now } = *ctx;
    let employee = marking(requester, employees).await?;
    if let Some(open) = store.open(employee.employee_id).await? {
        return Err(AttendanceError::Conflict(format!(
            "checked in already since {} (record {}): check out first",
            open.check_in, open.record_id
        )));
    }
    let now = second(now);
    let record = AttendanceRecord {
        record_id: Uuid::now_v7(),
        employee_id: employee.employee_id,
        check_in: now,
        check_out: None,
        time_zone: employee.time_zone.clone(),
        worked_minutes: None,
        corrected: false,
        correction_reason: None,
        closed_at_termination: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let events = marked(None, &record, Mark::CheckIn, requester);
    store.insert(&record, &events).await.map_err(AttendanceError::writing(&record))?;
    Ok(Marked { record, events })
}

#[cfg(test)]
mod tests {
    use hrms_events::{EventType, Payload, Role};

    use super::*;
    use crate::commands::testing::{Harness, types};
    use crate::store::AttendanceStore;

    #[tokio::test]
    async fn checks_in_with_the_time_zone_and_two_events() {
        let h = Harness::new();
        let ada = h.employee("America/New_York").await;
        let me = h.person(&ada);
        let marked = handle(&me, &h.ctx()).await.expect("checked in");
        let record = &marked.record;
        assert_eq!((record.employee_id, record.time_zone.as_str()), (ada.employee_id, "America/New_York"));
        assert!(record.is_open() && record.version == 1);
        assert_eq!(record.check_in, h.now, "whole seconds");
        assert_eq!(h.store.get(record.record_id).await.expect("read"), Some(record.clone()));
        assert_eq!(types(&marked.events), [EventType::AttendanceMarked, EventType::AuditAttendanceMarked]);
        assert_eq!(h.outbox(), marked.events, "stored with the record");
        let Payload::AttendanceMarked(notice) = &marked.events[0].payload else { panic!("marked") };
        assert_eq!((notice.mark, notice.at, notice.worked_minutes), (Mark::CheckIn, h.now, None));
        assert!(marked.events.iter().all(|e| e.partition_key() == ada.employee_id.to_string()));
    }

    #[tokio::test]
    async fn checking_in_twice_is_a_conflict_that_stores_nothing() {
        let h = Harness::new();
        let me = h.person(&h.employee("UTC").await);
        handle(&me, &h.ctx()).await.expect("checked in");
        let again = handle(&me, &h.ctx()).await;
        assert!(
            matches!(again, Err(AttendanceError::Conflict(ref why)) if why.contains("checked in already"))
        );
        assert_eq!((h.store.len(), h.outbox().len()), (1, 2));
    }

    #[tokio::test]
    async fn only_an_active_employee_record_may_check_in() {
        let h = Harness::new();
        let no_record = crate::fixtures::requester(Role::Employee, None);
        assert!(matches!(handle(&no_record, &h.ctx()).await, Err(AttendanceError::Forbidden(_))));
        let unknown = crate::fixtures::requester(Role::Employee, Some(Uuid::now_v7()));
        assert!(matches!(handle(&unknown, &h.ctx()).await, Err(AttendanceError::NotFound(_))));
        let gone = h.employee("UTC").await;
        h.terminate(&gone).await;
        assert!(matches!(
            handle(&h.person(&gone), &h.ctx()).await,
            Err(AttendanceError::Conflict(ref why)) if why.contains("ended")
        ));
        assert_eq!((h.store.len(), h.outbox().len()), (0, 0), "nothing stored, no event");
    }

    #[tokio::test]
    async fn employee_down_is_unavailable_and_stores_nothing() {
        let h = Harness::new();
        let me = h.person(&h.employee("UTC").await);
        h.employees_down();
        assert!(matches!(handle(&me, &h.ctx()).await, Err(AttendanceError::Unavailable(_))));
        assert_eq!((h.store.len(), h.outbox().len()), (0, 0));
    }
}
