//! `terminated`: the reaction to `employee.terminated`. Every active
//! account linked to the employee is suspended with the reason
//! "employment ended: <the termination's reason>", each in a write of its
//! own with the events a suspension emits (`user.suspended`,
//! `audit.user.suspended`). The actor is the User function itself
//! (`system:user`). Accounts already suspended or deleted are left as they
//! are, so a redelivered event changes nothing: the reaction is idempotent.

use hrms_events::Actor;
use hrms_events::employee::EmployeeTerminated;
use hrms_events::user::UserStatus;

use super::suspend::{Suspended, suspend_as};
use crate::error::UserError;
use crate::listing::{MAX_LIMIT, UserFilter, UserQuery};
use crate::model::User;
use crate::store::UserStore;

/// Tries of one account that keeps changing while it is suspended.
const ATTEMPTS: usize = 3;

/// The reason a suspension on termination gives, within the events' limit.
pub fn reason(terminated: &EmployeeTerminated) -> String {
    let reason = format!("employment ended: {}", terminated.reason.trim());
    reason.chars().take(hrms_events::limits::REASON).collect()
}

/// Suspends the active accounts of the employee `terminated` names.
pub async fn handle(
    terminated: &EmployeeTerminated,
    store: &dyn UserStore,
) -> Result<Vec<Suspended>, UserError> {
    let filter = UserFilter { employee_id: Some(terminated.employee_id), ..Default::default() };
    let mut query = UserQuery { filter, cursor: None, limit: MAX_LIMIT };
    let mut linked = Vec::new();
    loop {
        let page = store.list(&query).await?;
        linked.extend(page.users);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    let actor = Actor::System { name: "user".into() };
    let why = reason(terminated);
    let mut suspended = Vec::new();
    for account in linked {
        let mut current = Some(account).filter(|u| u.status == UserStatus::Active);
        let mut tried = 1;
        while let Some(before) = current.take() {
            let (after, events) = suspend_as(&before, why.clone(), actor.clone());
            match store.update(&after, &events).await.map_err(UserError::from) {
                Ok(()) => suspended.push(Suspended { user: after, events }),
                // Changed meanwhile: as it is now, if still active.
                Err(UserError::Conflict(_)) if tried < ATTEMPTS => {
                    tried += 1;
                    current = store.get(before.user_id).await?.filter(is_active);
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(suspended)
}

fn is_active(u: &User) -> bool {
    u.status == UserStatus::Active
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use hrms_events::{EventType, Payload, Role};
    use uuid::Uuid;

    use super::*;
    use crate::commands::testing::{Harness, types};
    use crate::commands::{create, delete};
    use crate::model::{EmployeeDetails, NewUser, Password};

    fn new_user(email: &str, employee_id: Option<Uuid>) -> NewUser {
        let employee = employee_id.is_none().then(|| EmployeeDetails {
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            department: "Engineering".into(),
            job_title: "Analyst".into(),
            manager_id: None,
            country: "GB".into(),
            time_zone: None,
            weekly_hours: 37.5,
            hire_date: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            date_of_birth: None,
        });
        NewUser {
            email: email.into(),
            full_name: "Ada Lovelace".into(),
            role: Role::Employee,
            password: Password::new("a long enough passphrase"),
            employee_id,
            employee,
        }
    }

    fn termination(employee_id: Uuid) -> EmployeeTerminated {
        hrms_events::fixtures::termination(employee_id, NaiveDate::from_ymd_opt(2027, 3, 31).expect("date"))
    }

    #[tokio::test]
    async fn the_linked_active_account_is_suspended_once() {
        let h = Harness::new();
        let ada = create::handle(new_user("ada@example.com", None), &h.hr, &h.ctx()).await.expect("ada");
        let employee_id = ada.user.employee_id.expect("linked");
        let other =
            create::handle(new_user("grace@example.com", None), &h.hr, &h.ctx()).await.expect("other");
        let terminated = termination(employee_id);

        let done = handle(&terminated, &h.users).await.expect("handled");
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].user.user_id, ada.user.user_id);
        assert_eq!(types(&done[0].events), [EventType::UserSuspended, EventType::AuditUserSuspended]);
        let Payload::UserSuspended(notice) = &done[0].events[0].payload else { panic!("notice") };
        assert_eq!(notice.reason, "employment ended: resigned");
        assert_eq!(notice.employee_id, Some(employee_id));
        assert!(done[0].events.iter().all(|e| e.actor == "system:user"), "{:?}", done[0].events);
        let Payload::AuditUserSuspended(audit) = &done[0].events[1].payload else { panic!("audit") };
        assert_eq!(audit.reason.as_deref(), Some("employment ended: resigned"));
        let stored = h.users.get(ada.user.user_id).await.expect("read").expect("stored");
        assert_eq!((stored.status, stored.version), (UserStatus::Suspended, 2));
        let untouched = h.users.get(other.user.user_id).await.expect("read").expect("stored");
        assert_eq!(untouched.status, UserStatus::Active, "another employee's account");

        let written = h.users.events().len();
        let again = handle(&terminated, &h.users).await.expect("redelivered");
        assert!(again.is_empty(), "nothing left to suspend");
        assert_eq!(h.users.events().len(), written, "no event twice");
        let stored = h.users.get(ada.user.user_id).await.expect("read").expect("stored");
        assert_eq!(stored.version, 2);
    }

    #[tokio::test]
    async fn deleted_accounts_and_unlinked_employees_change_nothing() {
        let h = Harness::new();
        let ada = create::handle(new_user("ada@example.com", None), &h.hr, &h.ctx()).await.expect("ada");
        let employee_id = ada.user.employee_id.expect("linked");
        delete::handle(ada.user.user_id, &h.admin, &h.ctx()).await.expect("deleted");
        let written = h.users.events().len();
        let terminated = termination(employee_id);
        assert!(handle(&terminated, &h.users).await.expect("handled").is_empty());
        let nobody = termination(Uuid::now_v7());
        assert!(handle(&nobody, &h.users).await.expect("handled").is_empty());
        assert_eq!(h.users.events().len(), written);
        let stored = h.users.get(ada.user.user_id).await.expect("read").expect("stored");
        assert_eq!(stored.status, UserStatus::Deleted);
    }

    #[test]
    fn a_long_reason_is_cut_to_the_events_limit() {
        let mut terminated = termination(Uuid::now_v7());
        terminated.reason = "x".repeat(hrms_events::limits::REASON);
        assert_eq!(reason(&terminated).chars().count(), hrms_events::limits::REASON);
    }
}
