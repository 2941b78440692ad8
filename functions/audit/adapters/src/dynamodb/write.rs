//! The append path of [`DynamoAuditStore`]: the look-up of a batch, the
//! `DAYS` items, each subject's rows in conditional transactions, and the
//! read model put after them (see "Appending" in [`super`]).

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{DeleteRequest, Put, PutRequest, TransactWriteItem, WriteRequest};
use chrono::{DateTime, SubsecRound, Utc};
use futures::{StreamExt, stream};
use hrms_audit::entry::{Entry, NewEntry};
use hrms_audit::store::{Appended, States, StoreError, SubjectState};
use uuid::Uuid;

use super::*;
use hrms_dynamodb::batch;

/// What the log holds of a batch before it is written.
#[derive(Default)]
pub(super) struct Known {
    pub(super) logged: HashSet<Uuid>,
    pub(super) heads: HashMap<String, Link>,
    /// The `seq` of each subject's state.
    pub(super) states: HashMap<String, u64>,
}

/// One subject's new entries, in order.
#[derive(Clone)]
pub(super) struct Batch {
    pub(super) subject: String,
    pub(super) entries: Vec<NewEntry>,
}

/// What was written of one subject's batch.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) recorded: usize,
    pub(super) duplicates: usize,
    /// The last row written.
    pub(super) last: Option<Entry>,
    /// The row written with the latest event (by event time, then `seq`).
    pub(super) latest: Option<Entry>,
    /// Why the rest was not written.
    pub(super) error: Option<Failure>,
}

/// Why one transaction of rows did not commit.
enum Refused {
    /// These events are logged already.
    Duplicates(HashSet<Uuid>),
    Failed(Failure),
}

impl DynamoAuditStore {
    pub(super) async fn append_all(&self, entries: &[NewEntry]) -> Result<Appended, StoreError> {
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
        let mut error = None;
        for (subject, outcome) in outcomes {
            appended.recorded += outcome.recorded;
            appended.duplicates += outcome.duplicates;
            if let Some(latest) = &outcome.latest {
                states.push(SubjectState::of(latest));
            }
            // Rows whose state an earlier append failed to write: their
            // latest is offered too (the put keeps the latest of all).
            if let Some((after, upto)) = unstated(known.states.get(&subject), known.heads.get(&subject)) {
                if let Some(latest) = self.latest_row(&subject, after, upto).await? {
                    states.push(SubjectState::of(&latest));
                }
            }
            error = error.or(outcome.error);
        }
        self.put_later_states(&states).await?;
        match error {
            Some(e) => Err(e.into()),
            None => Ok(appended),
        }
    }

    /// The batch's `EVENT` items, and its subjects' heads and state `seq`s.
    pub(super) async fn look_up(&self, batches: &[Batch]) -> Result<Known, Failure> {
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
                other => return Err(Failure::unusable(format!("unexpected item {pk} {other}"))),
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
    pub(super) async fn append_subject(
        &self,
        subject: &str,
        mut pending: Vec<NewEntry>,
        mut head: Link,
    ) -> Outcome {
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
                    outcome.latest = latest(rows.iter().chain(&outcome.latest).cloned());
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
            items.push(self.put(row_item(row), Overwrite::Refused).map_err(failed)?);
            markers.push((items.len(), row.event_id));
            let mut marker = item_key(event_pk(row.event_id), EVENT_SK);
            marker.insert("subject".into(), s(subject));
            marker.insert("seq".into(), n(row.seq));
            items.push(self.put(marker, Overwrite::Refused).map_err(failed)?);
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
                .put(put_head.build().map_err(hrms_dynamodb::error::build).map_err(failed)?)
                .build(),
        );
        if head.seq == 0 {
            items.push(self.put(item_key(SUBJECTS_PK, subject), Overwrite::Allowed).map_err(failed)?);
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
        Err(failed(hrms_dynamodb::error::from_transaction(err, &[])))
    }

    /// A transaction's put of `item`, over an item with its key only if
    /// `overwrite` allows.
    fn put(&self, item: Item, overwrite: Overwrite) -> Result<TransactWriteItem, Failure> {
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match overwrite {
            Overwrite::Refused => put.condition_expression("attribute_not_exists(pk)"),
            Overwrite::Allowed => put,
        };
        Ok(TransactWriteItem::builder().put(put.build().map_err(hrms_dynamodb::error::build)?).build())
    }

    /// The row with the latest event (by event time, then `seq`) of
    /// `subject`'s rows `after` < seq <= `upto` (the last [`REPAIR_ROWS`]).
    async fn latest_row(&self, subject: &str, after: u64, upto: u64) -> Result<Option<Entry>, Failure> {
        let (low, high) = (seq_sk(after + 1), seq_sk(upto));
        let pk = subject_pk(subject);
        let items = hrms_dynamodb::query_between(
            &self.client,
            &self.table,
            &pk,
            Some((&low, &high)),
            false,
            REPAIR_ROWS,
        )
        .await?;
        let rows = items.iter().map(entry_of).collect::<Result<Vec<_>, _>>()?;
        Ok(latest(rows))
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
            .map_err(|e| hrms_dynamodb::error::from_sdk("read head", e))?;
        out.item.as_ref().map_or_else(|| Ok(Link::start()), Link::of)
    }

    /// Puts each state unless the stored one's event is later (by event
    /// time, then `seq`): an event appended late, such as a redriven dead
    /// letter, does not become the current state. One conditional
    /// `PutItem` per subject, a failed condition meaning "older".
    pub(super) async fn put_later_states(&self, states: &[SubjectState]) -> Result<(), Failure> {
        let puts: Vec<_> = states.iter().map(|state| self.put_later_state(state)).collect();
        let done: Vec<Result<(), Failure>> =
            stream::iter(puts).buffer_unordered(self.writers).collect().await;
        done.into_iter().collect()
    }

    async fn put_later_state(&self, state: &SubjectState) -> Result<(), Failure> {
        let time = hrms_audit::entry::format_time(&state.time);
        let mut item = item_key(subject_pk(&state.subject), STATE_SK);
        item.insert("seq".into(), n(state.seq));
        item.insert("time".into(), s(&time));
        let record = serde_json::to_string(state).map_err(|e| unreadable("state", e))?;
        item.insert("record".into(), s(record));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#t) OR #t < :t OR (#t = :t AND #seq <= :seq)")
            .expression_attribute_names("#t", "time")
            .expression_attribute_names("#seq", "seq")
            .expression_attribute_values(":t", s(time))
            .expression_attribute_values(":seq", n(state.seq))
            .send()
            .await;
        match put.map_err(|e| hrms_dynamodb::error::from_sdk("put state", e)) {
            Ok(_) | Err(Failure::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn put_state_items(&self, states: &[SubjectState]) -> Result<(), Failure> {
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
                item.insert("time".into(), s(hrms_audit::entry::format_time(&state.time)));
                let record = serde_json::to_string(state).map_err(|e| unreadable("state", e))?;
                item.insert("record".into(), s(record));
                put_request(item)
            })
            .collect::<Result<_, _>>()?;
        batch::write(&self.client, &self.table, puts).await
    }

    pub(super) async fn replace_states(&self, states: &[SubjectState], which: States) -> Result<(), Failure> {
        if which == States::First {
            let deletes = self
                .all_listed()
                .await?
                .iter()
                .map(|subject| {
                    let delete =
                        DeleteRequest::builder().set_key(Some(item_key(subject_pk(subject), STATE_SK)));
                    Ok(WriteRequest::builder()
                        .delete_request(delete.build().map_err(hrms_dynamodb::error::build)?)
                        .build())
                })
                .collect::<Result<_, Failure>>()?;
            batch::write(&self.client, &self.table, deletes).await?;
        }
        self.put_state_items(states).await
    }
}

/// Whether a put may replace an item with the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overwrite {
    Refused,
    Allowed,
}

/// Most rows read to repair a subject's state.
const REPAIR_ROWS: usize = 1000;

/// The rows (`after`, `upto`] of a subject whose state (its `seq`, if
/// any) is behind its head: their state was not written.
fn unstated(state: Option<&u64>, head: Option<&Link>) -> Option<(u64, u64)> {
    let (after, head) = (state.copied().unwrap_or(0), head?.seq);
    (after < head).then_some((after, head))
}

/// The row with the latest event: by event time, then `seq`.
fn latest(rows: impl IntoIterator<Item = Entry>) -> Option<Entry> {
    rows.into_iter().max_by_key(|e| (e.time, e.seq))
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

fn put_request(item: Item) -> Result<WriteRequest, Failure> {
    let put = PutRequest::builder().set_item(Some(item)).build().map_err(hrms_dynamodb::error::build)?;
    Ok(WriteRequest::builder().put_request(put).build())
}

#[cfg(test)]
mod choice {
    use super::*;

    #[test]
    fn only_rows_past_the_state_up_to_the_head_are_unstated() {
        let head = |seq| Link { seq, hash: String::new() };
        assert_eq!(unstated(Some(&3), Some(&head(7))), Some((3, 7)));
        assert_eq!(unstated(None, Some(&head(2))), Some((0, 2)), "no state yet");
        assert_eq!(unstated(Some(&7), Some(&head(7))), None);
        assert_eq!(unstated(None, None), None, "a new subject");
    }

    #[test]
    fn the_latest_row_is_by_event_time_then_seq_not_the_last_appended() {
        let event = hrms_events::fixtures::sample(hrms_events::EventType::EmployeeUpdated);
        let at = |secs| DateTime::<Utc>::from_timestamp(secs, 0).expect("a time");
        let row = |seq, time| {
            let new = NewEntry::new(&event).expect("an entry");
            Entry { seq, time, ..new.link(seq, "", at(0)) }
        };
        let rows = vec![row(4, at(100)), row(5, at(300)), row(6, at(200)), row(7, at(300))];
        assert_eq!(latest(rows.clone()).map(|e| e.seq), Some(7), "the same time: the higher seq");
        assert_eq!(latest(rows[..3].to_vec()).map(|e| e.seq), Some(5), "a late event appended last loses");
        assert_eq!(latest(Vec::new()).map(|e| e.seq), None);
    }
}
