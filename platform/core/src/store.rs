//! Why a store call did nothing, as every store reports it before its
//! function turns it into its own error: a failed condition is a
//! [`StoreFailure::Conflict`] (a unique value is taken, a version moved on),
//! everything else (an unreachable database, throttling, a failed write) is
//! [`StoreFailure::Unavailable`].

/// Why a store call did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreFailure {
    /// A condition of the write failed: nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// The store could not be reached or refused the call.
    #[error("{0}")]
    Unavailable(String),
}
