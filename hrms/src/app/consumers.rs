//! The one table of the Kafka-triggered functions: which function reads
//! which topics in which consumer group, the event types it acts on, and
//! how. `hrms dev` and `hrms serve <fn> --consume` run their consumers from
//! it (each function's wiring takes its row), `hrms serve <fn>` mounts
//! `/deliveries/<fn>` for each row, and the deployment checks
//! (`tests/deploy`) fail when a row has no KafkaSource, no ACL or no compose
//! consumer.

use std::sync::Arc;

use hrms_events::EventType;
use hrms_events::topics::{AUDIT_QUEUE, NOTIFICATION_QUEUE};
use hrms_platform::Handler;

use super::functions::{Consumer, Durability};

/// How a consumer takes the records of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// One at a time, in offset order: one key's (one person's) events are
    /// handled in the order they happened (KafkaSource `ordering: ordered`).
    Ordered,
}

/// The event types a consumer acts on; it passes over the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handles {
    /// Every type routed to its topics.
    All,
    /// Only these.
    Only(&'static [EventType]),
}

/// One Kafka-triggered function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumerSpec {
    /// The function (`hrms serve <function>`), which names its delivery
    /// route `/deliveries/<function>`.
    pub function: &'static str,
    pub topics: &'static [&'static str],
    pub group: &'static str,
    pub handles: Handles,
    pub ordering: Ordering,
    /// What a record that keeps failing transiently comes to.
    pub durable: Durability,
}

impl ConsumerSpec {
    /// The delivery route a KafkaSource posts this consumer's events to.
    pub fn route(&self) -> String {
        format!("/deliveries/{}", self.function)
    }

    /// The consumer of this row, running `handler`.
    pub fn consumer(&self, handler: Arc<dyn Handler>) -> Consumer {
        Consumer { topics: self.topics.to_vec(), group: self.group, handler, durable: self.durable }
    }

    /// The event types it acts on, in the events crate's order.
    pub fn event_types(&self) -> Vec<EventType> {
        EventType::ALL
            .iter()
            .copied()
            .filter(|t| self.topics.contains(&t.topic().name))
            .filter(|t| match self.handles {
                Handles::All => true,
                Handles::Only(types) => types.contains(t),
            })
            .collect()
    }
}

/// Every Kafka-triggered function of the system (whatever this build holds).
pub const CONSUMERS: &[ConsumerSpec] = &[
    ConsumerSpec {
        function: "audit",
        topics: &[AUDIT_QUEUE.name],
        group: "audit-service",
        handles: Handles::All,
        ordering: Ordering::Ordered,
        durable: Durability::RetryUntilHandled,
    },
    ConsumerSpec {
        function: "notification",
        topics: &[NOTIFICATION_QUEUE.name],
        group: "notification-service",
        handles: Handles::All,
        ordering: Ordering::Ordered,
        durable: Durability::RetryUntilHandled,
    },
    ConsumerSpec {
        function: "leave",
        topics: &[NOTIFICATION_QUEUE.name],
        group: "leave-service",
        handles: Handles::Only(&[EventType::EmployeeUpdated, EventType::EmployeeTerminated]),
        ordering: Ordering::Ordered,
        durable: Durability::RetryUntilHandled,
    },
    ConsumerSpec {
        function: "compliance",
        topics: &[NOTIFICATION_QUEUE.name],
        group: "compliance-service",
        handles: Handles::Only(&[
            EventType::EmployeeCreated,
            EventType::EmployeeUpdated,
            EventType::EmployeeTerminated,
            EventType::AttendanceMarked,
            EventType::AttendanceUpdated,
            EventType::LeaveApproved,
            EventType::LeaveCancelled,
        ]),
        ordering: Ordering::Ordered,
        durable: Durability::RetryUntilHandled,
    },
    ConsumerSpec {
        function: "user",
        topics: &[NOTIFICATION_QUEUE.name],
        group: "user-service",
        handles: Handles::Only(&[EventType::EmployeeTerminated]),
        ordering: Ordering::Ordered,
        durable: Durability::RetryUntilHandled,
    },
    ConsumerSpec {
        function: "attendance",
        topics: &[NOTIFICATION_QUEUE.name],
        group: "attendance-service",
        handles: Handles::Only(&[EventType::EmployeeTerminated]),
        ordering: Ordering::Ordered,
        durable: Durability::RetryUntilHandled,
    },
];

/// The row of `function`.
///
/// # Panics
/// When the table has no row for it: a function's wiring names only its own.
pub fn of(function: &str) -> &'static ConsumerSpec {
    CONSUMERS
        .iter()
        .find(|c| c.function == function)
        .unwrap_or_else(|| panic!("no consumer of {function} in app::consumers::CONSUMERS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_a_known_topic_its_own_group_and_some_types() {
        let mut groups: Vec<&str> = CONSUMERS.iter().map(|c| c.group).collect();
        groups.sort_unstable();
        groups.dedup();
        assert_eq!(groups.len(), CONSUMERS.len(), "two functions share a consumer group");
        for c in CONSUMERS {
            for topic in c.topics {
                let spec = hrms_events::topics::TopicSpec::by_name(topic).expect("a topic of the table");
                assert!(!spec.is_dlq(), "{} reads a dead-letter topic", c.function);
            }
            assert!(!c.event_types().is_empty(), "{} handles nothing", c.function);
        }
        let leave = of("leave").event_types();
        assert_eq!(leave, vec![EventType::EmployeeUpdated, EventType::EmployeeTerminated]);
        assert!(of("audit").event_types().iter().all(|t| t.is_audit()));
    }

    #[cfg(all(
        feature = "audit",
        feature = "notification",
        feature = "leave",
        feature = "compliance",
        feature = "user",
        feature = "attendance"
    ))]
    #[test]
    fn the_groups_are_those_of_the_adapters() {
        assert_eq!(of("audit").group, hrms_audit_adapters::consumer::GROUP);
        assert_eq!(of("notification").group, hrms_notification_adapters::consumer::GROUP);
        assert_eq!(of("leave").group, hrms_leave_adapters::consumer::GROUP);
        assert_eq!(of("compliance").group, hrms_compliance_adapters::consumer::GROUP);
        assert_eq!(of("user").group, hrms_user_adapters::consumer::GROUP);
        assert_eq!(of("attendance").group, hrms_attendance_adapters::consumer::GROUP);
    }
}
