//! The contacts read model: who people are and how to reach them, kept by
//! the Notification function from the `user.*` and `employee.*` events
//! themselves (the Employee service is asked only about ids it has not seen).

use hrms_events::{Payload, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What is known of one person: their account, their employee record, or
/// both once an event links them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub user_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
    pub name: String,
    pub email: String,
    /// The account's role, when the account is known.
    pub role: Option<Role>,
    /// The employee id of their manager.
    pub manager_id: Option<Uuid>,
    /// False once the account is closed or suspended, or the employment ended.
    pub active: bool,
}

/// What an event teaches about a contact: the fields it carries, applied to
/// the contact with the same user or employee id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactUpdate {
    pub user_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
    pub manager_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
}

impl ContactUpdate {
    /// `contact` (or a new one) with this update applied.
    pub fn apply(&self, contact: Option<Contact>) -> Contact {
        let mut c = contact.unwrap_or(Contact {
            user_id: None,
            employee_id: None,
            name: String::new(),
            email: String::new(),
            role: None,
            manager_id: None,
            active: true,
        });
        c.user_id = self.user_id.or(c.user_id);
        c.employee_id = self.employee_id.or(c.employee_id);
        if let Some(name) = &self.name {
            c.name = name.clone();
        }
        if let Some(email) = &self.email {
            c.email = email.clone();
        }
        c.role = self.role.or(c.role);
        if let Some(manager) = self.manager_id {
            c.manager_id = manager;
        }
        if let Some(active) = self.active {
            c.active = active;
        }
        c
    }
}

/// What `payload` says about a person, if anything.
pub fn learn(payload: &Payload) -> Option<ContactUpdate> {
    let user = |user_id, employee_id, name: &str, email: &str| ContactUpdate {
        user_id: Some(user_id),
        employee_id,
        name: Some(name.to_owned()),
        email: Some(email.to_owned()),
        ..ContactUpdate::default()
    };
    Some(match payload {
        Payload::UserCreated(p) => ContactUpdate {
            role: Some(p.role),
            active: Some(true),
            ..user(p.user_id, p.employee_id, &p.full_name, &p.email)
        },
        Payload::UserUpdated(p) => user(p.user_id, p.employee_id, &p.full_name, &p.email),
        Payload::UserDeleted(p) => {
            ContactUpdate { active: Some(false), ..user(p.user_id, p.employee_id, &p.full_name, &p.email) }
        }
        Payload::UserSuspended(p) => {
            ContactUpdate { active: Some(false), ..user(p.user_id, p.employee_id, &p.full_name, &p.email) }
        }
        Payload::EmployeeCreated(p) => ContactUpdate {
            user_id: p.user_id,
            employee_id: Some(p.employee_id),
            name: Some(format!("{} {}", p.first_name, p.last_name)),
            email: Some(p.email.clone()),
            manager_id: Some(p.manager_id),
            active: Some(true),
            ..ContactUpdate::default()
        },
        Payload::EmployeeUpdated(p) => ContactUpdate {
            employee_id: Some(p.employee_id),
            email: Some(p.email.clone()),
            manager_id: Some(p.manager_id),
            ..ContactUpdate::default()
        },
        Payload::EmployeeTerminated(p) => ContactUpdate {
            employee_id: Some(p.employee_id),
            name: Some(format!("{} {}", p.first_name, p.last_name)),
            email: Some(p.email.clone()),
            manager_id: Some(p.manager_id),
            active: Some(false),
            ..ContactUpdate::default()
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hrms_events::{EventType, fixtures};

    #[test]
    fn an_account_and_its_employee_record_become_one_contact() {
        let employee = learn(&fixtures::sample(EventType::EmployeeCreated).payload).expect("learned");
        let contact = employee.apply(None);
        assert!(contact.employee_id.is_some() && contact.active);
        let user = learn(&fixtures::sample(EventType::UserCreated).payload).expect("learned");
        let both = user.apply(Some(contact.clone()));
        assert_eq!(both.employee_id, contact.employee_id);
        assert!(both.user_id.is_some() && both.role.is_some());
        let suspended = learn(&fixtures::sample(EventType::UserSuspended).payload).expect("learned");
        assert!(!suspended.apply(Some(both)).active);
        assert_eq!(learn(&fixtures::sample(EventType::LeaveApproved).payload), None);
    }
}
