//! The Leave function's reaction to the employee lifecycle as a
//! [`Handler`] of `notification-queue`, each change written with its own
//! events before the handler answers; every other event is passed over:
//!
//! - `employee.terminated`: the employee's pending and later approved
//!   requests are cancelled ([`terminated`]), and the pending requests
//!   awaiting them as approver move to their own manager, else to hr
//!   ([`reassign::approver_left`]).
//! - `employee.updated` with a new `manager_id`: the employee's pending
//!   requests move to the new manager ([`reassign::manager_changed`]).
//!
//! A redelivery finds nothing left to cancel or move.
//!
//! Metrics: `hrms_leave_cancelled_on_termination_total`,
//! `hrms_leave_reassigned_total`.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_events::Payload;
use hrms_leave::commands::{reassign, terminated};
use hrms_leave::{LeaveError, LeaveStore, Policy};

use hrms_platform::consume::{Delivery, Handler, HandlerError};

/// The consumer group of the Leave function.
pub const GROUP: &str = "leave-service";

/// Cancels the leave a termination leaves untakeable, and moves pending
/// requests to whoever decides them now.
pub struct LeaveHandler {
    pub store: Arc<dyn LeaveStore>,
    pub policy: Arc<Policy>,
}

/// A failure of the reaction to an event: a store that is down, or
/// requests that kept changing, is retried (and finds what is left).
fn failed(what: &'static str) -> impl FnOnce(LeaveError) -> HandlerError {
    move |e| match e {
        LeaveError::Unavailable(_) | LeaveError::Stale(_) => HandlerError::transient(what, e),
        _ => HandlerError::permanent(what, e),
    }
}

impl LeaveHandler {
    async fn handle_one(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let (policy, store) = (self.policy.as_ref(), self.store.as_ref());
        match &delivery.event.payload {
            Payload::EmployeeTerminated(ended) => {
                let cancelled = terminated::handle(&delivery.event, ended, policy, store)
                    .await
                    .map_err(failed("cannot cancel leave on termination"))?;
                tracing::info!(
                    employee_id = %ended.employee_id,
                    cancelled = cancelled.len(),
                    "leave cancelled on termination"
                );
                metrics::counter!("hrms_leave_cancelled_on_termination_total")
                    .increment(cancelled.len() as u64);
                let moved = reassign::approver_left(ended, policy, store)
                    .await
                    .map_err(failed("cannot move the requests awaiting who left"))?;
                reassigned(ended.employee_id, moved.len(), "approver left");
            }
            Payload::EmployeeUpdated(updated) => {
                let moved = reassign::manager_changed(&delivery.event, updated, policy, store)
                    .await
                    .map_err(failed("cannot move requests to the new manager"))?;
                reassigned(updated.employee_id, moved.len(), "manager changed");
            }
            _ => {}
        }
        Ok(())
    }
}

fn reassigned(employee_id: uuid::Uuid, moved: usize, why: &'static str) {
    if moved > 0 {
        tracing::info!(%employee_id, moved, why, "pending leave requests reassigned");
    }
    metrics::counter!("hrms_leave_reassigned_total").increment(moved as u64);
}

impl Handler for LeaveHandler {
    fn name(&self) -> &str {
        "leave"
    }

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            for delivery in batch {
                self.handle_one(delivery).await?;
            }
            Ok(())
        })
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use hrms_events::employee::EmployeeTerminated;
    use hrms_events::leave::LeaveStatus;
    use hrms_events::{EventType, HrmsEvent, fixtures};
    use hrms_leave::fixtures::{date, leave};
    use hrms_leave::{Leave, LeaveQuery};
    use uuid::Uuid;

    use super::*;
    use crate::sqlite::SqliteLeaveStore;
    use hrms_http::testing::temp_dir;
    use hrms_platform::outbox::OutboxStore as _;
    use hrms_sqlite::Store as _;

    fn delivery(event: HrmsEvent, offset: i64) -> Delivery {
        Delivery { topic: event.topic().to_owned(), event, partition: 0, offset }
    }

    #[tokio::test]
    async fn a_termination_cancels_once_and_other_events_pass() {
        let store =
            Arc::new(SqliteLeaveStore::open(temp_dir("leave-handler").join("leave.db")).expect("store"));
        let employee = Uuid::now_v7();
        let pending = leave(employee, date(2027, 5, 3), date(2027, 5, 4));
        let past =
            Leave { status: LeaveStatus::Approved, ..leave(employee, date(2027, 1, 4), date(2027, 1, 5)) };
        for l in [&pending, &past] {
            store.insert(l, &[], &[]).await.expect("stored");
        }
        let handler = LeaveHandler { store: store.clone(), policy: Arc::new(Policy::default()) };
        let ended = fixtures::termination(employee, date(2027, 3, 31));
        let event = HrmsEvent::new(Payload::EmployeeTerminated(ended), &fixtures::hr_actor());
        let batch = [delivery(fixtures::sample(EventType::LeaveRequested), 0), delivery(event, 1)];
        for _ in 0..2 {
            handler.handle(&batch).await.expect("handled (and again, as a redelivery)");
        }
        let listed = store.list(&LeaveQuery::of(employee, 10)).await.expect("list");
        let status = |id| listed.iter().find(|l: &&Leave| l.leave_id == id).map(|l| (l.status, l.version));
        assert_eq!(status(pending.leave_id), Some((LeaveStatus::Cancelled, 2)), "cancelled once");
        assert_eq!(status(past.leave_id), Some((LeaveStatus::Approved, 1)), "taken before the end");
    }

    #[tokio::test]
    async fn manager_changes_and_departures_move_pending_requests_once() {
        use hrms_events::employee::EmployeeUpdated;
        let store =
            Arc::new(SqliteLeaveStore::open(temp_dir("leave-reassign").join("leave.db")).expect("store"));
        let (employee, colleague) = (Uuid::now_v7(), Uuid::now_v7());
        let (new_manager, boss) = (Uuid::now_v7(), Uuid::now_v7());
        let mine = leave(employee, date(2027, 5, 3), date(2027, 5, 4));
        let theirs = leave(colleague, date(2027, 5, 3), date(2027, 5, 4));
        for l in [&mine, &theirs] {
            store.insert(l, &[], &[]).await.expect("stored");
        }
        let handler = LeaveHandler { store: store.clone(), policy: Arc::new(Policy::default()) };
        let updated = EmployeeUpdated {
            employee_id: employee,
            email: "ada@example.com".into(),
            manager_id: Some(new_manager),
            changed_fields: vec!["manager_id".into()],
            weekly_hours: None,
        };
        // The colleague's approver leaves; their manager is the boss.
        let gone = theirs.approver_id.expect("an approver");
        let ended = EmployeeTerminated {
            employee_id: gone,
            email: "grace@example.com".into(),
            first_name: "Grace".into(),
            last_name: "Hopper".into(),
            manager_id: Some(boss),
            termination_date: date(2027, 3, 31),
            reason: "resigned".into(),
        };
        let batch = [
            delivery(HrmsEvent::new(Payload::EmployeeUpdated(updated), &fixtures::hr_actor()), 0),
            delivery(HrmsEvent::new(Payload::EmployeeTerminated(ended), &fixtures::hr_actor()), 1),
        ];
        for _ in 0..2 {
            handler.handle(&batch).await.expect("handled (and again, as a redelivery)");
        }
        let read = |l: &Leave| {
            let (store, id) = (store.clone(), l.leave_id);
            async move { store.get(id).await.expect("read").expect("stored") }
        };
        let (mine, theirs) = (read(&mine).await, read(&theirs).await);
        assert_eq!((mine.approver_id, mine.version), (Some(new_manager), 2), "moved once");
        assert_eq!((theirs.approver_id, theirs.version), (Some(boss), 2), "moved once");
        assert_eq!((mine.status, theirs.status), (LeaveStatus::Pending, LeaveStatus::Pending));
        let awaiting = |id| LeaveQuery {
            employee_id: None,
            approver_id: Some(id),
            status: Some(LeaveStatus::Pending),
            ..LeaveQuery::of(id, 10)
        };
        assert!(store.list(&awaiting(gone)).await.expect("list").is_empty(), "none await who left");
        let boss_has = store.list(&awaiting(boss)).await.expect("list");
        assert_eq!(boss_has.iter().map(|l| l.leave_id).collect::<Vec<_>>(), [theirs.leave_id]);
        let queued = store.outbox().pending(100).await.expect("outbox").entries;
        let mut told: Vec<EventType> = queued.iter().map(|e| e.event.event_type()).collect();
        told.sort();
        let mut want = [EventType::LeaveReassigned, EventType::AuditLeaveReassigned].repeat(2);
        want.sort();
        assert_eq!(told, want, "each move told once");
    }
}
