//! Errors that keep their causes. An error says what went wrong at its own
//! level and returns the error beneath as its `source()`; [`Chain`] renders
//! the whole chain on one line for logs. [`Cause`] keeps a source in errors
//! that must stay `Clone`; [`BoxError`] in those that need not.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// Any error, boxed: a cause whose type its carrier does not know.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// An error with its sources, as logs show it: `a: b: c`.
///
/// `tracing::warn!(error = %Chain(&e), "...")`. A source whose text ends
/// the text before it (an error that prints its source itself) is not
/// repeated.
pub struct Chain<'a>(pub &'a (dyn Error + 'a));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = self.0.to_string();
        f.write_str(&last)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !text.is_empty() && !last.ends_with(&text) {
                write!(f, ": {text}")?;
            }
            last = text;
            source = cause.source();
        }
        Ok(())
    }
}

/// An error kept as the source of an error that is `Clone` (its clones share
/// it). It reads as the error it keeps and has its sources; two causes are
/// equal when their chains read the same.
#[derive(Clone)]
pub struct Cause(Arc<dyn Error + Send + Sync + 'static>);

impl Cause {
    pub fn new(error: impl Into<BoxError>) -> Self {
        Self(Arc::from(error.into()))
    }

    /// The error kept (e.g. to `downcast_ref` it).
    pub fn inner(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || Chain(self).to_string() == Chain(other).to_string()
    }
}

impl Eq for Cause {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read the record")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("store unavailable")]
    struct Middle(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("prints its source: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn a_chain_reads_down_to_the_first_cause() {
        let e = Outer(Middle(std::io::Error::other("disk full")));
        assert_eq!(Chain(&e).to_string(), "cannot read the record: store unavailable: disk full");
        let repeats = Repeats(std::io::Error::other("disk full"));
        assert_eq!(Chain(&repeats).to_string(), "prints its source: disk full");
    }

    #[test]
    fn a_cause_is_transparent_and_compares_by_its_chain() {
        let cause = Cause::new(Middle(std::io::Error::other("disk full")));
        assert_eq!(Chain(&cause).to_string(), "store unavailable: disk full");
        assert_eq!(cause, cause.clone());
        assert_eq!(cause, Cause::new(Middle(std::io::Error::other("disk full"))));
        assert_ne!(cause, Cause::new("store unavailable"));
    }
}
