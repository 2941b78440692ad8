//! The vocabulary of synchronous calls between functions: who asks
//! ([`Requester`]) and why a callee gave no answer ([`CallError`]). The
//! clients themselves (in-process, or HTTP with the caller's token) live
//! with the functions they call.

use hrms_events::{Actor, Role};
use uuid::Uuid;

use crate::error::{BoxError, Cause};

/// Why a call to another function gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The callee is down, timed out, or its circuit is open: the caller
    /// answers 503 and stores nothing. `cause`: the error beneath, if any.
    #[error("{service} unavailable: {reason}")]
    Unavailable {
        service: &'static str,
        reason: String,
        #[source]
        cause: Option<Cause>,
    },
    /// The callee refused the request itself (e.g. 401/403 for the caller's
    /// token, or 404): the caller passes the status on.
    #[error("{service} answered {status}: {detail}")]
    Refused { service: &'static str, status: u16, detail: String },
}

impl CallError {
    /// `service` is unavailable: `reason`, because of `cause`.
    pub fn unavailable(service: &'static str, reason: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::Unavailable { service, reason: reason.into(), cause: Some(Cause::new(cause)) }
    }

    /// The failure as the caller's own error: an outage as `unavailable`
    /// (nothing was changed; the failure is its source), a refusal as
    /// `refused`, passed on as it is.
    pub fn pass_on<E>(self, unavailable: impl FnOnce(BoxError) -> E, refused: impl FnOnce(Self) -> E) -> E {
        match self {
            Self::Unavailable { .. } => unavailable(self.into()),
            Self::Refused { .. } => refused(self),
        }
    }
}

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
