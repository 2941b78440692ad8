//! The listing's contract: every filter selects what it names (text in any
//! case), pages followed cursor by cursor give each match once, a changed
//! record is listed as it now is, and a cursor the store did not give is
//! refused.

use chrono::NaiveDate;
use hrms_employee::listing::{EmployeeFilter, EmployeeQuery};
use hrms_employee::{Employee, StoreError};
use hrms_events::employee::EmployeeStatus;
use uuid::Uuid;

use super::{Stores, changed, employee};

/// Every employee `filter` lists, page by page of `limit`, sorted by id.
async fn walk(stores: &Stores, filter: &EmployeeFilter, limit: usize) -> Vec<Uuid> {
    let mut ids = Vec::new();
    let mut cursor = None;
    for _ in 0..100 {
        let query = EmployeeQuery { filter: filter.clone(), cursor: cursor.clone(), limit };
        let page = stores.employee.list(&query).await.expect("a page");
        assert!(page.employees.len() <= limit, "{filter:?}: a page of {}", page.employees.len());
        ids.extend(page.employees.iter().map(|e| e.employee_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let listed = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), listed, "{filter:?}: an employee listed twice");
    ids
}

fn person(
    last_name: &str,
    department: &str,
    country: &str,
    manager: Option<Uuid>,
    hired: (i32, u32),
) -> Employee {
    Employee {
        last_name: last_name.into(),
        email: format!("{}.{}@example.com", last_name.to_lowercase(), Uuid::now_v7().simple()),
        department: department.into(),
        country: country.into(),
        manager_id: manager,
        hire_date: NaiveDate::from_ymd_opt(hired.0, hired.1, 1).expect("a date"),
        ..employee()
    }
}

pub async fn listings_select_by_every_filter_and_page_through_each_match_once(stores: Stores) {
    let boss = Uuid::now_v7();
    let people = vec![
        person("Hopper", "Engineering", "US", Some(boss), (2020, 1)),
        person("Hoare", "Engineering", "GB", Some(boss), (2021, 6)),
        person("Holberton", "Research", "US", Some(boss), (2022, 3)),
        person("Liskov", "Research", "US", None, (2023, 9)),
        person("Lamport", "Sales", "DE", Some(Uuid::now_v7()), (2024, 2)),
        person("Lovelace", "engineering", "GB", None, (2025, 11)),
    ];
    for p in &people {
        stores.employee.insert(p, &[]).await.expect("inserted");
    }
    let gone = changed(&people[3], |e| e.status = EmployeeStatus::Terminated);
    stores.employee.update(&gone, &[]).await.expect("terminated");
    let stored: Vec<Employee> = people
        .iter()
        .map(|p| if p.employee_id == gone.employee_id { gone.clone() } else { p.clone() })
        .collect();

    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    let filters = vec![
        EmployeeFilter::default(),
        EmployeeFilter { department: Some("ENGINEERING".into()), ..Default::default() },
        EmployeeFilter { manager_id: Some(boss), ..Default::default() },
        EmployeeFilter { country: Some("US".into()), ..Default::default() },
        EmployeeFilter { status: Some(EmployeeStatus::Terminated), ..Default::default() },
        EmployeeFilter { status: Some(EmployeeStatus::Active), ..Default::default() },
        EmployeeFilter { name: Some("ho".into()), ..Default::default() },
        EmployeeFilter { email: Some("LAM".into()), ..Default::default() },
        EmployeeFilter { hired_from: day(2021, 1, 1), hired_to: day(2023, 9, 1), ..Default::default() },
        EmployeeFilter { hired_from: day(2024, 1, 1), ..Default::default() },
        EmployeeFilter { manager_id: Some(boss), country: Some("US".into()), ..Default::default() },
        EmployeeFilter { name: Some("l".into()), department: Some("research".into()), ..Default::default() },
        EmployeeFilter { department: Some("Nowhere".into()), ..Default::default() },
    ];
    for filter in filters {
        let mut want: Vec<Uuid> =
            stored.iter().filter(|e| filter.matches(e)).map(|e| e.employee_id).collect();
        want.sort();
        for limit in [1, 2, 50] {
            assert_eq!(walk(&stores, &filter, limit).await, want, "{filter:?}, pages of {limit}");
        }
    }
    // Spot checks that the filters mean what they say.
    let ho = EmployeeFilter { name: Some("ho".into()), ..Default::default() };
    assert_eq!(walk(&stores, &ho, 10).await.len(), 3, "Hopper, Hoare, Holberton");
    let engineering = EmployeeFilter { department: Some("Engineering".into()), ..Default::default() };
    assert_eq!(walk(&stores, &engineering, 10).await.len(), 3, "any case");
}

pub async fn a_changed_employee_is_listed_as_it_now_is(stores: Stores) {
    let ada = person("Lovelace", "Engineering", "GB", None, (2025, 1));
    stores.employee.insert(&ada, &[]).await.expect("inserted");
    let boss = Uuid::now_v7();
    let moved = changed(&ada, |e| {
        e.department = "Research".into();
        e.manager_id = Some(boss);
        e.last_name = "King".into();
    });
    stores.employee.update(&moved, &[]).await.expect("moved");

    for (filter, listed) in [
        (EmployeeFilter { department: Some("Engineering".into()), ..Default::default() }, false),
        (EmployeeFilter { department: Some("Research".into()), ..Default::default() }, true),
        (EmployeeFilter { manager_id: Some(boss), ..Default::default() }, true),
        (EmployeeFilter { name: Some("love".into()), ..Default::default() }, false),
        (EmployeeFilter { name: Some("king".into()), ..Default::default() }, true),
    ] {
        let found = walk(&stores, &filter, 10).await;
        assert_eq!(found == [ada.employee_id], listed, "{filter:?}: {found:?}");
    }
}

pub async fn a_cursor_the_store_did_not_give_is_refused(stores: Stores) {
    let ada = employee();
    stores.employee.insert(&ada, &[]).await.expect("inserted");
    for cursor in ["not a cursor", "by_nothing/123"] {
        let query =
            EmployeeQuery { filter: EmployeeFilter::default(), cursor: Some(cursor.into()), limit: 10 };
        let refused = stores.employee.list(&query).await;
        assert!(matches!(refused, Err(StoreError::InvalidCursor(_))), "{cursor}: {refused:?}");
    }
}
