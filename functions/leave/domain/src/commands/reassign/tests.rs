use hrms_employee::{Employee, Requester};
use hrms_events::{EventType, FieldChange, Role};
use serde_json::json;

use super::*;
use crate::commands::approve;
use crate::commands::testing::{Harness, types};
use crate::fixtures::date;

fn updated(employee: &Employee, manager_id: Option<Uuid>, fields: &[&str]) -> (HrmsEvent, EmployeeUpdated) {
    let updated = EmployeeUpdated {
        employee_id: employee.employee_id,
        email: employee.email.clone(),
        manager_id,
        changed_fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        weekly_hours: None,
    };
    let event =
        HrmsEvent::new(Payload::EmployeeUpdated(updated.clone()), &Actor::System { name: "test".into() });
    (event, updated)
}

fn terminated(person: &Employee, manager_id: Option<Uuid>) -> EmployeeTerminated {
    EmployeeTerminated {
        employee_id: person.employee_id,
        email: person.email.clone(),
        first_name: person.first_name.clone(),
        last_name: person.last_name.clone(),
        manager_id,
        termination_date: date(2027, 2, 26),
        reason: "resigned".into(),
    }
}

fn manager(employee_id: Uuid) -> Requester {
    Requester { user_id: Uuid::now_v7(), role: Role::Manager, employee_id: Some(employee_id) }
}

async fn approver(h: &Harness, leave: &Leave) -> Option<Uuid> {
    h.store.get(leave.leave_id).await.expect("read").expect("stored").approver_id
}

#[tokio::test]
async fn a_new_manager_takes_the_pending_requests_once() {
    let h = Harness::new();
    let pending = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
    let approved = h.request(date(2027, 3, 8), date(2027, 3, 9)).await;
    h.approve(approved.leave_id).await;
    let new_manager = h.add_employee("GB");
    h.set_manager(h.employee.employee_id, Some(new_manager.employee_id));
    let (event, change) = updated(&h.employee, Some(new_manager.employee_id), &["manager_id"]);

    let done = manager_changed(&event, &change, &h.policy, &h.store).await.expect("handled");
    assert_eq!(done.len(), 1, "the pending request only");
    let moved = &done[0];
    assert_eq!(moved.leave.leave_id, pending.leave_id);
    assert_eq!((moved.leave.approver_id, moved.leave.version), (Some(new_manager.employee_id), 2));
    assert_eq!(moved.leave.status, LeaveStatus::Pending);
    assert_eq!(types(&moved.events), [EventType::LeaveReassigned, EventType::AuditLeaveReassigned]);
    let Payload::LeaveReassigned(notice) = &moved.events[0].payload else { panic!("notice") };
    assert_eq!(
        (notice.previous_approver_id, notice.approver_id),
        (pending.approver_id, Some(new_manager.employee_id))
    );
    assert_eq!(moved.events[0].actor, "system:leave");
    let Payload::AuditLeaveReassigned(record) = &moved.events[1].payload else { panic!("audit") };
    assert_eq!(
        record.changes,
        [FieldChange::new("approver_id", json!(pending.approver_id), json!(new_manager.employee_id))]
    );
    assert_eq!(approver(&h, &approved).await, pending.approver_id, "a decided request keeps its approver");

    // The new manager lists and decides it; the former one no longer can.
    let former = h.manager();
    let refused = approve::handle(pending.leave_id, &former, &h.ctx()).await;
    assert!(matches!(refused, Err(LeaveError::NotFound(_))), "{refused:?}");
    let written = h.outbox().len();
    let again = manager_changed(&event, &change, &h.policy, &h.store).await.expect("redelivered");
    assert!(again.is_empty(), "nothing left to move");
    assert_eq!(h.outbox().len(), written, "no event twice");
    approve::handle(pending.leave_id, &manager(new_manager.employee_id), &h.ctx()).await.expect("approved");
}

#[tokio::test]
async fn other_changes_and_requests_made_after_the_change_stay_as_they_are() {
    let h = Harness::new();
    let (event, _) = updated(&h.employee, None, &["manager_id"]);
    // Made after the change: its approver came from Employee then.
    let later = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
    let (_, change) = updated(&h.employee, None, &["manager_id"]);
    let done = manager_changed(&event, &change, &h.policy, &h.store).await.expect("handled");
    assert!(done.is_empty(), "{done:?}");
    let (title, change) = updated(&h.employee, None, &["job_title"]);
    assert!(manager_changed(&title, &change, &h.policy, &h.store).await.expect("handled").is_empty());
    assert_eq!(approver(&h, &later).await, h.employee.manager_id);

    // No manager any more: hr and admin decide.
    let (event, change) = updated(&h.employee, None, &["manager_id", "department"]);
    let done = manager_changed(&event, &change, &h.policy, &h.store).await.expect("handled");
    assert_eq!(done.len(), 1);
    assert_eq!(approver(&h, &later).await, None);
    let Payload::LeaveReassigned(notice) = &done[0].events[0].payload else { panic!("notice") };
    assert_eq!(notice.approver_id, None);
}

#[tokio::test]
async fn requests_awaiting_someone_who_left_move_to_their_manager_who_then_decides() {
    let h = Harness::new();
    // Employee -> their manager (who leaves) -> the manager's manager.
    let boss = h.add_employee("GB");
    let leaving = h.add_employee("GB");
    h.set_manager(leaving.employee_id, Some(boss.employee_id));
    h.set_manager(h.employee.employee_id, Some(leaving.employee_id));
    let colleague = h.add_employee("GB");
    h.set_manager(colleague.employee_id, Some(leaving.employee_id));
    let colleague = Employee { manager_id: Some(leaving.employee_id), ..colleague };
    let mine = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
    let theirs = h.request_for(&colleague, date(2027, 3, 1), date(2027, 3, 2)).await;
    let decided = h.request(date(2027, 4, 5), date(2027, 4, 6)).await;
    approve::handle(decided.leave_id, &h.hr, &h.ctx()).await.expect("approved");
    let elsewhere = h.request_for(&h.add_employee("GB"), date(2027, 3, 1), date(2027, 3, 2)).await;
    assert_eq!(mine.approver_id, Some(leaving.employee_id));

    h.terminate(leaving.employee_id);
    let ended = terminated(&leaving, Some(boss.employee_id));
    let done = approver_left(&ended, &h.policy, &h.store).await.expect("handled");
    let mut ids: Vec<Uuid> = done.iter().map(|c| c.leave.leave_id).collect();
    ids.sort();
    let mut want = vec![mine.leave_id, theirs.leave_id];
    want.sort();
    assert_eq!(ids, want, "the pending requests awaiting them");
    for c in &done {
        assert_eq!(c.leave.approver_id, Some(boss.employee_id));
        assert_eq!(types(&c.events), [EventType::LeaveReassigned, EventType::AuditLeaveReassigned]);
        let Payload::LeaveReassigned(notice) = &c.events[0].payload else { panic!("notice") };
        assert!(notice.reason.contains("2027-02-26"), "{}", notice.reason);
    }
    assert_eq!(approver(&h, &decided).await, Some(leaving.employee_id), "decided: as it was");
    assert_ne!(approver(&h, &elsewhere).await, Some(boss.employee_id), "someone else's approver");

    // Employee still names the one who left: the boss (not shown the
    // employee) and hr decide, and the boss stays the approver.
    let done = approve::handle(mine.leave_id, &manager(boss.employee_id), &h.ctx()).await.expect("approved");
    assert_eq!(done.leave.approver_id, Some(boss.employee_id));
    // Another hr officer than the one who made the request.
    let hr = Requester { user_id: Uuid::now_v7(), ..h.hr };
    let done = approve::handle(theirs.leave_id, &hr, &h.ctx()).await.expect("approved by hr");
    assert_eq!(done.leave.approver_id, Some(boss.employee_id));

    let written = h.outbox().len();
    assert!(approver_left(&ended, &h.policy, &h.store).await.expect("redelivered").is_empty());
    assert_eq!(h.outbox().len(), written, "no event twice");
}

#[tokio::test]
async fn with_no_manager_above_them_hr_decides() {
    let h = Harness::new();
    let leaving = h.add_employee("GB");
    h.set_manager(h.employee.employee_id, Some(leaving.employee_id));
    let mine = h.request(date(2027, 3, 1), date(2027, 3, 2)).await;
    h.terminate(leaving.employee_id);
    let done = approver_left(&terminated(&leaving, None), &h.policy, &h.store).await.expect("handled");
    assert_eq!(done.len(), 1);
    assert_eq!(approver(&h, &mine).await, None);
    // Employee still names the one who left as the manager: they decide nothing.
    let refused = approve::handle(mine.leave_id, &manager(leaving.employee_id), &h.ctx()).await;
    assert!(matches!(refused, Err(LeaveError::NotFound(_))), "the one who left: {refused:?}");
    approve::handle(mine.leave_id, &h.hr, &h.ctx()).await.expect("hr decides");
}
