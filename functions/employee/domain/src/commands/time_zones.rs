//! A time zone must be a name of the IANA database: anything else is
//! refused naming `time_zone`, never counted as UTC.

use hrms_events::Role;

use super::testing::Harness;
use super::{create, update};
use crate::error::EmployeeError;
use crate::fixtures::{new_employee, requester};
use crate::model::{EmployeeChanges, NewEmployee};
use crate::store::EmployeeStore;

fn refused_naming_time_zone(result: Result<impl std::fmt::Debug, EmployeeError>) {
    match result {
        Err(EmployeeError::Invalid { field, .. }) => assert_eq!(field, "time_zone"),
        other => panic!("want time_zone refused, got {other:?}"),
    }
}

#[tokio::test]
async fn only_iana_names_are_taken_at_creation_and_change() {
    let h = Harness::new();
    for zone in ["Mars/Olympus_Mons", "europe/berlin", "UTC+2", "CEST", ""] {
        let new = NewEmployee { time_zone: zone.into(), ..new_employee() };
        refused_naming_time_zone(create::handle(new, &h.hr, &h.ctx()).await);
    }
    assert!(h.outbox().is_empty(), "nothing created");

    let berlin = NewEmployee { time_zone: "Europe/Berlin".into(), ..new_employee() };
    let e = create::handle(berlin, &h.hr, &h.ctx()).await.expect("an IANA name").employee;
    let change = EmployeeChanges { time_zone: Some("Berlin".into()), ..Default::default() };
    refused_naming_time_zone(update::handle(e.employee_id, change, &h.hr, &h.ctx()).await);
    assert_eq!(h.store.get(e.employee_id).await.expect("read"), Some(e.clone()), "unchanged");
    let tokyo = EmployeeChanges { time_zone: Some("Asia/Tokyo".into()), ..Default::default() };
    let moved = update::handle(e.employee_id, tokyo, &requester(Role::Hr), &h.ctx()).await.expect("moved");
    assert_eq!(moved.employee.time_zone, "Asia/Tokyo");
}
