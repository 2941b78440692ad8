//! The outbox on DynamoDB: items of the service's own table, put by the
//! service's transaction ([`outbox_puts`]) and read by the relay through
//! [`DynamoOutbox`].
//!
//! Every pending event is an item of partition `OUTBOX` whose sort key is
//! the event id, holding the structured-mode CloudEvent (JSON) in `event`.
//!
//! # Order
//! Event ids are UUIDv7: their text sorts by creation time (millisecond),
//! and the ids one process makes are strictly increasing. A query of the
//! partition, which the relay makes from its start every time, therefore
//! reads events in the order they were made, and the events of one key go
//! out in write order when their writes follow one another:
//! - always within one process;
//! - across processes, as long as the writers' clocks differ by less than
//!   the time between two changes of one entity: a change is conditioned on
//!   the version before it, so its events are made after that one commits.
//!
//! The limit: the order is that of making, not of committing. Two writes of
//! one key that run at the same time (two checks of one employee) are not
//! ordered by either; if the later-made one commits and is published first,
//! the other is still found (the relay starts at the partition's head) and
//! goes out after it. With SQLite the order is the commit order.
//!
//! One partition per service takes about 1,000 writes a second, far more
//! than HR changes need.
//!
//! Published events are deleted; dead ones move to partition `OUTBOX#DEAD`
//! with their reason and time, for an operator to read back
//! ([`DynamoOutbox::dead_letters`]).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Delete, DeleteRequest, Put, TransactWriteItem, WriteRequest};
use futures::future::BoxFuture;
use hrms_events::HrmsEvent;

use super::{Failure, Item, count_partition, item_key, query_partition, s, string};
use hrms_platform::Chain;
use hrms_platform::error::BoxError;
use hrms_platform::outbox::{OutboxEntry, OutboxError, OutboxStore, Pending};

/// The partition of pending events.
pub const OUTBOX_PK: &str = "OUTBOX";
/// The partition of events set aside.
pub const DEAD_PK: &str = "OUTBOX#DEAD";

/// Deletes per `BatchWriteItem` (DynamoDB's maximum).
const BATCH: usize = 25;
/// Tries of a batch whose deletes DynamoDB left unprocessed (throttling).
const BATCH_ATTEMPTS: u32 = 5;
/// Handles kept beyond those of the last read (see [`DynamoOutbox`]).
const MAX_HANDLES: usize = 10_000;

/// The transaction items that add `events` to the outbox of `table`: a
/// service appends them to the items of its change, so that the events
/// exist if and only if the change commits.
pub fn outbox_puts(table: &str, events: &[HrmsEvent]) -> Result<Vec<TransactWriteItem>, Failure> {
    events
        .iter()
        .map(|event| {
            let json = event.to_structured_json();
            let mut item = item_key(OUTBOX_PK, event.id.to_string());
            item.insert("event".into(), s(json));
            let put = Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(crate::error::build)?;
            Ok(TransactWriteItem::builder().put(put).build())
        })
        .collect()
}

/// An event set aside, as an operator reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub event_id: String,
    /// The structured-mode CloudEvent, as it was written.
    pub event: Option<String>,
    pub reason: String,
    /// RFC 3339.
    pub failed_at: String,
}

/// The relay's view of a service table's outbox.
///
/// The relay names entries by an `i64` seq; here that is a handle this
/// value hands out when it reads an event (increasing in the order read)
/// and resolves to the event id when the relay settles it. The handles of
/// one value stay valid until settled; another value (another process)
/// has its own.
pub struct DynamoOutbox {
    client: Client,
    table: String,
    handles: Mutex<Handles>,
}

#[derive(Default)]
struct Handles {
    next: i64,
    by_id: HashMap<String, i64>,
    by_seq: HashMap<i64, String>,
}

impl Handles {
    /// The handles of `ids`, the same ones as last time for events read before.
    fn assign(&mut self, ids: &[String]) -> Vec<i64> {
        if self.by_seq.len() > MAX_HANDLES {
            // Events settled by another process are never settled here.
            let read: HashSet<&String> = ids.iter().collect();
            self.by_id.retain(|id, _| read.contains(id));
            self.by_seq.retain(|_, id| read.contains(id));
        }
        ids.iter()
            .map(|id| {
                *self.by_id.entry(id.clone()).or_insert_with(|| {
                    self.next += 1;
                    self.by_seq.insert(self.next, id.clone());
                    self.next
                })
            })
            .collect()
    }

    /// Forgets `seq`, answering its event id if it was handed out.
    fn take(&mut self, seq: i64) -> Option<String> {
        let id = self.by_seq.remove(&seq)?;
        self.by_id.remove(&id);
        Some(id)
    }
}

impl DynamoOutbox {
    /// The outbox in `table` (a service table, see [`super::ensure_table`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), handles: Mutex::default() }
    }

    fn handles(&self) -> std::sync::MutexGuard<'_, Handles> {
        self.handles.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Events set aside, oldest first, up to `limit`.
    pub async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, OutboxError> {
        let items = query_partition(&self.client, &self.table, DEAD_PK, true, limit).await?;
        items
            .iter()
            .map(|item| {
                Ok(DeadLetter {
                    event_id: string(item, "sk")?.to_owned(),
                    event: string(item, "event").ok().map(str::to_owned),
                    reason: string(item, "reason")?.to_owned(),
                    failed_at: string(item, "failed_at")?.to_owned(),
                })
            })
            .collect::<Result<_, Failure>>()
            .map_err(OutboxError::from)
    }

    /// Deletes the pending events `ids`, 25 a call.
    async fn delete(&self, ids: &[String]) -> Result<(), Failure> {
        for chunk in ids.chunks(BATCH) {
            let mut requests = chunk
                .iter()
                .map(|id| {
                    let delete = DeleteRequest::builder().set_key(Some(item_key(OUTBOX_PK, id))).build();
                    Ok(WriteRequest::builder().delete_request(delete.map_err(crate::error::build)?).build())
                })
                .collect::<Result<Vec<_>, Failure>>()?;
            for attempt in 1.. {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|e| crate::error::from_sdk("delete published events", e))?;
                requests = out.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                if attempt == BATCH_ATTEMPTS {
                    return Err(Failure::unusable(format!(
                        "{} published events left undeleted (throttled)",
                        requests.len()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
        }
        Ok(())
    }

    /// Moves the pending event `id` to the dead letters with `reason`.
    async fn set_aside(&self, id: &str, reason: &str) -> Result<(), Failure> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item_key(OUTBOX_PK, id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| crate::error::from_sdk("read dead event", e))?;
        let Some(mut dead) = found.item else {
            return Ok(()); // settled meanwhile
        };
        dead.insert("pk".into(), s(DEAD_PK));
        dead.insert("reason".into(), s(reason));
        dead.insert("failed_at".into(), s(chrono::Utc::now().to_rfc3339()));
        let put = Put::builder().table_name(&self.table).set_item(Some(dead)).build();
        let delete = Delete::builder().table_name(&self.table).set_key(Some(item_key(OUTBOX_PK, id))).build();
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put.map_err(crate::error::build)?).build())
            .transact_items(TransactWriteItem::builder().delete(delete.map_err(crate::error::build)?).build())
            .send()
            .await
            .map_err(|e| crate::error::from_transaction(e, &[]))?;
        Ok(())
    }
}

/// Reads a stored item back as an event.
fn read(item: &Item) -> Result<HrmsEvent, BoxError> {
    let json = string(item, "event")?;
    Ok(HrmsEvent::from_structured_json(json)?)
}

impl OutboxStore for DynamoOutbox {
    fn pending(&self, limit: usize) -> BoxFuture<'_, Result<Pending, OutboxError>> {
        Box::pin(async move {
            let items = query_partition(&self.client, &self.table, OUTBOX_PK, true, limit).await?;
            let ids = items
                .iter()
                .map(|item| Ok(string(item, "sk")?.to_owned()))
                .collect::<Result<Vec<_>, Failure>>()?;
            let seqs = self.handles().assign(&ids);
            let mut pending = Pending::default();
            for (item, seq) in items.iter().zip(seqs) {
                match read(item) {
                    Ok(event) => pending.entries.push(OutboxEntry { seq, event }),
                    Err(e) => pending.unreadable.push((seq, format!("unreadable: {}", Chain(&*e)))),
                }
            }
            Ok(pending)
        })
    }

    fn settle<'a>(
        &'a self,
        published: &'a [i64],
        dead: &'a [(i64, String)],
    ) -> BoxFuture<'a, Result<(), OutboxError>> {
        Box::pin(async move {
            let (published, dead): (Vec<String>, Vec<(String, &str)>) = {
                let mut handles = self.handles();
                let published = published.iter().filter_map(|seq| handles.take(*seq)).collect();
                let dead = dead.iter().filter_map(|(seq, why)| Some((handles.take(*seq)?, why.as_str())));
                (published, dead.collect())
            };
            self.delete(&published).await?;
            for (id, reason) in &dead {
                self.set_aside(id, reason).await?;
            }
            Ok(())
        })
    }

    fn backlog(&self) -> BoxFuture<'_, Result<u64, OutboxError>> {
        Box::pin(async move { Ok(count_partition(&self.client, &self.table, OUTBOX_PK).await?) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn an_event_keeps_its_handle_until_settled() {
        let mut handles = Handles::default();
        let first = handles.assign(&ids(&["a", "b"]));
        assert_eq!(handles.assign(&ids(&["a", "b", "c"]))[..2], first[..], "read again, same handles");
        assert_eq!(handles.take(first[0]).as_deref(), Some("a"));
        assert_eq!(handles.take(first[0]), None, "settled once");
        assert_ne!(handles.assign(&ids(&["a"]))[0], first[0], "a handle is never reused");
    }

    #[test]
    fn handles_of_events_settled_elsewhere_are_dropped() {
        let mut handles = Handles::default();
        let many: Vec<String> = (0..=MAX_HANDLES).map(|i| i.to_string()).collect();
        handles.assign(&many);
        handles.assign(&ids(&["x"]));
        assert_eq!(handles.by_seq.len(), 1);
        assert_eq!(handles.by_id.len(), 1);
    }
}
