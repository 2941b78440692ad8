//! One file per operation: its rules, its events, and its tests.
//! Operations take the time they happen at ([`Context::now`]), so tests
//! choose it.

pub mod check_in;
pub mod check_out;
pub mod correct;
pub mod list;
pub mod overtime;
pub mod terminated;

#[cfg(test)]
mod contract_tests;
#[cfg(test)]
pub(crate) mod testing;

use chrono::{DateTime, SubsecRound, Utc};
use hrms_employee::{Employee, EmployeeClient, Requester};
use hrms_events::attendance::{AttendanceMarked, Mark};
use hrms_events::audit::AuditRecord;
use hrms_events::{FieldChange, HrmsEvent, Payload};
use serde_json::json;

use crate::error::AttendanceError;
use crate::model::AttendanceRecord;
use crate::store::AttendanceStore;

/// What the Attendance commands run with: the store, Employee as the
/// requester reaches it, and the time the request happens at.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub store: &'a dyn AttendanceStore,
    pub employees: &'a dyn EmployeeClient,
    pub now: DateTime<Utc>,
}

/// The requester's own employee record, read from Employee, if they may
/// mark attendance: they have one, and it is active.
async fn marking(requester: &Requester, employees: &dyn EmployeeClient) -> Result<Employee, AttendanceError> {
    let employee_id = requester.employee_id.ok_or_else(|| {
        AttendanceError::Forbidden("only people with an employee record mark attendance".into())
    })?;
    let employee = employees.get(employee_id, requester).await?;
    if !employee.is_active() {
        return Err(AttendanceError::Conflict("the employment has ended: no attendance to mark".into()));
    }
    Ok(employee)
}

/// Times are kept to the second.
fn second(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(0)
}

/// `attendance.marked` (to the employee) and `audit.attendance.marked`.
fn marked(
    before: Option<&AttendanceRecord>,
    after: &AttendanceRecord,
    mark: Mark,
    requester: &Requester,
) -> Vec<HrmsEvent> {
    let actor = requester.actor();
    let at = match mark {
        Mark::CheckIn => after.check_in,
        Mark::CheckOut => after.check_out.unwrap_or(after.check_in),
    };
    let notice = AttendanceMarked {
        record_id: after.record_id,
        employee_id: after.employee_id,
        mark,
        at,
        time_zone: after.time_zone.clone(),
        worked_minutes: after.worked_minutes,
    };
    let audit = AuditRecord {
        actor: actor.clone(),
        before: before.map(AttendanceRecord::snapshot),
        after: after.snapshot(),
        changes: changes(before, after),
        reason: None,
    };
    vec![
        HrmsEvent::new(Payload::AttendanceMarked(notice), &actor),
        HrmsEvent::new(Payload::AuditAttendanceMarked(audit), &actor),
    ]
}

/// The fields that differ between `before` and `after` (all set ones for a new record).
fn changes(before: Option<&AttendanceRecord>, after: &AttendanceRecord) -> Vec<FieldChange> {
    let mut diff = Vec::new();
    let fields = [
        ("check_in", before.map(|b| json!(b.check_in)), json!(after.check_in)),
        ("check_out", before.map(|b| json!(b.check_out)), json!(after.check_out)),
        ("worked_minutes", before.map(|b| json!(b.worked_minutes)), json!(after.worked_minutes)),
    ];
    for (field, was, now) in fields {
        let was = was.unwrap_or(serde_json::Value::Null);
        if was != now {
            diff.push(FieldChange::new(field, was, now));
        }
    }
    diff
}
