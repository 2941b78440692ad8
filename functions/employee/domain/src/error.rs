//! What an Employee operation can answer instead of a result.

use hrms_compliance::{CallError, Verdict};

use crate::store::StoreError;

/// Why an operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum EmployeeError {
    /// The caller may not do this (or see this record).
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("employee not found")]
    NotFound,
    /// An input field is invalid.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Compliance refused the record; its findings say why.
    #[error("refused by compliance policy")]
    Refused(Verdict),
    /// A duplicate e-mail or id, a stale version, or a state that does not
    /// allow the operation (e.g. terminating twice).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store or a service it depends on is down; nothing was written. The source says why.
    #[error("unavailable")]
    Unavailable(#[source] hrms_platform::error::BoxError),
    /// A service it depends on refused the call itself.
    #[error("{0}")]
    Dependency(CallError),
}

impl EmployeeError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl From<StoreError> for EmployeeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict(what),
            StoreError::InvalidCursor(why) => Self::invalid("cursor", why),
            e @ StoreError::Unavailable(_) => Self::Unavailable(e.into()),
        }
    }
}

impl From<CallError> for EmployeeError {
    fn from(e: CallError) -> Self {
        e.pass_on(Self::Unavailable, Self::Dependency)
    }
}
