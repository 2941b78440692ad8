//! `correct`: the employee's manager (as Employee names them), hr or admin
//! set a record's check-in, check-out or both, with a reason. A plain
//! employee may not, nor a manager of others, nor anyone their own record
//! whatever their role (403). Times may not lie in
//! the future, a check-out comes after its check-in and at most 24 hours
//! later, and a corrected record may not overlap another of the employee's,
//! however old (409 naming the field; the store refuses it in the write's
//! transaction); a correction may close an open record, never reopen one. With
//! `version`, it applies only to that version (409). No time lies before
//! 1970 ([`EARLIEST`]). Events:
//! `attendance.updated` (to the employee) and `audit.attendance.updated`
//! (before, after, each change and the reason). A correction that changes
//! no time stores and emits nothing.

use chrono::{DateTime, Duration, Utc};
use hrms_employee::{EmployeeClient, EmployeeError, Requester};
use hrms_events::attendance::AttendanceUpdated;
use hrms_events::audit::AuditRecord;
use hrms_events::{HrmsEvent, Payload, Role};
use uuid::Uuid;

use super::{Context, changes, second};
use crate::error::AttendanceError;
use crate::model::{AttendanceRecord, Correction, worked_minutes};

/// The longest a corrected record may span.
pub const MAX_SPAN: Duration = Duration::hours(24);
/// The longest reason kept.
pub const MAX_REASON: usize = 500;
/// The earliest time a correction may set.
pub const EARLIEST: DateTime<Utc> = DateTime::UNIX_EPOCH;

/// The record after the correction, and the events (none if no time changed).
#[derive(Debug, Clone, PartialEq)]
pub struct Corrected {
    pub record: AttendanceRecord,
    pub events: Vec<HrmsEvent>,
}

pub async fn handle(
    record_id: Uuid,
    correction: Correction,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<Corrected, AttendanceError> {
    let Context { store, employees, now } = *ctx;
    if !requester.is_hr() && requester.role != Role::Manager {
        return Err(forbidden());
    }
    let reason = correction.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > MAX_REASON {
        return Err(AttendanceError::invalid(
            "reason",
            format!("a correction needs a reason of 1 to {MAX_REASON} characters"),
        ));
    }
    if correction.check_in.is_none() && correction.check_out.is_none() {
        return Err(AttendanceError::invalid("check_in", "a correction sets check_in, check_out or both"));
    }
    let before = store
        .get(record_id)
        .await?
        .ok_or_else(|| AttendanceError::NotFound("no such attendance record".into()))?;
    if requester.is(before.employee_id) {
        return Err(AttendanceError::Forbidden(
            "nobody corrects their own attendance, whatever their role".into(),
        ));
    }
    if !requester.is_hr() {
        manager_of(&before, requester, employees).await?;
    }
    if let Some(version) = correction.version
        && version != before.version
    {
        return Err(AttendanceError::Conflict(format!(
            "version {version} is stale: the record is at version {}",
            before.version
        )));
    }
    let now = second(now);
    let check_in = correction.check_in.map_or(before.check_in, second);
    let check_out = correction.check_out.map(second).or(before.check_out);
    check_times(check_in, check_out, now)?;
    if check_in == before.check_in && check_out == before.check_out {
        return Ok(Corrected { record: before, events: Vec::new() });
    }
    let after = AttendanceRecord {
        check_in,
        check_out,
        worked_minutes: worked_minutes(check_in, check_out),
        corrected: true,
        correction_reason: Some(reason.clone()),
        version: before.version + 1,
        updated_at: now,
        ..before.clone()
    };
    let events = events(&before, &after, reason, requester);
    store.update(&before, &after, &events).await.map_err(AttendanceError::writing(&after))?;
    Ok(Corrected { record: after, events })
}

fn forbidden() -> AttendanceError {
    AttendanceError::Forbidden("only the employee's manager, hr and admin correct attendance".into())
}

/// Whether the requester (a manager) manages the record's employee, as
/// Employee says: it shows a manager only their reports.
async fn manager_of(
    record: &AttendanceRecord,
    requester: &Requester,
    employees: &dyn EmployeeClient,
) -> Result<(), AttendanceError> {
    match employees.get(record.employee_id, requester).await {
        Ok(employee) if requester.manages(employee.manager_id) => Ok(()),
        Ok(_) | Err(EmployeeError::NotFound | EmployeeError::Forbidden(_)) => Err(forbidden()),
        Err(e) => Err(e.into()),
    }
}

fn check_times(
    check_in: DateTime<Utc>,
    check_out: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), AttendanceError> {
    if check_in > now {
        return Err(AttendanceError::invalid("check_in", "the check-in lies in the future"));
    }
    if check_in < EARLIEST {
        return Err(AttendanceError::invalid("check_in", format!("the check-in lies before {EARLIEST}")));
    }
    if let Some(out) = check_out {
        if out > now {
            return Err(AttendanceError::invalid("check_out", "the check-out lies in the future"));
        }
        if out <= check_in {
            return Err(AttendanceError::invalid("check_out", "the check-out must come after the check-in"));
        }
        if out - check_in > MAX_SPAN {
            return Err(AttendanceError::invalid("check_out", "a record spans at most 24 hours"));
        }
    }
    Ok(())
}

fn events(
    before: &AttendanceRecord,
    after: &AttendanceRecord,
    reason: String,
    requester: &Requester,
) -> Vec<HrmsEvent> {
    let actor = requester.actor();
    let notice = AttendanceUpdated {
        record_id: after.record_id,
        employee_id: after.employee_id,
        corrected_by: requester.user_id,
        check_in: after.check_in,
        check_out: after.check_out,
        worked_minutes: after.worked_minutes,
        reason: reason.clone(),
    };
    let audit = AuditRecord {
        actor: actor.clone(),
        before: Some(before.snapshot()),
        after: after.snapshot(),
        changes: changes(Some(before), after),
        reason: Some(reason),
    };
    vec![
        HrmsEvent::new(Payload::AttendanceUpdated(notice), &actor),
        HrmsEvent::new(Payload::AuditAttendanceUpdated(audit), &actor),
    ]
}

#[cfg(test)]
mod tests;
