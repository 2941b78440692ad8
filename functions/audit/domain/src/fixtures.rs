//! Audit events for tests and benchmarks: an employee's updates, with the
//! subject, time and actor chosen by the caller.

use chrono::{DateTime, SubsecRound, Utc};
use hrms_events::{Actor, EventType, HrmsEvent, Payload, Role, fixtures};
use uuid::Uuid;

/// `audit.employee.updated` of `employee_id` leaving `version`, at `time`, by `actor`.
pub fn employee_updated(employee_id: Uuid, version: u64, time: DateTime<Utc>, actor: Uuid) -> HrmsEvent {
    let mut event = fixtures::sample(EventType::AuditEmployeeUpdated);
    let by = Actor::User { user_id: actor, role: Role::Hr };
    if let Payload::AuditEmployeeUpdated(record) = &mut event.payload {
        record.actor = by.clone();
        record.after.employee_id = employee_id;
        record.after.version = version;
        if let Some(before) = &mut record.before {
            before.employee_id = employee_id;
            before.version = version.saturating_sub(1);
        }
    }
    event.id = Uuid::now_v7();
    event.time = time.trunc_subsecs(6);
    event.actor = by.id();
    event
}
