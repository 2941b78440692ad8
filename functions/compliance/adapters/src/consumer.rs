//! The Compliance function's consumer as a [`Handler`]: each event on
//! `notification-queue` is learnt into its employee's timeline, and what
//! the rules over time newly find is recorded with its events
//! (`compliance.violation`, `compliance.alert`) in the same write, before
//! the handler answers (so before offsets are committed). Events of one
//! employee share a partition and are taken in order; a redelivered event
//! writes nothing.
//!
//! Metrics: `hrms_compliance_observed_total` (events that changed a
//! timeline), `hrms_compliance_findings_total{rule}` (findings reported).

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_compliance::commands::{Context, observe};
use hrms_compliance::{ComplianceStore, Policy};

use hrms_platform::consume::{Delivery, Handler, HandlerError};

/// The consumer group of the Compliance function.
pub const GROUP: &str = "compliance-service";

/// Evaluates attendance and leave over time against `policy`.
pub struct ComplianceHandler {
    pub store: Arc<dyn ComplianceStore>,
    pub policy: Arc<Policy>,
}

impl Handler for ComplianceHandler {
    fn name(&self) -> &str {
        "compliance"
    }

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            // A store that is down, or a timeline moved on by a concurrent
            // delivery: both are worth another try (of the whole batch:
            // what was stored is then a redelivery and writes nothing).
            let events = batch.iter().map(|d| &d.event);
            let ctx = Context { policy: &self.policy, store: self.store.as_ref() };
            let observed = observe::handle_all(events, &ctx)
                .await
                .map_err(|e| HandlerError::transient("cannot observe the events", e))?;
            for observed in observed {
                metrics::counter!("hrms_compliance_observed_total").increment(1);
                for finding in observed.check.iter().flat_map(|c| &c.findings) {
                    metrics::counter!("hrms_compliance_findings_total", "rule" => finding.rule_id.clone())
                        .increment(1);
                }
            }
            Ok(())
        })
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use hrms_compliance::FindingsQuery;
    use hrms_events::attendance::{AttendanceMarked, Mark};
    use hrms_events::{EventType, HrmsEvent, Payload, fixtures};
    use uuid::Uuid;

    use super::*;
    use hrms_platform::outbox::OutboxStore;
    use hrms_sqlite::Store as _;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, d, h, 0, 0).single().expect("valid")
    }

    /// The check-in and check-out events of one shift of `employee_id`.
    fn shift(employee_id: Uuid, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Delivery> {
        let record_id = Uuid::now_v7();
        let mark = |mark, at, worked_minutes| {
            let payload = Payload::AttendanceMarked(AttendanceMarked {
                record_id,
                employee_id,
                mark,
                at,
                time_zone: "Europe/Rome".into(),
                worked_minutes,
            });
            HrmsEvent::new(payload, &fixtures::hr_actor())
        };
        [mark(Mark::CheckIn, start, None), mark(Mark::CheckOut, end, Some((end - start).num_minutes()))]
            .into_iter()
            .enumerate()
            .map(|(i, event)| Delivery {
                event,
                topic: "notification-queue".into(),
                partition: 0,
                offset: i as i64,
            })
            .collect()
    }

    /// A rest breach of one employee, and a near miss of the weekly maximum
    /// of another: one violation and one alert, each once however often the
    /// events come.
    async fn breaches_are_found_once(store: Arc<dyn ComplianceStore>, outbox: Arc<dyn OutboxStore>) {
        let handler = ComplianceHandler { store: store.clone(), policy: Arc::new(Policy::default()) };
        let hired = fixtures::sample(EventType::EmployeeCreated);
        let mut batch =
            vec![Delivery { event: hired, topic: "notification-queue".into(), partition: 0, offset: 0 }];
        batch.extend(shift(fixtures::EMPLOYEE, at(4, 8), at(4, 18)));
        batch.extend(shift(fixtures::EMPLOYEE, at(5, 2), at(5, 6)));
        let grace = Uuid::now_v7();
        for day in 11..=15 {
            batch.extend(shift(grace, at(day, 8), at(day, 8) + Duration::minutes(530)));
        }
        for _ in 0..2 {
            handler.handle(&batch).await.expect("handled");
        }
        let events: Vec<HrmsEvent> =
            outbox.pending(100).await.expect("pending").entries.into_iter().map(|e| e.event).collect();
        let types: Vec<EventType> = events.iter().map(HrmsEvent::event_type).collect();
        assert_eq!(
            types,
            [
                EventType::ComplianceViolation,
                EventType::AuditComplianceViolation,
                EventType::ComplianceAlert,
                EventType::AuditComplianceAlert
            ]
        );
        let Payload::ComplianceViolation(violation) = &events[0].payload else { panic!("a violation") };
        assert_eq!(violation.manager_id, Some(fixtures::MANAGER), "to the manager (and hr)");
        assert_eq!(violation.findings[0].rule_id, "rest_period");
        let listed = store.findings(&FindingsQuery::newest(10)).await.expect("listed");
        let rules: Vec<&str> = listed.iter().map(|c| c.findings[0].rule_id.as_str()).collect();
        assert_eq!(rules, ["weekly_average_near", "rest_period"], "newest first");
    }

    #[tokio::test]
    async fn breaches_are_found_once_on_sqlite() {
        let dir = std::env::temp_dir().join(format!("hrms-compliance-handler-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let store = crate::sqlite::SqliteComplianceStore::open(dir.join("compliance.db")).expect("store");
        let outbox = Arc::new(store.outbox());
        breaches_are_found_once(Arc::new(store), outbox).await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(feature = "dynamodb")]
    #[tokio::test]
    async fn breaches_are_found_once_on_dynamodb() {
        use crate::dynamodb::DynamoComplianceStore;
        use hrms_dynamodb::Store as _;
        use hrms_dynamodb::outbox::DynamoOutbox;
        let tables = hrms_dynamodb::testing::tables(&["compliance"]).await;
        let table = tables.table("compliance");
        let store = DynamoComplianceStore::new(tables.client.clone(), &table);
        let outbox = Arc::new(DynamoOutbox::new(tables.client.clone(), &table));
        breaches_are_found_once(Arc::new(store), outbox).await;
    }
}
