//! The Employee store's contract: ids and lower-cased e-mails are unique,
//! each write needs the stored version, and a write that fails leaves
//! neither change nor event.

use chrono::{SubsecRound, Utc};
use hrms_employee::{Employee, StoreError};
use hrms_events::employee::EmployeeUpdated;
use hrms_events::{HrmsEvent, Payload, fixtures};
use uuid::Uuid;

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_employee::EmployeeStore;
use hrms_platform::outbox::OutboxStore;

mod list;
mod outbox;
mod reports;

/// Reads the dead letters of an outbox: (event id, reason), oldest first.
type DeadLetters = Box<dyn Fn() -> BoxFuture<'static, Vec<(Uuid, String)>> + Send + Sync>;

/// An empty Employee store with its outbox.
pub struct Stores {
    pub employee: Box<dyn EmployeeStore>,
    pub employee_outbox: Arc<dyn OutboxStore>,
    employee_dead: DeadLetters,
    /// What must live as long as the stores (a temporary directory).
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

impl Stores {
    /// The outbox's dead letters.
    pub async fn employee_dead_letters(&self) -> Vec<(Uuid, String)> {
        (self.employee_dead)().await
    }
}

/// The store in memory, its outbox beside it.
fn on_memory() -> Stores {
    let store = hrms_employee::memory::MemoryEmployeeStore::default();
    let outbox = store.outbox();
    let dead = outbox.clone();
    Stores {
        employee: Box::new(store),
        employee_outbox: outbox,
        employee_dead: Box::new(move || {
            let letters = dead.dead_letters();
            Box::pin(async move { letters })
        }),
        _keep: Box::new(()),
    }
}

#[cfg(feature = "sqlite")]
fn on_sqlite() -> Stores {
    use hrms_sqlite::Store as _;
    use hrms_sqlite::outbox::{SqliteOutbox, connect};
    let dir = hrms_platform::testing::TempDir::new("employee-conformance");
    let db = dir.0.join("employee.db");
    let dead_from = db.clone();
    Stores {
        employee: Box::new(crate::sqlite::SqliteEmployeeStore::open(&db).expect("employee store")),
        employee_outbox: Arc::new(SqliteOutbox::open(&db).expect("outbox")),
        employee_dead: Box::new(move || {
            let path = dead_from.clone();
            Box::pin(async move {
                let conn = connect(&path).expect("db");
                let mut select =
                    conn.prepare("SELECT event_id, reason FROM outbox_dead ORDER BY seq").expect("query");
                let rows = select.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)));
                rows.expect("dead letters")
                    .map(|row| row.expect("row"))
                    .map(|(id, reason)| (Uuid::parse_str(&id).expect("event id"), reason))
                    .collect()
            })
        }),
        _keep: Box::new(dir),
    }
}

#[cfg(feature = "dynamodb")]
async fn on_dynamodb() -> Stores {
    use hrms_dynamodb::Store as _;
    use hrms_dynamodb::outbox::DynamoOutbox;
    let tables = hrms_dynamodb::testing::laid_out_tables(&[("employee", &crate::dynamodb::LAYOUT)]).await;
    let (table, client) = (tables.table("employee"), tables.client.clone());
    let dead = Arc::new(DynamoOutbox::new(client.clone(), &table));
    Stores {
        employee: Box::new(crate::dynamodb::DynamoEmployeeStore::new(client.clone(), &table)),
        employee_outbox: Arc::new(DynamoOutbox::new(client, &table)),
        employee_dead: Box::new(move || {
            let outbox = dead.clone();
            Box::pin(async move {
                let letters = outbox.dead_letters(100).await.expect("dead letters");
                letters
                    .into_iter()
                    .map(|d| (Uuid::parse_str(&d.event_id).expect("event id"), d.reason))
                    .collect()
            })
        }),
        _keep: Box::new(()),
    }
}

use list::*;
use outbox::*;
use reports::*;

hrms_platform::suite!(
    an_employee_reads_back_as_written,
    a_taken_id_is_a_conflict,
    a_taken_email_is_a_conflict_whatever_its_case,
    an_update_needs_the_stored_version,
    a_changed_email_frees_the_old_one,
    the_outbox_gives_events_in_write_order,
    settled_events_leave_and_dead_ones_keep_their_reason,
    listings_select_by_every_filter_and_page_through_each_match_once,
    a_changed_employee_is_listed_as_it_now_is,
    a_cursor_the_store_did_not_give_is_refused,
    a_leavers_active_reports_move_to_the_leavers_manager,
);

/// A new employee (version 1) with a unique e-mail.
pub fn employee() -> Employee {
    hrms_employee::fixtures::employee()
}

/// `employee` changed as the next write would: one version more.
pub fn changed(employee: &Employee, change: impl FnOnce(&mut Employee)) -> Employee {
    let mut next = employee.clone();
    change(&mut next);
    next.version += 1;
    next.updated_at = Utc::now().trunc_subsecs(6);
    next
}

/// `n` events about `employee` (keyed by its id).
pub fn events(employee: &Employee, n: usize) -> Vec<HrmsEvent> {
    (0..n)
        .map(|i| {
            let payload = Payload::EmployeeUpdated(EmployeeUpdated {
                employee_id: employee.employee_id,
                email: employee.email.clone(),
                manager_id: employee.manager_id,
                changed_fields: vec![format!("field{i}")],
                weekly_hours: None,
            });
            HrmsEvent::new(payload, &fixtures::hr_actor())
        })
        .collect()
}

/// The events waiting in the Employee outbox, in the order given.
pub async fn queued(stores: &Stores) -> Vec<HrmsEvent> {
    let pending = stores.employee_outbox.pending(1000).await.expect("pending");
    assert!(pending.unreadable.is_empty(), "unreadable: {:?}", pending.unreadable);
    pending.entries.into_iter().map(|e| e.event).collect()
}

/// A conflict whose message names `cause` (what the caller is told).
fn assert_conflict(result: Result<(), StoreError>, cause: &str) {
    match result {
        Err(StoreError::Conflict(why)) => assert!(why.contains(cause), "want {cause:?} in {why:?}"),
        other => panic!("want a conflict ({cause}), got {other:?}"),
    }
}

pub async fn an_employee_reads_back_as_written(stores: Stores) {
    let ada = employee();
    let created = events(&ada, 2);
    stores.employee.insert(&ada, &created).await.expect("inserted");

    assert_eq!(stores.employee.get(ada.employee_id).await.expect("read"), Some(ada));
    assert_eq!(stores.employee.get(Uuid::now_v7()).await.expect("read"), None, "unknown id");
    assert_eq!(queued(&stores).await, created, "its events, as written");
}

pub async fn a_taken_id_is_a_conflict(stores: Stores) {
    let ada = employee();
    stores.employee.insert(&ada, &events(&ada, 1)).await.expect("inserted");

    let twin = Employee { email: employee().email, first_name: "Grace".into(), ..ada.clone() };
    assert_conflict(stores.employee.insert(&twin, &events(&twin, 1)).await, "exists");
    assert_eq!(stores.employee.get(ada.employee_id).await.expect("read"), Some(ada));
    assert_eq!(queued(&stores).await.len(), 1, "the failed insert queued nothing");
    // Nor did it take the e-mail it asked for.
    let other = Employee { employee_id: Uuid::now_v7(), ..twin };
    stores.employee.insert(&other, &[]).await.expect("the e-mail is free");
}

pub async fn a_taken_email_is_a_conflict_whatever_its_case(stores: Stores) {
    let ada = employee();
    stores.employee.insert(&ada, &events(&ada, 1)).await.expect("inserted");

    let other = Employee { email: ada.email.to_uppercase(), ..employee() };
    assert_conflict(stores.employee.insert(&other, &events(&other, 1)).await, "e-mail");
    assert_eq!(stores.employee.get(other.employee_id).await.expect("read"), None);
    assert_eq!(queued(&stores).await.len(), 1, "the failed insert queued nothing");
}

pub async fn an_update_needs_the_stored_version(stores: Stores) {
    let ada = employee();
    stores.employee.insert(&ada, &[]).await.expect("inserted");

    let v2 = changed(&ada, |e| e.job_title = "Lead Analyst".into());
    let updated = events(&v2, 1);
    stores.employee.update(&v2, &updated).await.expect("right version");
    let stored = stores.employee.get(ada.employee_id).await.expect("read").expect("found");
    assert_eq!((stored.version, stored.job_title.as_str()), (2, "Lead Analyst"));
    assert_eq!(stored, v2);

    // A writer that read version 1 too.
    let stale = changed(&ada, |e| e.department = "Research".into());
    assert_conflict(stores.employee.update(&stale, &events(&stale, 1)).await, "changed");
    let skipping = changed(&v2, |e| e.version += 1);
    assert_conflict(stores.employee.update(&skipping, &[]).await, "changed");
    let unknown = changed(&employee(), |_| {});
    assert_conflict(stores.employee.update(&unknown, &[]).await, "employee");

    assert_eq!(stores.employee.get(ada.employee_id).await.expect("read"), Some(v2));
    assert_eq!(queued(&stores).await, updated, "only the successful update's event");
}

pub async fn a_changed_email_frees_the_old_one(stores: Stores) {
    let (ada, grace) = (employee(), employee());
    stores.employee.insert(&ada, &[]).await.expect("inserted");
    stores.employee.insert(&grace, &[]).await.expect("inserted");

    // Taking someone else's e-mail fails and changes nothing.
    let clash = changed(&ada, |e| e.email = grace.email.to_uppercase());
    assert_conflict(stores.employee.update(&clash, &events(&clash, 1)).await, "e-mail");
    assert!(queued(&stores).await.is_empty());

    let old_email = ada.email.clone();
    let moved = changed(&ada, |e| e.email = format!("lovelace.{}@example.com", Uuid::now_v7().simple()));
    stores.employee.update(&moved, &[]).await.expect("new e-mail");
    assert_eq!(stores.employee.get(ada.employee_id).await.expect("read"), Some(moved.clone()));

    let newcomer = Employee { email: old_email, ..employee() };
    stores.employee.insert(&newcomer, &[]).await.expect("the old e-mail is free again");
    let copycat = Employee { email: moved.email.to_uppercase(), ..employee() };
    assert_conflict(stores.employee.insert(&copycat, &[]).await, "e-mail");

    // A change of case only is the same e-mail: no conflict with itself.
    let recased = changed(&moved, |e| e.email = e.email.to_uppercase());
    stores.employee.update(&recased, &[]).await.expect("same e-mail, other case");
}
