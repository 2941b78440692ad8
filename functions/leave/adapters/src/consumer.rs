//! The Leave function's reaction to the employee lifecycle as a
//! [`Handler`] of `notification-queue`: on `employee.terminated`, the
//! employee's pending and later approved requests are cancelled
//! ([`terminated`]), each cancellation written with its own events before
//! the handler answers. Every other event is passed over. A redelivery
//! finds nothing left to cancel.
//!
//! Metrics: `hrms_leave_cancelled_on_termination_total`.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_events::Payload;
use hrms_leave::commands::terminated;
use hrms_leave::{LeaveError, LeaveStore, Policy};

use hrms_platform::consume::{Delivery, Handler, HandlerError};

/// The consumer group of the Leave function.
pub const GROUP: &str = "leave-service";

/// Cancels the leave a termination leaves untakeable.
pub struct LeaveHandler {
    pub store: Arc<dyn LeaveStore>,
    pub policy: Arc<Policy>,
}

impl Handler for LeaveHandler {
    fn name(&self) -> &str {
        "leave"
    }

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            for delivery in batch {
                let Payload::EmployeeTerminated(ended) = &delivery.event.payload else {
                    continue;
                };
                let cancelled = terminated::handle(&delivery.event, ended, &self.policy, self.store.as_ref())
                    .await
                    .map_err(|e| match e {
                        // A store that is down, or requests that kept changing:
                        // the event is retried, and finds what is left.
                        LeaveError::Unavailable(_) | LeaveError::Stale(_) => {
                            HandlerError::transient("cannot cancel leave on termination", e)
                        }
                        _ => HandlerError::permanent("cannot cancel leave on termination", e),
                    })?;
                tracing::info!(
                    employee_id = %ended.employee_id,
                    cancelled = cancelled.len(),
                    "leave cancelled on termination"
                );
                metrics::counter!("hrms_leave_cancelled_on_termination_total")
                    .increment(cancelled.len() as u64);
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
            store.insert(l, None, &[]).await.expect("stored");
        }
        let handler = LeaveHandler { store: store.clone(), policy: Arc::new(Policy::default()) };
        let ended = EmployeeTerminated {
            employee_id: employee,
            email: "ada@example.com".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            manager_id: None,
            termination_date: date(2027, 3, 31),
            reason: "resigned".into(),
        };
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
}
