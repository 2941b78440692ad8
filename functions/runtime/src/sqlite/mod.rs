//! The embedded stores (feature `sqlite`): one SQLite database per service
//! under the data directory, its schema migrated on open, its outbox in the
//! same file. Calls run off the async threads.

pub mod compliance;
pub mod employee;
pub mod user;

use std::path::Path;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use rusqlite::Connection;

use crate::outbox::sqlite::{connect, migrate as migrate_outbox};

/// A connection shared by one store's calls, used on blocking threads.
#[derive(Clone)]
pub struct Shared(Arc<Mutex<Connection>>);

impl Shared {
    /// Opens `path`, creates the outbox tables, and applies the store's
    /// `migrations` that `PRAGMA user_version` says are not applied yet.
    pub fn open(path: impl AsRef<Path>, migrations: &[&str]) -> rusqlite::Result<Self> {
        let mut conn = connect(path)?;
        migrate_outbox(&conn)?;
        let applied: usize =
            conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?.try_into().unwrap_or(0);
        for (i, sql) in migrations.iter().enumerate().skip(applied) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(Self(Arc::new(Mutex::new(conn))))
    }

    /// Runs `f` on the connection on a blocking thread.
    pub fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, String>> {
        let conn = self.0.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut conn).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| e.to_string())?
        })
    }
}
