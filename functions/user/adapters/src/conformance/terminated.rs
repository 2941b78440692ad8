//! The reaction to `employee.terminated` on each store: the employee's
//! active accounts (found through the store's employee index) are
//! suspended once with their events queued, the others are left as they
//! are, and a redelivery changes nothing.

use hrms_events::employee::EmployeeTerminated;
use hrms_events::user::UserStatus;
use hrms_events::{EventType, Payload};
use hrms_user::User;
use hrms_user::commands::terminated;
use uuid::Uuid;

use super::{Stores, account, queued};

fn termination(employee_id: Uuid) -> EmployeeTerminated {
    hrms_events::fixtures::termination(
        employee_id,
        chrono::NaiveDate::from_ymd_opt(2027, 3, 31).expect("a date"),
    )
}

pub async fn a_terminated_employees_accounts_are_suspended_once(stores: Stores) {
    let ada = account();
    let employee = ada.employee_id.expect("linked");
    let deleted = User { employee_id: Some(employee), status: UserStatus::Deleted, ..account() };
    let other = account();
    for u in [&ada, &deleted, &other] {
        stores.user.insert(u, &[]).await.expect("inserted");
    }
    let ended = termination(employee);

    let done = terminated::handle(&ended, stores.user.as_ref()).await.expect("handled");
    assert_eq!(done.iter().map(|s| s.user.user_id).collect::<Vec<_>>(), [ada.user_id]);
    let state = async |id| stores.user.get(id).await.expect("read").map(|u| (u.status, u.version));
    assert_eq!(state(ada.user_id).await, Some((UserStatus::Suspended, 2)));
    assert_eq!(state(deleted.user_id).await, Some((UserStatus::Deleted, 1)), "left deleted");
    assert_eq!(state(other.user_id).await, Some((UserStatus::Active, 1)), "another employee's");
    let events = queued(&stores).await;
    let types: Vec<EventType> = events.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, [EventType::UserSuspended, EventType::AuditUserSuspended]);
    let Payload::UserSuspended(notice) = &events[0].payload else { panic!("user.suspended first") };
    assert_eq!((notice.user_id, notice.reason.as_str()), (ada.user_id, "employment ended: resigned"));

    let again = terminated::handle(&ended, stores.user.as_ref()).await.expect("redelivered");
    assert!(again.is_empty(), "nothing left to suspend");
    assert_eq!(queued(&stores).await.len(), 2, "no event twice");
    assert_eq!(state(ada.user_id).await, Some((UserStatus::Suspended, 2)));
}
