//! Deliveries and their copies: in `DUE` while waiting for an attempt, in
//! `DEAD` until written to the dead-letter topic, in the owner's `INBOX`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use hrms_events::HrmsEvent;
use hrms_notification::{Attempt, Channel, Delivery, Status};
use uuid::Uuid;

use super::{DynamoNotificationStore, Expect, Stored, json, n, record, s, sortable, with_record};
use hrms_dynamodb::{Failure, Item, MAX_TRANSACTION_ITEMS, batch, item_key, query_between, query_partition};

const DUE_PK: &str = "DUE";
pub(super) const DEAD_PK: &str = "DEAD";

pub(super) fn delivery_key(id: Uuid) -> Item {
    item_key(format!("DELIVERY#{id}"), "DELIVERY")
}

fn inbox_pk(user_id: Uuid) -> String {
    format!("INBOX#{user_id}")
}

/// Its key in `DUE`, while it waits for an attempt: when it is next
/// claimable (its next attempt, or its claim's lease's end).
fn due_sk(d: &Delivery) -> Option<String> {
    d.due_at().map(|at| format!("{}#{}", sortable(&at), d.id))
}

/// Its key in `DEAD`, once given up on.
pub(super) fn dead_sk(d: &Delivery) -> Option<String> {
    (d.status == Status::Dead).then(|| format!("{}#{}", sortable(&d.updated_at), d.id))
}

fn inbox_key(d: &Delivery) -> Option<Item> {
    let user = d.user_id.filter(|_| d.channel == Channel::InApp)?;
    Some(item_key(inbox_pk(user), format!("{}#{}", sortable(&d.created_at), d.id)))
}

/// Record bytes per transaction, below DynamoDB's 4 MB with room for the
/// events kept.
const BYTES_PER_WRITE: usize = 3 << 20;

/// The items of one transaction of `record`, their records' bytes, and the
/// deliveries whose events it keeps, by event.
#[derive(Default)]
struct Chunk {
    items: Vec<TransactWriteItem>,
    bytes: usize,
    waiting: BTreeMap<Uuid, Vec<Uuid>>,
}

/// The transactions of one `record`, each within DynamoDB's limits with an
/// item per event it keeps (only given events are kept).
struct Chunks<'a> {
    events: &'a [HrmsEvent],
    open: Chunk,
    done: Vec<Chunk>,
}

impl Chunks<'_> {
    /// Adds the writes of one delivery (`bytes` of records), and its id to
    /// its event's `waiting` (`Some` while it is to be sent).
    fn push(&mut self, items: Vec<TransactWriteItem>, bytes: usize, waiting: Option<(Uuid, Uuid)>) {
        let waiting = waiting.filter(|(event, _)| self.events.iter().any(|e| e.id == *event));
        let new_event = waiting.is_some_and(|(event, _)| !self.open.waiting.contains_key(&event));
        let open = &self.open;
        let size = open.items.len() + open.waiting.len() + items.len() + usize::from(new_event);
        if size > MAX_TRANSACTION_ITEMS || (open.bytes + bytes > BYTES_PER_WRITE && !open.items.is_empty()) {
            self.done.push(std::mem::take(&mut self.open));
        }
        self.open.items.extend(items);
        self.open.bytes += bytes;
        if let Some((event, id)) = waiting {
            self.open.waiting.entry(event).or_default().push(id);
        }
    }
}

impl DynamoNotificationStore {
    pub(super) async fn delivery(&self, id: Uuid) -> Result<Option<Stored<Delivery>>, Failure> {
        self.stored(delivery_key(id), "read delivery").await
    }

    /// The items that write `after` over `before` (none: a new delivery)
    /// and move its copies; `final_if_sent`: only if `before` is not sent.
    fn delivery_writes(
        &self,
        before: Option<&Stored<Delivery>>,
        after: &Delivery,
        final_if_sent: bool,
    ) -> Result<Vec<TransactWriteItem>, Failure> {
        let body = json(after)?;
        let mut item = with_record(delivery_key(after.id), &body);
        item.insert("version".into(), n(before.map_or(1, |b| b.version + 1)));
        if after.status == Status::Sent {
            item.insert("sent_at".into(), s(sortable(&after.updated_at)));
        }
        let expect = match before {
            None => Expect::Absent,
            Some(b) if final_if_sent => Expect::Unsent(b.version),
            Some(b) => Expect::Version(b.version),
        };
        let mut items = vec![self.put(item, expect)?];
        let was = before.map(|b| &b.value);
        for (pk, old, new) in
            [(DUE_PK, was.and_then(due_sk), due_sk(after)), (DEAD_PK, was.and_then(dead_sk), dead_sk(after))]
        {
            // A copy already written to its topic is not put back.
            if old == new && pk == DEAD_PK {
                continue;
            }
            if let Some(old) = old.filter(|o| Some(o) != new.as_ref()) {
                items.push(self.delete(item_key(pk, old), Expect::Anything)?);
            }
            if let Some(new) = new {
                let mut copy = with_record(item_key(pk, new), &body);
                copy.insert("event_id".into(), s(after.event_id.to_string()));
                items.push(self.put(copy, Expect::Anything)?);
            }
        }
        if let Some(key) = inbox_key(after) {
            items.push(self.put(with_record(key, &body), Expect::Anything)?);
        }
        Ok(items)
    }

    /// Records the deliveries not recorded yet and revives dead ones, in
    /// transactions of up to 100 items and 3 MB of records, each with the
    /// events its pending deliveries need.
    pub(super) async fn record_once(
        &self,
        deliveries: &[Delivery],
        events: &[HrmsEvent],
    ) -> Result<Vec<Delivery>, Failure> {
        let mut ids: Vec<Uuid> = deliveries.iter().map(|d| d.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let keys = ids.into_iter().map(delivery_key).collect();
        let mut found = HashMap::new();
        for item in batch::get(&self.client, &self.table, keys, None).await? {
            let d: Delivery = record(&item)?;
            found.insert(d.id, Stored { value: d, version: super::version(&item)? });
        }
        let mut chunks = Chunks { events, open: Chunk::default(), done: Vec::new() };
        let mut stored: HashMap<Uuid, Delivery> = HashMap::new();
        let mut answer = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            if let Some(same) = stored.get(&d.id) {
                answer.push(same.clone());
                continue;
            }
            let (now, items) = match found.get(&d.id) {
                // Redriven from the dead letters: tried again from the start.
                Some(dead) if dead.value.status == Status::Dead => {
                    let again = Delivery {
                        status: Status::Pending,
                        attempts: 0,
                        next_attempt_at: d.next_attempt_at,
                        updated_at: d.updated_at,
                        ..dead.value.clone()
                    };
                    let items = self.delivery_writes(Some(dead), &again, true)?;
                    (again, items)
                }
                Some(known) => (known.value.clone(), Vec::new()),
                None => (d.clone(), self.delivery_writes(None, d, true)?),
            };
            let waiting = (now.status == Status::Pending).then_some((now.event_id, now.id));
            let bytes = if items.is_empty() { 0 } else { json(&now)?.len() * items.len() };
            chunks.push(items, bytes, waiting);
            stored.insert(d.id, now.clone());
            answer.push(now);
        }
        chunks.done.push(chunks.open);
        for Chunk { mut items, waiting, .. } in chunks.done {
            for (event, ids) in waiting {
                if let Some(event) = events.iter().find(|e| e.id == event) {
                    items.push(self.keep(event, &ids)?);
                }
            }
            self.commit(items).await?;
        }
        Ok(answer)
    }

    /// Claims delivery `id` for `owner` if claimable at `now`, on the
    /// version read (a claim made meanwhile fails the write, which is read
    /// and tried again, and then finds it claimed).
    pub(super) async fn claim_once(
        &self,
        id: Uuid,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Delivery>, Failure> {
        let Some(before) = self.delivery(id).await? else { return Ok(None) };
        let Some(claimed) = before.value.claim(owner, now, until) else { return Ok(None) };
        self.commit(self.delivery_writes(Some(&before), &claimed, true)?).await?;
        Ok(Some(claimed))
    }

    /// Notes `owner`'s `attempt` if it holds the claim: `None` if not noted,
    /// else whether the delivery is now sent (and its event).
    pub(super) async fn attempt_once(
        &self,
        id: Uuid,
        owner: &str,
        attempt: &Attempt,
    ) -> Result<Option<Option<Uuid>>, Failure> {
        let Some(before) = self.delivery(id).await? else { return Ok(None) };
        let Some(after) = before.value.attempted(owner, attempt, Utc::now()) else { return Ok(None) };
        let mut items = self.delivery_writes(Some(&before), &after, true)?;
        let sent = after.status == Status::Sent;
        if sent {
            items.push(self.release(after.event_id, id)?);
        }
        self.commit(items).await?;
        Ok(Some(sent.then_some(after.event_id)))
    }

    /// The event of delivery `id` if `attempt` is a send and the delivery
    /// is sent and unclaimed, as an earlier try of the note (its reply
    /// lost) may have left it.
    pub(super) async fn sent_already(&self, id: Uuid, attempt: &Attempt) -> Result<Option<Uuid>, Failure> {
        if attempt.status != Status::Sent {
            return Ok(None);
        }
        let Some(stored) = self.delivery(id).await? else { return Ok(None) };
        let d = stored.value;
        Ok((d.status == Status::Sent && d.claimed_by.is_none()).then_some(d.event_id))
    }

    pub(super) async fn mark_read_once(&self, id: Uuid, user_id: Uuid) -> Result<bool, Failure> {
        let Some(before) = self.delivery(id).await? else { return Ok(false) };
        if before.value.user_id != Some(user_id) || before.value.channel != Channel::InApp {
            return Ok(false);
        }
        if before.value.read_at.is_none() {
            let after = Delivery { read_at: Some(Utc::now()), ..before.value.clone() };
            self.commit(self.delivery_writes(Some(&before), &after, false)?).await?;
        }
        Ok(true)
    }

    /// Deliveries waiting for an attempt due by `now`, oldest first.
    pub(super) async fn read_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Delivery>, Failure> {
        // `~` sorts after every delivery id.
        let until = format!("{}#~", sortable(&now));
        let items =
            query_between(&self.client, &self.table, DUE_PK, Some((" ", &until)), true, limit).await?;
        items.iter().map(record).collect()
    }

    /// A user's in-app deliveries, newest first.
    pub(super) async fn read_inbox(&self, user_id: Uuid, limit: usize) -> Result<Vec<Delivery>, Failure> {
        let items = query_partition(&self.client, &self.table, &inbox_pk(user_id), false, limit).await?;
        items.iter().map(record).collect()
    }
}

#[cfg(test)]
mod tests {
    use hrms_events::{EventType, fixtures};

    use super::*;

    /// (items with the event updates, record bytes) of each transaction.
    fn sizes(chunks: Chunks<'_>) -> Vec<(usize, usize)> {
        let all = chunks.done.into_iter().chain([chunks.open]);
        all.map(|c| (c.items.len() + c.waiting.len(), c.bytes)).collect()
    }

    #[test]
    fn a_transaction_holds_at_most_100_items_and_3_mb_of_records() {
        let events = [fixtures::sample(EventType::LeaveApproved)];
        let item = || TransactWriteItem::builder().build();
        let mut chunks = Chunks { events: &events, open: Chunk::default(), done: Vec::new() };
        for _ in 0..60 {
            chunks.push(vec![item(), item()], 1_000, Some((events[0].id, Uuid::now_v7())));
        }
        // An event not given is not kept: no item for it.
        chunks.push(vec![item(), item()], 1_000, Some((Uuid::now_v7(), Uuid::now_v7())));
        assert_eq!(
            sizes(chunks),
            [(99, 49_000), (25, 12_000)],
            "49 deliveries and their event, then the rest"
        );

        let mut chunks = Chunks { events: &events, open: Chunk::default(), done: Vec::new() };
        // Records of 350 kB (DynamoDB takes 400 kB an item), in two items each.
        for _ in 0..9 {
            chunks.push(vec![item(), item()], 2 * 350_000, None);
        }
        assert_eq!(sizes(chunks), [(8, 2_800_000), (8, 2_800_000), (2, 700_000)]);
    }
}
