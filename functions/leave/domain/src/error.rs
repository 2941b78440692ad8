//! What a Leave operation can answer instead of a result.

use hrms_compliance::CallError;
use hrms_employee::EmployeeError;

use crate::store::StoreError;

/// Why an operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum LeaveError {
    /// The caller may not do this (or see this request).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such request, or no such employee (`what` says which).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An input field is invalid.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The state of things does not allow it: an overlapping request, a
    /// balance too low, a request already decided, an employee no longer
    /// active. `field` names the input at fault, where there is one.
    #[error("conflict: {message}")]
    Conflict { field: Option<String>, message: String },
    /// The request or its balance kept changing while this was written
    /// (each attempt read afresh); nothing was written. Trying again helps.
    #[error("conflict: {0}")]
    Stale(String),
    /// The store or Employee is down; nothing was written. The source says why.
    #[error("unavailable")]
    Unavailable(#[source] hrms_platform::error::BoxError),
    /// Employee refused the call itself (e.g. the forwarded token).
    #[error("{0}")]
    Dependency(CallError),
}

impl LeaveError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.to_owned(), message: message.into() }
    }

    pub(crate) fn conflict(field: &str, message: impl Into<String>) -> Self {
        Self::Conflict { field: Some(field.to_owned()), message: message.into() }
    }
}

impl From<StoreError> for LeaveError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Overlap(other) => {
                Self::conflict("start_date", format!("overlaps request {other}, pending or approved"))
            }
            StoreError::Conflict(why) => Self::Stale(why),
            e @ StoreError::Unavailable(_) => Self::Unavailable(e.into()),
        }
    }
}

/// Employee's answers, as Leave passes them on.
impl From<EmployeeError> for LeaveError {
    fn from(e: EmployeeError) -> Self {
        match e {
            EmployeeError::NotFound => Self::NotFound("employee"),
            EmployeeError::Forbidden(why) => Self::Forbidden(why),
            EmployeeError::Invalid { field, message } => Self::Invalid { field, message },
            EmployeeError::Conflict(why) => Self::Conflict { field: None, message: why },
            EmployeeError::Unavailable(why) => Self::Unavailable(why),
            EmployeeError::Dependency(call) => Self::Dependency(call),
            EmployeeError::Refused(_) => {
                Self::Unavailable("employee answered with a compliance refusal".into())
            }
        }
    }
}
