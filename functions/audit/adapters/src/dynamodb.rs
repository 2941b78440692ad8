//! The Audit store on DynamoDB (table `<prefix>audit`): the hash-chained
//! log of [`hrms_audit`], its heads, the read model, and the indexes that
//! list the log by time. Made by [`hrms_dynamodb::ensure_laid_out_table`]
//! with its indexes ([`LAYOUT`]).
//!
//! # Items
//! | item | `pk` | `sk` | attributes |
//! | --- | --- | --- | --- |
//! | row | `SUBJECT#<subject>` | `SEQ#<seq, 20 digits>` | the [`Entry`] (`event_id`, `subject`, `seq` N, `event_type`, `actor`, `time`, `recorded_at`, `event`, `prev_hash`, `hash`), `day_key` `DAY#<YYYY-MM-DD>`, `time_key` `<time>#<event id>` |
//! | head | `SUBJECT#<subject>` | `HEAD` | `subject`, `seq` N, `hash` |
//! | state (read model) | `SUBJECT#<subject>` | `STATE` | `seq` N, `time` (event time), `record` ([`SubjectState`] JSON) |
//! | event logged | `EVENT#<event id>` | `EVENT` | `subject`, `seq` N |
//! | subject listed | `SUBJECTS` | `<subject>` | |
//! | day listed | `DAYS` | `<YYYY-MM-DD>` | |
//!
//! Indexes (every attribute projected; only rows have `time_key`, so only
//! rows are in them):
//! - local `by_time` (`pk`, `time_key`): a subject's rows by time, strongly
//!   consistent: the `subject` filter;
//! - global `by_day` (`day_key`, `time_key`): every row, walked day by day
//!   through the `DAYS` items between `from` and `to`;
//! - global `by_actor` (`actor`, `time_key`) and `by_type` (`event_type`,
//!   `time_key`): the `actor` and `event_type` filters. With both, the
//!   actor's index is read and the type is a `FilterExpression` (one
//!   person's actions are fewer than one type's); with `subject`, both are.
//!
//! `from`, `to` and the cursor bound `time_key` (`BETWEEN`), so no listing
//! reads a row outside its range or another actor's or type's rows, and
//! none scans the table. Global indexes are eventually consistent: a row
//! appears in the unfiltered, actor and type listings a moment after its
//! append (typically well under a second); a subject's listing, `chain`,
//! `state` and `heads` read their writes.
//!
//! # Appending
//! 1. One strongly consistent `BatchGetItem` (100 keys a call, calls in
//!    parallel) reads the batch's `EVENT` items, and each subject's head
//!    and state `seq`: logged events are duplicates, skipped.
//! 2. The days of the new rows are put into `DAYS` (once per day and
//!    process, before the rows, so a listed row's day is always listed).
//! 3. Subjects are written concurrently, each one's rows in order, 49 rows
//!    (or 3 MB) a `TransactWriteItems`: the rows and their `EVENT` items
//!    put if absent, the head put if it still is the one read (`seq` and
//!    `hash`), and with a subject's first row its `SUBJECTS` item. Two
//!    writers of one subject cannot both commit the same place: the loser
//!    gets [`StoreError::Contended`] and wrote nothing. An `EVENT` item that
//!    fails its condition is an event logged meanwhile: it is skipped, the
//!    head read again and the rest of the subject's rows linked anew.
//! 4. Each subject's state is put, the latest new row's by event time, with
//!    a conditional `PutItem` that keeps a stored state of a later event
//!    (`time`, then `seq`): a late (redriven) event never becomes current.
//!
//! Atomicity is per transaction: a batch that fails part-way leaves, for
//! each subject, a prefix of its new rows (with the head), and its caller
//! retries it; the prefix is then found logged. The read model lags the
//! log when step 4 fails; the next append of the subject (a retry
//! included) finds its state `seq` behind its head and puts the state of
//! the head's row.
//!
//! # Limits
//! - All of one day's rows go to one partition of `by_day` (and one
//!   type's to one of `by_type`): about 1,000 rows a second in all, far
//!   beyond an HR system's audit events. Sharding `day_key`
//!   (`DAY#<date>#<n>`) would lift it at the cost of merging n queries.
//! - [`AuditStore::subjects`] lists the `SUBJECTS` items (a `Query`, in
//!   order) and keeps those with a row (one `Select=COUNT`, `Limit=1` query
//!   each, in parallel): so a chain whose head or rows were deleted is
//!   still listed (verification finds it), and one whose rows are all gone
//!   is not (verification finds its head alone). Deleting a `SUBJECTS` item
//!   hides its chain from verification; [`AuditStore::heads`] reads the
//!   heads of the listed subjects, so that changes the heads' digest, which
//!   an auditor keeps elsewhere. A scan over the rows instead would cost a
//!   full read of the table for every page of subjects.
//! - A chain whose head item was deleted takes no more rows: its appends
//!   are contended (row 1 exists) until an operator puts the head back;
//!   verification names the chain.
//! - Clearing the read model ([`AuditStore::put_states`] with [`States::First`])
//!   deletes the `STATE` item of every listed subject.
//!
//! # Layout
//! This file owns the keys and items; `write` the append path and the read
//! model's replacement; `read` the listings, counts, chains, subjects,
//! heads and states.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hrms_audit::entry::{Entry, GENESIS, NewEntry, format_time};
use hrms_audit::store::{Appended, AuditStore, Head, Page, Query, States, StoreError, SubjectState};
use uuid::Uuid;

use hrms_dynamodb::batch::Projection;
use hrms_dynamodb::{Failure, Index, Item, Layout, item_key, s, string};

/// The indexes of the audit table (see the module docs).
pub const LAYOUT: Layout = Layout {
    local: &[Index { name: BY_TIME, partition: "pk", sort: TIME_KEY }],
    global: &[
        Index { name: BY_DAY, partition: DAY_KEY, sort: TIME_KEY },
        Index { name: BY_ACTOR, partition: "actor", sort: TIME_KEY },
        Index { name: BY_TYPE, partition: "event_type", sort: TIME_KEY },
    ],
};

const BY_TIME: &str = "by_time";
const BY_DAY: &str = "by_day";
const BY_ACTOR: &str = "by_actor";
const BY_TYPE: &str = "by_type";
/// `<time>#<event id>`: the sort key of every index.
const TIME_KEY: &str = "time_key";
/// `DAY#<YYYY-MM-DD>`: the partition key of `by_day`.
const DAY_KEY: &str = "day_key";

const HEAD_SK: &str = "HEAD";
const STATE_SK: &str = "STATE";
const EVENT_SK: &str = "EVENT";
const SUBJECTS_PK: &str = "SUBJECTS";
const DAYS_PK: &str = "DAYS";

/// Rows per transaction: with their `EVENT` items, the head and the
/// `SUBJECTS` item, DynamoDB's 100 items.
const ROWS_PER_WRITE: usize = 49;
/// Event bytes per transaction, below DynamoDB's 4 MB.
const BYTES_PER_WRITE: usize = 3 << 20;
/// Subjects written at once by one append, by default; subjects checked at once.
const SUBJECTS_AT_ONCE: usize = 16;
/// Below and above every `time_key` (times start with a digit, `+` or `-`).
const LOWEST: &str = " ";
const HIGHEST: &str = "~";

/// What the look-up before an append reads of heads, states and `EVENT` items.
const LOOKUP: Projection = Projection { expression: "pk, sk, seq, #h", names: &[("#h", "hash")] };

const CONDITION_FAILED: &str = "ConditionalCheckFailed";
const TRANSACTION_CONFLICT: &str = "TransactionConflict";

fn subject_pk(subject: &str) -> String {
    format!("SUBJECT#{subject}")
}

fn seq_sk(seq: u64) -> String {
    format!("SEQ#{seq:020}")
}

fn event_pk(id: Uuid) -> String {
    format!("EVENT#{id}")
}

fn time_key(time: &DateTime<Utc>, event_id: Uuid) -> String {
    format!("{}#{event_id}", format_time(time))
}

fn day(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%d").to_string()
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn number(item: &Item, name: &str) -> Result<u64, Failure> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => {
            v.parse().map_err(|e| Failure::unavailable(format!("item with a non-integer {name}: {v}"), e))
        }
        _ => Err(Failure::unusable(format!("item without number attribute {name}"))),
    }
}

/// `text` without `prefix`, or an unreadable item.
fn strip<'a>(text: &'a str, prefix: &str) -> Result<&'a str, Failure> {
    text.strip_prefix(prefix).ok_or_else(|| Failure::unusable(format!("unexpected key {text}")))
}

fn unreadable(what: &str, e: impl Into<hrms_platform::error::BoxError>) -> Failure {
    Failure::unavailable(format!("unreadable {what}"), e)
}

/// The item of a row.
fn row_item(entry: &Entry) -> Item {
    let mut item = item_key(subject_pk(&entry.subject), seq_sk(entry.seq));
    for (name, value) in [
        ("event_id", s(entry.event_id.to_string())),
        ("subject", s(&entry.subject)),
        ("seq", n(entry.seq)),
        ("event_type", s(&entry.event_type)),
        ("actor", s(&entry.actor)),
        ("time", s(format_time(&entry.time))),
        ("recorded_at", s(format_time(&entry.recorded_at))),
        ("event", s(&entry.event)),
        ("prev_hash", s(&entry.prev_hash)),
        ("hash", s(&entry.hash)),
        (DAY_KEY, s(format!("DAY#{}", day(&entry.time)))),
        (TIME_KEY, s(time_key(&entry.time, entry.event_id))),
    ] {
        item.insert(name.to_owned(), value);
    }
    item
}

/// A row read back.
fn entry_of(item: &Item) -> Result<Entry, Failure> {
    let time = |name| {
        DateTime::parse_from_rfc3339(string(item, name)?)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| unreadable(name, e))
    };
    let text = |name| string(item, name).map(str::to_owned);
    Ok(Entry {
        event_id: Uuid::parse_str(string(item, "event_id")?).map_err(|e| unreadable("event id", e))?,
        subject: text("subject")?,
        seq: number(item, "seq")?,
        event_type: text("event_type")?,
        actor: text("actor")?,
        time: time("time")?,
        recorded_at: time("recorded_at")?,
        event: text("event")?,
        prev_hash: text("prev_hash")?,
        hash: text("hash")?,
    })
}

/// Where a chain ends: `seq` 0 and [`GENESIS`] before its first row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Link {
    seq: u64,
    hash: String,
}

impl Link {
    fn start() -> Self {
        Self { seq: 0, hash: GENESIS.to_owned() }
    }

    fn of(item: &Item) -> Result<Self, Failure> {
        Ok(Self { seq: number(item, "seq")?, hash: string(item, "hash")?.to_owned() })
    }
}

/// The audit log, its heads and read model in the audit table.
#[derive(Clone)]
pub struct DynamoAuditStore {
    client: Client,
    table: String,
    /// Days this process put into `DAYS`.
    days: Arc<Mutex<HashSet<String>>>,
    /// Subjects' transactions in flight at once.
    writers: usize,
}

impl DynamoAuditStore {
    /// The store in `table` (see [`hrms_dynamodb::ensure_laid_out_table`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), days: Arc::default(), writers: SUBJECTS_AT_ONCE }
    }

    /// Writes at most `writers` subjects of a batch at once (default 16).
    pub fn with_writers(mut self, writers: usize) -> Self {
        self.writers = writers.max(1);
        self
    }

    /// Whether the table answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(hrms_dynamodb::ping(&self.client, &self.table).await?)
    }
}

impl AuditStore for DynamoAuditStore {
    fn append(&self, entries: Vec<NewEntry>) -> BoxFuture<'_, Result<Appended, StoreError>> {
        Box::pin(async move { self.append_all(&entries).await })
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page, StoreError>> {
        Box::pin(async move { Ok(self.find(query).await?) })
    }

    fn count<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move { Ok(self.count_all(query).await?) })
    }

    fn chain<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<Vec<Entry>, StoreError>> {
        Box::pin(async move { Ok(self.read_chain(subject).await?) })
    }

    fn subjects<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        Box::pin(async move { Ok(self.subjects_with_rows(after, limit).await?) })
    }

    fn heads(&self) -> BoxFuture<'_, Result<Vec<Head>, StoreError>> {
        Box::pin(async move { Ok(self.read_heads().await?) })
    }

    fn state<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<Option<SubjectState>, StoreError>> {
        Box::pin(async move { Ok(self.read_state(subject).await?) })
    }

    fn put_states<'a>(
        &'a self,
        states: &'a [SubjectState],
        which: States,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { Ok(self.replace_states(states, which).await?) })
    }
}

mod read;
#[cfg(test)]
mod tests;
mod write;

/// The audit table on the test binary's moto, with its indexes.
#[cfg(test)]
pub mod testing {
    use hrms_dynamodb::ensure_laid_out_table;
    pub use hrms_dynamodb::testing::Tables;

    use super::{DynamoAuditStore, LAYOUT};

    /// A fresh table prefix with the audit table.
    pub async fn tables() -> Tables {
        let tables = hrms_dynamodb::testing::tables(&[]).await;
        ensure_laid_out_table(&tables.client, &tables.table("audit"), &LAYOUT)
            .await
            .expect("the audit table on moto");
        tables
    }

    /// The audit log in `tables`, one subject written at a time (moto takes no concurrent transactions).
    pub fn audit_store(tables: &Tables) -> DynamoAuditStore {
        DynamoAuditStore::new(tables.client.clone(), tables.table("audit")).with_writers(1)
    }
}
