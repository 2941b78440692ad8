//! Topic routing: the one table of topics, their sizes and retention, read by
//! topic admin, manifests and tests alike.

use std::time::Duration;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// A Kafka topic as the system needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicSpec {
    pub name: &'static str,
    pub partitions: u32,
    pub replication_factor: u16,
    /// `min.insync.replicas`: with `acks=all`, a write survives the loss of
    /// `replication_factor - min_insync_replicas` brokers.
    pub min_insync_replicas: u16,
    pub retention_ms: u64,
    /// The consumer group of the function that reads it.
    pub consumer_group: &'static str,
}

impl TopicSpec {
    /// How long records are kept.
    pub const fn retention(&self) -> Duration {
        Duration::from_millis(self.retention_ms)
    }

    /// Its dead-letter topic.
    pub fn dlq(&'static self) -> &'static TopicSpec {
        TOPICS.iter().find(|t| t.name.strip_suffix(DLQ_SUFFIX) == Some(self.name)).unwrap_or(self)
    }

    /// Whether this is a dead-letter topic.
    pub fn is_dlq(&self) -> bool {
        self.name.ends_with(DLQ_SUFFIX)
    }

    /// The topic of this name, from the table.
    pub fn by_name(name: &str) -> Option<&'static TopicSpec> {
        TOPICS.iter().find(|t| t.name == name)
    }
}

/// Dead-letter topics are named `<topic>.dlq`.
pub const DLQ_SUFFIX: &str = ".dlq";

/// The name of the dead-letter topic of any topic.
pub fn dlq_name(topic: &str) -> String {
    format!("{topic}{DLQ_SUFFIX}")
}

/// User-facing notifications: 3 partitions, replication 2, 7 days.
pub const NOTIFICATION_QUEUE: TopicSpec = TopicSpec {
    name: "notification-queue",
    partitions: 3,
    replication_factor: 2,
    min_insync_replicas: 1,
    retention_ms: 7 * DAY_MS,
    consumer_group: "notification-service",
};

/// The audit trail: 5 partitions, replication 3, 30 days.
pub const AUDIT_QUEUE: TopicSpec = TopicSpec {
    name: "audit-queue",
    partitions: 5,
    replication_factor: 3,
    min_insync_replicas: 2,
    retention_ms: 30 * DAY_MS,
    consumer_group: "audit-service",
};

/// Dead letters of notifications: kept twice as long as the queue, so that a
/// week-long incident can still be redriven.
pub const NOTIFICATION_DLQ: TopicSpec = TopicSpec {
    name: "notification-queue.dlq",
    partitions: 1,
    replication_factor: 2,
    min_insync_replicas: 1,
    retention_ms: 14 * DAY_MS,
    consumer_group: "notification-dlq",
};

/// Dead letters of the audit trail: kept 90 days; an audit record must not
/// expire while someone investigates why it was refused.
pub const AUDIT_DLQ: TopicSpec = TopicSpec {
    name: "audit-queue.dlq",
    partitions: 1,
    replication_factor: 3,
    min_insync_replicas: 2,
    retention_ms: 90 * DAY_MS,
    consumer_group: "audit-dlq",
};

/// Every topic the system uses.
pub const TOPICS: [TopicSpec; 4] = [NOTIFICATION_QUEUE, AUDIT_QUEUE, NOTIFICATION_DLQ, AUDIT_DLQ];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventType;

    #[test]
    fn the_design_sizes_hold() {
        assert_eq!((NOTIFICATION_QUEUE.partitions, NOTIFICATION_QUEUE.replication_factor), (3, 2));
        assert_eq!(NOTIFICATION_QUEUE.retention(), Duration::from_secs(7 * 86_400));
        assert_eq!((AUDIT_QUEUE.partitions, AUDIT_QUEUE.replication_factor), (5, 3));
        assert_eq!(AUDIT_QUEUE.retention(), Duration::from_secs(30 * 86_400));
    }

    #[test]
    fn every_queue_has_its_dlq_and_dlqs_have_none() {
        assert_eq!(NOTIFICATION_QUEUE.dlq().name, "notification-queue.dlq");
        assert_eq!(AUDIT_QUEUE.dlq().name, "audit-queue.dlq");
        for t in TOPICS.iter().filter(|t| t.is_dlq()) {
            assert_eq!(t.dlq(), t);
            assert!(t.min_insync_replicas < t.replication_factor);
        }
    }

    #[test]
    fn types_route_by_their_prefix() {
        for ty in EventType::ALL {
            let want = if ty.as_str().starts_with("audit.") { "audit-queue" } else { "notification-queue" };
            assert_eq!(ty.topic().name, want, "{ty}");
        }
    }
}
