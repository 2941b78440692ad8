//! The store's part in moving pending requests to another approver: a
//! request rewritten with a new approver is listed as awaiting the new one
//! only, and a redelivered move (the same version) is refused whole.

use hrms_events::leave::LeaveStatus;
use hrms_leave::fixtures::leave;
use hrms_leave::{Leave, LeaveQuery};
use uuid::Uuid;

use super::{LeaveStores, assert_conflict, events, on};

// The stores of the parent's suite, for this one's.
fn on_memory() -> LeaveStores {
    super::on_memory()
}
#[cfg(feature = "sqlite")]
fn on_sqlite() -> LeaveStores {
    super::on_sqlite()
}
#[cfg(feature = "dynamodb")]
async fn on_dynamodb() -> LeaveStores {
    super::on_dynamodb().await
}

/// The pending requests awaiting `approver_id`, as the reactions ask.
async fn awaiting(s: &LeaveStores, approver_id: Uuid) -> Vec<Uuid> {
    let query = LeaveQuery {
        employee_id: None,
        approver_id: Some(approver_id),
        status: Some(LeaveStatus::Pending),
        ..LeaveQuery::of(approver_id, 100)
    };
    s.store.list(&query).await.expect("list").into_iter().map(|l| l.leave_id).collect()
}

/// The pending requests of `employee_id`.
async fn pending_of(s: &LeaveStores, employee_id: Uuid) -> Vec<Uuid> {
    let query = LeaveQuery { status: Some(LeaveStatus::Pending), ..LeaveQuery::of(employee_id, 100) };
    s.store.list(&query).await.expect("list").into_iter().map(|l| l.leave_id).collect()
}

fn moved(l: &Leave, to: Option<Uuid>) -> Leave {
    Leave { approver_id: to, version: l.version + 1, ..l.clone() }
}

pub async fn a_moved_request_awaits_its_new_approver_only(s: LeaveStores) {
    let (employee, former, new) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mine = |start, end| Leave { approver_id: Some(former), ..leave(employee, start, end) };
    let (first, second) = (mine(on(1), on(2)), mine(on(8), on(9)));
    let decided = Leave { status: LeaveStatus::Approved, ..mine(on(15), on(16)) };
    for l in [&first, &second, &decided] {
        s.store.insert(l, &[], &[]).await.expect("inserted");
    }
    assert_eq!(awaiting(&s, former).await, [second.leave_id, first.leave_id]);
    assert_eq!(pending_of(&s, employee).await, [second.leave_id, first.leave_id], "not the decided one");

    let to_new = moved(&first, Some(new));
    let told = events(&to_new, 2);
    s.store.update(&to_new, &[], &told).await.expect("moved");
    assert_eq!(awaiting(&s, new).await, [first.leave_id]);
    assert_eq!(awaiting(&s, former).await, [second.leave_id], "no longer the former approver's");
    assert_eq!(s.read(&first).await, Some(to_new.clone()));
    // The same move again (a redelivery that read version 1): refused whole.
    assert_conflict(s.store.update(&to_new, &[], &events(&to_new, 2)).await, "changed");
    assert_eq!(s.queued().await, told, "the move's events, once");

    // To no one (hr and admin decide): awaiting no manager.
    s.store.update(&moved(&second, None), &[], &[]).await.expect("moved to hr");
    assert!(awaiting(&s, former).await.is_empty(), "{:?}", awaiting(&s, former).await);
    assert_eq!(pending_of(&s, employee).await, [second.leave_id, first.leave_id]);

    // Decided by the new approver: no longer awaiting anyone.
    let approved = Leave { status: LeaveStatus::Approved, ..moved(&to_new, Some(new)) };
    s.store.update(&approved, &[], &[]).await.expect("approved");
    assert!(awaiting(&s, new).await.is_empty());
}

hrms_platform::suite!(a_moved_request_awaits_its_new_approver_only);
