//! What the DynamoDB audit store has to show on moto (the shared contract
//! is in `crate::conformance`): chains across transactions and batches,
//! redeliveries skipped wherever they are found, contention, the read model
//! catching up, every query path against a reference, and the listing of
//! subjects and heads that verification relies on.

use chrono::{Duration, TimeZone};
use hrms_audit::States;
use hrms_audit::store::{Cursor, Order};
use hrms_audit::verify::verify;
use serde_json::json;

use super::read::Plan;
use super::testing::{audit_store, tables};
use super::write::Batch;
use super::*;
use crate::Paging;
use hrms_dynamodb::ensure_table;

const UPDATED: &str = "audit.employee.updated";
const CREATED: &str = "audit.user.created";

async fn store() -> DynamoAuditStore {
    audit_store(&tables().await)
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).single().expect("a time")
}

/// An event about `subject`, in the shape verification checks.
fn entry(subject: &str, actor: &str, ty: &str, time: DateTime<Utc>) -> NewEntry {
    let event_id = Uuid::now_v7();
    let after = json!({ "subject": subject, "by": actor, "n": event_id.to_string() });
    let event = json!({
        "id": event_id.to_string(), "subject": subject, "type": ty, "actor": actor,
        "time": format_time(&time), "data": { "after": after },
    });
    NewEntry {
        event_id,
        subject: subject.to_owned(),
        event_type: ty.to_owned(),
        actor: actor.to_owned(),
        time,
        event: event.to_string(),
    }
}

fn entries(subject: &str, n: usize) -> Vec<NewEntry> {
    entries_from(subject, n, base())
}

/// `n` updates of `subject`, a second apart from `start`.
fn entries_from(subject: &str, n: usize, start: DateTime<Utc>) -> Vec<NewEntry> {
    (0..n).map(|i| entry(subject, "user:hr", UPDATED, start + Duration::seconds(i as i64))).collect()
}

fn ids(rows: &[Entry]) -> Vec<Uuid> {
    rows.iter().map(|r| r.event_id).collect()
}

fn new_ids(entries: &[NewEntry]) -> Vec<Uuid> {
    entries.iter().map(|e| e.event_id).collect()
}

/// Checks that `rows` are one chain, 1, 2, ... from genesis.
fn assert_linked(rows: &[Entry]) {
    let mut prev = GENESIS.to_owned();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!((row.seq, row.prev_hash.as_str()), (i as u64 + 1, prev.as_str()), "row {i}");
        prev = row.hash.clone();
    }
}

#[tokio::test]
async fn each_subject_gets_its_own_chain_and_a_redelivery_changes_nothing() {
    let store = store().await;
    let (ada, grace) = (entries("ada", 3), entries("grace", 2));
    let batch = vec![ada[0].clone(), grace[0].clone(), ada[1].clone(), ada[2].clone(), grace[1].clone()];

    let appended = store.append(batch.clone()).await.expect("appended");
    assert_eq!(appended, Appended { recorded: 5, duplicates: 0 });
    let chain = store.chain("ada").await.expect("chain");
    assert_eq!(ids(&chain), new_ids(&ada), "in the order given");
    assert_linked(&chain);
    assert_linked(&store.chain("grace").await.expect("chain"));
    assert_eq!(store.state("ada").await.expect("state"), Some(SubjectState::of(&chain[2])));
    let heads = store.heads().await.expect("heads");
    assert_eq!(
        heads.iter().map(|h| (h.subject.as_str(), h.seq)).collect::<Vec<_>>(),
        [("ada", 3), ("grace", 2)]
    );
    assert_eq!(heads[0].hash, chain[2].hash);

    // The whole batch again, an event twice within it, and one new event.
    let late = entry("ada", "user:hr", UPDATED, base() + Duration::minutes(5));
    let mut again = batch.clone();
    again.extend([grace[0].clone(), late.clone()]);
    let appended = store.append(again.clone()).await.expect("appended");
    assert_eq!(appended, Appended { recorded: 1, duplicates: 6 });
    let chain = store.chain("ada").await.expect("chain");
    assert_eq!(ids(&chain)[3..], [late.event_id]);
    assert_linked(&chain);
    assert!(verify(&store).await.expect("verified").is_intact());
}

#[tokio::test]
async fn a_chain_goes_on_across_transactions_and_batches() {
    let store = store().await;
    let many = entries("ada", 2 * ROWS_PER_WRITE + 3);
    assert_eq!(store.append(many.clone()).await.expect("appended").recorded, many.len());
    let more = entries_from("ada", 4, base() + Duration::hours(1));
    assert_eq!(store.append(more.clone()).await.expect("appended").recorded, 4);

    let chain = store.chain("ada").await.expect("chain");
    assert_eq!(ids(&chain), [new_ids(&many), new_ids(&more)].concat());
    assert_linked(&chain);
    let head = &store.heads().await.expect("heads")[0];
    assert_eq!((head.seq, &head.hash), (chain.len() as u64, &chain[chain.len() - 1].hash));
    assert_eq!(store.state("ada").await.expect("state").map(|s| s.seq), Some(chain.len() as u64));
    assert!(verify(&store).await.expect("verified").is_intact());
}

#[tokio::test]
async fn a_chain_moved_meanwhile_is_contended_and_nothing_is_written() {
    let store = store().await;
    store.append(entries("ada", 2)).await.expect("appended");

    // A writer that read the chain before those two rows.
    let stale = store.append_subject("ada", entries("ada", 1), Link::start()).await;
    assert_eq!((stale.recorded, stale.duplicates), (0, 0));
    assert!(matches!(stale.error, Some(Failure::Conflict(_))), "{:?}", stale.error.map(|e| e.to_string()));
    let error = StoreError::from(Failure::Conflict("moved".into()));
    assert!(matches!(error, StoreError::Contended(_)));
    assert_eq!(store.chain("ada").await.expect("chain").len(), 2, "nothing written");
}

/// Writers that looked a chain up at the same head, then commit in turn:
/// the first wins, the others are contended and write nothing. (Not run
/// concurrently: moto's transactions are not isolated from each other, a
/// failed one restores the table as it was when it began.)
#[tokio::test]
async fn of_writers_racing_from_one_head_only_the_first_wins() {
    let t = tables().await;
    let writers: Vec<DynamoAuditStore> = (0..3).map(|_| audit_store(&t)).collect();
    let first = &writers[0];
    first.append((entries("ada", 2)).to_vec()).await.expect("appended");
    let batches: Vec<Batch> =
        (0..3).map(|_| Batch { subject: "ada".into(), entries: entries("ada", 2) }).collect();
    let mut heads = Vec::new();
    for (writer, batch) in writers.iter().zip(&batches) {
        heads
            .push(writer.look_up(std::slice::from_ref(batch)).await.expect("looked up").heads["ada"].clone());
    }

    let mut outcomes = Vec::new();
    for ((writer, batch), head) in writers.iter().zip(batches.clone()).zip(heads) {
        outcomes.push(writer.append_subject("ada", batch.entries, head).await);
    }
    assert!(outcomes[0].error.is_none() && outcomes[0].recorded == 2);
    for lost in &outcomes[1..] {
        assert_eq!(lost.recorded, 0);
        let error = lost.error.clone().map(StoreError::from);
        assert!(matches!(error, Some(StoreError::Contended(_))), "{error:?}");
    }
    let chain = first.chain("ada").await.expect("chain");
    assert_eq!(ids(&chain)[2..], new_ids(&batches[0].entries));
    assert_linked(&chain);
    assert!(verify(first).await.expect("verified").is_intact());
}

#[tokio::test]
async fn an_event_logged_after_the_look_up_is_skipped_and_the_rest_written() {
    let store = store().await;
    let ada = entries("ada", 3);
    store.append((ada[..2]).to_vec()).await.expect("appended");

    // A writer that looked the chain up when it held only the first row,
    // with the second event (logged since) and a new one.
    let head = Link::of(&row_head(&store.chain("ada").await.expect("chain")[0])).expect("head");
    let outcome = store.append_subject("ada", ada[1..].to_vec(), head).await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error.map(|e| e.to_string()));
    assert_eq!((outcome.recorded, outcome.duplicates), (1, 1));
    let chain = store.chain("ada").await.expect("chain");
    assert_eq!(ids(&chain), new_ids(&ada));
    assert_linked(&chain);
}

/// The head item of a chain ending at `row`.
fn row_head(row: &Entry) -> Item {
    let mut item = item_key(subject_pk(&row.subject), HEAD_SK);
    item.insert("seq".into(), n(row.seq));
    item.insert("hash".into(), s(&row.hash));
    item
}

#[tokio::test]
async fn a_state_left_behind_catches_up_with_its_latest_event_when_a_late_one_comes() {
    let t = tables().await;
    let store = audit_store(&t);
    // Appended in this order: the last row is not the latest event.
    let later = entry("ada", "user:hr", UPDATED, base() + Duration::seconds(10));
    let earlier = entry("ada", "user:hr", UPDATED, base());
    store.append(vec![later.clone(), earlier]).await.expect("appended");
    let want = store.state("ada").await.expect("state").expect("a state");
    assert_eq!(want.event_id, later.event_id, "the latest event's state");

    // As if putting the state had failed after the rows committed.
    let state = item_key(subject_pk("ada"), STATE_SK);
    t.client.delete_item().table_name(t.table("audit")).set_key(Some(state)).send().await.expect("deleted");

    // A late event (a redriven dead letter) is all the next append brings.
    let late = entry("ada", "user:hr", UPDATED, base() - Duration::seconds(100));
    store.append(vec![late]).await.expect("appended");
    assert_eq!(store.state("ada").await.expect("state"), Some(want));
}

#[tokio::test]
async fn a_state_left_behind_catches_up_with_the_next_append() {
    let t = tables().await;
    let store = audit_store(&t);
    let ada = entries("ada", 2);
    store.append(ada.clone()).await.expect("appended");
    let want = store.state("ada").await.expect("state").expect("a state");

    // As if putting the state had failed after the rows committed.
    let state = item_key(subject_pk("ada"), STATE_SK);
    t.client.delete_item().table_name(t.table("audit")).set_key(Some(state)).send().await.expect("deleted");
    assert_eq!(store.state("ada").await.expect("state"), None);

    let again = store.append(ada.clone()).await.expect("redelivered");
    assert_eq!(again, Appended { recorded: 0, duplicates: 2 });
    assert_eq!(store.state("ada").await.expect("state"), Some(want));
}

#[tokio::test]
async fn the_read_model_is_replaced() {
    let store = store().await;
    store.append([entries("ada", 1), entries("grace", 1)].concat()).await.expect("appended");
    let grace = store.state("grace").await.expect("state").expect("a state");
    let ada = SubjectState { state: json!({"replayed": true}), ..grace.clone() };
    let ada = SubjectState { subject: "ada".into(), ..ada };

    store.put_states(std::slice::from_ref(&ada), States::First).await.expect("replaced");
    assert_eq!(store.state("ada").await.expect("state"), Some(ada.clone()));
    assert_eq!(store.state("grace").await.expect("state"), None, "cleared first");
    store.put_states(std::slice::from_ref(&grace), States::Next).await.expect("added");
    assert_eq!(store.state("ada").await.expect("state"), Some(ada));
    assert_eq!(store.state("grace").await.expect("state"), Some(grace));
}

#[tokio::test]
async fn subjects_are_those_with_rows_in_order() {
    let t = tables().await;
    let store = audit_store(&t);
    let names = ["d", "a", "c", "b", "e"];
    store.append(names.iter().flat_map(|n| entries(n, 2)).collect::<Vec<_>>()).await.expect("appended");
    let delete = |pk: String, sk: String| {
        let client = t.client.clone();
        let table = t.table("audit");
        async move {
            client
                .delete_item()
                .table_name(table)
                .set_key(Some(item_key(pk, sk)))
                .send()
                .await
                .expect("deleted");
        }
    };
    // "b" lost its head (still listed, for verification to find), "c" every row (not listed).
    delete(subject_pk("b"), HEAD_SK.into()).await;
    delete(subject_pk("c"), seq_sk(1)).await;
    delete(subject_pk("c"), seq_sk(2)).await;

    assert_eq!(store.subjects(None, 10).await.expect("listed"), ["a", "b", "d", "e"]);
    assert_eq!(store.subjects(None, 2).await.expect("listed"), ["a", "b"]);
    assert_eq!(store.subjects(Some("b"), 2).await.expect("listed"), ["d", "e"], "c skipped, still 2");
    assert!(store.subjects(Some("e"), 2).await.expect("listed").is_empty());
    let heads: Vec<String> = store.heads().await.expect("heads").into_iter().map(|h| h.subject).collect();
    assert_eq!(heads, ["a", "c", "d", "e"]);

    let report = verify(&store).await.expect("verified");
    let found: Vec<(&str, hrms_audit::Problem)> =
        report.findings.iter().map(|f| (f.subject.as_str(), f.problem)).collect();
    assert!(found.contains(&("b", hrms_audit::Problem::Inserted)), "no head: {found:?}");
    assert!(found.contains(&("c", hrms_audit::Problem::Removed)), "every row gone: {found:?}");
    let headless = store.append(entries("b", 1)).await;
    assert!(matches!(headless, Err(StoreError::Contended(_))), "{headless:?}");
    assert_eq!(store.chain("b").await.expect("chain").len(), 2);
}

/// 18 rows about 3 subjects by 2 actors of 2 types, over 3 days, times out
/// of chain order and two of them equal; returned as stored.
async fn logged(store: &DynamoAuditStore) -> Vec<Entry> {
    let subjects = ["ada", "grace", "alan"];
    // Row 5 happens at the time of row 4.
    let time = |i: i64| base() + Duration::hours(i * 7 % 60) + Duration::milliseconds(i);
    let batch: Vec<NewEntry> = (0..18)
        .map(|i| {
            let time = if i == 5 { time(4) } else { time(i) };
            let actor = if i % 2 == 0 { "user:1" } else { "user:2" };
            let ty = if (i / 2) % 2 == 0 { UPDATED } else { CREATED };
            entry(subjects[i as usize % 3], actor, ty, time)
        })
        .collect();
    assert_eq!(batch[4].time, batch[5].time);
    store.append(batch.clone()).await.expect("appended");
    let mut rows = Vec::new();
    for subject in subjects {
        rows.extend(store.chain(subject).await.expect("chain"));
    }
    rows
}

/// What `query` must list of `rows` (cursor and limit aside).
fn reference(rows: &[Entry], query: &Query) -> Vec<Entry> {
    let mut found: Vec<Entry> = rows
        .iter()
        .filter(|r| query.subject.as_ref().is_none_or(|s| &r.subject == s))
        .filter(|r| query.actor.as_ref().is_none_or(|a| &r.actor == a))
        .filter(|r| query.event_type.as_ref().is_none_or(|t| &r.event_type == t))
        .filter(|r| query.from.is_none_or(|f| r.time >= f) && query.to.is_none_or(|t| r.time < t))
        .cloned()
        .collect();
    found.sort_by_key(|r| (r.time, r.event_id));
    if query.order == Order::NewestFirst {
        found.reverse();
    }
    found
}

/// Every page of `query`, followed cursor by cursor.
async fn pages(store: &DynamoAuditStore, mut query: Query) -> Vec<Vec<Entry>> {
    let mut pages = Vec::new();
    loop {
        let page = store.query(&query).await.expect("queried");
        assert!(page.entries.len() <= query.limit);
        pages.push(page.entries);
        match page.next {
            Some(next) => query.after = Some(next),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn every_filter_lists_what_the_reference_lists_page_by_page_both_ways() {
    let store = store().await;
    let rows = logged(&store).await;
    let mut checked = 0;
    for subject in [None, Some("grace")] {
        for actor in [None, Some("user:1")] {
            for event_type in [None, Some(UPDATED)] {
                for (from, to) in
                    [(None, None), (Some(base() + Duration::hours(10)), Some(base() + Duration::hours(42)))]
                {
                    for order in [Order::NewestFirst, Order::OldestFirst] {
                        let query = Query {
                            subject: subject.map(str::to_owned),
                            actor: actor.map(str::to_owned),
                            event_type: event_type.map(str::to_owned),
                            from,
                            to,
                            after: None,
                            order,
                            limit: 4,
                        };
                        let want = reference(&rows, &query);
                        let got = pages(&store, query.clone()).await;
                        assert_eq!(got.concat(), want, "{query:?}");
                        let full = want.len() / 4;
                        assert!(got[..full].iter().all(|p| p.len() == 4), "full pages: {query:?}");
                        assert_eq!(
                            store.count(&query).await.expect("counted"),
                            want.len() as u64,
                            "{query:?}"
                        );
                        checked += usize::from(!want.is_empty());
                    }
                }
            }
        }
    }
    assert!(checked >= 28, "most queries find rows: {checked}");
}

#[tokio::test]
async fn a_page_of_one_row_at_a_time_lists_ties_by_event_id() {
    let store = store().await;
    let rows = logged(&store).await;
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let query = Query { order, limit: 1, ..Query::default() };
        let got = pages(&store, query.clone()).await;
        assert_eq!(got.len(), rows.len(), "one row a page, no empty last page");
        assert_eq!(got.concat(), reference(&rows, &query));
    }
    // A cursor in the middle of two rows of the same time.
    let tied = reference(&rows, &Query { order: Order::OldestFirst, ..Query::default() });
    let at = tied.windows(2).position(|w| w[0].time == w[1].time).expect("a tie");
    let query =
        Query { after: Some(Cursor::of(&tied[at])), order: Order::OldestFirst, limit: 1, ..Query::default() };
    assert_eq!(store.query(&query).await.expect("queried").entries, [tied[at + 1].clone()]);
}

#[tokio::test]
async fn empty_ranges_and_pages_answer_nothing() {
    let store = store().await;
    logged(&store).await;
    let inverted =
        Query { from: Some(base() + Duration::days(2)), to: Some(base()), limit: 5, ..Query::default() };
    assert!(store.query(&inverted).await.expect("queried").entries.is_empty());
    assert_eq!(store.count(&inverted).await.expect("counted"), 0);
    let nobody = Query { actor: Some("user:nobody".into()), limit: 5, ..Query::default() };
    assert_eq!(store.query(&nobody).await.expect("queried"), Page { entries: vec![], next: None });
    let none = Query { limit: 0, ..Query::default() };
    assert!(store.query(&none).await.expect("queried").entries.is_empty());
}

#[test]
fn bounds_finer_than_the_log_keep_their_meaning() {
    let row = base() + Duration::microseconds(7);
    let just_after = row + Duration::nanoseconds(300);
    let query = Query { from: Some(just_after), to: Some(just_after), ..Query::default() };
    let plan = Plan::of(&query, Paging::Whole).expect("a range");
    let key = time_key(&row, Uuid::nil());
    assert!(key < plan.lo, "a row before `from` is out");
    assert!(key <= plan.hi, "a row before `to` is in");
}

#[tokio::test]
async fn the_audit_table_has_its_indexes_and_a_plain_one_is_refused() {
    let t = tables().await;
    let described = t.client.describe_table().table_name(t.table("audit")).send().await.expect("described");
    let table = described.table.expect("a table");
    let mut names: Vec<&str> = table
        .local_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .chain(table.global_secondary_indexes().iter().filter_map(|i| i.index_name()))
        .collect();
    names.sort_unstable();
    assert_eq!(names, [BY_ACTOR, BY_DAY, BY_TIME, BY_TYPE]);

    let other =
        hrms_dynamodb::DynamoConfig { table_prefix: format!("{}plain-", t.config.table_prefix), ..t.config };
    ensure_table(&t.client, &other.table("audit")).await.expect("a plain table");
    let refused =
        hrms_dynamodb::ensure_laid_out_table(&t.client, &other.table("audit"), &super::LAYOUT).await;
    assert!(
        matches!(&refused, Err(Failure::Unavailable { reason, .. }) if reason.contains("by_time")),
        "{refused:?}"
    );
}
