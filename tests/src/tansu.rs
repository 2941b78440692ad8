//! A repair of the test broker's SQLite storage.
//!
//! tansu 0.6's SQLite schema has no index on its `header` table, and it
//! looks up each fetched record's headers by `(topition, offset_id)`: every
//! record a consumer reads costs a scan of every header the broker holds
//! (about ten per event here), so fetching slows down with each record
//! produced (2.6 ms a record after 4,400 records, 0.015 ms with the index)
//! and the broker, not the system under test, sets the pace of a long run.
//! [`index_headers`] adds the index once the broker has made its schema.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// Adds the missing index to the tansu database at `db`, waiting up to
/// `limit` for the broker to have created its `header` table. Idempotent,
/// and safe beside the running broker (SQLite's locking; tansu's prepared
/// statements are re-planned with the index when the schema changes).
pub fn index_headers(db: &Path, limit: Duration) -> rusqlite::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        match try_index(db) {
            Err(e) if Instant::now() < deadline && no_table_yet(&e) => {
                std::thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn try_index(db: &Path) -> rusqlite::Result<()> {
    let conn = Connection::open(db)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch("CREATE INDEX IF NOT EXISTS hrms_header_record ON header (topition, offset_id)")
}

fn no_table_yet(error: &rusqlite::Error) -> bool {
    error.to_string().contains("no such table")
}
