//! The Attendance function's reaction to the employee lifecycle as a
//! [`Handler`] of `notification-queue`: on `employee.terminated`, the
//! employee's open record is closed at the termination time
//! ([`terminated`]), written with its events before the handler answers.
//! Every other event is passed over. A redelivery finds nothing open.
//!
//! Metrics: `hrms_attendance_closed_on_termination_total`.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_attendance::commands::terminated;
use hrms_attendance::{AttendanceError, AttendanceStore};
use hrms_events::Payload;

use hrms_platform::consume::{Delivery, Handler, HandlerError};

/// The consumer group of the Attendance function.
pub const GROUP: &str = "attendance-service";

/// Closes the open record of a terminated employee.
pub struct AttendanceHandler {
    pub store: Arc<dyn AttendanceStore>,
}

impl Handler for AttendanceHandler {
    fn name(&self) -> &str {
        "attendance"
    }

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            for delivery in batch {
                let Payload::EmployeeTerminated(ended) = &delivery.event.payload else {
                    continue;
                };
                let closed = terminated::handle(&delivery.event, ended, self.store.as_ref()).await.map_err(
                    |e| match e {
                        // A store that is down, or a record that kept changing:
                        // the event is retried, and finds what is left.
                        AttendanceError::Unavailable(_) | AttendanceError::Conflict(_) => {
                            HandlerError::transient("cannot close attendance on termination", e)
                        }
                        _ => HandlerError::permanent("cannot close attendance on termination", e),
                    },
                )?;
                tracing::info!(
                    employee_id = %ended.employee_id,
                    closed = closed.is_some(),
                    "attendance closed on termination"
                );
                metrics::counter!("hrms_attendance_closed_on_termination_total")
                    .increment(u64::from(closed.is_some()));
            }
            Ok(())
        })
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use chrono::{Duration, NaiveDate, SubsecRound, Utc};
    use hrms_attendance::AttendanceRecord;
    use hrms_events::{EventType, HrmsEvent, fixtures};
    use uuid::Uuid;

    use super::*;
    use crate::sqlite::SqliteAttendanceStore;
    use hrms_http::testing::temp_dir;
    use hrms_sqlite::Store;

    fn delivery(event: HrmsEvent, offset: i64) -> Delivery {
        Delivery { topic: event.topic().to_owned(), event, partition: 0, offset }
    }

    #[tokio::test]
    async fn a_termination_closes_once_and_other_events_pass() {
        let path = temp_dir("attendance-handler").join("attendance.db");
        let store = Arc::new(<SqliteAttendanceStore as Store>::open(path).expect("store"));
        let employee = Uuid::now_v7();
        let check_in = Utc::now().trunc_subsecs(0) - Duration::hours(3);
        let open = AttendanceRecord {
            record_id: Uuid::now_v7(),
            employee_id: employee,
            check_in,
            check_out: None,
            time_zone: "UTC".into(),
            worked_minutes: None,
            corrected: false,
            correction_reason: None,
            closed_at_termination: false,
            version: 1,
            created_at: check_in,
            updated_at: check_in,
        };
        store.insert(&open, &[]).await.expect("stored");
        let handler = AttendanceHandler { store: store.clone() };
        let ended = fixtures::termination(employee, NaiveDate::from_ymd_opt(2099, 3, 31).expect("date"));
        let event = HrmsEvent::new(Payload::EmployeeTerminated(ended), &fixtures::hr_actor());
        let recorded = event.time.trunc_subsecs(0);
        let batch = [delivery(fixtures::sample(EventType::AttendanceMarked), 0), delivery(event, 1)];
        for _ in 0..2 {
            handler.handle(&batch).await.expect("handled (and again, as a redelivery)");
        }
        let stored = store.get(open.record_id).await.expect("read").expect("stored");
        assert_eq!(stored.check_out, Some(recorded), "closed when the later termination was recorded");
        assert!(stored.closed_at_termination);
        assert_eq!(stored.version, 2, "closed once");
        assert_eq!(AttendanceStore::open(store.as_ref(), employee).await.expect("read"), None);
    }
}
