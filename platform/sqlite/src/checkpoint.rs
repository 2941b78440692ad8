//! WAL checkpoints off the writer's path: a thread per database, with a
//! connection of its own, copies committed pages from the WAL back into the
//! database after the writer's commits (at most every [`EVERY`]), so that
//! no write waits for a checkpoint and its fsync. Passive checkpoints never
//! block the writer; if the WAL still reaches [`MOST_FRAMES`] (the writer
//! never paused), a restarting one waits for the writer's transaction to end
//! and makes the next one start the WAL over, which bounds its size.
//!
//! Metrics: `hrms_store_checkpoint_seconds` (histogram) and
//! `hrms_store_wal_frames` (gauge: frames in the WAL after a checkpoint).

use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use hrms_platform::Chain;
use rusqlite::Connection;

/// Least time between two checkpoints.
const EVERY: Duration = Duration::from_millis(500);

/// WAL frames (pages) past which a checkpoint restarts the WAL.
const MOST_FRAMES: i64 = 16_000;

/// The handle the writer wakes the checkpointer with; the thread ends with
/// the last handle.
#[derive(Clone)]
pub struct Checkpointer(SyncSender<()>);

impl Checkpointer {
    /// Starts the checkpointer of the database at `path`; connections that
    /// write to it should have `wal_autocheckpoint` off ([`no_autocheckpoint`]).
    pub fn start(path: &Path) -> rusqlite::Result<Self> {
        let conn = super::connect(path)?;
        no_autocheckpoint(&conn)?;
        let (wake, wakes) = mpsc::sync_channel(1);
        let spawned =
            std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || work(&conn, wakes));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the SQLite checkpointer; the WAL will grow");
        }
        Ok(Self(wake))
    }

    /// Tells the checkpointer that the writer committed.
    pub fn committed(&self) {
        match self.0.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => {
                tracing::error!("the SQLite checkpointer has stopped; the WAL will grow");
            }
        }
    }
}

/// Turns off the checkpoints a connection would run itself after its commits.
pub fn no_autocheckpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "wal_autocheckpoint", 0)
}

fn work(conn: &Connection, wakes: Receiver<()>) {
    while wakes.recv().is_ok() {
        let started = Instant::now();
        let outcome = checkpoint(conn, "PASSIVE")
            .and_then(|frames| if frames >= MOST_FRAMES { checkpoint(conn, "RESTART") } else { Ok(frames) });
        match outcome {
            Ok(frames) => metrics::gauge!("hrms_store_wal_frames").set(frames as f64),
            Err(e) => tracing::warn!(error = %Chain(&e), "WAL checkpoint failed; the next commit retries it"),
        }
        metrics::histogram!("hrms_store_checkpoint_seconds").record(started.elapsed().as_secs_f64());
        std::thread::sleep(EVERY.saturating_sub(started.elapsed()));
    }
    // The writer has gone: leave the WAL empty for whoever opens next.
    if let Err(e) = checkpoint(conn, "TRUNCATE") {
        tracing::debug!(error = %Chain(&e), "final WAL checkpoint failed");
    }
}

/// Runs a checkpoint in `mode`; answers the frames in the WAL.
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<i64> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| r.get::<_, i64>(1))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::super::Database;

    #[tokio::test(flavor = "multi_thread")]
    async fn committed_pages_reach_the_database_file_without_the_writer_checkpointing() {
        let dir = hrms_platform::testing::temp_dir("checkpoint");
        let path = dir.join("t.db");
        let db =
            Database::open(&path, &["CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"]).expect("db");
        let before = std::fs::metadata(&path).expect("db file").len();
        db.apply(|tx| {
            let mut insert = tx.prepare("INSERT INTO t (v) VALUES (?1)")?;
            for _ in 0..200 {
                insert.execute(["x".repeat(1000)])?;
            }
            Ok(())
        })
        .await
        .expect("written");
        // The writer's connection never checkpoints (wal_autocheckpoint is
        // off): the file grows only by the checkpointer's work.
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&path).expect("db file").len() < before + 200 * 1000 {
            assert!(Instant::now() < deadline, "the rows never left the WAL");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let autocheckpoint: i64 =
            db.apply(|tx| tx.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))).await.expect("pragma");
        assert_eq!(autocheckpoint, 0);
    }
}
