//! Who is told about an event, and through which channels.

use hrms_events::Payload;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Someone to tell, as the event names them; resolved to people through the
/// contacts the Notification function keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recipient {
    /// An account.
    User(Uuid),
    /// An employee (through their account, if they have one).
    Employee(Uuid),
    /// The manager of an employee.
    ManagerOf(Uuid),
    /// The approver of a leave request, or else the employee's manager, or else hr.
    ApproverOf { employee_id: Uuid, approver_id: Option<Uuid> },
    /// The hr team.
    Hr,
}

/// A way to tell someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    InApp,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::InApp => "in_app",
            Channel::Webhook => "webhook",
        }
    }
}

/// What to do with one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub recipients: Vec<Recipient>,
    /// Channels for each recipient (webhooks are added per subscription).
    pub channels: &'static [Channel],
    /// A security notice: sent whatever the recipient's preferences.
    pub security: bool,
}

const ALL: &[Channel] = &[Channel::Email, Channel::InApp];
const IN_APP: &[Channel] = &[Channel::InApp];

/// The route of a notification event; `None` for audit events.
pub fn route(payload: &Payload) -> Option<Route> {
    use Recipient::*;
    let notice = |recipients: Vec<Recipient>| Route { recipients, channels: ALL, security: false };
    let security = |user_id: Uuid| Route { recipients: vec![User(user_id)], channels: ALL, security: true };
    Some(match payload {
        Payload::UserCreated(p) => notice(vec![User(p.user_id)]),
        Payload::UserUpdated(p) => notice(vec![User(p.user_id)]),
        Payload::UserDeleted(p) => security(p.user_id),
        Payload::UserSuspended(p) => security(p.user_id),
        Payload::UserPasswordChanged(p) => security(p.user_id),
        Payload::EmployeeCreated(p) => notice(vec![ManagerOf(p.employee_id), Hr]),
        Payload::EmployeeUpdated(p) => notice(vec![Employee(p.employee_id)]),
        Payload::EmployeeTerminated(p) => notice(vec![ManagerOf(p.employee_id), Hr]),
        Payload::LeaveRequested(p) => {
            notice(vec![ApproverOf { employee_id: p.employee_id, approver_id: p.approver_id }])
        }
        // Approved when requested (sick leave): the manager is told too.
        Payload::LeaveApproved(p) if p.without_approval => {
            notice(vec![Employee(p.employee_id), ManagerOf(p.employee_id)])
        }
        Payload::LeaveApproved(p) => notice(vec![Employee(p.employee_id)]),
        Payload::LeaveRejected(p) => notice(vec![Employee(p.employee_id)]),
        Payload::LeaveCancelled(p) => {
            let mut to = vec![Employee(p.employee_id)];
            if p.was_approved {
                to.push(ApproverOf { employee_id: p.employee_id, approver_id: p.approver_id });
            }
            notice(to)
        }
        Payload::LeaveReassigned(p) => {
            notice(vec![Employee(p.employee_id), p.approver_id.map_or(Hr, Employee)])
        }
        Payload::AttendanceMarked(p) => {
            Route { recipients: vec![Employee(p.employee_id)], channels: IN_APP, security: false }
        }
        Payload::AttendanceUpdated(p) => notice(vec![Employee(p.employee_id)]),
        Payload::ComplianceViolation(p) | Payload::ComplianceAlert(p) => {
            let mut to = vec![Hr];
            match (p.manager_id, p.employee_id) {
                (Some(manager), _) => to.push(Employee(manager)),
                (None, Some(employee)) => to.push(ManagerOf(employee)),
                (None, None) => {}
            }
            notice(to)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hrms_events::{EventType, fixtures};

    #[test]
    fn every_notification_type_has_a_route_and_no_audit_type_has_one() {
        for ty in EventType::ALL.iter().copied() {
            let routed = route(&fixtures::sample(ty).payload);
            assert_eq!(routed.is_some(), !ty.is_audit(), "{ty:?}");
            if let Some(r) = routed {
                assert!(!r.recipients.is_empty(), "{ty:?} tells someone");
                assert!(r.channels.contains(&Channel::InApp), "{ty:?} lands in the inbox");
            }
        }
    }

    #[test]
    fn leave_approved_without_approval_tells_the_manager_too() {
        let mut event = fixtures::sample(EventType::LeaveApproved);
        let Payload::LeaveApproved(p) = &mut event.payload else { panic!("leave.approved") };
        let employee = p.employee_id;
        let decided = route(&event.payload).expect("routed");
        assert_eq!(decided.recipients, vec![Recipient::Employee(employee)], "decided: the employee only");
        let Payload::LeaveApproved(p) = &mut event.payload else { panic!("leave.approved") };
        p.without_approval = true;
        let sick = route(&event.payload).expect("routed");
        assert_eq!(sick.recipients, vec![Recipient::Employee(employee), Recipient::ManagerOf(employee)]);
    }

    #[test]
    fn leave_reassigned_tells_the_employee_and_the_new_approver_else_hr() {
        let mut event = fixtures::sample(EventType::LeaveReassigned);
        let Payload::LeaveReassigned(p) = &mut event.payload else { panic!("leave.reassigned") };
        let employee = p.employee_id;
        let to = route(&event.payload).expect("routed");
        let want = vec![Recipient::Employee(employee), Recipient::Employee(fixtures::MANAGER)];
        assert_eq!(to.recipients, want, "not the former approver");
        let Payload::LeaveReassigned(p) = &mut event.payload else { panic!("leave.reassigned") };
        p.approver_id = None;
        let to = route(&event.payload).expect("routed");
        assert_eq!(to.recipients, vec![Recipient::Employee(employee), Recipient::Hr]);
    }

    #[test]
    fn only_account_security_notices_ignore_preferences() {
        let security: Vec<EventType> = EventType::ALL
            .iter()
            .copied()
            .filter(|ty| route(&fixtures::sample(*ty).payload).is_some_and(|r| r.security))
            .collect();
        assert_eq!(
            security,
            vec![EventType::UserDeleted, EventType::UserSuspended, EventType::UserPasswordChanged]
        );
    }
}
