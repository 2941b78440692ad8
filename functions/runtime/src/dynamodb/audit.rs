//! The Audit store on DynamoDB (table `<prefix>audit`): the hash-chained
//! log of [`hrms_audit`], its heads, the read model, and the indexes that
//! list the log by time. Made by [`super::ensure_tables`] (or
//! [`super::ensure_service_table`]) with its indexes ([`LAYOUT`]).
//!
//! # Items
//! | item | `pk` | `sk` | attributes |
//! | --- | --- | --- | --- |
//! | row | `SUBJECT#<subject>` | `SEQ#<seq, 20 digits>` | the [`Entry`] (`event_id`, `subject`, `seq` N, `event_type`, `actor`, `time`, `recorded_at`, `event`, `prev_hash`, `hash`), `day_key` `DAY#<YYYY-MM-DD>`, `time_key` `<time>#<event id>` |
//! | head | `SUBJECT#<subject>` | `HEAD` | `subject`, `seq` N, `hash` |
//! | state (read model) | `SUBJECT#<subject>` | `STATE` | `seq` N, `record` ([`SubjectState`] JSON) |
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
//! 4. The subjects' states are put with `BatchWriteItem`, unprocessed items
//!    retried with backoff.
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
//! - Clearing the read model ([`AuditStore::put_states`] with `first`)
//!   deletes the `STATE` item of every listed subject.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, Put, PutRequest, Select, TransactWriteItem, WriteRequest,
};
use chrono::{DateTime, SubsecRound, Utc};
use futures::future::BoxFuture;
use futures::{StreamExt, stream};
use hrms_audit::entry::{Entry, GENESIS, NewEntry, format_time};
use hrms_audit::store::{Appended, AuditStore, Head, Order, Page, Query, StoreError, SubjectState};
use uuid::Uuid;

use super::batch::{self, Projection};
use super::{Failure, Index, Item, Layout, item_key, s, string};

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
            v.parse().map_err(|_| Failure::Unavailable(format!("item with a non-integer {name}: {v}")))
        }
        _ => Err(Failure::Unavailable(format!("item without number attribute {name}"))),
    }
}

/// `text` without `prefix`, or an unreadable item.
fn strip<'a>(text: &'a str, prefix: &str) -> Result<&'a str, Failure> {
    text.strip_prefix(prefix).ok_or_else(|| Failure::Unavailable(format!("unexpected key {text}")))
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::Unavailable(format!("unreadable {what}: {e}"))
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

/// What the log holds of a batch before it is written.
#[derive(Default)]
struct Known {
    logged: HashSet<Uuid>,
    heads: HashMap<String, Link>,
    /// The `seq` of each subject's state.
    states: HashMap<String, u64>,
}

/// One subject's new entries, in order.
#[derive(Clone)]
struct Batch {
    subject: String,
    entries: Vec<NewEntry>,
}

/// What was written of one subject's batch.
#[derive(Default)]
struct Outcome {
    recorded: usize,
    duplicates: usize,
    /// The last row written.
    last: Option<Entry>,
    /// Why the rest was not written.
    error: Option<Failure>,
}

/// Why one transaction of rows did not commit.
enum Refused {
    /// These events are logged already.
    Duplicates(HashSet<Uuid>),
    Failed(Failure),
}

/// How a query reaches its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access<'a> {
    /// The subject's partition by time (`by_time`), strongly consistent.
    Subject(&'a str),
    Actor(&'a str),
    Type(&'a str),
    /// Every row (`by_day`), day by day.
    Days,
}

/// A query's access path, filters and bounds on `time_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan<'a> {
    access: Access<'a>,
    /// Equalities checked by a `FilterExpression`: (attribute, value).
    filters: Vec<(&'static str, &'a str)>,
    /// Inclusive bounds on `time_key`.
    lo: String,
    hi: String,
    /// The cursor's row, at one end of the bounds: not returned again.
    skip: Option<String>,
    forward: bool,
}

impl<'a> Plan<'a> {
    /// How to answer `query` (`cursor`: from its cursor on); `None` when no
    /// row can match.
    fn of(query: &'a Query, cursor: bool) -> Option<Self> {
        let (actor, ty) = (query.actor.as_deref(), query.event_type.as_deref());
        let (access, filters) = match (query.subject.as_deref(), actor, ty) {
            (Some(subject), ..) => (Access::Subject(subject), vec![("actor", actor), ("event_type", ty)]),
            (None, Some(actor), _) => (Access::Actor(actor), vec![("event_type", ty)]),
            (None, None, Some(ty)) => (Access::Type(ty), vec![]),
            (None, None, None) => (Access::Days, vec![]),
        };
        let filters = filters.into_iter().filter_map(|(name, value)| Some((name, value?))).collect();
        // Rows keep microseconds: `time >= from` is `time >= ceil(from)`, and
        // likewise for `to`, which is exclusive: every `time_key` at a time
        // is above that time alone.
        let bound = |t: &DateTime<Utc>| format_time(&ceil_micros(t));
        let mut lo = query.from.as_ref().map_or_else(|| LOWEST.to_owned(), bound);
        let mut hi = query.to.as_ref().map_or_else(|| HIGHEST.to_owned(), bound);
        let forward = query.order == Order::OldestFirst;
        let mut skip = None;
        if let Some(after) = query.after.as_ref().filter(|_| cursor) {
            let at = time_key(&after.time, after.event_id);
            if forward {
                lo = lo.max(at.clone());
            } else {
                hi = hi.min(at.clone());
            }
            skip = Some(at);
        }
        (lo <= hi).then_some(Self { access, filters, lo, hi, skip, forward })
    }

    /// The days that hold the bounds (the date part of each).
    fn days<'b>(&'b self) -> (&'b str, &'b str) {
        let date = |key: &'b str| key.get(..10).unwrap_or(key);
        (date(self.lo.as_str()), date(self.hi.as_str()))
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
    /// The store in `table` (see [`super::ensure_tables`]).
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
        Ok(super::ping(&self.client, &self.table).await?)
    }

    async fn append_all(&self, entries: &[NewEntry]) -> Result<Appended, StoreError> {
        let mut appended = Appended::default();
        let mut seen = HashSet::new();
        let mut batches: Vec<Batch> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for entry in entries {
            if !seen.insert(entry.event_id) {
                appended.duplicates += 1;
                continue;
            }
            let at = *index.entry(&entry.subject).or_insert_with(|| {
                batches.push(Batch { subject: entry.subject.clone(), entries: Vec::new() });
                batches.len() - 1
            });
            batches[at].entries.push(entry.clone());
        }
        let known = self.look_up(&batches).await?;
        for batch in &mut batches {
            let before = batch.entries.len();
            batch.entries.retain(|e| !known.logged.contains(&e.event_id));
            appended.duplicates += before - batch.entries.len();
        }
        self.list_days(batches.iter().flat_map(|b| &b.entries).map(|e| day(&e.time)).collect()).await?;

        let outcomes: Vec<(String, Outcome)> = stream::iter(batches)
            .map(|batch| {
                let head = known.heads.get(&batch.subject).cloned().unwrap_or_else(Link::start);
                async move {
                    let outcome = self.append_subject(&batch.subject, batch.entries, head).await;
                    (batch.subject, outcome)
                }
            })
            .buffer_unordered(self.writers)
            .collect()
            .await;

        let mut states = Vec::new();
        let mut behind = Vec::new();
        let mut error = None;
        for (subject, outcome) in outcomes {
            appended.recorded += outcome.recorded;
            appended.duplicates += outcome.duplicates;
            match (&outcome.last, known.heads.get(&subject)) {
                (Some(last), _) => states.push(SubjectState::of(last)),
                (None, Some(head)) if known.states.get(&subject).is_none_or(|seq| *seq < head.seq) => {
                    behind.push(item_key(subject_pk(&subject), seq_sk(head.seq)));
                }
                _ => {}
            }
            error = error.or(outcome.error);
        }
        // States that an earlier append failed to write: the head's row's.
        for item in batch::get(&self.client, &self.table, behind, None).await? {
            states.push(SubjectState::of(&entry_of(&item)?));
        }
        self.put_state_items(&states).await?;
        match error {
            Some(e) => Err(e.into()),
            None => Ok(appended),
        }
    }

    /// The batch's `EVENT` items, and its subjects' heads and state `seq`s.
    async fn look_up(&self, batches: &[Batch]) -> Result<Known, Failure> {
        let mut keys = Vec::new();
        for batch in batches {
            let pk = subject_pk(&batch.subject);
            keys.push(item_key(&pk, HEAD_SK));
            keys.push(item_key(&pk, STATE_SK));
            keys.extend(batch.entries.iter().map(|e| item_key(event_pk(e.event_id), EVENT_SK)));
        }
        let mut known = Known::default();
        for item in batch::get(&self.client, &self.table, keys, Some(LOOKUP)).await? {
            let pk = string(&item, "pk")?;
            match string(&item, "sk")? {
                EVENT_SK => {
                    let id = strip(pk, "EVENT#")?;
                    known.logged.insert(Uuid::parse_str(id).map_err(|e| unreadable("event id", e))?);
                }
                HEAD_SK => {
                    known.heads.insert(strip(pk, "SUBJECT#")?.to_owned(), Link::of(&item)?);
                }
                STATE_SK => {
                    known.states.insert(strip(pk, "SUBJECT#")?.to_owned(), number(&item, "seq")?);
                }
                other => return Err(Failure::Unavailable(format!("unexpected item {pk} {other}"))),
            }
        }
        Ok(known)
    }

    /// Puts the `DAYS` items of `days` this process has not put yet.
    async fn list_days(&self, mut days: HashSet<String>) -> Result<(), Failure> {
        {
            let listed = self.days.lock().unwrap_or_else(|p| p.into_inner());
            days.retain(|d| !listed.contains(d));
        }
        if days.is_empty() {
            return Ok(());
        }
        let puts = days.iter().map(|d| put_request(item_key(DAYS_PK, d))).collect::<Result<_, _>>()?;
        batch::write(&self.client, &self.table, puts).await?;
        self.days.lock().unwrap_or_else(|p| p.into_inner()).extend(days);
        Ok(())
    }

    /// Appends `entries` to the chain of `subject`, whose head was `head`,
    /// a transaction at a time.
    async fn append_subject(&self, subject: &str, mut pending: Vec<NewEntry>, mut head: Link) -> Outcome {
        let mut outcome = Outcome::default();
        while !pending.is_empty() {
            let count = chunk_len(&pending);
            // The log keeps microseconds (`format_time`).
            let recorded_at = Utc::now().trunc_subsecs(6);
            let rows: Vec<Entry> = link(&pending[..count], &head, recorded_at);
            match self.write_rows(subject, &rows, &head).await {
                Ok(()) => {
                    pending.drain(..count);
                    outcome.recorded += count;
                    outcome.last = rows.into_iter().last();
                    if let Some(last) = &outcome.last {
                        head = Link { seq: last.seq, hash: last.hash.clone() };
                    }
                }
                Err(Refused::Duplicates(ids)) => {
                    let before = pending.len();
                    pending.retain(|e| !ids.contains(&e.event_id));
                    outcome.duplicates += before - pending.len();
                    match self.read_head(subject).await {
                        Ok(moved) => head = moved,
                        Err(e) => {
                            outcome.error = Some(e);
                            break;
                        }
                    }
                }
                Err(Refused::Failed(e)) => {
                    outcome.error = Some(e);
                    break;
                }
            }
        }
        outcome
    }

    /// Writes `rows` after `head` in one transaction.
    async fn write_rows(&self, subject: &str, rows: &[Entry], head: &Link) -> Result<(), Refused> {
        let failed = Refused::Failed;
        let pk = subject_pk(subject);
        let mut items = Vec::with_capacity(2 * rows.len() + 2);
        let mut markers = Vec::with_capacity(rows.len());
        for row in rows {
            items.push(self.put(row_item(row), true).map_err(failed)?);
            markers.push((items.len(), row.event_id));
            let mut marker = item_key(event_pk(row.event_id), EVENT_SK);
            marker.insert("subject".into(), s(subject));
            marker.insert("seq".into(), n(row.seq));
            items.push(self.put(marker, true).map_err(failed)?);
        }
        let Some(last) = rows.last() else { return Ok(()) };
        let mut new_head = item_key(&pk, HEAD_SK);
        new_head.insert("subject".into(), s(subject));
        new_head.insert("seq".into(), n(last.seq));
        new_head.insert("hash".into(), s(&last.hash));
        let put_head = Put::builder().table_name(&self.table).set_item(Some(new_head));
        let put_head = if head.seq == 0 {
            put_head.condition_expression("attribute_not_exists(pk)")
        } else {
            put_head
                .condition_expression("#s = :seq AND #h = :hash")
                .expression_attribute_names("#s", "seq")
                .expression_attribute_names("#h", "hash")
                .expression_attribute_values(":seq", n(head.seq))
                .expression_attribute_values(":hash", s(&head.hash))
        };
        items.push(
            TransactWriteItem::builder()
                .put(put_head.build().map_err(Failure::build).map_err(failed)?)
                .build(),
        );
        if head.seq == 0 {
            items.push(self.put(item_key(SUBJECTS_PK, subject), false).map_err(failed)?);
        }

        let sent = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        let Err(err) = sent else { return Ok(()) };
        let reasons = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(c)) => c.cancellation_reasons(),
            _ => &[],
        };
        let code = |i: usize| reasons.get(i).and_then(|r| r.code());
        let logged: HashSet<Uuid> =
            markers.iter().filter(|(i, _)| code(*i) == Some(CONDITION_FAILED)).map(|(_, id)| *id).collect();
        if !logged.is_empty() {
            return Err(Refused::Duplicates(logged));
        }
        if reasons.iter().any(|r| matches!(r.code(), Some(CONDITION_FAILED | TRANSACTION_CONFLICT))) {
            return Err(failed(Failure::Conflict(format!(
                "the chain of {subject} moved past {} meanwhile",
                head.seq
            ))));
        }
        Err(failed(Failure::from_transaction(err, &[])))
    }

    /// A transaction's put of `item`, if its key is free (`new`).
    fn put(&self, item: Item, new: bool) -> Result<TransactWriteItem, Failure> {
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = if new { put.condition_expression("attribute_not_exists(pk)") } else { put };
        Ok(TransactWriteItem::builder().put(put.build().map_err(Failure::build)?).build())
    }

    /// The head of `subject`'s chain, read strongly consistently.
    async fn read_head(&self, subject: &str) -> Result<Link, Failure> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item_key(subject_pk(subject), HEAD_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| Failure::from_sdk("read head", e))?;
        out.item.as_ref().map_or_else(|| Ok(Link::start()), Link::of)
    }

    async fn put_state_items(&self, states: &[SubjectState]) -> Result<(), Failure> {
        // One request per key: the last state of each subject.
        let mut last: HashMap<&str, &SubjectState> = HashMap::new();
        for state in states {
            last.insert(&state.subject, state);
        }
        let puts = last
            .into_values()
            .map(|state| {
                let mut item = item_key(subject_pk(&state.subject), STATE_SK);
                item.insert("seq".into(), n(state.seq));
                let record = serde_json::to_string(state).map_err(|e| unreadable("state", e))?;
                item.insert("record".into(), s(record));
                put_request(item)
            })
            .collect::<Result<_, _>>()?;
        batch::write(&self.client, &self.table, puts).await
    }

    /// A query of `plan`'s index in the partition `key` (a day's for `by_day`).
    fn keyed(&self, plan: &Plan<'_>, key: &str) -> QueryFluentBuilder {
        let (index, partition, value, consistent) = match plan.access {
            Access::Subject(subject) => (BY_TIME, "pk", subject_pk(subject), true),
            Access::Actor(actor) => (BY_ACTOR, "actor", actor.to_owned(), false),
            Access::Type(ty) => (BY_TYPE, "event_type", ty.to_owned(), false),
            Access::Days => (BY_DAY, DAY_KEY, format!("DAY#{key}"), false),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .consistent_read(consistent)
            .scan_index_forward(plan.forward)
            .key_condition_expression("#p = :p AND #t BETWEEN :lo AND :hi")
            .expression_attribute_names("#p", partition)
            .expression_attribute_names("#t", TIME_KEY)
            .expression_attribute_values(":p", s(value))
            .expression_attribute_values(":lo", s(&plan.lo))
            .expression_attribute_values(":hi", s(&plan.hi));
        let mut filter = Vec::new();
        for (i, (name, value)) in plan.filters.iter().enumerate() {
            filter.push(format!("#f{i} = :f{i}"));
            request = request
                .expression_attribute_names(format!("#f{i}"), *name)
                .expression_attribute_values(format!(":f{i}"), s(*value));
        }
        if !filter.is_empty() {
            request = request.filter_expression(filter.join(" AND "));
        }
        request
    }

    /// Adds to `rows` the rows of `plan` in partition `key` until it holds `need`.
    async fn rows_in(
        &self,
        plan: &Plan<'_>,
        key: &str,
        need: usize,
        rows: &mut Vec<Entry>,
    ) -> Result<(), Failure> {
        let mut start = None;
        while rows.len() < need {
            let mut request = self.keyed(plan, key).set_exclusive_start_key(start);
            if plan.filters.is_empty() {
                // One more, in case the cursor's row comes first.
                request = request.limit(i32::try_from(need - rows.len() + 1).unwrap_or(i32::MAX));
            }
            let page = request.send().await.map_err(|e| Failure::from_sdk("query audit log", e))?;
            for item in page.items.unwrap_or_default() {
                if plan.skip.as_deref() == Some(string(&item, TIME_KEY)?) {
                    continue;
                }
                rows.push(entry_of(&item)?);
                if rows.len() == need {
                    break;
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// How many rows of `plan` partition `key` holds.
    async fn count_in(&self, plan: &Plan<'_>, key: &str) -> Result<u64, Failure> {
        let (mut count, mut start) = (0u64, None);
        loop {
            let page = self
                .keyed(plan, key)
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| Failure::from_sdk("count audit log", e))?;
            count += u64::try_from(page.count).unwrap_or(0);
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    /// A page of the days with rows within `plan`'s bounds, in its order,
    /// and where the next page starts.
    async fn days_of(
        &self,
        plan: &Plan<'_>,
        start: Option<Item>,
    ) -> Result<(Vec<String>, Option<Item>), Failure> {
        let (first, last) = plan.days();
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
            .expression_attribute_values(":pk", s(DAYS_PK))
            .expression_attribute_values(":first", s(first))
            .expression_attribute_values(":last", s(last))
            .consistent_read(true)
            .scan_index_forward(plan.forward)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| Failure::from_sdk("list days", e))?;
        Ok((sort_keys(page.items)?, page.last_evaluated_key))
    }

    async fn find(&self, query: &Query) -> Result<Page, Failure> {
        let need = query.limit + 1;
        let mut rows = Vec::with_capacity(need.min(1000));
        let Some(plan) = Plan::of(query, true) else { return Ok(Page::of(rows, query.limit)) };
        if plan.access != Access::Days {
            self.rows_in(&plan, "", need, &mut rows).await?;
            return Ok(Page::of(rows, query.limit));
        }
        let mut start = None;
        loop {
            let (days, next) = self.days_of(&plan, start).await?;
            for day in days {
                self.rows_in(&plan, &day, need, &mut rows).await?;
                if rows.len() >= need {
                    return Ok(Page::of(rows, query.limit));
                }
            }
            start = next;
            if start.is_none() {
                return Ok(Page::of(rows, query.limit));
            }
        }
    }

    async fn count_all(&self, query: &Query) -> Result<u64, Failure> {
        let Some(plan) = Plan::of(query, false) else { return Ok(0) };
        if plan.access != Access::Days {
            return self.count_in(&plan, "").await;
        }
        let (mut count, mut start) = (0, None);
        loop {
            let (days, next) = self.days_of(&plan, start).await?;
            for day in days {
                count += self.count_in(&plan, &day).await?;
            }
            start = next;
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    async fn read_chain(&self, subject: &str) -> Result<Vec<Entry>, Failure> {
        let (mut rows, mut start) = (Vec::new(), None);
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :seq)")
                .expression_attribute_values(":pk", s(subject_pk(subject)))
                .expression_attribute_values(":seq", s("SEQ#"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| Failure::from_sdk("read chain", e))?;
            for item in page.items.unwrap_or_default() {
                rows.push(entry_of(&item)?);
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(rows);
            }
        }
    }

    /// Up to `limit` listed subjects after `after`, in order, and where the
    /// next page starts (`None` at the end); every one when `limit` is `None`.
    async fn listed(
        &self,
        after: Option<&str>,
        limit: Option<usize>,
        start: Option<Item>,
    ) -> Result<(Vec<String>, Option<Item>), Failure> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", s(SUBJECTS_PK))
            .consistent_read(true)
            .set_exclusive_start_key(start);
        request = match after {
            Some(after) => request
                .key_condition_expression("pk = :pk AND sk > :after")
                .expression_attribute_values(":after", s(after)),
            None => request.key_condition_expression("pk = :pk"),
        };
        if let Some(limit) = limit {
            request = request.limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX));
        }
        let page = request.send().await.map_err(|e| Failure::from_sdk("list subjects", e))?;
        Ok((sort_keys(page.items)?, page.last_evaluated_key))
    }

    /// Every listed subject, rows or not.
    async fn all_listed(&self) -> Result<Vec<String>, Failure> {
        let (mut all, mut start) = (Vec::new(), None);
        loop {
            let (subjects, next) = self.listed(None, None, start).await?;
            all.extend(subjects);
            start = next;
            if start.is_none() {
                return Ok(all);
            }
        }
    }

    /// Whether `subject` has a row.
    async fn has_rows(&self, subject: &str) -> Result<bool, Failure> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :seq)")
            .expression_attribute_values(":pk", s(subject_pk(subject)))
            .expression_attribute_values(":seq", s("SEQ#"))
            .consistent_read(true)
            .select(Select::Count)
            .limit(1)
            .send()
            .await
            .map_err(|e| Failure::from_sdk("find rows", e))?;
        Ok(out.count > 0)
    }

    async fn subjects_with_rows(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>, Failure> {
        let (mut found, mut start) = (Vec::new(), None);
        while found.len() < limit {
            let (listed, next) = self.listed(after, Some(limit - found.len()), start).await?;
            let checked: Vec<(String, Result<bool, Failure>)> = stream::iter(listed)
                .map(|subject| async move {
                    let rows = self.has_rows(&subject).await;
                    (subject, rows)
                })
                .buffered(SUBJECTS_AT_ONCE)
                .collect()
                .await;
            for (subject, rows) in checked {
                if rows? {
                    found.push(subject);
                }
            }
            start = next;
            if start.is_none() {
                break;
            }
        }
        found.truncate(limit);
        Ok(found)
    }

    async fn read_heads(&self) -> Result<Vec<Head>, Failure> {
        let keys = self.all_listed().await?.iter().map(|s| item_key(subject_pk(s), HEAD_SK)).collect();
        let mut heads = batch::get(&self.client, &self.table, keys, Some(LOOKUP))
            .await?
            .iter()
            .map(|item| {
                let Link { seq, hash } = Link::of(item)?;
                Ok(Head { subject: strip(string(item, "pk")?, "SUBJECT#")?.to_owned(), seq, hash })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        heads.sort_by(|a, b| a.subject.cmp(&b.subject));
        Ok(heads)
    }

    async fn read_state(&self, subject: &str) -> Result<Option<SubjectState>, Failure> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item_key(subject_pk(subject), STATE_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| Failure::from_sdk("read state", e))?;
        let Some(item) = out.item else { return Ok(None) };
        serde_json::from_str(string(&item, "record")?).map(Some).map_err(|e| unreadable("state", e))
    }

    async fn replace_states(&self, states: &[SubjectState], first: bool) -> Result<(), Failure> {
        if first {
            let deletes = self
                .all_listed()
                .await?
                .iter()
                .map(|subject| {
                    let delete =
                        DeleteRequest::builder().set_key(Some(item_key(subject_pk(subject), STATE_SK)));
                    Ok(WriteRequest::builder()
                        .delete_request(delete.build().map_err(Failure::build)?)
                        .build())
                })
                .collect::<Result<_, Failure>>()?;
            batch::write(&self.client, &self.table, deletes).await?;
        }
        self.put_state_items(states).await
    }
}

/// `time` rounded up to the microsecond.
fn ceil_micros(time: &DateTime<Utc>) -> DateTime<Utc> {
    let down = time.trunc_subsecs(6);
    if down < *time { down + chrono::Duration::microseconds(1) } else { down }
}

/// How many of `pending` go in the next transaction (at least one).
fn chunk_len(pending: &[NewEntry]) -> usize {
    let mut bytes = 0;
    let fits = pending.iter().take(ROWS_PER_WRITE).take_while(|e| {
        bytes += e.event.len();
        bytes <= BYTES_PER_WRITE
    });
    fits.count().max(1)
}

/// `entries` as the rows after `head`.
fn link(entries: &[NewEntry], head: &Link, recorded_at: DateTime<Utc>) -> Vec<Entry> {
    let mut prev = head.clone();
    entries
        .iter()
        .map(|entry| {
            let row = entry.clone().link(prev.seq + 1, &prev.hash, recorded_at);
            prev = Link { seq: row.seq, hash: row.hash.clone() };
            row
        })
        .collect()
}

/// The sort keys of `items`.
fn sort_keys(items: Option<Vec<Item>>) -> Result<Vec<String>, Failure> {
    items.unwrap_or_default().iter().map(|i| Ok(string(i, "sk")?.to_owned())).collect()
}

fn put_request(item: Item) -> Result<WriteRequest, Failure> {
    let put = PutRequest::builder().set_item(Some(item)).build().map_err(Failure::build)?;
    Ok(WriteRequest::builder().put_request(put).build())
}

impl AuditStore for DynamoAuditStore {
    fn append<'a>(&'a self, entries: &'a [NewEntry]) -> BoxFuture<'a, Result<Appended, StoreError>> {
        Box::pin(self.append_all(entries))
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
        first: bool,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { Ok(self.replace_states(states, first).await?) })
    }
}

#[cfg(test)]
mod tests;
