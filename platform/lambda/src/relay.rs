//! The outbox relay as a Lambda (`hrms lambda --function relay`): a frozen
//! Lambda runs nothing between invocations, so the functions do not relay
//! their own outboxes there. DynamoDB Streams on each function's table
//! invoke this one instead; for every table whose stream records show a new
//! outbox item it drains that table's outbox with the platform's
//! [`Relay`]: pending events oldest first, in order per key, each deleted
//! once the broker acknowledged it.
//!
//! If publishing fails the invocation fails, the stream delivers the
//! records again and the events, still in the outbox, go out then (at least
//! once, with their ids: consumers dedupe). An EventBridge schedule invokes
//! it too (the sweep): any table whose oldest pending event is older than
//! `sweep_after` is drained, for what a stream record missed (a stream
//! keeps records 24 hours).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use hrms_dynamodb::Client;
use hrms_dynamodb::outbox::{DynamoOutbox, OUTBOX_PK};
use hrms_platform::EventPublisher;
use hrms_platform::outbox::{OutboxError, OutboxStore, Relay, RelaySettings};
use serde::Deserialize;

/// The relay's tables and publisher.
#[derive(Clone)]
pub struct StreamRelay {
    pub client: Client,
    /// The tables whose outboxes it may drain (the functions' tables).
    pub tables: Vec<String>,
    pub publisher: Arc<dyn EventPublisher>,
    /// How old the oldest pending event must be for the sweep to drain its table.
    pub sweep_after: Duration,
}

/// Why the relay did not finish: the invocation fails and is retried.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("not a DynamoDB Streams event")]
    Shape(#[source] serde_json::Error),
    #[error("the outbox of {table}")]
    Outbox {
        table: String,
        #[source]
        source: OutboxError,
    },
    #[error("publishing the outbox of {table} was interrupted; {published} went out")]
    Interrupted { table: String, published: u64 },
}

/// What a relay invocation published.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RelayReport {
    /// The tables drained.
    pub tables: Vec<String>,
    pub published: u64,
    /// Events set aside because the broker can never take them.
    pub dead: u64,
}

/// The parts of a Streams event the relay reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StreamEvent {
    records: Vec<StreamRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StreamRecord {
    #[serde(default)]
    event_name: Option<String>,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: String,
    #[serde(default)]
    dynamodb: Option<StreamChange>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StreamChange {
    #[serde(default)]
    keys: Option<serde_json::Value>,
}

/// The table of a stream's ARN: `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`.
pub fn table_of(arn: &str) -> Option<&str> {
    arn.split_once(":table/")?.1.split('/').next().filter(|t| !t.is_empty())
}

impl StreamRelay {
    /// Drains the outbox of each table whose records in `event` (a Streams
    /// event) add an outbox item; records of other tables are ignored.
    pub async fn on_stream(&self, event: serde_json::Value) -> Result<RelayReport, RelayError> {
        let event: StreamEvent = serde_json::from_value(event).map_err(RelayError::Shape)?;
        let mut touched = BTreeSet::new();
        for record in &event.records {
            let inserted = record.event_name.as_deref().is_none_or(|n| n == "INSERT");
            let outbox = record
                .dynamodb
                .as_ref()
                .and_then(|c| c.keys.as_ref())
                .and_then(|k| k.pointer("/pk/S"))
                .and_then(|pk| pk.as_str())
                .is_none_or(|pk| pk == OUTBOX_PK);
            match table_of(&record.event_source_arn) {
                Some(table) if self.tables.iter().any(|t| t == table) => {
                    if inserted && outbox {
                        touched.insert(table.to_owned());
                    }
                }
                _ => {
                    tracing::warn!(arn = %record.event_source_arn, "stream record of a table this relay does not serve")
                }
            }
        }
        self.drain_all(touched).await
    }

    /// The sweep: drains every table whose oldest pending event is older
    /// than `sweep_after`.
    pub async fn sweep(&self) -> Result<RelayReport, RelayError> {
        let mut late = BTreeSet::new();
        let now = chrono::Utc::now();
        for table in &self.tables {
            let outbox = DynamoOutbox::new(self.client.clone(), table.clone());
            let pending = outbox
                .pending(1)
                .await
                .map_err(|source| RelayError::Outbox { table: table.clone(), source })?;
            let oldest = pending.entries.first().map(|e| e.event.time);
            let waited = oldest.map(|t| (now - t).to_std().unwrap_or_default());
            if waited.is_some_and(|w| w >= self.sweep_after) || !pending.unreadable.is_empty() {
                late.insert(table.clone());
            }
        }
        self.drain_all(late).await
    }

    async fn drain_all(&self, tables: BTreeSet<String>) -> Result<RelayReport, RelayError> {
        let mut report = RelayReport::default();
        for table in tables {
            let outbox = Arc::new(DynamoOutbox::new(self.client.clone(), table.clone()));
            let relay = Relay::new(outbox, self.publisher.clone(), RelaySettings::default());
            let drained =
                relay.drain().await.map_err(|source| RelayError::Outbox { table: table.clone(), source })?;
            report.published += drained.published;
            report.dead += drained.dead;
            if drained.interrupted {
                return Err(RelayError::Interrupted { table, published: report.published });
            }
            report.tables.push(table);
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_of_a_stream_arn() {
        let arn =
            "arn:aws:dynamodb:eu-west-1:123456789012:table/hrms-employee/stream/2026-12-07T04:00:00.000";
        assert_eq!(table_of(arn), Some("hrms-employee"));
        assert_eq!(table_of("arn:aws:kafka:eu-west-1:1:cluster/x"), None);
        assert_eq!(table_of("arn:aws:dynamodb:r:1:table//stream/x"), None);
    }
}
