//! Where employees are kept. Every write carries the events it emits, which
//! the store keeps in its outbox in the same transaction.

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use uuid::Uuid;

use crate::listing::{EmployeePage, EmployeeQuery};
use crate::model::Employee;

/// What a store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The listing's cursor is not one this store gave.
    #[error("unreadable cursor: {0}")]
    InvalidCursor(String),
    /// A unique field is taken (id or e-mail), or the record changed since
    /// it was read (version); nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// The store is unreachable or failed; nothing was written. The source
    /// says why, down to the database's error.
    #[error("employee store unavailable")]
    Unavailable(#[source] hrms_platform::error::BoxError),
}

/// The Employee function's storage. E-mail addresses are unique (compared
/// lower-cased); `version` increases by one with every write.
pub trait EmployeeStore: Send + Sync {
    /// Stores a new employee (`version` 1) with its events.
    fn insert<'a>(
        &'a self,
        employee: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The employee with this id.
    fn get(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Employee>, StoreError>>;

    /// Replaces the employee if its stored version is `employee.version - 1`
    /// (else [`StoreError::Conflict`]), with its events.
    fn update<'a>(
        &'a self,
        employee: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Up to `query.limit` employees passing `query.filter`, after
    /// `query.cursor`, in an order the store keeps from page to page, with
    /// the cursor of the next page if there may be one.
    fn list<'a>(&'a self, query: &'a EmployeeQuery) -> BoxFuture<'a, Result<EmployeePage, StoreError>>;
}

impl From<hrms_platform::StoreFailure> for StoreError {
    fn from(failure: hrms_platform::StoreFailure) -> Self {
        match failure {
            hrms_platform::StoreFailure::Conflict(why) => Self::Conflict(why),
            failure @ hrms_platform::StoreFailure::Unavailable { .. } => Self::Unavailable(failure.into()),
        }
    }
}
