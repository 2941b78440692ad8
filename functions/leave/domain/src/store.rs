//! Where leave requests and balances are kept. Every write carries the
//! events it emits, which the store keeps in its outbox in the same
//! transaction, and the balances it changes, if any (two for a request
//! across 31 December: one per year).

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use uuid::Uuid;

use crate::model::{Balance, Leave, LeaveQuery};

/// What a store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The new request overlaps this pending or approved request of the
    /// same employee ([`Leave::overlaps`]); nothing was written.
    #[error("overlaps request {0}")]
    Overlap(Uuid),
    /// The request or the balance changed since it was read (a version
    /// moved on, or another request of the employee was written meanwhile),
    /// or the id is taken; nothing was written. Reading again may help.
    #[error("{0}")]
    Conflict(String),
    /// The store is unreachable or failed; nothing was written. The source
    /// says why, down to the database's error.
    #[error("leave store unavailable")]
    Unavailable(#[source] hrms_platform::error::BoxError),
}

/// The Leave function's storage. Versions count writes: a request is
/// inserted at 1 and each update needs the one before; a balance is
/// written at one more than its stored version (0 when none is stored).
pub trait LeaveStore: Send + Sync {
    /// Stores a new request with its events and `balances` (an approval on
    /// request), unless it overlaps an active request of the same employee
    /// ([`StoreError::Overlap`], checked in the same transaction).
    fn insert<'a>(
        &'a self,
        leave: &'a Leave,
        balances: &'a [Balance],
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The request with this id.
    fn get(&self, leave_id: Uuid) -> BoxFuture<'_, Result<Option<Leave>, StoreError>>;

    /// Replaces the request if its stored version is `leave.version - 1`,
    /// and each of `balances` if its stored version is `version - 1`, with
    /// the events; else [`StoreError::Conflict`] and nothing is written.
    fn update<'a>(
        &'a self,
        leave: &'a Leave,
        balances: &'a [Balance],
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The requests `query` asks for, newest start date first
    /// ([`crate::model::newest_first`]), at most `query.limit`.
    fn list<'a>(&'a self, query: &'a LeaveQuery) -> BoxFuture<'a, Result<Vec<Leave>, StoreError>>;

    /// The stored balances of `employee_id` in `year` (types with none
    /// stored have taken nothing).
    fn balances(&self, employee_id: Uuid, year: i32) -> BoxFuture<'_, Result<Vec<Balance>, StoreError>>;
}

impl From<hrms_platform::StoreFailure> for StoreError {
    fn from(failure: hrms_platform::StoreFailure) -> Self {
        match failure {
            hrms_platform::StoreFailure::Conflict(why) => Self::Conflict(why),
            failure @ hrms_platform::StoreFailure::Unavailable { .. } => Self::Unavailable(failure.into()),
        }
    }
}
