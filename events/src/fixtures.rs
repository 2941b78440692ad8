//! One realistic sample event of every type, shared by the tests of every
//! crate (and by `hrms-bench`). Each call makes a fresh event id.

use chrono::{NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use crate::attendance::*;
use crate::audit::AuditRecord;
use crate::catalogue::{EventType, Payload};
use crate::common::{Actor, FieldChange, Role};
use crate::compliance::*;
use crate::employee::*;
use crate::envelope::HrmsEvent;
use crate::leave::*;
use crate::user::*;

/// The employee all samples are about (so they share one partition key).
pub const EMPLOYEE: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
/// That employee's user account.
pub const USER: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
/// Their manager (also the approver of their leave).
pub const MANAGER: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0003);
/// An hr user.
pub const HR: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0004);
/// The employee's manager before [`MANAGER`] (in the `leave.reassigned` samples).
pub const FORMER_MANAGER: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0008);
const LEAVE: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0005);
const RECORD: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0006);
const CHECK: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0007);

/// The hr user as an actor.
pub fn hr_actor() -> Actor {
    Actor::User { user_id: HR, role: Role::Hr }
}

/// Ada Lovelace (no manager) leaving on `on`, resigned: the termination
/// the reactions' tests deliver.
pub fn termination(employee_id: Uuid, on: NaiveDate) -> EmployeeTerminated {
    EmployeeTerminated {
        employee_id,
        email: "ada@example.com".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        manager_id: None,
        termination_date: on,
        reason: "resigned".into(),
    }
}

/// One sample event of every type, in catalogue order.
pub fn all() -> Vec<HrmsEvent> {
    EventType::ALL.iter().map(|ty| sample(*ty)).collect()
}

/// A sample event of `ty`, caused by hr.
pub fn sample(ty: EventType) -> HrmsEvent {
    HrmsEvent::new(payload(ty), &hr_actor())
}

/// A `leave.requested` event as a producer that writes v2 of its payload
/// sends it ([`LeaveRequestedV2`], `dataschema` `...:v2`), and the event a
/// reader makes of it (the v1 payload, as written today).
pub fn leave_requested_v2() -> (cloudevents::Event, HrmsEvent) {
    use cloudevents::AttributesWriter;
    let event = HrmsEvent::new(Payload::LeaveRequested(leave_requested()), &hr_actor());
    let v2 = serde_json::to_value(LeaveRequestedV2::from(leave_requested())).unwrap_or_default();
    let mut cloudevent = event.to_cloudevent();
    let schema = url::Url::parse(&crate::catalogue::schema_uri("leave.requested", 2)).ok();
    cloudevent.set_data(crate::envelope::CONTENT_TYPE, cloudevents::event::Data::Json(v2));
    cloudevent.set_dataschema(schema);
    (cloudevent, event)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn user() -> UserSnapshot {
    UserSnapshot {
        user_id: USER,
        email: "ada.lovelace@example.com".into(),
        full_name: "Ada Lovelace".into(),
        role: Role::Employee,
        status: UserStatus::Active,
        employee_id: Some(EMPLOYEE),
        version: 1,
    }
}

fn leave_requested() -> LeaveRequested {
    let l = leave(LeaveStatus::Pending);
    LeaveRequested {
        leave_id: l.leave_id,
        employee_id: l.employee_id,
        approver_id: l.approver_id,
        leave_type: l.leave_type,
        start_date: l.start_date,
        end_date: l.end_date,
        half_day: l.half_day,
        days: l.days,
        reason: l.reason,
    }
}

fn employee() -> EmployeeSnapshot {
    EmployeeSnapshot {
        employee_id: EMPLOYEE,
        user_id: Some(USER),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        email: "ada.lovelace@example.com".into(),
        department: "Engineering".into(),
        job_title: "Analyst".into(),
        manager_id: Some(MANAGER),
        country: "GB".into(),
        time_zone: "Europe/London".into(),
        weekly_hours: 37.5,
        hire_date: date(2024, 3, 1),
        status: EmployeeStatus::Active,
        termination_date: None,
        version: 1,
    }
}

fn leave(status: LeaveStatus) -> LeaveSnapshot {
    LeaveSnapshot {
        leave_id: LEAVE,
        employee_id: EMPLOYEE,
        approver_id: Some(MANAGER),
        leave_type: "annual".into(),
        start_date: date(2026, 12, 21),
        end_date: date(2026, 12, 24),
        half_day: None,
        days: 4.0,
        status,
        reason: Some("Winter break".into()),
        balance_after: Some(21.0),
        version: 1,
    }
}

fn attendance() -> AttendanceSnapshot {
    let check_in = Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).single().unwrap_or_default();
    AttendanceSnapshot {
        record_id: RECORD,
        employee_id: EMPLOYEE,
        check_in,
        check_out: Some(check_in + chrono::Duration::hours(8)),
        time_zone: "Europe/London".into(),
        worked_minutes: Some(480),
        corrected: false,
        version: 1,
    }
}

fn finding(severity: Severity) -> RuleFinding {
    RuleFinding {
        rule_id: "weekly_hours_max".into(),
        field: "weekly_hours".into(),
        message: "contracted weekly hours exceed the legal maximum of 48".into(),
        severity,
    }
}

fn check(outcome: Outcome, severity: Severity) -> ComplianceCheck {
    ComplianceCheck {
        check_id: CHECK,
        subject_kind: SubjectKind::Employee,
        subject_id: EMPLOYEE,
        employee_id: Some(EMPLOYEE),
        policy_version: "2026-01".into(),
        outcome,
        findings: vec![finding(severity)],
    }
}

fn compliance(severity: Severity) -> ComplianceFinding {
    ComplianceFinding {
        check_id: CHECK,
        subject_kind: SubjectKind::Employee,
        subject_id: EMPLOYEE,
        employee_id: Some(EMPLOYEE),
        manager_id: Some(MANAGER),
        policy_version: "2026-01".into(),
        findings: vec![finding(severity)],
    }
}

fn audit<S: Clone>(before: Option<S>, after: S, changes: Vec<FieldChange>) -> AuditRecord<S> {
    AuditRecord { actor: hr_actor(), before, after, changes, reason: None }
}

fn payload(ty: EventType) -> Payload {
    use EventType as T;
    let u = user();
    let e = employee();
    let suspended = UserSnapshot { status: UserStatus::Suspended, version: 2, ..u.clone() };
    let deleted = UserSnapshot { status: UserStatus::Deleted, version: 2, ..u.clone() };
    let renamed = UserSnapshot { full_name: "Ada King".into(), version: 2, ..u.clone() };
    let moved = EmployeeSnapshot { department: "Research".into(), version: 2, ..e.clone() };
    let terminated = EmployeeSnapshot {
        status: EmployeeStatus::Terminated,
        termination_date: Some(date(2026, 12, 31)),
        version: 2,
        ..e.clone()
    };
    let rename = FieldChange::new("full_name", "Ada Lovelace".into(), "Ada King".into());
    let status = |a: &str, b: &str| FieldChange::new("status", a.into(), b.into());
    match ty {
        T::UserCreated => Payload::UserCreated(UserCreated {
            user_id: u.user_id,
            email: u.email,
            full_name: u.full_name,
            role: u.role,
            employee_id: u.employee_id,
        }),
        T::UserUpdated => Payload::UserUpdated(UserUpdated {
            user_id: u.user_id,
            email: u.email,
            full_name: renamed.full_name,
            employee_id: u.employee_id,
            changed_fields: vec!["full_name".into()],
        }),
        T::UserDeleted => Payload::UserDeleted(UserDeleted {
            user_id: u.user_id,
            email: u.email,
            full_name: u.full_name,
            employee_id: u.employee_id,
        }),
        T::UserSuspended => Payload::UserSuspended(UserSuspended {
            user_id: u.user_id,
            email: u.email,
            full_name: u.full_name,
            employee_id: u.employee_id,
            reason: "Repeated failed sign-ins".into(),
        }),
        T::UserPasswordChanged => Payload::UserPasswordChanged(UserPasswordChanged {
            user_id: u.user_id,
            email: u.email,
            full_name: u.full_name,
            employee_id: u.employee_id,
            changed_at: Utc.with_ymd_and_hms(2026, 11, 26, 9, 30, 0).single().unwrap_or_default(),
        }),
        T::EmployeeCreated => Payload::EmployeeCreated(EmployeeCreated {
            employee_id: e.employee_id,
            user_id: e.user_id,
            first_name: e.first_name,
            last_name: e.last_name,
            email: e.email,
            department: e.department,
            job_title: e.job_title,
            manager_id: e.manager_id,
            hire_date: e.hire_date,
            weekly_hours: Some(e.weekly_hours),
        }),
        T::EmployeeUpdated => Payload::EmployeeUpdated(EmployeeUpdated {
            employee_id: e.employee_id,
            email: e.email,
            manager_id: e.manager_id,
            changed_fields: vec!["department".into()],
            weekly_hours: Some(e.weekly_hours),
        }),
        T::EmployeeTerminated => Payload::EmployeeTerminated(EmployeeTerminated {
            employee_id: e.employee_id,
            email: e.email,
            first_name: e.first_name,
            last_name: e.last_name,
            manager_id: e.manager_id,
            termination_date: date(2026, 12, 31),
            reason: "Resignation".into(),
        }),
        T::LeaveRequested => Payload::LeaveRequested(leave_requested()),
        T::LeaveApproved => {
            let l = leave(LeaveStatus::Approved);
            Payload::LeaveApproved(LeaveApproved {
                leave_id: l.leave_id,
                employee_id: l.employee_id,
                approver_id: MANAGER,
                leave_type: l.leave_type,
                start_date: l.start_date,
                end_date: l.end_date,
                days: l.days,
                balance_after: 21.0,
                without_approval: false,
            })
        }
        T::LeaveRejected => {
            let l = leave(LeaveStatus::Rejected);
            Payload::LeaveRejected(LeaveRejected {
                leave_id: l.leave_id,
                employee_id: l.employee_id,
                approver_id: MANAGER,
                leave_type: l.leave_type,
                start_date: l.start_date,
                end_date: l.end_date,
                reason: "Team at minimum staffing".into(),
            })
        }
        T::LeaveCancelled => {
            let l = leave(LeaveStatus::Cancelled);
            Payload::LeaveCancelled(LeaveCancelled {
                leave_id: l.leave_id,
                employee_id: l.employee_id,
                approver_id: l.approver_id,
                cancelled_by: USER,
                leave_type: l.leave_type,
                start_date: l.start_date,
                end_date: l.end_date,
                was_approved: true,
                reason: None,
            })
        }
        T::LeaveReassigned => {
            let l = leave(LeaveStatus::Pending);
            Payload::LeaveReassigned(LeaveReassigned {
                leave_id: l.leave_id,
                employee_id: l.employee_id,
                previous_approver_id: Some(FORMER_MANAGER),
                approver_id: l.approver_id,
                leave_type: l.leave_type,
                start_date: l.start_date,
                end_date: l.end_date,
                days: l.days,
                reason: "the manager changed".into(),
            })
        }
        T::AttendanceMarked => {
            let a = attendance();
            Payload::AttendanceMarked(AttendanceMarked {
                record_id: a.record_id,
                employee_id: a.employee_id,
                mark: Mark::CheckIn,
                at: a.check_in,
                time_zone: a.time_zone,
                worked_minutes: None,
            })
        }
        T::AttendanceUpdated => {
            let a = attendance();
            Payload::AttendanceUpdated(AttendanceUpdated {
                record_id: a.record_id,
                employee_id: a.employee_id,
                corrected_by: MANAGER,
                check_in: a.check_in,
                check_out: a.check_out,
                worked_minutes: a.worked_minutes,
                reason: "Forgot to check out".into(),
            })
        }
        T::ComplianceViolation => Payload::ComplianceViolation(compliance(Severity::Block)),
        T::ComplianceAlert => Payload::ComplianceAlert(compliance(Severity::Warn)),
        T::AuditUserCreated => Payload::AuditUserCreated(audit(None, u, vec![])),
        T::AuditUserUpdated => Payload::AuditUserUpdated(audit(Some(u), renamed, vec![rename])),
        T::AuditUserDeleted => {
            Payload::AuditUserDeleted(audit(Some(u), deleted, vec![status("active", "deleted")]))
        }
        T::AuditUserSuspended => {
            Payload::AuditUserSuspended(audit(Some(u), suspended, vec![status("active", "suspended")]))
        }
        T::AuditUserPasswordChanged => Payload::AuditUserPasswordChanged(audit(
            Some(u.clone()),
            UserSnapshot { version: 2, ..u },
            vec![FieldChange::redacted("password")],
        )),
        T::AuditEmployeeCreated => Payload::AuditEmployeeCreated(audit(None, e, vec![])),
        T::AuditEmployeeUpdated => Payload::AuditEmployeeUpdated(audit(
            Some(e),
            moved,
            vec![FieldChange::new("department", "Engineering".into(), "Research".into())],
        )),
        T::AuditEmployeeTerminated => {
            Payload::AuditEmployeeTerminated(audit(Some(e), terminated, vec![status("active", "terminated")]))
        }
        T::AuditLeaveRequested => {
            Payload::AuditLeaveRequested(audit(None, leave(LeaveStatus::Pending), vec![]))
        }
        T::AuditLeaveApproved => Payload::AuditLeaveApproved(audit(
            Some(leave(LeaveStatus::Pending)),
            leave(LeaveStatus::Approved),
            vec![status("pending", "approved")],
        )),
        T::AuditLeaveRejected => Payload::AuditLeaveRejected(audit(
            Some(leave(LeaveStatus::Pending)),
            leave(LeaveStatus::Rejected),
            vec![status("pending", "rejected")],
        )),
        T::AuditLeaveCancelled => Payload::AuditLeaveCancelled(audit(
            Some(leave(LeaveStatus::Approved)),
            leave(LeaveStatus::Cancelled),
            vec![status("approved", "cancelled")],
        )),
        T::AuditLeaveReassigned => Payload::AuditLeaveReassigned(audit(
            Some(LeaveSnapshot { approver_id: Some(FORMER_MANAGER), ..leave(LeaveStatus::Pending) }),
            LeaveSnapshot { version: 2, ..leave(LeaveStatus::Pending) },
            vec![FieldChange::new(
                "approver_id",
                FORMER_MANAGER.to_string().into(),
                MANAGER.to_string().into(),
            )],
        )),
        T::AuditAttendanceMarked => Payload::AuditAttendanceMarked(audit(None, attendance(), vec![])),
        T::AuditAttendanceUpdated => Payload::AuditAttendanceUpdated(audit(
            Some(attendance()),
            AttendanceSnapshot { corrected: true, version: 2, ..attendance() },
            vec![FieldChange::new("corrected", false.into(), true.into())],
        )),
        T::AuditComplianceValidated => {
            Payload::AuditComplianceValidated(audit(None, check(Outcome::Allowed, Severity::Warn), vec![]))
        }
        T::AuditComplianceViolation => {
            Payload::AuditComplianceViolation(audit(None, check(Outcome::Refused, Severity::Block), vec![]))
        }
        T::AuditComplianceAlert => {
            Payload::AuditComplianceAlert(audit(None, check(Outcome::Allowed, Severity::Warn), vec![]))
        }
    }
}
