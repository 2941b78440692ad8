//! The reaction to `employee.terminated` on each store: the employee's
//! open record is found, closed at the termination time and marked so,
//! its events queued with it; an earlier closed record and other
//! employees' records are left as they are, and a redelivery changes
//! nothing.

use chrono::{Duration, NaiveDate};
use hrms_attendance::commands::terminated;
use hrms_events::{EventType, HrmsEvent, Payload, fixtures};
use uuid::Uuid;

use super::{Stores, at, closed_at, open, queued};

pub async fn a_terminated_employees_open_record_is_closed_once(stores: Stores) {
    let ada = Uuid::now_v7();
    let earlier = open(ada, at(1, 9));
    stores.store.insert(&earlier, &[]).await.expect("in");
    let earlier_out = closed_at(&earlier, at(1, 17));
    stores.store.update(&earlier, &earlier_out, &[]).await.expect("out");
    let still_in = open(ada, at(4, 9));
    let someone_else = open(Uuid::now_v7(), at(4, 8));
    for r in [&still_in, &someone_else] {
        stores.store.insert(r, &[]).await.expect("in");
    }
    assert_eq!(stores.store.open(ada).await.expect("read"), Some(still_in.clone()));
    let ended = hrms_events::fixtures::termination(ada, NaiveDate::from_ymd_opt(2027, 1, 4).expect("a date"));
    let event = HrmsEvent {
        time: at(5, 10),
        ..HrmsEvent::new(Payload::EmployeeTerminated(ended.clone()), &fixtures::hr_actor())
    };

    let closed = terminated::handle(&event, &ended, stores.store.as_ref()).await.expect("handled");
    let closed = closed.expect("the open record closed").record;
    // The end of 4 January in Lisbon (UTC in winter).
    assert_eq!((closed.check_out, closed.worked_minutes), (Some(at(5, 0)), Some(15 * 60)));
    let stored = stores.store.get(still_in.record_id).await.expect("read").expect("stored");
    assert_eq!(stored, closed, "stored as closed, with its mark");
    assert!(stored.closed_at_termination && stored.version == 2);
    assert_eq!(stores.store.open(ada).await.expect("read"), None, "nothing open any more");
    assert_eq!(stores.store.get(earlier.record_id).await.expect("read"), Some(earlier_out));
    assert_eq!(stores.store.open(someone_else.employee_id).await.expect("read"), Some(someone_else));
    let types: Vec<EventType> = queued(&stores).await.iter().map(HrmsEvent::event_type).collect();
    assert_eq!(types, [EventType::AttendanceUpdated, EventType::AuditAttendanceUpdated]);

    let later = HrmsEvent { time: event.time + Duration::hours(1), ..event.clone() };
    let again = terminated::handle(&later, &ended, stores.store.as_ref()).await.expect("redelivered");
    assert_eq!(again, None);
    assert_eq!(queued(&stores).await.len(), 2, "no event twice");
    assert_eq!(stores.store.get(still_in.record_id).await.expect("read"), Some(closed));
}
