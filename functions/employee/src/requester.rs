//! Who is asking: the authenticated caller as the functions see it, with the
//! employee record they are, if any. Shared by every function that acts on
//! employees' records.

use hrms_events::{Actor, Role};
use uuid::Uuid;

/// The authenticated caller of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requester {
    pub user_id: Uuid,
    pub role: Role,
    /// The caller's own employee record.
    pub employee_id: Option<Uuid>,
}

impl Requester {
    /// The actor the events record.
    pub fn actor(&self) -> Actor {
        Actor::User { user_id: self.user_id, role: self.role }
    }

    /// Admin or hr: may act on every record.
    pub fn is_hr(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Hr)
    }

    /// Whether `employee_id` is the caller's own record.
    pub fn is(&self, employee_id: Uuid) -> bool {
        self.employee_id == Some(employee_id)
    }

    /// Whether the caller manages someone whose manager is `manager_id`.
    pub fn manages(&self, manager_id: Option<Uuid>) -> bool {
        self.role == Role::Manager && manager_id.is_some() && self.employee_id == manager_id
    }
}
