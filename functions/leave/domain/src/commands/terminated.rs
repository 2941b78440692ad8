//! `terminated`: the reaction to `employee.terminated`. The employee's
//! pending requests, and their approved ones starting after the
//! termination date, are cancelled, each in a write of its own with its
//! own events (`leave.cancelled`, `audit.leave.cancelled`; approved days
//! credited back). The actor is the Leave function itself; `cancelled_by`
//! is the user who ended the employment (the event's actor), or the nil
//! id if the system did. A redelivered event finds nothing left to
//! cancel: the reaction is idempotent.

use hrms_events::employee::EmployeeTerminated;
use hrms_events::leave::LeaveStatus;
use hrms_events::{Actor, HrmsEvent};
use uuid::Uuid;

use super::cancel::{Canceller, apply};
use super::{ATTEMPTS, Changed};
use crate::error::LeaveError;
use crate::model::{Leave, LeaveQuery};
use crate::policy::Policy;
use crate::store::LeaveStore;

/// The most requests of one employee looked at.
const MAX_REQUESTS: usize = 10_000;

/// Cancels what the end of the employment in `event` leaves untakeable.
pub async fn handle(
    event: &HrmsEvent,
    terminated: &EmployeeTerminated,
    policy: &Policy,
    store: &dyn LeaveStore,
) -> Result<Vec<Changed>, LeaveError> {
    let by = Canceller {
        actor: Actor::System { name: "leave".into() },
        user_id: Uuid::parse_str(&event.actor).ok(),
    };
    let reason = format!("the employment ends on {}", terminated.termination_date);
    let untakeable = |l: &Leave| match l.status {
        LeaveStatus::Pending => true,
        LeaveStatus::Approved => l.start_date > terminated.termination_date,
        LeaveStatus::Rejected | LeaveStatus::Cancelled => false,
    };
    let requests = store.list(&LeaveQuery::of(terminated.employee_id, MAX_REQUESTS)).await?;
    let mut cancelled = Vec::new();
    for leave in requests.into_iter().filter(|l| untakeable(l)) {
        let mut leave = Some(leave);
        let mut tried = 1;
        while let Some(current) = leave.take() {
            // No hire date in the event: balances are reported against the
            // policy's allowance.
            match apply(&current, &by, Some(reason.clone()), None, policy, store).await {
                Ok(done) => cancelled.push(done),
                // Changed meanwhile (perhaps decided): as it is now.
                Err(LeaveError::Stale(_)) if tried < ATTEMPTS => {
                    tried += 1;
                    leave = store.get(current.leave_id).await?.filter(|l| untakeable(l));
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(cancelled)
}

#[cfg(test)]
mod tests {
    use hrms_events::{EventType, Payload};

    use super::*;
    use crate::commands::testing::{Harness, types};
    use crate::fixtures::date;

    fn termination(h: &Harness, on: chrono::NaiveDate) -> (HrmsEvent, EmployeeTerminated) {
        let terminated = EmployeeTerminated {
            employee_id: h.employee.employee_id,
            email: h.employee.email.clone(),
            first_name: h.employee.first_name.clone(),
            last_name: h.employee.last_name.clone(),
            manager_id: h.employee.manager_id,
            termination_date: on,
            reason: "resigned".into(),
        };
        let event = HrmsEvent::new(Payload::EmployeeTerminated(terminated.clone()), &h.hr.actor());
        (event, terminated)
    }

    #[tokio::test]
    async fn pending_and_later_approved_requests_are_cancelled_once_each() {
        let h = Harness::new();
        let pending = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
        let taken = h.request(date(2027, 3, 8), date(2027, 3, 9)).await;
        let later = h.request(date(2027, 5, 10), date(2027, 5, 11)).await;
        let rejected = h.request(date(2027, 6, 7), date(2027, 6, 7)).await;
        h.approve(taken.leave_id).await;
        h.approve(later.leave_id).await;
        h.reject(rejected.leave_id).await;
        assert_eq!(h.taken(h.employee.employee_id, "annual", 2027).await, 4.0);

        let (event, terminated) = termination(&h, date(2027, 3, 31));
        let done = handle(&event, &terminated, &h.policy, &h.store).await.expect("handled");
        let ids: Vec<Uuid> = done.iter().map(|c| c.leave.leave_id).collect();
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&pending.leave_id) && ids.contains(&later.leave_id), "{ids:?}");
        for c in &done {
            assert_eq!(types(&c.events), [EventType::LeaveCancelled, EventType::AuditLeaveCancelled]);
            let Payload::LeaveCancelled(notice) = &c.events[0].payload else { panic!("notice") };
            assert_eq!(notice.cancelled_by, h.hr.user_id, "caused by who ended the employment");
            assert_eq!(c.events[0].actor, "system:leave");
        }
        let status = async |id| h.store.get(id).await.expect("read").map(|l| l.status);
        assert_eq!(status(taken.leave_id).await, Some(LeaveStatus::Approved), "taken before the end");
        assert_eq!(status(rejected.leave_id).await, Some(LeaveStatus::Rejected));
        assert_eq!(
            h.taken(h.employee.employee_id, "annual", 2027).await,
            2.0,
            "the later days credited back"
        );

        let written = h.outbox().len();
        let again = handle(&event, &terminated, &h.policy, &h.store).await.expect("redelivered");
        assert!(again.is_empty(), "nothing left to cancel");
        assert_eq!(h.outbox().len(), written, "no event twice");
    }
}
