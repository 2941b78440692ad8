//! Group commit: one thread per database owns the write connection. It
//! takes every write waiting when it is free, runs each in a savepoint of
//! one transaction (a refused write rolls back its savepoint only), commits
//! once, and then answers them all. Under load, many requests share an
//! fsync; alone, a write waits for nothing.

use hrms_platform::Part;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::Error;
use super::checkpoint::Checkpointer;

/// Most writes in one transaction.
const MAX_GROUP: usize = 256;

/// How long the transaction stays open for the write announced to follow.
const FOLLOWING_WAIT: Duration = Duration::from_millis(50);

/// A write: `run` does it (true: keep it), `answer` tells the caller how
/// the commit went (its error shared by the writes it held); `part`
/// [`Part::More`]: its caller sends another write at once, to be committed
/// with it.
struct Job {
    run: Box<dyn FnOnce(&Connection) -> bool + Send>,
    answer: Box<dyn FnOnce(Result<(), Arc<rusqlite::Error>>) + Send>,
    part: Part,
}

/// The handle to a database's writer thread; the thread ends with the last
/// handle.
#[derive(Clone)]
pub struct Writer(mpsc::Sender<Job>);

impl Writer {
    /// Starts the writer on `conn`; it wakes `checkpointer` after its commits.
    pub fn start(conn: Connection, checkpointer: Checkpointer) -> Self {
        let (jobs, queue) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || work(conn, queue, checkpointer));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the SQLite writer; writes will fail");
        }
        Self(jobs)
    }

    /// Queues `f` for the next transaction; [`Part::More`]: the caller
    /// queues another write at once, which the writer waits for (a little)
    /// before it commits, so that both share the commit.
    pub fn submit<T: Send + 'static, E: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<Result<T, E>> + Send + 'static,
        part: Part,
    ) -> BoxFuture<'static, Result<Result<T, E>, Error>> {
        self.submit_then(f, part, |_| {})
    }

    /// [`Writer::submit`], and `then` runs with `f`'s result once it
    /// is committed: on the writer's thread, in commit order, before the
    /// caller is answered (never for a refused or failed write).
    pub fn submit_then<T: Send + 'static, E: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<Result<T, E>> + Send + 'static,
        part: Part,
        then: impl FnOnce(&T) + Send + 'static,
    ) -> BoxFuture<'static, Result<Result<T, E>, Error>> {
        let (reply, answer) = oneshot::channel();
        let slot = Arc::new(Mutex::new(None));
        let filled = slot.clone();
        let job = Job {
            run: Box::new(move |conn| {
                let outcome = f(conn);
                let keep = matches!(outcome, Ok(Ok(_)));
                *filled.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
                keep
            }),
            answer: Box::new(move |committed| {
                let outcome = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
                let result = match (committed, outcome) {
                    (Err(e), None) => Err(Error::Transaction(e)),
                    (Ok(()), None) => Err(Error::NotRun),
                    (_, Some(Err(e))) => Err(Error::Statement(e)),
                    (_, Some(Ok(Err(refused)))) => Ok(Err(refused)),
                    (Ok(()), Some(Ok(Ok(done)))) => {
                        then(&done);
                        Ok(Ok(done))
                    }
                    (Err(e), Some(Ok(Ok(_)))) => Err(Error::Transaction(e)),
                };
                let _ = reply.send(result);
            }),
            part,
        };
        let sent = self.0.send(job);
        Box::pin(async move {
            sent.map_err(|_| Error::WriterStopped)?;
            answer.await.map_err(|_| Error::WriterStopped)?
        })
    }
}

fn work(mut conn: Connection, queue: mpsc::Receiver<Job>, checkpointer: Checkpointer) {
    while let Ok(first) = queue.recv() {
        let mut jobs = Vec::new();
        let committed = commit(&mut conn, first, &queue, &mut jobs).map_err(Arc::new);
        metrics::histogram!("hrms_store_group_commit_size").record(jobs.len() as f64);
        if committed.is_ok() {
            checkpointer.committed();
        }
        for job in jobs {
            (job.answer)(committed.clone());
        }
    }
}

/// Runs `first` and the jobs waiting behind it (and those announced to
/// follow) in one transaction, each in a savepoint (statements prepared
/// once: savepoints are the writer's most frequent SQL), and commits. The
/// jobs taken are left in `jobs`, their `run`s spent, to be answered.
fn commit(
    conn: &mut Connection,
    first: Job,
    queue: &mpsc::Receiver<Job>,
    jobs: &mut Vec<Job>,
) -> rusqlite::Result<()> {
    let mut next = Some(first);
    // IMMEDIATE: the write lock is taken at BEGIN, where the busy timeout
    // waits for another process's writer, rather than at the first write,
    // where a deferred transaction that has read fails at once with BUSY.
    let tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            // Answered with why, not dropped unanswered.
            jobs.extend(next);
            return Err(e);
        }
    };
    let sql = |tx: &Connection, statement: &str| tx.prepare_cached(statement)?.execute([]).map(|_| ());
    while let Some(mut job) = next.take() {
        let run = std::mem::replace(&mut job.run, Box::new(|_| false));
        let followed = job.part == Part::More;
        jobs.push(job);
        sql(&tx, "SAVEPOINT job")?;
        // A write that panics is rolled back and answered as not run; the
        // writer goes on with the others.
        let keep = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&tx))).unwrap_or(false);
        if !keep {
            sql(&tx, "ROLLBACK TO job")?;
        }
        sql(&tx, "RELEASE job")?;
        if jobs.len() < MAX_GROUP {
            next = match queue.try_recv() {
                Ok(job) => Some(job),
                Err(_) if followed => queue.recv_timeout(FOLLOWING_WAIT).ok(),
                Err(_) => None,
            };
        }
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use futures::future::join_all;
    use rusqlite::params;

    use super::super::Database;

    #[tokio::test(flavor = "multi_thread")]
    async fn concurrent_writes_commit_together_and_a_refusal_rolls_back_alone() {
        let dir = hrms_platform::testing::temp_dir("group");
        let db = Database::open(dir.join("t.db"), &["CREATE TABLE t (k TEXT PRIMARY KEY)"]).expect("db");
        let writes = (0..200).map(|i| {
            let key = if i % 10 == 0 { "taken".to_owned() } else { format!("k{i}") };
            db.write(move |tx| {
                tx.execute("INSERT INTO t (k) VALUES (?1)", params![format!("extra{i}")])?;
                match tx.execute("INSERT INTO t (k) VALUES (?1)", params![key]) {
                    Ok(_) => Ok(Ok(())),
                    Err(e) => Ok(Err(e.to_string())),
                }
            })
        });
        let outcomes = join_all(writes).await;
        let refused = outcomes.iter().filter(|o| matches!(o, Ok(Err(_)))).count();
        assert_eq!(refused, 19, "all but the first write of the same key are refused");
        assert!(outcomes.iter().all(Result::is_ok), "no write failed the store");
        let rows: i64 =
            db.run(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))).await.expect("count");
        assert_eq!(rows, 181 * 2, "two rows for each accepted write, none of a refused one");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_write_announced_to_be_followed_commits_with_its_follower_or_alone() {
        let dir = hrms_platform::testing::temp_dir("group-followed");
        let db = Database::open(dir.join("t.db"), &["CREATE TABLE t (k TEXT PRIMARY KEY)"]).expect("db");
        let first = db
            .apply_part(|tx| tx.execute("INSERT INTO t (k) VALUES ('first')", []), hrms_platform::Part::More);
        let refused = db.write(|tx| match tx.execute("INSERT INTO t (k) VALUES ('first')", []) {
            Ok(_) => Ok(Ok(())),
            Err(e) => Ok(Err(e.to_string())),
        });
        let follower = db.apply(|tx| tx.execute("INSERT INTO t (k) VALUES ('follower')", []));
        let (first, refused, follower) = futures::join!(first, refused, follower);
        assert_eq!((first.ok(), follower.ok()), (Some(1), Some(1)));
        assert!(matches!(refused, Ok(Err(_))), "a refusal in between rolls back alone");
        // Nothing follows: the writer commits after a short wait.
        let alone = db
            .apply_part(|tx| tx.execute("INSERT INTO t (k) VALUES ('alone')", []), hrms_platform::Part::More);
        assert_eq!(alone.await.ok(), Some(1));
        let mut keys: Vec<String> = db
            .run(|c| c.prepare("SELECT k FROM t")?.query_map([], |r| r.get(0))?.collect())
            .await
            .expect("read");
        keys.sort();
        assert_eq!(keys, ["alone", "first", "follower"]);
    }

    #[tokio::test]
    async fn a_failing_statement_keeps_the_sqlite_error_as_its_source() {
        let dir = hrms_platform::testing::temp_dir("group-error");
        let db = Database::open(dir.join("t.db"), &["CREATE TABLE t (k TEXT PRIMARY KEY)"]).expect("db");
        let failed = db.apply(|tx| tx.execute("INSERT INTO missing (k) VALUES ('x')", [])).await;
        match failed {
            Err(e @ crate::Error::Statement(_)) => {
                let source = std::error::Error::source(&e);
                assert!(source.is_some_and(|s| s.is::<rusqlite::Error>()), "{e:?}");
                let chain = hrms_platform::Chain(&e).to_string();
                assert!(chain.starts_with("SQLite statement failed: no such table: missing"), "{chain}");
            }
            other => panic!("a failed statement: {other:?}"),
        }
        assert!(db.ping().await.is_ok(), "the writer goes on");
    }

    #[tokio::test]
    async fn a_write_that_panics_is_refused_and_the_writer_goes_on() {
        let dir = hrms_platform::testing::temp_dir("group-panic");
        let db = Database::open(dir.join("t.db"), &["CREATE TABLE t (k TEXT PRIMARY KEY)"]).expect("db");
        let broken = db.write(|tx| {
            tx.execute("INSERT INTO t (k) VALUES ('half')", [])?;
            if tx.is_autocommit() { Ok(Ok::<(), String>(())) } else { panic!("a bug in a store") }
        });
        assert!(broken.await.is_err(), "answered, not hung");
        let fine =
            db.write(|tx| tx.execute("INSERT INTO t (k) VALUES ('whole')", []).map(|_| Ok::<(), String>(())));
        assert!(matches!(fine.await, Ok(Ok(()))));
        let keys: Vec<String> = db
            .run(|c| c.prepare("SELECT k FROM t")?.query_map([], |r| r.get(0))?.collect())
            .await
            .expect("read");
        assert_eq!(keys, ["whole"], "the panicking write left nothing");
        assert!(db.ping().await.is_ok());
    }
}
