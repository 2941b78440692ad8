//! Embedded SQLite for the HRMS platform: one database per store under the
//! data directory, its schema migrated on open, its outbox in the same
//! file. The stores themselves live with their functions
//! (`functions/<name>/adapters/src/sqlite.rs`).
//!
//! # Layout
//! - [`Database`]: a store's database. Reads run off the async threads on a
//!   connection of their own; writes go to the database's writer (module
//!   `group`), which commits the writes that arrive together in one
//!   transaction: one fsync for many requests; a thread of its own
//!   checkpoints the WAL (module `checkpoint`).
//! - [`outbox`]: the outbox table, appended to in a store's transaction,
//!   and the relay's reader of it.
//! - [`Store`]: what a function's store on its database gets once: `open`
//!   with its migrations, `ping`, `outbox`, `with_relay`.

mod checkpoint;
mod group;
pub mod outbox;
mod store;

use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_platform::Part;
use rusqlite::{Connection, ErrorCode, Params};

use crate::outbox::{append, connect, encode, migrate as migrate_outbox};
use hrms_platform::outbox::{OutboxEntry, RelayWaker};

pub use store::Store;

/// Why a database call did nothing; the SQLite error, where there is one,
/// is its source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A statement of the call failed (its write, if any, was rolled back).
    #[error("SQLite statement failed")]
    Statement(#[source] rusqlite::Error),
    /// The writer's transaction failed (begin, savepoint or commit): none of
    /// the writes it held was kept.
    #[error("SQLite transaction failed")]
    Transaction(#[source] Arc<rusqlite::Error>),
    /// The read's blocking task panicked or was cancelled.
    #[error("SQLite read task failed")]
    Task(#[source] tokio::task::JoinError),
    /// The write panicked; it was rolled back.
    #[error("the write did not run")]
    NotRun,
    /// The writer's thread has stopped (or never started).
    #[error("the SQLite writer has stopped")]
    WriterStopped,
}

/// One database of a store: a read connection used on blocking threads,
/// the group-committing writer, and the relay its commits wake.
#[derive(Clone)]
pub struct Database {
    read: Arc<Mutex<Connection>>,
    writer: group::Writer,
    relay: Option<RelayWaker>,
}

impl Database {
    /// Opens `path`, creates the outbox tables, and applies the store's
    /// `migrations` that `PRAGMA user_version` says are not applied yet.
    pub fn open(path: impl AsRef<Path>, migrations: &[&str]) -> rusqlite::Result<Self> {
        let mut conn = connect(path.as_ref())?;
        migrate_outbox(&conn)?;
        let applied: usize =
            conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?.try_into().unwrap_or(0);
        for (i, sql) in migrations.iter().enumerate().skip(applied) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        checkpoint::no_autocheckpoint(&conn)?;
        let write = connect(path.as_ref())?;
        checkpoint::no_autocheckpoint(&write)?;
        let writer = group::Writer::start(write, checkpoint::Checkpointer::start(path.as_ref())?);
        Ok(Self { read: Arc::new(Mutex::new(conn)), writer, relay: None })
    }

    /// Runs `f` on the read connection on a blocking thread (also for the
    /// relay's own bookkeeping, which needs no group commit).
    pub fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, Error>> {
        let conn = self.read.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut conn).map_err(Error::Statement)
            })
            .await
            .map_err(Error::Task)?
        })
    }

    /// Whether both connections answer: a read, and an empty write through
    /// the writer (so a writer that stopped makes the store unready).
    pub async fn ping(&self) -> Result<(), Error> {
        self.run(|conn| conn.query_row("SELECT 1", [], |_| Ok(()))).await?;
        self.apply(|_| Ok(())).await
    }

    /// Runs `f` in the writer's next transaction and answers once that is
    /// committed (on disk). `Ok(Err(_))` is a refusal (e.g. a conflict):
    /// `f`'s changes are rolled back and the refusal is returned; `Err` is
    /// the store failing.
    pub fn write<T: Send + 'static, E: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<Result<T, E>> + Send + 'static,
    ) -> BoxFuture<'static, Result<Result<T, E>, Error>> {
        self.writer.submit(f, Part::Last)
    }

    /// [`Database::write`] for a write that is never refused: `Err` is the
    /// store failing, and nothing of `f` was kept.
    pub fn apply<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, Error>> {
        self.apply_part(f, Part::Last)
    }

    /// [`Database::apply`] for one of several writes made one after the
    /// other: with [`Part::More`], the writer keeps its transaction open for
    /// the next one (briefly), so that they share one commit.
    pub fn apply_part<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        part: Part,
    ) -> BoxFuture<'static, Result<T, Error>> {
        let written = self.writer.submit(move |tx| f(tx).map(Ok::<T, Infallible>), part);
        Box::pin(async move {
            let Ok(done) = written.await?;
            Ok(done)
        })
    }

    /// Hands the events of each [`Database::commit`] over to `relay`, so
    /// that they go out at once.
    pub fn with_relay(mut self, relay: RelayWaker) -> Self {
        self.relay = Some(relay);
        self
    }

    /// [`Database::write`]s `f` with `events` in the outbox of the same
    /// transaction; once that is committed (and before answering), hands the
    /// events over to the relay, in commit order.
    pub fn commit<T: Send + 'static, E: Send + 'static>(
        &self,
        events: &[HrmsEvent],
        f: impl FnOnce(&Connection) -> rusqlite::Result<Result<T, E>> + Send + 'static,
    ) -> BoxFuture<'static, Result<Result<T, E>, Error>> {
        // Encoded here, so that the writer's thread, which every write of
        // the database waits for, only inserts. The events continue the
        // current trace (the request's), if any.
        let events = hrms_platform::traces::stamped(events);
        let encoded = encode(&events);
        let handed = self.relay.clone().map(|relay| (relay, events.to_vec()));
        let written = self.writer.submit_then(
            move |tx| {
                Ok(match f(tx)? {
                    Ok(done) => Ok((done, append(tx, &encoded)?)),
                    Err(refused) => Err(refused),
                })
            },
            Part::Last,
            move |(_, seqs)| {
                if let Some((relay, events)) = handed {
                    relay.hand_over(seqs.iter().zip(events).map(|(&seq, event)| OutboxEntry { seq, event }));
                }
            },
        );
        Box::pin(async move { Ok(written.await?.map(|(done, _)| done)) })
    }
}

/// Writes one row of a record with a unique id and e-mail and a version
/// (`sql` is its insert, or its update from the version before): a taken id
/// or e-mail, or a stale version, is a refusal that names `what` and `id`.
pub fn write_record(
    tx: &Connection,
    sql: &str,
    row: impl Params,
    what: &str,
    id: &str,
) -> rusqlite::Result<Result<(), String>> {
    match tx.prepare_cached(sql)?.execute(row) {
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
            Ok(Err(if e.to_string().contains("email_key") {
                "the e-mail address is taken".to_owned()
            } else {
                format!("{what} {id} exists")
            }))
        }
        Ok(0) => Ok(Err(format!("{what} {id} changed since it was read"))),
        Ok(_) => Ok(Ok(())),
        Err(e) => Err(e),
    }
}
