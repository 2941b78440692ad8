//! `hrms topics`: topic admin from the event table.

use anyhow::Context;
use hrms_kafka::{KafkaConfig, TopicOutcome, ensure_topics};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create every topic and dead-letter topic that does not exist yet
    /// (partitions, replication and retention from the event table).
    Create,
    /// Print the topic table.
    List,
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::List => {
            println!(
                "{:<24} {:>10} {:>11} {:>13} {:>14}",
                "topic", "partitions", "replication", "min.insync", "retention"
            );
            for t in hrms_events::TOPICS {
                let days = t.retention_ms / 86_400_000;
                println!(
                    "{:<24} {:>10} {:>11} {:>13} {:>13}d",
                    t.name, t.partitions, t.replication_factor, t.min_insync_replicas, days
                );
            }
            Ok(())
        }
        Command::Create => {
            let config = KafkaConfig::from_env()?.context("KAFKA_BOOTSTRAP_SERVERS is not set")?;
            for outcome in ensure_topics(&config, &hrms_events::TOPICS).await.context("creating topics")? {
                match outcome {
                    TopicOutcome::Created { name, replication } => {
                        println!("created {name} (replication {replication})")
                    }
                    TopicOutcome::Existed { name } => println!("exists  {name}"),
                }
            }
            Ok(())
        }
    }
}
