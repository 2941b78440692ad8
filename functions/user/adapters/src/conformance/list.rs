//! The listing's contract: every filter selects what it names (text in any
//! case), pages followed cursor by cursor give each match once, a changed
//! account is listed as it now is, and a cursor the store did not give is
//! refused.

use hrms_events::Role;
use hrms_events::user::UserStatus;
use hrms_user::listing::{UserFilter, UserQuery};
use hrms_user::{StoreError, User};
use uuid::Uuid;

use super::{Stores, account, changed};

/// Every account `filter` lists, page by page of `limit`, sorted by id.
async fn walk(stores: &Stores, filter: &UserFilter, limit: usize) -> Vec<Uuid> {
    let mut ids = Vec::new();
    let mut cursor = None;
    for _ in 0..100 {
        let query = UserQuery { filter: filter.clone(), cursor: cursor.clone(), limit };
        let page = stores.user.list(&query).await.expect("a page");
        assert!(page.users.len() <= limit, "{filter:?}: a page of {}", page.users.len());
        ids.extend(page.users.iter().map(|u| u.user_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let listed = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), listed, "{filter:?}: an account listed twice");
    ids
}

fn person(full_name: &str, role: Role, status: UserStatus) -> User {
    let first = full_name.split(' ').next().unwrap_or_default().to_lowercase();
    User {
        full_name: full_name.into(),
        email: format!("{first}.{}@example.com", Uuid::now_v7().simple()),
        role,
        status,
        ..account()
    }
}

pub async fn accounts_are_listed_by_every_filter_page_by_page(stores: Stores) {
    let people = vec![
        person("Ada Lovelace", Role::Employee, UserStatus::Active),
        person("Alan Turing", Role::Manager, UserStatus::Active),
        person("Alonzo Church", Role::Manager, UserStatus::Suspended),
        person("Grace Hopper", Role::Hr, UserStatus::Active),
        person("Barbara Liskov", Role::Admin, UserStatus::Deleted),
    ];
    for p in &people {
        stores.user.insert(p, &[]).await.expect("inserted");
    }
    let filters = vec![
        UserFilter::default(),
        UserFilter { role: Some(Role::Manager), ..Default::default() },
        UserFilter { status: Some(UserStatus::Active), ..Default::default() },
        UserFilter { name: Some("AL".into()), ..Default::default() },
        UserFilter { email: Some("grace".into()), ..Default::default() },
        UserFilter { role: Some(Role::Manager), status: Some(UserStatus::Active), ..Default::default() },
        UserFilter { name: Some("zz".into()), ..Default::default() },
    ];
    for filter in filters {
        let mut want: Vec<Uuid> = people.iter().filter(|u| filter.matches(u)).map(|u| u.user_id).collect();
        want.sort();
        for limit in [1, 2, 50] {
            assert_eq!(walk(&stores, &filter, limit).await, want, "{filter:?}, pages of {limit}");
        }
    }
    let al = UserFilter { name: Some("al".into()), ..Default::default() };
    assert_eq!(walk(&stores, &al, 10).await.len(), 2, "Alan and Alonzo, any case");
}

pub async fn the_accounts_of_an_employee_are_listed_by_its_id(stores: Stores) {
    let employee = Uuid::now_v7();
    let linked =
        |status| User { employee_id: Some(employee), ..person("Ada Lovelace", Role::Employee, status) };
    let (active, suspended) = (linked(UserStatus::Active), linked(UserStatus::Suspended));
    let other = person("Alan Turing", Role::Employee, UserStatus::Active);
    let unlinked = User { employee_id: None, ..person("Grace Hopper", Role::Hr, UserStatus::Active) };
    for u in [&active, &suspended, &other, &unlinked] {
        stores.user.insert(u, &[]).await.expect("inserted");
    }
    let theirs = UserFilter { employee_id: Some(employee), ..Default::default() };
    let mut want = vec![active.user_id, suspended.user_id];
    want.sort();
    for limit in [1, 50] {
        assert_eq!(walk(&stores, &theirs, limit).await, want, "pages of {limit}");
    }
    let still_active = UserFilter { status: Some(UserStatus::Active), ..theirs.clone() };
    assert_eq!(walk(&stores, &still_active, 10).await, [active.user_id]);
    let nobody = UserFilter { employee_id: Some(Uuid::now_v7()), ..Default::default() };
    assert!(walk(&stores, &nobody, 10).await.is_empty());
}

pub async fn a_changed_account_is_listed_as_it_now_is(stores: Stores) {
    let ada = person("Ada Lovelace", Role::Employee, UserStatus::Active);
    stores.user.insert(&ada, &[]).await.expect("inserted");
    let promoted = changed(&ada, |u| {
        u.role = Role::Manager;
        u.status = UserStatus::Suspended;
        u.full_name = "Ada King".into();
    });
    stores.user.update(&promoted, &[]).await.expect("changed");
    for (filter, listed) in [
        (UserFilter { role: Some(Role::Employee), ..Default::default() }, false),
        (UserFilter { role: Some(Role::Manager), ..Default::default() }, true),
        (UserFilter { status: Some(UserStatus::Suspended), ..Default::default() }, true),
        (UserFilter { name: Some("ada l".into()), ..Default::default() }, false),
        (UserFilter { name: Some("ada k".into()), ..Default::default() }, true),
    ] {
        let found = walk(&stores, &filter, 10).await;
        assert_eq!(found == [ada.user_id], listed, "{filter:?}: {found:?}");
    }
}

pub async fn a_cursor_the_user_store_did_not_give_is_refused(stores: Stores) {
    stores.user.insert(&account(), &[]).await.expect("inserted");
    for cursor in ["not a cursor", "by_nothing/123"] {
        let query = UserQuery { filter: UserFilter::default(), cursor: Some(cursor.into()), limit: 10 };
        let refused = stores.user.list(&query).await;
        assert!(matches!(refused, Err(StoreError::InvalidCursor(_))), "{cursor}: {refused:?}");
    }
}
