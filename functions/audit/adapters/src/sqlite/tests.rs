use chrono::Duration;
use hrms_audit::fixtures::employee_updated;
use hrms_audit::persist;
use hrms_audit::verify::{Problem, verify};

use hrms_events::HrmsEvent;

use super::*;
use hrms_sqlite::outbox::connect;

/// A log of two subjects with five rows each, and its file.
async fn log() -> (SqliteAuditStore, std::path::PathBuf, [Uuid; 2]) {
    let dir = std::env::temp_dir().join(format!("hrms-audit-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("audit.db");
    let store = SqliteAuditStore::open(&path).expect("store");
    let subjects = [Uuid::now_v7(), Uuid::now_v7()];
    let t0 = Utc::now() - Duration::hours(1);
    let events: Vec<_> = (1..=5u64)
        .flat_map(|v| {
            subjects.map(|s| employee_updated(s, v, t0 + Duration::seconds(v as i64), Uuid::now_v7()))
        })
        .collect();
    persist(&store, &events).await.expect("persisted");
    (store, path, subjects)
}

/// Runs `sql` on the file as someone with the `sqlite3` shell would,
/// the append-only triggers dropped first.
fn tamper(path: &Path, sql: &str) {
    let conn = connect(path).expect("db");
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;",
    )
    .expect("drop");
    conn.execute_batch(sql).expect("tamper");
}

async fn findings(store: &SqliteAuditStore) -> Vec<(Problem, String, u64)> {
    let report = verify(store).await.expect("verified");
    report.findings.into_iter().map(|f| (f.problem, f.subject, f.seq)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_batch_is_appended_in_parts_each_chain_whole_and_once() {
    let dir = hrms_http::testing::temp_dir("audit-parts");
    let store = SqliteAuditStore::open(dir.join("audit.db")).expect("store");
    let subjects: Vec<Uuid> = (0..7).map(|_| Uuid::now_v7()).collect();
    let t0 = Utc::now() - Duration::hours(1);
    let events: Vec<_> = (0..350usize)
        .map(|i| {
            let version = (i / subjects.len()) as u64 + 1;
            employee_updated(subjects[i % 7], version, t0 + Duration::milliseconds(i as i64), subjects[0])
        })
        .collect();
    let appended = persist(&store, &events).await.expect("persisted");
    assert_eq!((appended.recorded, appended.duplicates), (350, 0));
    for subject in &subjects {
        let chain = store.chain(&subject.to_string()).await.expect("chain");
        let seqs: Vec<u64> = chain.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=50).collect::<Vec<u64>>(), "one row per event, in order");
    }
    assert!(verify(&store).await.expect("verified").is_intact());
    let again = persist(&store, &events).await.expect("persisted again");
    assert_eq!((again.recorded, again.duplicates), (0, 350));
}

#[tokio::test]
async fn rows_cannot_be_changed_or_removed_through_sql() {
    let (_store, path, [a, _]) = log().await;
    let conn = connect(&path).expect("db");
    let update = conn.execute("UPDATE audit_log SET actor = 'x' WHERE subject = ?1", [a.to_string()]);
    assert!(update.is_err_and(|e| e.to_string().contains("append-only")));
    assert!(conn.execute("DELETE FROM audit_log", []).is_err());
}

#[tokio::test]
async fn verify_names_a_row_edited_in_sqlite() {
    let (store, path, [a, _]) = log().await;
    assert!(findings(&store).await.is_empty());
    tamper(
        &path,
        &format!(
            "UPDATE audit_log SET event = replace(event, 'Engineering', 'Finance') WHERE subject = '{a}' AND seq = 3"
        ),
    );
    assert_eq!(findings(&store).await, vec![(Problem::Altered, a.to_string(), 3)]);
}

#[tokio::test]
async fn verify_names_a_row_deleted_in_sqlite() {
    let (store, path, [a, b]) = log().await;
    tamper(&path, &format!("DELETE FROM audit_log WHERE subject = '{a}' AND seq = 2"));
    tamper(&path, &format!("DELETE FROM audit_log WHERE subject = '{b}' AND seq = 5"));
    let mut found = findings(&store).await;
    found.sort_by(|x, y| x.1.cmp(&y.1));
    let mut want = vec![(Problem::Removed, a.to_string(), 2), (Problem::Removed, b.to_string(), 5)];
    want.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(found, want);
}

#[tokio::test]
async fn verify_names_rows_swapped_in_sqlite() {
    let (store, path, [a, _]) = log().await;
    tamper(
        &path,
        &format!(
            "UPDATE audit_log SET seq = -1 WHERE subject = '{a}' AND seq = 2;
             UPDATE audit_log SET seq = 2 WHERE subject = '{a}' AND seq = 3;
             UPDATE audit_log SET seq = 3 WHERE subject = '{a}' AND seq = -1;"
        ),
    );
    let found = findings(&store).await;
    assert_eq!(found, vec![(Problem::Reordered, a.to_string(), 2)]);
}

#[tokio::test]
async fn verify_finds_a_chain_whose_rows_are_all_gone() {
    let (store, path, [a, _]) = log().await;
    tamper(&path, &format!("DELETE FROM audit_log WHERE subject = '{a}'"));
    assert_eq!(findings(&store).await, vec![(Problem::Removed, a.to_string(), 1)]);
}

#[tokio::test]
async fn verify_names_a_row_inserted_in_sqlite_that_no_link_leads_to() {
    let (store, path, [a, _]) = log().await;
    // A well-formed row 6 (its hash right, linked to row 5), appended
    // behind the store's back: the head still ends the chain at 5, so the
    // history does not show it, and only verify finds it.
    let last = store.chain(&a.to_string()).await.expect("chain").pop().expect("row 5");
    let event = employee_updated(a, 6, Utc::now(), Uuid::now_v7());
    let row = NewEntry::new(&event).expect("canonical").link(6, &last.hash, Utc::now());
    insert_row(&connect(&path).expect("db"), &row);
    assert_eq!(store.chain(&a.to_string()).await.expect("chain").len(), 5, "history follows the links");
    let found = findings(&store).await;
    assert_eq!(found, vec![(Problem::Inserted, a.to_string(), 6)]);
}

/// Writes `row` into the log table as it is, as someone with the `sqlite3`
/// shell could.
fn insert_row(conn: &Connection, row: &Entry) {
    conn.execute(
        &format!("INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        params![
            row.event_id.to_string(),
            row.subject,
            row.seq as i64,
            row.event_type,
            row.actor,
            format_time(&row.time),
            format_time(&row.recorded_at),
            row.event,
            row.prev_hash,
            row.hash
        ],
    )
    .expect("row");
}

#[tokio::test]
async fn a_subjects_rows_are_listed_by_following_its_chain() {
    let (store, _path, [a, b]) = log().await;
    let query = Query { subject: Some(a.to_string()), limit: 3, ..Query::default() };
    let first = store.query(&query).await.expect("page");
    let seqs: Vec<u64> = first.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [5, 4, 3], "newest first");
    let rest = store.query(&Query { after: first.next, ..query.clone() }).await.expect("page");
    assert_eq!(rest.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(store.count(&query).await.expect("count"), 5);
    let none = Query { subject: Some(format!("{b}x")), limit: 3, ..Query::default() };
    assert!(store.query(&none).await.expect("page").entries.is_empty());
}

/// A database as version 1 of the schema left it (rows keyed by event id,
/// unique by subject and seq, no links), with two chains of three rows.
fn version_one(path: &Path) -> Vec<HrmsEvent> {
    let conn = connect(path).expect("db");
    conn.execute_batch(schema::MIGRATIONS[0]).expect("version 1");
    conn.pragma_update(None, "user_version", 1).expect("version");
    let t0 = Utc::now() - Duration::hours(1);
    let subjects = [Uuid::now_v7(), Uuid::now_v7()];
    let events: Vec<_> = (1..=3u64)
        .flat_map(|v| subjects.map(|s| employee_updated(s, v, t0 + Duration::seconds(v as i64), s)))
        .collect();
    let mut heads: HashMap<String, (u64, String)> = HashMap::new();
    for event in &events {
        let new = NewEntry::new(event).expect("canonical");
        let (seq, prev) = heads.get(&new.subject).cloned().unwrap_or((0, hrms_audit::entry::GENESIS.into()));
        let row = new.link(seq + 1, &prev, Utc::now());
        insert_row(&conn, &row);
        conn.execute(
            "INSERT OR REPLACE INTO audit_head (subject, seq, hash) VALUES (?1, ?2, ?3)",
            params![row.subject, row.seq as i64, row.hash],
        )
        .expect("head");
        heads.insert(row.subject, (row.seq, row.hash));
    }
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_one_log_is_migrated_with_its_chains_linked() {
    let path = hrms_http::testing::temp_dir("audit-v1").join("audit.db");
    let events = version_one(&path);
    let store = SqliteAuditStore::open(&path).expect("migrated");
    let report = verify(&store).await.expect("verified");
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!((report.chains, report.rows), (2, 6));
    for event in &events[..2] {
        let subject = event.subject();
        let seqs: Vec<u64> = store.chain(&subject).await.expect("chain").iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3], "the history of {subject} follows its links");
    }
    // Appends go on from the migrated heads, and a redelivery is still
    // recognised by its event id.
    let subject: Uuid = events[0].subject().parse().expect("uuid");
    let later = employee_updated(subject, 4, Utc::now(), subject);
    assert_eq!(persist(&store, &[later, events[0].clone()]).await.expect("persisted").recorded, 1);
    let chain = store.chain(&events[0].subject()).await.expect("chain");
    assert_eq!(chain.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert!(verify(&store).await.expect("verified").is_intact());
    assert!(connect(&path).expect("db").execute("DELETE FROM audit_log", []).is_err(), "still append-only");
}

#[tokio::test]
async fn a_new_log_has_big_pages_in_wal_mode() {
    let (_store, path, _) = log().await;
    let conn = connect(&path).expect("db");
    assert_eq!(conn.pragma_query_value(None, "page_size", |r| r.get::<_, i64>(0)).expect("size"), PAGE_SIZE);
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).expect("mode");
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_subjects_listing_reads_its_chain_and_no_index_of_the_whole_log() {
    let (_store, path, [a, _]) = log().await;
    let conn = connect(&path).expect("db");
    let query = Query {
        subject: Some(a.to_string()),
        actor: Some("someone".into()),
        event_type: Some("employee.updated".into()),
        from: Some(Utc::now() - Duration::days(1)),
        to: Some(Utc::now()),
        after: Some(Cursor { time: Utc::now(), event_id: Uuid::now_v7() }),
        limit: 10,
        ..Query::default()
    };
    let (sql, args) = select_page(&query);
    let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("plan");
    let plan: Vec<String> = explain
        .query_map(params_from_iter(args), |r| r.get(3))
        .expect("plan")
        .collect::<Result<_, _>>()
        .expect("plan");
    let whole_log = |step: &String| step.starts_with("SCAN audit_log") || step.contains("INDEX audit_log_");
    assert!(!plan.iter().any(whole_log), "{plan:#?}");
    assert!(plan.iter().any(|s| s.contains("SEARCH audit_head")), "{plan:#?}");
}
