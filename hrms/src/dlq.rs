//! `hrms dlq list|redrive <topic>`: the dead letters of a topic, and
//! sending them back to it once what made them fail is fixed.

use anyhow::Context;
use hrms_kafka::KafkaConfig;
use hrms_kafka::redrive::{list, redrive};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Print the dead letters of `<topic>.dlq`: event, reason, attempts, when.
    List {
        /// The topic (e.g. notification-queue) or its DLQ.
        topic: String,
    },
    /// Produce the dead letters of `<topic>.dlq` not redriven yet back to `<topic>`.
    Redrive {
        /// The topic (e.g. notification-queue) or its DLQ.
        topic: String,
    },
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    let config = KafkaConfig::from_env()?.context("KAFKA_BOOTSTRAP_SERVERS is not set")?;
    let dlq = |topic: &str| if topic.ends_with(".dlq") { topic.to_owned() } else { format!("{topic}.dlq") };
    match command {
        Command::List { topic } => {
            let letters = list(&config, &dlq(&topic))?;
            for l in &letters {
                let (id, ty) = l.event.clone().unwrap_or(("(not an event)".into(), "-".into()));
                println!(
                    "{}:{} {ty} {id} attempts={} at={} from={}: {}",
                    l.partition, l.offset, l.attempts, l.failed_at, l.original_topic, l.reason
                );
            }
            println!("{} dead letters in {}", letters.len(), dlq(&topic));
        }
        Command::Redrive { topic } => {
            let bar = ProgressBar::new(0);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} letters ({per_sec}, {eta} left)")
            {
                bar.set_style(style);
            }
            let done = redrive(&config, &dlq(&topic), |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await?;
            bar.finish_and_clear();
            println!("redrove {done} dead letters from {} to their topic", dlq(&topic));
        }
    }
    Ok(())
}
