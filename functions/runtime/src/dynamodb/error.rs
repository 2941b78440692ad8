//! SDK errors sorted once into what the stores' callers act on: a failed
//! condition is a [`Failure::Conflict`] (a unique value is taken, a version
//! moved on), everything else (throttling, network, a missing table, a
//! transaction conflict worth retrying) is [`Failure::Unavailable`].

use std::error::Error;
use std::fmt::Debug;

use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

/// Why a DynamoDB store call did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// A condition of the write failed: nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// DynamoDB could not be reached or refused the call.
    #[error("dynamodb: {0}")]
    Unavailable(String),
}

/// The cancellation reason of an item whose condition failed.
const CONDITION_FAILED: &str = "ConditionalCheckFailed";

impl Failure {
    /// A single-item call failed while doing `what`.
    pub fn from_sdk<E, R>(what: &str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + Error + 'static,
        R: Debug,
    {
        if err.as_service_error().and_then(ProvideErrorMetadata::code)
            == Some("ConditionalCheckFailedException")
        {
            return Self::Conflict(format!("{what}: condition failed"));
        }
        Self::Unavailable(format!("{what}: {}", DisplayErrorContext(&err)))
    }

    /// A transaction failed. `conditions[i]` says what it means when the
    /// condition of item `i` failed (e.g. "the e-mail is taken"); items past
    /// the list (the outbox's) fail their condition only on a reused event id.
    pub fn from_transaction<R: Debug>(
        err: SdkError<TransactWriteItemsError, R>,
        conditions: &[&str],
    ) -> Self {
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error()
        {
            let failed: Vec<&str> = cancelled
                .cancellation_reasons()
                .iter()
                .enumerate()
                .filter(|(_, reason)| reason.code() == Some(CONDITION_FAILED))
                .map(|(i, _)| conditions.get(i).copied().unwrap_or("an event id is taken"))
                .collect();
            if !failed.is_empty() {
                return Self::Conflict(failed.join("; "));
            }
        }
        Self::Unavailable(format!("transaction: {}", DisplayErrorContext(&err)))
    }

    /// A request that could not be built (a bug, not an outage).
    pub fn build(err: BuildError) -> Self {
        Self::Unavailable(format!("request: {err}"))
    }
}

impl From<Failure> for hrms_employee::StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Conflict(why) => Self::Conflict(why),
            Failure::Unavailable(why) => Self::Unavailable(why),
        }
    }
}

impl From<Failure> for hrms_user::StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Conflict(why) => Self::Conflict(why),
            Failure::Unavailable(why) => Self::Unavailable(why),
        }
    }
}

/// A failed condition of an audit append is a chain moved by another writer.
impl From<Failure> for hrms_audit::StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Conflict(why) => Self::Contended(why),
            Failure::Unavailable(why) => Self::Unavailable(why),
        }
    }
}

/// A check is recorded once: a failed condition of a check (the same check
/// again) is a failed write like any other; timelines map their own.
impl From<Failure> for hrms_compliance::StoreError {
    fn from(failure: Failure) -> Self {
        Self::Unavailable(failure.to_string())
    }
}

impl From<Failure> for hrms_attendance::StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Conflict(why) => Self::Conflict(why),
            Failure::Unavailable(why) => Self::Unavailable(why),
        }
    }
}

/// The Notification store retries the writes whose condition failed; a
/// failure left over is one like any other.
impl From<Failure> for hrms_notification::StoreError {
    fn from(failure: Failure) -> Self {
        Self::Unavailable(failure.to_string())
    }
}

impl From<Failure> for crate::outbox::OutboxError {
    fn from(failure: Failure) -> Self {
        Self::Store(failure.to_string())
    }
}
