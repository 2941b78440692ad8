//! `hrms-bench produce`: publishes CloudEvents through the event publisher
//! and, in the same run and on the same topic, raw rdkafka records of equal
//! size, then prints throughput and acknowledgement latency of both and the
//! ratio ours/raw.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use hrms_events::{EventType, HrmsEvent, TopicSpec, fixtures};
use hrms_kafka::codec::EncodedRecord;
use hrms_kafka::{KafkaConfig, KafkaPublisher, ensure_topics};
use rdkafka::producer::FutureRecord;

use super::Figures;

#[derive(clap::Args)]
pub struct ProduceArgs {
    /// Records per run.
    #[arg(long, default_value_t = 20_000)]
    count: usize,
    /// Records awaiting their acknowledgement at once.
    #[arg(long, default_value_t = 1_000)]
    in_flight: usize,
    /// Topic to write to (created with 3 partitions if missing).
    #[arg(long, default_value = "hrms-bench")]
    topic: String,
    /// Rounds of both runs, alternating; figures are per round.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
}

pub async fn run(args: ProduceArgs) -> anyhow::Result<()> {
    if args.count == 0 || args.in_flight == 0 {
        bail!("--count and --in-flight must be positive");
    }
    let config = KafkaConfig::from_env()?.context("KAFKA_BOOTSTRAP_SERVERS is not set")?;
    let spec = TopicSpec {
        name: leak(&args.topic),
        partitions: 3,
        replication_factor: 1,
        min_insync_replicas: 1,
        retention_ms: 3_600_000,
        consumer_group: "hrms-bench",
    };
    ensure_topics(&config, &[spec]).await.context("creating the benchmark topic")?;
    let publisher = KafkaPublisher::new(&config)?;

    // Events of several keys, as a service emits them.
    let events: Vec<HrmsEvent> =
        (0..args.count).map(|i| fixtures::sample(EventType::ALL[i % EventType::ALL.len()])).collect();
    // The raw run sends the very bytes the encoder makes (key, headers,
    // value), encoded beforehand: equal size and compressibility, so the
    // ratio is the cost of encoding and of the publisher itself.
    let raw: Vec<EncodedRecord> = events.iter().map(EncodedRecord::encode).collect::<Result<_, _>>()?;
    let mean_size = raw.iter().map(EncodedRecord::size).sum::<usize>() / raw.len();

    // Warm up connections and metadata.
    publisher.acknowledged(publisher.send(&events[0], &args.topic).await?).await?;

    println!(
        "hrms-bench produce: {} records x {} rounds to {} at {}, {} in flight, mean record {} B",
        args.count, args.rounds, args.topic, config.bootstrap_servers, args.in_flight, mean_size
    );
    println!("{:<16} {:>12} {:>10} {:>10} {:>10}", "", "records/s", "p50 ms", "p95 ms", "p99 ms");
    let ours = |e| publisher.send(e, &args.topic);
    let raw_send = |r| publisher.enqueue(raw_record(&args.topic, r));
    let (mut ours_total, mut raw_total) = (0.0, 0.0);
    for _ in 0..args.rounds {
        let figures = timed(&publisher, args.in_flight, events.iter(), &ours).await?;
        figures.print("cloudevents");
        ours_total += figures.per_second;
        let figures = timed(&publisher, args.in_flight, raw.iter(), &raw_send).await?;
        figures.print("raw rdkafka");
        raw_total += figures.per_second;
    }
    println!("ratio ours/raw (throughput): {:.2}", ours_total / raw_total);

    // One record at a time: the latency a single domain operation sees.
    let idle = args.count.min(1_000);
    println!("one record in flight, {idle} records:");
    timed(&publisher, 1, events.iter().take(idle), &ours).await?.print("cloudevents");
    timed(&publisher, 1, raw.iter().take(idle), &raw_send).await?.print("raw rdkafka");
    publisher.flush(Duration::from_secs(10))?;
    Ok(())
}

/// A pre-encoded record, sent as it is.
fn raw_record<'a>(topic: &'a str, r: &'a EncodedRecord) -> FutureRecord<'a, str, [u8]> {
    FutureRecord::to(topic).key(r.key.as_str()).payload(r.payload.as_slice()).headers(r.headers.clone())
}

/// Sends every item with at most `in_flight` unacknowledged, timing each
/// record from enqueue to acknowledgement.
async fn timed<'a, T: 'a, F, Fut>(
    publisher: &KafkaPublisher,
    in_flight: usize,
    items: impl Iterator<Item = &'a T>,
    send: F,
) -> anyhow::Result<Figures>
where
    F: Fn(&'a T) -> Fut,
    Fut: Future<Output = Result<rdkafka::producer::DeliveryFuture, hrms_platform::PublishError>>,
{
    let started = Instant::now();
    let mut pending = FuturesUnordered::new();
    let mut latencies = Vec::new();
    for item in items {
        if pending.len() >= in_flight
            && let Some(latency) = pending.next().await
        {
            latencies.push(latency?);
        }
        let sent = Instant::now();
        let delivery = send(item).await?;
        pending.push(async move { publisher.acknowledged(delivery).await.map(|_| sent.elapsed()) });
    }
    while let Some(latency) = pending.next().await {
        latencies.push(latency?);
    }
    Ok(Figures::new(started.elapsed(), latencies))
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}
