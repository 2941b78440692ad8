//! What every function's store on one [`Database`] shares: opening it with
//! the store's migrations, readiness, and its outbox for the relay.

use std::future::Future;
use std::path::Path;

use hrms_platform::outbox::RelayWaker;
use hrms_platform::store::{StoreContext, StoreFailure};

use crate::Database;
use crate::outbox::SqliteOutbox;

/// A function's store that is its [`Database`] (and what it reads from it).
pub trait Store: Sized {
    /// The function, as errors name its database: "the {NAME} database".
    const NAME: &'static str;
    /// The schema, in order: `open` applies those not applied yet.
    const MIGRATIONS: &'static [&'static str];
    /// The function's store error.
    type Error: From<StoreFailure>;

    /// The store on its opened database.
    fn from_database(db: Database) -> Self;

    /// The store's database.
    fn database(&self) -> &Database;

    /// Opens (and migrates) the database at `path`.
    fn open(path: impl AsRef<Path>) -> rusqlite::Result<Self> {
        Ok(Self::from_database(Database::open(path, Self::MIGRATIONS)?))
    }

    /// Whether the database answers and its writer runs (readiness).
    fn ping(&self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let db = self.database().clone();
        async move { Ok(db.ping().await.with_context(|| format!("pinging the {} database", Self::NAME))?) }
    }

    /// The outbox of this store's database, for its relay.
    fn outbox(&self) -> SqliteOutbox {
        SqliteOutbox::of(self.database().clone())
    }

    /// Wakes `relay` after each commit, so that events go out at once.
    fn with_relay(self, relay: RelayWaker) -> Self {
        Self::from_database(self.database().clone().with_relay(relay))
    }
}
