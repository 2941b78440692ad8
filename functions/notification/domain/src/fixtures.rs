//! The people of the events crate's samples and whom each notification type
//! must reach, for tests of the function on any store or transport.
//!
//! Learn [`people`] (e.g. with [`crate::Preparer::prepare`]), then each
//! `hrms_events::fixtures::sample(ty)` reaches exactly [`recipients`]`(ty)`.
//! Events that close accounts or records also change what is known of these
//! people: learn them again between samples.

use std::collections::BTreeSet;

use hrms_events::fixtures::{self, HR, MANAGER, USER};
use hrms_events::{EventType, HrmsEvent, Payload, Role};
use uuid::Uuid;

use crate::route::Channel;

/// The account of the manager (employee [`MANAGER`]).
pub const MANAGER_USER: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0033);
pub const MANAGER_EMAIL: &str = "mary@example.com";
pub const HR_EMAIL: &str = "hr@example.com";

/// An hr account; the manager (employee and account); the samples' employee
/// and account.
pub fn people() -> Vec<HrmsEvent> {
    let mut hr = fixtures::sample(EventType::UserCreated);
    if let Payload::UserCreated(p) = &mut hr.payload {
        (p.user_id, p.email, p.full_name, p.role, p.employee_id) =
            (HR, HR_EMAIL.into(), "Harriet Ross".into(), Role::Hr, None);
    }
    let mut manager = fixtures::sample(EventType::EmployeeCreated);
    if let Payload::EmployeeCreated(p) = &mut manager.payload {
        (p.employee_id, p.user_id, p.first_name, p.last_name, p.email, p.manager_id) =
            (MANAGER, Some(MANAGER_USER), "Mary".into(), "Manager".into(), MANAGER_EMAIL.into(), None);
    }
    let mut manager_account = fixtures::sample(EventType::UserCreated);
    if let Payload::UserCreated(p) = &mut manager_account.payload {
        (p.user_id, p.email, p.full_name, p.role, p.employee_id) =
            (MANAGER_USER, MANAGER_EMAIL.into(), "Mary Manager".into(), Role::Manager, Some(MANAGER));
    }
    let employee = fixtures::sample(EventType::EmployeeCreated);
    let account = fixtures::sample(EventType::UserCreated);
    vec![hr, manager, manager_account, employee, account]
}

/// (channel, address) of every delivery the sample of `ty` makes once
/// [`people`] are known: e-mail addresses, and user ids for the inbox.
pub fn recipients(ty: EventType) -> BTreeSet<(Channel, String)> {
    let account = match fixtures::sample(EventType::UserCreated).payload {
        Payload::UserCreated(p) => p.email,
        _ => unreachable!("a user.created sample"),
    };
    let (user, mary, hr) = (USER.to_string(), MANAGER_USER.to_string(), HR.to_string());
    let to = |who: &[(&str, &str)]| -> BTreeSet<(Channel, String)> {
        who.iter()
            .flat_map(|(email, user)| {
                [(Channel::Email, (*email).to_owned()), (Channel::InApp, (*user).to_owned())]
            })
            .collect()
    };
    let (account, mary, hr) = ((account.as_str(), user.as_str()), (MANAGER_EMAIL, &*mary), (HR_EMAIL, &*hr));
    match ty {
        EventType::EmployeeCreated | EventType::EmployeeTerminated => to(&[mary, hr]),
        EventType::LeaveRequested => to(&[mary]),
        EventType::LeaveCancelled | EventType::LeaveReassigned => to(&[account, mary]),
        EventType::AttendanceMarked => [(Channel::InApp, user.clone())].into(),
        EventType::ComplianceViolation | EventType::ComplianceAlert => to(&[hr, mary]),
        ty if ty.is_audit() => BTreeSet::new(),
        _ => to(&[account]),
    }
}
