//! SDK errors sorted once into what the stores' callers act on: a failed
//! condition, or a transaction cancelled by a concurrent write to one of
//! its items (`TransactionConflict`), is a [`Failure::Conflict`] (a unique
//! value is taken, a version moved on: read again and retry); everything
//! else (throttling, network, a missing table) is
//! [`Failure::Unavailable`], the SDK's error kept as its source.

use std::error::Error;
use std::fmt::Debug;

use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

pub use hrms_platform::StoreFailure as Failure;

/// The cancellation reason of an item whose condition failed.
const CONDITION_FAILED: &str = "ConditionalCheckFailed";
/// The cancellation reason of an item another transaction was writing.
const TRANSACTION_CONFLICT: &str = "TransactionConflict";

/// A single-item call failed while doing `what`.
pub fn from_sdk<E, R>(what: &str, err: SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    if err.as_service_error().and_then(ProvideErrorMetadata::code) == Some("ConditionalCheckFailedException")
    {
        return Failure::Conflict(format!("{what}: condition failed"));
    }
    Failure::unavailable(format!("dynamodb: {what}"), err)
}

/// A transaction failed. `conditions[i]` says what it means when the
/// condition of item `i` failed (e.g. "the e-mail is taken"); items past
/// the list (the outbox's) fail their condition only on a reused event id.
pub fn from_transaction<R: Debug + Send + Sync + 'static>(
    err: SdkError<TransactWriteItemsError, R>,
    conditions: &[&str],
) -> Failure {
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() {
        let failed: Vec<&str> = cancelled
            .cancellation_reasons()
            .iter()
            .enumerate()
            .filter(|(_, reason)| reason.code() == Some(CONDITION_FAILED))
            .map(|(i, _)| conditions.get(i).copied().unwrap_or("an event id is taken"))
            .collect();
        if !failed.is_empty() {
            return Failure::Conflict(failed.join("; "));
        }
        if cancelled.cancellation_reasons().iter().any(|r| r.code() == Some(TRANSACTION_CONFLICT)) {
            return Failure::Conflict("another write to an item was under way".into());
        }
    }
    Failure::unavailable("dynamodb: transaction", err)
}

/// A request that could not be built (a bug, not an outage).
pub fn build(err: BuildError) -> Failure {
    Failure::unavailable("dynamodb: request", err)
}
