//! The User store's contract: ids and lower-cased e-mails are unique (a
//! deleted account keeps its e-mail), an e-mail finds its account whatever
//! its case, each write needs the stored version, and a refused write leaves
//! neither change nor event.

use chrono::{SubsecRound, Utc};
use hrms_events::user::{UserStatus, UserUpdated};
use hrms_events::{HrmsEvent, Payload, Role, fixtures};
use hrms_user::{StoreError, User};
use uuid::Uuid;

use std::sync::Arc;

use hrms_platform::outbox::OutboxStore;
use hrms_user::UserStore;

/// An empty User store with its outbox.
pub struct Stores {
    pub user: Box<dyn UserStore>,
    pub user_outbox: Arc<dyn OutboxStore>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

/// The store in memory, its outbox beside it.
fn on_memory() -> Stores {
    let user = hrms_user::memory::MemoryUserStore::default();
    Stores { user_outbox: user.outbox(), user: Box::new(user), _keep: Box::new(()) }
}

/// The store in a temporary directory, its outbox as its relay reads it: through the store's writer.
#[cfg(feature = "sqlite")]
fn on_sqlite() -> Stores {
    use hrms_sqlite::Store as _;
    let dir = hrms_platform::testing::TempDir::new("user-conformance");
    let user = crate::sqlite::SqliteUserStore::open(dir.0.join("user.db")).expect("user store");
    Stores { user_outbox: Arc::new(user.outbox()), user: Box::new(user), _keep: Box::new(dir) }
}

#[cfg(feature = "dynamodb")]
async fn on_dynamodb() -> Stores {
    use hrms_dynamodb::Store as _;
    use hrms_dynamodb::outbox::DynamoOutbox;
    let tables = hrms_dynamodb::testing::laid_out_tables(&[("user", &crate::dynamodb::LAYOUT)]).await;
    let (table, client) = (tables.table("user"), tables.client.clone());
    Stores {
        user: Box::new(crate::dynamodb::DynamoUserStore::new(client.clone(), &table)),
        user_outbox: Arc::new(DynamoOutbox::new(client, &table)),
        _keep: Box::new(()),
    }
}

hrms_platform::suite!(
    an_account_reads_back_as_written,
    a_taken_account_id_or_email_is_a_conflict,
    an_email_finds_its_account_whatever_its_case,
    an_account_update_needs_the_stored_version,
    a_changed_account_email_frees_the_old_one,
    a_deleted_account_keeps_its_email,
    account_events_are_queued_in_write_order,
    accounts_are_listed_by_every_filter_page_by_page,
    the_accounts_of_an_employee_are_listed_by_its_id,
    a_terminated_employees_accounts_are_suspended_once,
    a_changed_account_is_listed_as_it_now_is,
    a_cursor_the_user_store_did_not_give_is_refused,
);

mod list;
use list::*;
mod terminated;
use terminated::*;

/// A new account (version 1) with a unique e-mail and password hash.
pub fn account() -> User {
    let id = Uuid::now_v7();
    let now = Utc::now().trunc_subsecs(6);
    User {
        user_id: id,
        email: format!("ada.{}@example.com", id.simple()),
        full_name: "Ada Lovelace".into(),
        role: Role::Employee,
        status: UserStatus::Active,
        employee_id: Some(Uuid::now_v7()),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${}", id.simple()),
        password_changed_at: now,
        role_changed_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// `user` changed as the next write would: one version more.
pub fn changed(user: &User, change: impl FnOnce(&mut User)) -> User {
    let mut next = user.clone();
    change(&mut next);
    next.version += 1;
    next.updated_at = Utc::now().trunc_subsecs(6);
    next
}

/// `n` events about `user` (keyed by its id).
fn events(user: &User, n: usize) -> Vec<HrmsEvent> {
    (0..n)
        .map(|i| {
            let payload = Payload::UserUpdated(UserUpdated {
                user_id: user.user_id,
                email: user.email.clone(),
                full_name: user.full_name.clone(),
                employee_id: user.employee_id,
                changed_fields: vec![format!("field{i}")],
            });
            HrmsEvent::new(payload, &fixtures::hr_actor())
        })
        .collect()
}

/// The events waiting in the User outbox, in the order given.
async fn queued(stores: &Stores) -> Vec<HrmsEvent> {
    let pending = stores.user_outbox.pending(1000).await.expect("pending");
    assert!(pending.unreadable.is_empty(), "unreadable: {:?}", pending.unreadable);
    pending.entries.into_iter().map(|e| e.event).collect()
}

/// A conflict whose message names `cause` and shows no password hash.
fn assert_conflict(result: Result<(), StoreError>, cause: &str, user: &User) {
    match result {
        Err(StoreError::Conflict(why)) => {
            assert!(why.contains(cause), "want {cause:?} in {why:?}");
            assert!(!why.contains(&user.password_hash), "the hash leaks in {why:?}");
        }
        other => panic!("want a conflict ({cause}), got {other:?}"),
    }
}

async fn find(stores: &Stores, email: &str) -> Option<Uuid> {
    stores.user.find_email(email).await.expect("looked up")
}

pub async fn an_account_reads_back_as_written(stores: Stores) {
    let ada = account();
    let created = events(&ada, 2);
    stores.user.insert(&ada, &created).await.expect("inserted");

    let stored = stores.user.get(ada.user_id).await.expect("read").expect("found");
    assert_eq!(stored.password_hash, ada.password_hash, "the hash, to verify passwords with");
    assert_eq!(stored, ada);
    assert_eq!(stores.user.get(Uuid::now_v7()).await.expect("read"), None, "unknown id");
    assert_eq!(queued(&stores).await, created, "its events, as written");
}

pub async fn a_taken_account_id_or_email_is_a_conflict(stores: Stores) {
    let ada = account();
    let created = events(&ada, 1);
    stores.user.insert(&ada, &created).await.expect("inserted");

    let twin = User { email: account().email, full_name: "Grace".into(), ..ada.clone() };
    assert_conflict(stores.user.insert(&twin, &events(&twin, 1)).await, "exists", &twin);
    assert_eq!(stores.user.get(ada.user_id).await.expect("read"), Some(ada.clone()));
    assert_eq!(find(&stores, &twin.email).await, None, "the refused insert took no e-mail");

    let other = User { email: ada.email.to_uppercase(), ..account() };
    assert_conflict(stores.user.insert(&other, &events(&other, 1)).await, "e-mail", &other);
    assert_eq!(stores.user.get(other.user_id).await.expect("read"), None);
    assert_eq!(queued(&stores).await, created, "the refused inserts queued nothing");
}

pub async fn an_email_finds_its_account_whatever_its_case(stores: Stores) {
    let ada = account();
    stores.user.insert(&ada, &[]).await.expect("inserted");

    assert_eq!(find(&stores, &ada.email).await, Some(ada.user_id));
    assert_eq!(find(&stores, &ada.email.to_uppercase()).await, Some(ada.user_id));
    assert_eq!(find(&stores, "nobody@example.com").await, None);
}

pub async fn an_account_update_needs_the_stored_version(stores: Stores) {
    let ada = account();
    stores.user.insert(&ada, &[]).await.expect("inserted");

    let v2 = changed(&ada, |u| u.full_name = "Ada King".into());
    let updated = events(&v2, 1);
    stores.user.update(&v2, &updated).await.expect("right version");
    let stored = stores.user.get(ada.user_id).await.expect("read").expect("found");
    assert_eq!((stored.version, stored.full_name.as_str()), (2, "Ada King"));
    assert_eq!(stored, v2);

    // A writer that read version 1 too.
    let stale = changed(&ada, |u| u.role = Role::Manager);
    assert_conflict(stores.user.update(&stale, &events(&stale, 1)).await, "changed", &stale);
    let skipping = changed(&v2, |u| u.version += 1);
    assert_conflict(stores.user.update(&skipping, &[]).await, "changed", &skipping);
    let unknown = changed(&account(), |_| {});
    assert_conflict(stores.user.update(&unknown, &[]).await, "account", &unknown);

    assert_eq!(stores.user.get(ada.user_id).await.expect("read"), Some(v2));
    assert_eq!(queued(&stores).await, updated, "only the successful update's event");
}

pub async fn a_changed_account_email_frees_the_old_one(stores: Stores) {
    let (ada, grace) = (account(), account());
    stores.user.insert(&ada, &[]).await.expect("inserted");
    stores.user.insert(&grace, &[]).await.expect("inserted");

    // Taking someone else's e-mail fails and changes nothing.
    let clash = changed(&ada, |u| u.email = grace.email.to_uppercase());
    assert_conflict(stores.user.update(&clash, &events(&clash, 1)).await, "e-mail", &clash);
    assert_eq!(stores.user.get(ada.user_id).await.expect("read"), Some(ada.clone()));
    assert_eq!(find(&stores, &grace.email).await, Some(grace.user_id));
    assert!(queued(&stores).await.is_empty());

    let moved = changed(&ada, |u| u.email = format!("countess.{}@example.com", Uuid::now_v7().simple()));
    stores.user.update(&moved, &[]).await.expect("new e-mail");
    assert_eq!(stores.user.get(ada.user_id).await.expect("read"), Some(moved.clone()));
    assert_eq!(find(&stores, &ada.email).await, None, "the old e-mail is free");
    assert_eq!(find(&stores, &moved.email).await, Some(ada.user_id), "the new one is hers");

    let newcomer = User { email: ada.email.clone(), ..account() };
    stores.user.insert(&newcomer, &[]).await.expect("the old e-mail is free again");
    let copycat = User { email: moved.email.to_uppercase(), ..account() };
    assert_conflict(stores.user.insert(&copycat, &[]).await, "e-mail", &copycat);

    // A change of case only is the same e-mail: no conflict with itself.
    let recased = changed(&moved, |u| u.email = u.email.to_uppercase());
    stores.user.update(&recased, &[]).await.expect("same e-mail, other case");
    assert_eq!(find(&stores, &moved.email).await, Some(ada.user_id));
}

pub async fn a_deleted_account_keeps_its_email(stores: Stores) {
    let ada = account();
    stores.user.insert(&ada, &[]).await.expect("inserted");
    let deleted = changed(&ada, |u| u.status = UserStatus::Deleted);
    stores.user.update(&deleted, &[]).await.expect("deleted");

    assert_eq!(find(&stores, &ada.email).await, Some(ada.user_id));
    let other = User { email: ada.email.clone(), ..account() };
    assert_conflict(stores.user.insert(&other, &[]).await, "e-mail", &other);
}

pub async fn account_events_are_queued_in_write_order(stores: Stores) {
    let (ada, grace) = (account(), account());
    let mut written = Vec::new();
    for (user, n) in [(&ada, 2), (&grace, 1)] {
        let new = events(user, n);
        stores.user.insert(user, &new).await.expect("inserted");
        written.extend(new);
    }
    for (user, n) in [(&ada, 1), (&grace, 2)] {
        let next = changed(user, |u| u.full_name.push_str(" Jr"));
        let new = events(&next, n);
        stores.user.update(&next, &new).await.expect("updated");
        written.extend(new);
    }

    assert_eq!(queued(&stores).await, written, "all of them, in write order");
    let first = stores.user_outbox.pending(2).await.expect("pending");
    let ids: Vec<_> = first.entries.iter().map(|e| e.event.id).collect();
    assert_eq!(ids, [written[0].id, written[1].id], "the oldest two");
    assert_eq!(stores.user_outbox.backlog().await.expect("backlog"), written.len() as u64);
}
