//! Consumer lag from librdkafka's statistics, as the gauge
//! `hrms_consumer_lag{group,topic,partition}`: the records between the
//! group's committed offset and the end of the partition (the high
//! watermark; the last stable offset under `read_committed`, librdkafka's
//! default).
//!
//! Every `statistics.interval.ms` ([`ConsumerSettings::statistics_interval`](super::ConsumerSettings))
//! the client reports `consumer_lag` for each partition it knows. Only the
//! partitions assigned to this member count; a partition whose lag is not
//! known yet (`-1`: no committed offset or no watermark yet, e.g. a new
//! group before its first commit) and librdkafka's internal partition `-1`
//! are skipped. A partition this member reported and no longer owns (after
//! a rebalance) is set to 0, so the sum over the group's members is the
//! group's lag. Statistics arrive while the consumer polls, so during a long
//! batch the gauge keeps its last value.

use std::collections::BTreeSet;
use std::sync::Mutex;

use rdkafka::Statistics;

/// Fetch states of a partition that is not assigned to this member.
const UNASSIGNED: [&str; 3] = ["none", "stopping", "stopped"];

/// One partition's lag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    pub lag: i64,
}

/// The known lag of every partition assigned to the reporting consumer, in
/// topic and partition order.
pub fn partition_lags(stats: &Statistics) -> Vec<PartitionLag> {
    let mut lags: Vec<PartitionLag> = stats
        .topics
        .values()
        .flat_map(|topic| {
            topic.partitions.values().filter_map(|p| {
                let known = p.partition >= 0 && p.consumer_lag >= 0;
                (known && !UNASSIGNED.contains(&p.fetch_state.as_str())).then(|| PartitionLag {
                    topic: topic.topic.clone(),
                    partition: p.partition,
                    lag: p.consumer_lag,
                })
            })
        })
        .collect();
    lags.sort_unstable();
    lags
}

/// The lag gauges of one consumer group member.
pub(crate) struct LagGauges {
    group: String,
    reported: Mutex<BTreeSet<(String, i32)>>,
}

impl LagGauges {
    pub(crate) fn new(group: &str) -> Self {
        Self { group: group.to_owned(), reported: Mutex::new(BTreeSet::new()) }
    }

    /// Sets the gauges from one statistics report.
    pub(crate) fn record(&self, stats: &Statistics) {
        let lags = partition_lags(stats);
        let now: BTreeSet<(String, i32)> = lags.iter().map(|l| (l.topic.clone(), l.partition)).collect();
        let mut reported = self.reported.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (topic, partition) in reported.difference(&now) {
            self.set(topic, *partition, 0);
        }
        for l in &lags {
            self.set(&l.topic, l.partition, l.lag);
        }
        *reported = now;
    }

    fn set(&self, topic: &str, partition: i32, lag: i64) {
        metrics::gauge!(
            "hrms_consumer_lag",
            "group" => self.group.clone(),
            "topic" => topic.to_owned(),
            "partition" => partition.to_string()
        )
        .set(lag as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hrms_platform::testing::{metric, recorder};

    /// A consumer's report, as librdkafka 2.12 writes it (brokers left out):
    /// partition 0 is assigned and lags 7 records, 1 is assigned and caught
    /// up, 2 is assigned but never committed, 3 was revoked, and -1 is
    /// librdkafka's internal partition.
    const SAMPLE: &str = include_str!("testdata/consumer-statistics.json");

    fn sample() -> Statistics {
        serde_json::from_str(SAMPLE).expect("librdkafka statistics")
    }

    fn lag(topic: &str, partition: i32, lag: i64) -> PartitionLag {
        PartitionLag { topic: topic.into(), partition, lag }
    }

    #[test]
    fn only_known_lags_of_assigned_partitions_count() {
        let lags = partition_lags(&sample());
        assert_eq!(lags, vec![lag("audit-queue", 0, 7), lag("audit-queue", 1, 0)]);
    }

    #[test]
    fn the_gauges_follow_the_reports_and_revoked_partitions_drop_to_zero() {
        let recorder = recorder();
        let metrics = recorder.handle();
        let _local = metrics::set_default_local_recorder(&recorder);
        let gauge = |partition: &str| {
            let labels = [("group", "audit"), ("topic", "audit-queue"), ("partition", partition)];
            metric(&metrics.render(), "hrms_consumer_lag", &labels)
        };
        let gauges = LagGauges::new("audit");
        let mut stats = sample();
        gauges.record(&stats);
        assert_eq!((gauge("0"), gauge("1"), gauge("2"), gauge("3")), (Some(7.0), Some(0.0), None, None));

        let partitions = &mut stats.topics.get_mut("audit-queue").expect("topic").partitions;
        partitions.get_mut(&0).expect("partition 0").fetch_state = "stopped".into();
        partitions.get_mut(&1).expect("partition 1").consumer_lag = 2;
        gauges.record(&stats);
        assert_eq!((gauge("0"), gauge("1")), (Some(0.0), Some(2.0)), "0 was revoked");
    }
}
