//! What `slo` samples while it runs, from the broker and the functions:
//! - every event on `notification-queue` and `audit-queue` (its id, type
//!   and time from the record's CloudEvent headers), read by a consumer of
//!   its own group from the beginning: what the relays published;
//! - each consumer group's lag, every second: the end offsets against the
//!   group's committed offsets, partition by partition, asked of the broker;
//! - the functions' `/metrics` every second, the last answer of each
//!   process kept (a killed process's counts up to its last answer).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hrms_events::topics::{AUDIT_QUEUE, NOTIFICATION_QUEUE};
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio::sync::watch;

/// The consumer groups of the system and the topic each reads.
pub const GROUPS: [(&str, &str); 6] = [
    ("audit-service", AUDIT_QUEUE.name),
    ("notification-service", NOTIFICATION_QUEUE.name),
    ("leave-service", NOTIFICATION_QUEUE.name),
    ("compliance-service", NOTIFICATION_QUEUE.name),
    ("user-service", NOTIFICATION_QUEUE.name),
    ("attendance-service", NOTIFICATION_QUEUE.name),
];

/// An event as published.
#[derive(Clone)]
pub struct Seen {
    pub event_type: String,
    pub time: DateTime<Utc>,
}

/// Every event published: id -> what it is.
pub type Published = Arc<Mutex<HashMap<String, Seen>>>;

/// Reads both topics from the beginning into `published` until `stop`.
pub async fn published(bootstrap: String, published: Published, mut stop: watch::Receiver<bool>) {
    let consumer: StreamConsumer = match ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", format!("hrms-bench-slo-{}", uuid::Uuid::now_v7()))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000")
        .create()
    {
        Ok(consumer) => consumer,
        Err(e) => {
            tracing::error!(error = %e, "no observer of the topics");
            return;
        }
    };
    if let Err(e) = consumer.subscribe(&[NOTIFICATION_QUEUE.name, AUDIT_QUEUE.name]) {
        tracing::error!(error = %e, "cannot subscribe to the topics");
        return;
    }
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            message = consumer.recv() => {
                let Ok(message) = message else { continue };
                let Some(headers) = message.headers() else { continue };
                let header = |name: &str| {
                    headers.iter().find(|h| h.key == name).and_then(|h| h.value)
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                };
                let (Some(id), Some(event_type), Some(time)) = (header("ce_id"), header("ce_type"), header("ce_time")) else {
                    continue;
                };
                let Ok(time) = DateTime::parse_from_rfc3339(&time) else { continue };
                if let Ok(mut seen) = published.lock() {
                    seen.insert(id, Seen { event_type, time: time.with_timezone(&Utc) });
                }
            }
        }
    }
}

/// One lag sample: seconds from the start, lag per group (None: the broker
/// did not answer).
#[derive(Clone, serde::Serialize)]
pub struct LagSample {
    pub at: f64,
    pub lag: BTreeMap<String, Option<i64>>,
}

/// Asks the broker every second for each group's lag until `stop`.
pub async fn lag(bootstrap: String, start: Instant, mut stop: watch::Receiver<bool>) -> Vec<LagSample> {
    let clients: Vec<(String, String, Option<BaseConsumer>)> = GROUPS
        .iter()
        .map(|(group, topic)| {
            let consumer = ClientConfig::new()
                .set("bootstrap.servers", &bootstrap)
                .set("group.id", *group)
                .set("enable.auto.commit", "false")
                .create::<BaseConsumer>()
                .ok();
            ((*group).to_owned(), (*topic).to_owned(), consumer)
        })
        .collect();
    let clients = Arc::new(clients);
    let mut samples = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => return samples,
            _ = tick.tick() => {}
        }
        let at = start.elapsed().as_secs_f64();
        let clients = clients.clone();
        let lag = tokio::task::spawn_blocking(move || {
            clients
                .iter()
                .map(|(group, topic, c)| (group.clone(), c.as_ref().and_then(|c| group_lag(c, topic))))
                .collect()
        })
        .await
        .unwrap_or_default();
        samples.push(LagSample { at, lag });
    }
}

/// End offsets minus committed offsets over the topic's partitions.
fn group_lag(consumer: &BaseConsumer, topic: &str) -> Option<i64> {
    let timeout = Duration::from_millis(800);
    let metadata = consumer.fetch_metadata(Some(topic), timeout).ok()?;
    let partitions = metadata.topics().first()?.partitions().len() as i32;
    if partitions == 0 {
        return None;
    }
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition(topic, p);
    }
    let committed = consumer.committed_offsets(list, timeout).ok()?;
    let mut lag = 0;
    for p in 0..partitions {
        let (low, high) = consumer.fetch_watermarks(topic, p, timeout).ok()?;
        let at = match committed.find_partition(topic, p).map(|e| e.offset()) {
            Some(Offset::Offset(at)) => at,
            _ => low,
        };
        lag += (high - at).max(0);
    }
    Some(lag)
}

/// Histogram buckets (upper bound in seconds, cumulative count) summed
/// over labels, by metric name.
pub type Histograms = BTreeMap<String, Vec<(f64, f64)>>;

/// The last `/metrics` of each process start, by (function, start number).
pub type Scrapes = Arc<Mutex<BTreeMap<(String, u32), Histograms>>>;

/// Reads `<base>/metrics` and keeps the histograms of `names`.
pub async fn scrape(client: &reqwest::Client, base: &str, names: &[&str]) -> Option<Histograms> {
    let text = client
        .get(format!("{base}/metrics"))
        .timeout(Duration::from_millis(800))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    Some(parse(&text, names))
}

/// The `_bucket` lines of `names` in a Prometheus text exposition.
pub fn parse(text: &str, names: &[&str]) -> Histograms {
    let mut histograms: BTreeMap<String, BTreeMap<u64, (f64, f64)>> = BTreeMap::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once("_bucket{") else { continue };
        if !names.contains(&name) {
            continue;
        }
        let Some(le) = rest.split("le=\"").nth(1).and_then(|r| r.split('"').next()) else { continue };
        let le: f64 = if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap_or(f64::NAN) };
        let Some(count) = line.rsplit(' ').next().and_then(|c| c.parse::<f64>().ok()) else { continue };
        let bucket = histograms.entry(name.to_owned()).or_default().entry(le.to_bits()).or_insert((le, 0.0));
        bucket.1 += count;
    }
    histograms
        .into_iter()
        .map(|(name, buckets)| {
            let mut buckets: Vec<(f64, f64)> = buckets.into_values().collect();
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            (name, buckets)
        })
        .collect()
}

/// Sums histograms bucket by bucket.
pub fn sum(all: impl Iterator<Item = Histograms>) -> Histograms {
    let mut total: BTreeMap<String, BTreeMap<u64, (f64, f64)>> = BTreeMap::new();
    for histograms in all {
        for (name, buckets) in histograms {
            for (le, count) in buckets {
                total.entry(name.clone()).or_default().entry(le.to_bits()).or_insert((le, 0.0)).1 += count;
            }
        }
    }
    total
        .into_iter()
        .map(|(name, b)| {
            let mut b: Vec<(f64, f64)> = b.into_values().collect();
            b.sort_by(|x, y| x.0.total_cmp(&y.0));
            (name, b)
        })
        .collect()
}

/// The `q` quantile of cumulative buckets, interpolated linearly within
/// its bucket (as Prometheus's `histogram_quantile`), in seconds; None
/// without observations.
pub fn quantile(buckets: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut previous = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= rank {
            if le.is_infinite() {
                return Some(previous.0);
            }
            let within = if count > previous.1 { (rank - previous.1) / (count - previous.1) } else { 1.0 };
            return Some(previous.0 + (le - previous.0) * within);
        }
        previous = (le, count);
    }
    Some(previous.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_sum_over_labels_and_give_interpolated_quantiles() {
        let text = "# TYPE hrms_publish_ack_seconds histogram\n\
            hrms_publish_ack_seconds_bucket{topic=\"a\",le=\"0.01\"} 50\n\
            hrms_publish_ack_seconds_bucket{topic=\"a\",le=\"0.1\"} 90\n\
            hrms_publish_ack_seconds_bucket{topic=\"a\",le=\"+Inf\"} 100\n\
            hrms_publish_ack_seconds_bucket{topic=\"b\",le=\"0.01\"} 50\n\
            hrms_publish_ack_seconds_bucket{topic=\"b\",le=\"0.1\"} 100\n\
            hrms_publish_ack_seconds_bucket{topic=\"b\",le=\"+Inf\"} 100\n\
            other_bucket{le=\"1\"} 7\n";
        let h = parse(text, &["hrms_publish_ack_seconds"]);
        assert_eq!(h.len(), 1);
        let buckets = &h["hrms_publish_ack_seconds"];
        assert_eq!(buckets, &vec![(0.01, 100.0), (0.1, 190.0), (f64::INFINITY, 200.0)]);
        let p50 = quantile(buckets, 0.5).expect("a p50");
        assert!((p50 - 0.01).abs() < 1e-9, "{p50}");
        let p90 = quantile(buckets, 0.9).expect("a p90");
        assert!(p90 > 0.01 && p90 < 0.1, "{p90}");
        assert_eq!(quantile(buckets, 0.99), Some(0.1), "beyond the last finite bucket");
    }
}
