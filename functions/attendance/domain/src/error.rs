//! What an Attendance operation can answer instead of a result.

use hrms_compliance::CallError;
use hrms_employee::EmployeeError;

use crate::model::AttendanceRecord;
use crate::store::StoreError;

/// Why an operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum AttendanceError {
    /// The caller may not do this (or see these records).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such record, or no such employee.
    #[error("{0}")]
    NotFound(String),
    /// An input field is invalid.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Checked in already, not checked in, an inactive employee, a stale
    /// version, or times that overlap another record.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The times overlap another of the employee's records (409 naming
    /// `field`: `check_in` or `check_out`).
    #[error("conflict: {field}: {message}")]
    Overlap { field: String, message: String },
    /// The store or the Employee function is down; nothing was written. The source says why.
    #[error("unavailable")]
    Unavailable(#[source] hrms_platform::error::BoxError),
    /// The Employee function refused the call itself.
    #[error("{0}")]
    Dependency(CallError),
}

impl AttendanceError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl AttendanceError {
    /// The store's refusal to write `record`: an overlap names the field of
    /// `record` that lies in the other record.
    pub(crate) fn writing(record: &AttendanceRecord) -> impl FnOnce(StoreError) -> Self + '_ {
        move |e| match e {
            StoreError::Overlap(overlap) => {
                Self::Overlap { field: overlap.field(record).to_owned(), message: overlap.to_string() }
            }
            e => e.into(),
        }
    }
}

impl From<StoreError> for AttendanceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict(what),
            StoreError::Overlap(overlap) => {
                Self::Overlap { field: "check_in".into(), message: overlap.to_string() }
            }
            e @ StoreError::Unavailable(_) => Self::Unavailable(e.into()),
        }
    }
}

/// Employee's answers as Attendance passes them on.
impl From<EmployeeError> for AttendanceError {
    fn from(e: EmployeeError) -> Self {
        match e {
            EmployeeError::NotFound => Self::NotFound("no such employee".into()),
            EmployeeError::Forbidden(why) => Self::Forbidden(why),
            EmployeeError::Unavailable(why) => Self::Unavailable(why),
            EmployeeError::Dependency(call) => Self::Dependency(call),
            EmployeeError::Conflict(why) => Self::Conflict(why),
            EmployeeError::Invalid { field, message } => Self::Invalid { field, message },
            EmployeeError::Refused(verdict) => {
                Self::Conflict(format!("refused by compliance (check {})", verdict.check_id))
            }
        }
    }
}
