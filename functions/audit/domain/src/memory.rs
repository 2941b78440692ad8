//! The audit log in memory, for tests: the contract of the SQLite and
//! DynamoDB stores (each event kept once, chained per subject; pages by
//! event time and id; the read model and its replay).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use chrono::{SubsecRound, Utc};
use futures::future::BoxFuture;
use uuid::Uuid;

use crate::entry::{Entry, GENESIS, NewEntry};
use crate::store::{Appended, AuditStore, Head, Order, Page, Query, States, StoreError, SubjectState};

/// The rows in append order, the heads by subject, the read model.
#[derive(Default)]
pub struct MemoryAuditStore(Mutex<Log>);

#[derive(Default)]
struct Log {
    rows: Vec<Entry>,
    /// Where each event's row is in `rows`.
    by_event: HashMap<Uuid, usize>,
    heads: BTreeMap<String, Head>,
    /// Each subject's state: the event that left it.
    states: HashMap<String, Uuid>,
}

impl MemoryAuditStore {
    fn log(&self) -> MutexGuard<'_, Log> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Log {
    fn append(&mut self, entries: Vec<NewEntry>) -> Appended {
        // Times as the stores read them back: to the microsecond.
        let recorded_at = Utc::now().trunc_subsecs(6);
        let mut appended = Appended::default();
        for new in entries {
            if self.by_event.contains_key(&new.event_id) {
                appended.duplicates += 1;
                continue;
            }
            let (seq, prev) = self.heads.get(&new.subject).map_or((0, GENESIS), |h| (h.seq, h.hash.as_str()));
            let row = new.link(seq + 1, prev, recorded_at);
            let head = Head { subject: row.subject.clone(), seq: row.seq, hash: row.hash.clone() };
            self.heads.insert(row.subject.clone(), head);
            // The read model follows event time: an older event appended
            // late does not become the state.
            let current = self.states.get(&row.subject).and_then(|id| self.by_event.get(id));
            if current.is_none_or(|&i| (self.rows[i].time, self.rows[i].seq) <= (row.time, row.seq)) {
                self.states.insert(row.subject.clone(), row.event_id);
            }
            self.by_event.insert(row.event_id, self.rows.len());
            self.rows.push(row);
            appended.recorded += 1;
        }
        appended
    }

    /// The rows `query`'s filters select, and after its cursor if `paged`.
    fn select(&self, query: &Query, paged: bool) -> impl Iterator<Item = &Entry> {
        let after = query.after.as_ref().filter(|_| paged);
        self.rows.iter().filter(move |e| {
            query.subject.as_ref().is_none_or(|s| &e.subject == s)
                && query.actor.as_ref().is_none_or(|a| &e.actor == a)
                && query.event_type.as_ref().is_none_or(|t| &e.event_type == t)
                && query.from.is_none_or(|from| e.time >= from)
                && query.to.is_none_or(|to| e.time < to)
                && after.is_none_or(|c| match query.order {
                    Order::NewestFirst => (e.time, e.event_id) < (c.time, c.event_id),
                    Order::OldestFirst => (e.time, e.event_id) > (c.time, c.event_id),
                })
        })
    }
}

impl AuditStore for MemoryAuditStore {
    fn append(&self, entries: Vec<NewEntry>) -> BoxFuture<'_, Result<Appended, StoreError>> {
        let appended = self.log().append(entries);
        Box::pin(async move { Ok(appended) })
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page, StoreError>> {
        let log = self.log();
        let mut rows: Vec<Entry> = log.select(query, true).cloned().collect();
        rows.sort_by_key(|e| (e.time, e.event_id));
        if query.order == Order::NewestFirst {
            rows.reverse();
        }
        rows.truncate(query.limit + 1);
        let page = Page::of(rows, query.limit);
        Box::pin(async move { Ok(page) })
    }

    fn count<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<u64, StoreError>> {
        let count = self.log().select(query, false).count() as u64;
        Box::pin(async move { Ok(count) })
    }

    fn chain<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<Vec<Entry>, StoreError>> {
        let mut chain: Vec<Entry> =
            self.log().rows.iter().filter(|e| e.subject == subject).cloned().collect();
        chain.sort_by_key(|e| e.seq);
        Box::pin(async move { Ok(chain) })
    }

    fn subjects<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        let from = after.map_or(Bound::Unbounded, |a| Bound::Excluded(a.to_owned()));
        let log = self.log();
        let subjects =
            log.heads.range((from, Bound::Unbounded)).take(limit).map(|(s, _)| s.clone()).collect();
        Box::pin(async move { Ok(subjects) })
    }

    fn heads(&self) -> BoxFuture<'_, Result<Vec<Head>, StoreError>> {
        let heads = self.log().heads.values().cloned().collect();
        Box::pin(async move { Ok(heads) })
    }

    fn state<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<Option<SubjectState>, StoreError>> {
        let log = self.log();
        let row = log.states.get(subject).and_then(|id| log.by_event.get(id));
        let state = row.map(|&i| SubjectState::of(&log.rows[i]));
        Box::pin(async move { Ok(state) })
    }

    fn put_states<'a>(
        &'a self,
        states: &'a [SubjectState],
        which: States,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut log = self.log();
        if which == States::First {
            log.states.clear();
        }
        log.states.extend(states.iter().map(|s| (s.subject.clone(), s.event_id)));
        Box::pin(async { Ok(()) })
    }
}
