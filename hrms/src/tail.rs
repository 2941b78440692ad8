//! `hrms events tail <topic>`: follows a topic (from its end, or its start
//! with `--from-beginning`), decodes each record as a CloudEvent (Kafka
//! binary or structured mode) and prints those the filters keep, one line
//! each or one JSON object each. On a dead-letter topic it shows the
//! `dlq_*` headers: why, how often, from where. Reads without a consumer
//! group of its own (nothing is committed); Kafka settings as every command.

use std::time::Duration;

use anyhow::{Context, bail};
use hrms_kafka::codec::decode;
use hrms_kafka::dlq;
use hrms_kafka::{KafkaConfig, KafkaContext};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{Value, json};

#[derive(clap::Args)]
pub struct Args {
    /// The topic (e.g. notification-queue, audit-queue.dlq).
    topic: String,
    /// Read from the start of the topic instead of only what comes next.
    #[arg(long)]
    from_beginning: bool,
    /// Only events of this type, or of the types it starts
    /// (e.g. `leave.`).
    #[arg(long = "type", value_name = "TYPE")]
    event_type: Option<String>,
    /// Only events with this subject.
    #[arg(long)]
    subject: Option<String>,
    /// Only records with this key (the partition key).
    #[arg(long)]
    key: Option<String>,
    /// One JSON object per line: the place, the key, the CloudEvent
    /// (structured mode), the `dlq_*` headers.
    #[arg(long)]
    json: bool,
    /// Stop after printing this many records.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
}

/// What one record shows.
struct Seen {
    topic: String,
    partition: i32,
    offset: i64,
    key: Option<String>,
    /// `type`, `subject`, `id`, `time` of the CloudEvent, from the decoded
    /// event or, if it cannot be decoded, from its `ce_*` headers.
    ty: Option<String>,
    subject: Option<String>,
    id: Option<String>,
    time: Option<String>,
    /// The structured-mode CloudEvent, when it decodes as one of ours.
    event: Option<Value>,
    /// Why it does not decode.
    error: Option<String>,
    /// The dead-letter headers (`dlq_*`, `ce_dlq*`), in record order.
    dlq: Vec<(String, String)>,
}

impl Seen {
    fn of(m: &BorrowedMessage<'_>) -> Self {
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        let headers: Vec<(String, String)> = m
            .headers()
            .map(|hs| hs.iter().filter_map(|h| Some((h.key.to_owned(), text(h.value?)))).collect())
            .unwrap_or_default();
        let header = |k: &str| headers.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let mut seen = Self {
            topic: m.topic().to_owned(),
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(text),
            ty: header("ce_type"),
            subject: header("ce_subject"),
            id: header("ce_id"),
            time: header("ce_time"),
            event: None,
            error: None,
            dlq: headers.iter().filter(|(k, _)| dlq::is_reason(k)).cloned().collect(),
        };
        match decode(m) {
            Ok(event) => {
                seen.ty = Some(event.event_type().as_str().to_owned());
                seen.subject = Some(event.subject());
                seen.id = Some(event.id.to_string());
                seen.time = Some(event.time.to_rfc3339());
                seen.event = serde_json::from_str(&event.to_structured_json()).ok();
            }
            Err(e) => seen.error = Some(e.to_string()),
        }
        seen
    }

    fn line(&self) -> String {
        let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let mut line = format!(
            "{}/{}@{} {} {} key={} subject={} id={}",
            self.topic,
            self.partition,
            self.offset,
            or_dash(&self.time),
            or_dash(&self.ty),
            or_dash(&self.key),
            or_dash(&self.subject),
            or_dash(&self.id),
        );
        if let Some(e) = &self.error {
            line.push_str(&format!(" undecodable: {e}"));
        }
        for (k, v) in &self.dlq {
            line.push_str(&format!(" {k}={v:?}"));
        }
        line
    }

    fn json(&self) -> Value {
        json!({
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "key": self.key,
            "type": self.ty,
            "subject": self.subject,
            "id": self.id,
            "event": self.event,
            "error": self.error,
            "dlq": self.dlq.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
        })
    }

    fn kept_by(&self, args: &Args) -> bool {
        let matches = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_deref() == Some(w.as_str()))
        };
        let type_ok = args
            .event_type
            .as_ref()
            .is_none_or(|w| self.ty.as_deref().is_some_and(|t| t == w || t.starts_with(w.as_str())));
        type_ok && matches(&args.subject, &self.subject) && matches(&args.key, &self.key)
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = KafkaConfig::from_env()?.context("KAFKA_BOOTSTRAP_SERVERS is not set")?;
    let group = format!("hrms-events-tail-{}", uuid::Uuid::now_v7());
    let settings = hrms_kafka::ConsumerSettings {
        statistics_interval: Duration::ZERO,
        ..hrms_kafka::ConsumerSettings::new(group)
    };
    let context = config.context()?;
    let consumer: StreamConsumer<KafkaContext> =
        config.consumer_config(&settings).create_with_context(context.clone())?;
    let topic = args.topic.clone();
    // Where to start, resolved now: whatever is produced once "following"
    // is printed is shown.
    let (consumer, assignment) = tokio::task::spawn_blocking(move || {
        // Its metadata is asked before its first poll serves a token request.
        let assignment = context
            .prime(consumer.client())
            .map_err(anyhow::Error::from)
            .and_then(|()| start(&consumer, &topic, args.from_beginning));
        (consumer, assignment)
    })
    .await?;
    let assignment = assignment?;
    consumer.assign(&assignment)?;
    eprintln!(
        "following {} ({} partitions) from {}; Ctrl-C to stop",
        args.topic,
        assignment.count(),
        if args.from_beginning { "the beginning" } else { "the end" }
    );
    let mut printed = 0;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    while args.limit.is_none_or(|limit| printed < limit) {
        let record = tokio::select! {
            record = consumer.recv() => record?,
            _ = &mut ctrl_c => break,
        };
        let seen = Seen::of(&record);
        if !seen.kept_by(&args) {
            continue;
        }
        if args.json {
            println!("{}", seen.json());
        } else {
            println!("{}", seen.line());
        }
        printed += 1;
    }
    Ok(())
}

/// Each partition of `topic` at its end now (its high watermark), or at
/// its start.
fn start(
    consumer: &StreamConsumer<KafkaContext>,
    topic: &str,
    from_beginning: bool,
) -> anyhow::Result<TopicPartitionList> {
    let timeout = Duration::from_secs(10);
    let metadata = consumer
        .fetch_metadata(Some(topic), timeout)
        .with_context(|| format!("cannot read the partitions of {topic} from the brokers"))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        bail!("topic {topic} does not exist (see `hrms topics create`)");
    }
    let mut assignment = TopicPartitionList::new();
    for p in partitions {
        let (low, high) = consumer.fetch_watermarks(topic, p, timeout)?;
        let offset = if from_beginning { low } else { high };
        assignment.add_partition_offset(topic, p, Offset::Offset(offset))?;
    }
    Ok(assignment)
}
