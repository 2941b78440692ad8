//! Why a store call did nothing, as every store reports it before its
//! function turns it into its own error: a failed condition is a
//! [`StoreFailure::Conflict`] (a unique value is taken, a version moved on),
//! everything else (an unreachable database, throttling, a failed write) is
//! [`StoreFailure::Unavailable`], with the error beneath as its source.

use crate::error::{BoxError, Cause};

/// Why a store call did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreFailure {
    /// A condition of the write failed: nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// The store could not be reached, refused the call, or answered what
    /// cannot be used: `reason` says what was being done (or what was
    /// wrong), `cause` is the error beneath, if any.
    #[error("{reason}")]
    Unavailable {
        reason: String,
        #[source]
        cause: Option<Cause>,
    },
}

impl StoreFailure {
    /// Unavailable while doing `reason`, because of `cause`.
    pub fn unavailable(reason: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::Unavailable { reason: reason.into(), cause: Some(Cause::new(cause)) }
    }

    /// Unavailable for `reason` alone, with no error beneath (e.g. an item
    /// without an attribute, a missing table).
    pub fn unusable(reason: impl Into<String>) -> Self {
        Self::Unavailable { reason: reason.into(), cause: None }
    }
}

/// `.context(..)` for a store's adapters: an error of the database or of
/// decoding becomes [`StoreFailure::Unavailable`] with what was being done,
/// the error kept as its source.
///
/// ```
/// use hrms_platform::store::{StoreContext, StoreFailure};
/// let read: Result<u32, _> = "x".parse::<u32>().context("reading the version");
/// assert!(matches!(read, Err(StoreFailure::Unavailable { .. })));
/// ```
pub trait StoreContext<T> {
    /// The error as the source of an outage while doing `reason`.
    fn context(self, reason: impl Into<String>) -> Result<T, StoreFailure>;

    /// [`StoreContext::context`], the reason made only on failure.
    fn with_context(self, reason: impl FnOnce() -> String) -> Result<T, StoreFailure>;
}

impl<T, E: Into<BoxError>> StoreContext<T> for Result<T, E> {
    fn context(self, reason: impl Into<String>) -> Result<T, StoreFailure> {
        self.map_err(|e| StoreFailure::unavailable(reason, e))
    }

    fn with_context(self, reason: impl FnOnce() -> String) -> Result<T, StoreFailure> {
        self.map_err(|e| StoreFailure::unavailable(reason(), e))
    }
}

/// Where a write stands among writes made one after the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The last (or only) one: commit it.
    Last,
    /// More follow at once: a store that can may hold its commit for them
    /// (the answer still comes only once this one is durable).
    More,
}
