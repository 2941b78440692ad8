//! Where the audit log is kept: an append-only log of chained rows, a head
//! per chain, and the current state of each subject (a read model).

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
pub use hrms_platform::Part;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entry::{Entry, NewEntry};

/// What a store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store is unreachable or failed; nothing was written. The source
    /// says why, down to the database's error.
    #[error("audit store unavailable")]
    Unavailable(#[source] hrms_platform::error::BoxError),
    /// A chain was appended to by someone else meanwhile (two writers for
    /// one subject); nothing was written, and trying again is safe.
    #[error("audit chain moved: {0}")]
    Contended(String),
}

/// The last row of a subject's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub subject: String,
    pub seq: u64,
    pub hash: String,
}

/// How many of the events given to [`AuditStore::append`] were new.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appended {
    pub recorded: usize,
    /// Already in the log (a redelivery): left as they were.
    pub duplicates: usize,
}

/// The order of a [`Query`]'s rows, by event time then event id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// Where a page ends: the last row's event time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub time: DateTime<Utc>,
    pub event_id: Uuid,
}

impl Cursor {
    /// The opaque form handed to clients: `<time>~<event id>`.
    pub fn encode(&self) -> String {
        format!("{}~{}", crate::entry::format_time(&self.time), self.event_id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (time, id) = text.split_once('~')?;
        let time = DateTime::parse_from_rfc3339(time).ok()?.with_timezone(&Utc);
        Some(Self { time, event_id: Uuid::parse_str(id).ok()? })
    }

    pub fn of(entry: &Entry) -> Self {
        Self { time: entry.time, event_id: entry.event_id }
    }
}

/// Rows matching every given filter, a page at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub subject: Option<String>,
    pub actor: Option<String>,
    pub event_type: Option<String>,
    /// Events at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Events before this time.
    pub to: Option<DateTime<Utc>>,
    /// Continue after this row (in `order`).
    pub after: Option<Cursor>,
    pub order: Order,
    pub limit: usize,
}

/// One page of a [`Query`].
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub entries: Vec<Entry>,
    /// Where the next page starts, if there may be one.
    pub next: Option<Cursor>,
}

impl Page {
    /// A page of `rows` fetched with `limit + 1`: the extra row only says
    /// that there is more.
    pub fn of(mut rows: Vec<Entry>, limit: usize) -> Self {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more { rows.last().map(Cursor::of) } else { None };
        Self { entries: rows, next }
    }
}

/// The read model: a subject's state after its latest event (by event
/// time, then chain order: one appended late does not replace a newer one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectState {
    pub subject: String,
    /// The last event's type and time, and its place in the chain.
    pub event_type: String,
    pub time: DateTime<Utc>,
    pub seq: u64,
    pub event_id: Uuid,
    /// The state that event left.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub state: serde_json::Value,
}

impl SubjectState {
    /// The state `entry` left.
    pub fn of(entry: &Entry) -> Self {
        Self {
            subject: entry.subject.clone(),
            event_type: entry.event_type.clone(),
            time: entry.time,
            seq: entry.seq,
            event_id: entry.event_id,
            state: entry.state(),
        }
    }
}

/// The Audit function's storage. Rows are never changed or removed.
pub trait AuditStore: Send + Sync {
    /// Appends, in order, each entry whose event id is not in the log yet,
    /// as the next row of its subject's chain ([`NewEntry::link`]), moves
    /// the heads and the subjects' states, all in one durable write; or
    /// writes nothing.
    fn append(&self, entries: Vec<NewEntry>) -> BoxFuture<'_, Result<Appended, StoreError>>;

    /// Whether appends take effect in the order they were called, even when
    /// their futures are awaited together (a store with one writer queue):
    /// then [`crate::persist`] hands over a long batch in parts, preparing
    /// the next while the store writes the one before.
    fn ordered_appends(&self) -> bool {
        false
    }

    /// [`AuditStore::append`] for a part of a batch; [`Part::More`]: the
    /// next part follows at once, and a store that can may hold its commit
    /// for it (the answer still comes only once this part is durable).
    fn append_part(&self, entries: Vec<NewEntry>, part: Part) -> BoxFuture<'_, Result<Appended, StoreError>> {
        let _ = part;
        self.append(entries)
    }

    /// A page of rows matching `query`.
    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page, StoreError>>;

    /// How many rows match `query`'s filters (its cursor and limit ignored).
    fn count<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<u64, StoreError>>;

    /// A subject's rows in chain order (by `seq`): its history.
    fn chain<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<Vec<Entry>, StoreError>>;

    /// Subjects with a chain, in ascending order, after `after`.
    fn subjects<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>>;

    /// Every row of the log, a subject at a time (subjects in ascending
    /// order, each one's rows by `seq`), whether or not a chain leads to it:
    /// what [`crate::verify`] checks. A subject's rows are those stored
    /// with it, so a store whose [`AuditStore::chain`] follows links must
    /// override this. The default pages through `subjects` and `chain`.
    fn every_chain(&self) -> BoxStream<'_, Result<(String, Vec<Entry>), StoreError>> {
        const PAGE: usize = 500;
        let pages = stream::unfold(Some(None::<String>), move |after| async move {
            let after = after?;
            let page = async {
                let mut chains = Vec::new();
                for subject in self.subjects(after.as_deref(), PAGE).await? {
                    let chain = self.chain(&subject).await?;
                    chains.push(Ok((subject, chain)));
                }
                Ok::<_, StoreError>(chains)
            };
            match page.await {
                Ok(chains) => {
                    let last = chains.last().and_then(|c| c.as_ref().ok()).map(|(s, _)| s.clone())?;
                    Some((chains, Some(Some(last))))
                }
                Err(e) => Some((vec![Err(e)], None)),
            }
        });
        pages.flat_map(stream::iter).boxed()
    }

    /// Every chain's head, by subject.
    fn heads(&self) -> BoxFuture<'_, Result<Vec<Head>, StoreError>>;

    /// A subject's current state (the read model).
    fn state<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<Option<SubjectState>, StoreError>>;

    /// Replaces the read model with `states` (from [`crate::history::replay`]),
    /// in parts: [`States::First`] empties it before writing.
    fn put_states<'a>(
        &'a self,
        states: &'a [SubjectState],
        which: States,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// A failed condition of an append is a chain moved by another writer.
impl From<hrms_platform::StoreFailure> for StoreError {
    fn from(failure: hrms_platform::StoreFailure) -> Self {
        match failure {
            hrms_platform::StoreFailure::Conflict(why) => Self::Contended(why),
            failure @ hrms_platform::StoreFailure::Unavailable { .. } => Self::Unavailable(failure.into()),
        }
    }
}

/// Which part of a rebuilt read model [`AuditStore::put_states`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum States {
    /// The first: the read model is emptied before it is written.
    First,
    /// A later one: written beside what the earlier parts wrote.
    Next,
}
