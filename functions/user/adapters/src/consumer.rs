//! The User function's reaction to the employee lifecycle as a
//! [`Handler`] of `notification-queue`: on `employee.terminated`, the
//! active accounts linked to the employee are suspended ([`terminated`]),
//! each suspension written with its events before the handler answers.
//! Every other event is passed over. A redelivery finds nothing left to
//! suspend.
//!
//! Metrics: `hrms_user_suspended_on_termination_total`.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_events::Payload;
use hrms_user::commands::terminated;
use hrms_user::{UserError, UserStore};

use hrms_platform::consume::{Delivery, Handler, HandlerError};

/// The consumer group of the User function.
pub const GROUP: &str = "user-service";

/// Suspends the accounts of a terminated employee.
pub struct UserHandler {
    pub store: Arc<dyn UserStore>,
}

impl Handler for UserHandler {
    fn name(&self) -> &str {
        "user"
    }

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            for delivery in batch {
                let Payload::EmployeeTerminated(ended) = &delivery.event.payload else {
                    continue;
                };
                let suspended =
                    terminated::handle(ended, self.store.as_ref()).await.map_err(|e| match e {
                        // A store that is down, or an account that kept changing:
                        // the event is retried, and finds what is left.
                        UserError::Unavailable(_) | UserError::Conflict(_) => {
                            HandlerError::transient("cannot suspend accounts on termination", e)
                        }
                        _ => HandlerError::permanent("cannot suspend accounts on termination", e),
                    })?;
                tracing::info!(
                    employee_id = %ended.employee_id,
                    suspended = suspended.len(),
                    "accounts suspended on termination"
                );
                metrics::counter!("hrms_user_suspended_on_termination_total")
                    .increment(suspended.len() as u64);
            }
            Ok(())
        })
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use chrono::{NaiveDate, SubsecRound, Utc};
    use hrms_events::employee::EmployeeTerminated;
    use hrms_events::user::UserStatus;
    use hrms_events::{EventType, HrmsEvent, Role, fixtures};
    use hrms_user::User;
    use uuid::Uuid;

    use super::*;
    use crate::sqlite::SqliteUserStore;
    use hrms_http::testing::temp_dir;
    use hrms_platform::outbox::OutboxStore as _;
    use hrms_sqlite::Store as _;

    fn delivery(event: HrmsEvent, offset: i64) -> Delivery {
        Delivery { topic: event.topic().to_owned(), event, partition: 0, offset }
    }

    fn account(employee_id: Option<Uuid>) -> User {
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        User {
            user_id: id,
            email: format!("ada.{}@example.com", id.simple()),
            full_name: "Ada Lovelace".into(),
            role: Role::Employee,
            status: UserStatus::Active,
            employee_id,
            password_hash: String::new(),
            password_changed_at: now,
            role_changed_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[tokio::test]
    async fn a_termination_suspends_once_and_other_events_pass() {
        let store = Arc::new(SqliteUserStore::open(temp_dir("user-handler").join("user.db")).expect("store"));
        let employee = Uuid::now_v7();
        let (theirs, other) = (account(Some(employee)), account(Some(Uuid::now_v7())));
        for u in [&theirs, &other] {
            store.insert(u, &[]).await.expect("stored");
        }
        let handler = UserHandler { store: store.clone() };
        let ended = EmployeeTerminated {
            email: theirs.email.clone(),
            ..fixtures::termination(employee, NaiveDate::from_ymd_opt(2027, 3, 31).expect("date"))
        };
        let event = HrmsEvent::new(Payload::EmployeeTerminated(ended), &fixtures::hr_actor());
        let batch = [delivery(fixtures::sample(EventType::UserCreated), 0), delivery(event, 1)];
        for _ in 0..2 {
            handler.handle(&batch).await.expect("handled (and again, as a redelivery)");
        }
        let state = async |id| store.get(id).await.expect("read").map(|u| (u.status, u.version));
        assert_eq!(state(theirs.user_id).await, Some((UserStatus::Suspended, 2)), "suspended once");
        assert_eq!(state(other.user_id).await, Some((UserStatus::Active, 1)));
        let queued = store.outbox().pending(100).await.expect("outbox");
        let types: Vec<EventType> = queued.entries.iter().map(|e| e.event.event_type()).collect();
        assert_eq!(types, [EventType::UserSuspended, EventType::AuditUserSuspended]);
    }
}
