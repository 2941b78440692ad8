use chrono::{Duration, Utc};
use hrms_events::fixtures;
use hrms_events::{EventType, HrmsEvent, Payload};

use super::*;
use crate::entry::NewEntry;

/// A chain of `n` rows about one subject, and its head.
fn chain(n: usize) -> (Vec<Entry>, Head) {
    let first = fixtures::sample(EventType::AuditEmployeeUpdated);
    let mut rows: Vec<Entry> = Vec::new();
    for i in 0..n {
        let mut event = HrmsEvent { id: Uuid::now_v7(), ..first.clone() };
        event.time = first.time + Duration::seconds(i as i64);
        let prev = rows.last().map_or(GENESIS.to_owned(), |r| r.hash.clone());
        rows.push(NewEntry::new(&event).expect("canonical").link(i as u64 + 1, &prev, Utc::now()));
    }
    let last = rows.last().expect("rows");
    let head = Head { subject: last.subject.clone(), seq: last.seq, hash: last.hash.clone() };
    (rows, head)
}

fn check(rows: &[Entry], head: &Head) -> Vec<(Problem, u64)> {
    verify_chain(&head.subject, rows, Some(head)).into_iter().map(|f| (f.problem, f.seq)).collect()
}

#[test]
fn an_intact_chain_has_no_findings() {
    let (rows, head) = chain(5);
    assert_eq!(check(&rows, &head), vec![]);
}

#[test]
fn an_edited_event_is_named() {
    let (mut rows, head) = chain(5);
    rows[2].event = rows[2].event.replace("Engineering", "Finance");
    assert_ne!(rows[2].event, chain(1).0[0].event);
    assert_eq!(check(&rows, &head), vec![(Problem::Altered, 3)]);
}

#[test]
fn an_edited_column_is_named() {
    let (mut rows, head) = chain(4);
    rows[1].actor = "user:someone-else".into();
    assert_eq!(check(&rows, &head), vec![(Problem::Altered, 2)]);
}

#[test]
fn a_rewritten_row_with_a_fresh_hash_breaks_the_next_link() {
    let (mut rows, head) = chain(4);
    rows[1].event = rows[1].event.replace("Engineering", "Finance");
    rows[1].hash = chain_hash(&rows[1].prev_hash, &rows[1].event);
    let found = check(&rows, &head);
    assert_eq!(found, vec![(Problem::Removed, 3)], "row 3 no longer links to what is stored before it");
}

#[test]
fn a_removed_row_is_named_by_its_place() {
    let (mut rows, head) = chain(5);
    rows.remove(2);
    assert_eq!(check(&rows, &head), vec![(Problem::Removed, 3)]);
}

#[test]
fn a_removed_first_row_is_found() {
    let (mut rows, head) = chain(3);
    rows.remove(0);
    assert_eq!(check(&rows, &head), vec![(Problem::Removed, 1)]);
}

#[test]
fn a_removed_last_row_is_found_by_the_head() {
    let (mut rows, head) = chain(5);
    rows.pop();
    assert_eq!(check(&rows, &head), vec![(Problem::Removed, 5)]);
}

#[test]
fn a_removed_row_with_the_rest_renumbered_is_found() {
    let (mut rows, head) = chain(5);
    rows.remove(1);
    for (i, r) in rows.iter_mut().enumerate() {
        r.seq = i as u64 + 1;
    }
    let found = check(&rows, &head);
    assert!(found.contains(&(Problem::Removed, 2)), "{found:?}");
}

/// Whether a forged row links to the row before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forged {
    Linked,
    Unlinked,
}

/// A forged row after `rows[at - 1]`, the rows after it renumbered.
fn insert_forged(rows: &mut Vec<Entry>, at: usize, how: Forged) -> Uuid {
    let mut event = fixtures::sample(EventType::AuditEmployeeUpdated);
    event.id = Uuid::now_v7();
    if let Payload::AuditEmployeeUpdated(record) = &mut event.payload {
        record.reason = Some("forged".into());
    }
    let prev = match how {
        Forged::Linked => rows[at - 1].hash.clone(),
        Forged::Unlinked => "f".repeat(64),
    };
    let forged = NewEntry::new(&event).expect("canonical").link(at as u64 + 1, &prev, Utc::now());
    let id = forged.event_id;
    rows.insert(at, forged);
    for (i, r) in rows.iter_mut().enumerate() {
        r.seq = i as u64 + 1;
    }
    id
}

#[test]
fn an_inserted_row_is_named() {
    for how in [Forged::Linked, Forged::Unlinked] {
        let (mut rows, head) = chain(5);
        let forged = insert_forged(&mut rows, 2, how);
        let found = verify_chain(&head.subject, &rows, Some(&head));
        assert_eq!(found.len(), 1, "{how:?}: {found:?}");
        assert_eq!((found[0].problem, found[0].event_id), (Problem::Inserted, Some(forged)), "{how:?}");
    }
}

#[test]
fn a_row_appended_past_the_head_is_inserted() {
    let (mut rows, head) = chain(3);
    let forged = insert_forged(&mut rows, 3, Forged::Linked);
    let found = verify_chain(&head.subject, &rows, Some(&head));
    assert_eq!(
        found.iter().map(|f| (f.problem, f.event_id)).collect::<Vec<_>>(),
        vec![(Problem::Inserted, Some(forged))]
    );
}

#[test]
fn swapped_rows_are_reordered() {
    let (mut rows, head) = chain(5);
    rows.swap(1, 2);
    rows[1].seq = 2;
    rows[2].seq = 3;
    let found = check(&rows, &head);
    assert_eq!(found, vec![(Problem::Reordered, 2)], "{found:?}");
}

#[test]
fn a_chain_without_its_head_is_found() {
    let (rows, head) = chain(2);
    let found = verify_chain(&head.subject, &rows, None);
    assert_eq!(found.iter().map(|f| f.problem).collect::<Vec<_>>(), vec![Problem::Inserted]);
}

#[test]
fn the_digest_covers_every_head() {
    let (_, a) = chain(2);
    let (_, b) = chain(3);
    let both = digest([&a, &b].into_iter());
    assert_ne!(both, digest([&a].into_iter()));
    assert_eq!(both, digest([&a, &b].into_iter()));
}
