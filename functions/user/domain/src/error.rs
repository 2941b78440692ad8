//! What a User operation can answer instead of a result.

use hrms_compliance::{CallError, Verdict};
use hrms_employee::EmployeeError;

use crate::store::StoreError;

/// Why an operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("user not found")]
    NotFound,
    /// An input field is invalid.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Compliance refused the account or its employee record.
    #[error("refused by compliance policy")]
    Refused(Verdict),
    /// A duplicate e-mail, a stale version, or a state that does not allow
    /// the operation (e.g. changing a deleted account).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store, Compliance or Employee is down; nothing was written. The source says why.
    #[error("unavailable")]
    Unavailable(#[source] hrms_platform::error::BoxError),
    /// A service it depends on refused the call itself (e.g. 403).
    #[error("{0}")]
    Dependency(CallError),
}

impl UserError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict(what),
            StoreError::InvalidCursor(why) => Self::invalid("cursor", why),
            e @ StoreError::Unavailable(_) => Self::Unavailable(e.into()),
        }
    }
}

impl From<CallError> for UserError {
    fn from(e: CallError) -> Self {
        e.pass_on(Self::Unavailable, Self::Dependency)
    }
}

/// Employee's answers, as the account's outcome: its fields are prefixed
/// with `employee.` where the caller gave the employee's details.
impl From<EmployeeError> for UserError {
    fn from(e: EmployeeError) -> Self {
        match e {
            EmployeeError::Forbidden(why) => Self::Forbidden(why),
            EmployeeError::NotFound => Self::invalid("employee_id", "no such employee"),
            EmployeeError::Invalid { field, message } => {
                Self::Invalid { field: format!("employee.{field}"), message }
            }
            EmployeeError::Refused(verdict) => Self::Refused(verdict),
            EmployeeError::Conflict(why) => Self::Conflict(format!("employee record: {why}")),
            EmployeeError::Unavailable(why) => Self::Unavailable(why),
            EmployeeError::Dependency(call) => Self::Dependency(call),
        }
    }
}
