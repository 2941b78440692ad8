//! The whole log a subject at a time, for `verify`: every row stored with
//! each subject, not only those its chain's links lead to. Read on a
//! connection of its own, in one read transaction (a snapshot), on a
//! blocking thread that hands each subject over as it is complete.

use std::path::Path;

use futures::stream::{self, BoxStream, StreamExt};
use hrms_audit::{Entry, StoreError};
use tokio::sync::mpsc;

use super::{COLUMNS, entry};
use hrms_sqlite::outbox::connect;

type Chain = Result<(String, Vec<Entry>), StoreError>;

/// Subjects read ahead of the one being checked.
const AHEAD: usize = 8;

/// Every row of the log at `path`, by subject then `seq`.
pub fn every_chain(path: &Path) -> BoxStream<'static, Chain> {
    let (send, receive) = mpsc::channel(AHEAD);
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = by_subject(&path, &send) {
            let failed = hrms_platform::StoreFailure::unavailable("reading every chain", e);
            let _ = send.blocking_send(Err(StoreError::from(failed)));
        }
    });
    stream::unfold(receive, |mut r| async move { r.recv().await.map(|chain| (chain, r)) }).boxed()
}

/// Sorts the rows' numbers by subject (a narrow sort, however long the
/// log), then reads each row by number. Stops when nobody listens.
fn by_subject(path: &Path, send: &mpsc::Sender<Chain>) -> rusqlite::Result<()> {
    let conn = connect(path)?;
    let snapshot = conn.unchecked_transaction()?;
    let mut order = snapshot.prepare("SELECT row, subject FROM audit_log ORDER BY subject, seq, row")?;
    let mut fetch = snapshot.prepare(&format!("SELECT {COLUMNS} FROM audit_log WHERE row = ?1"))?;
    let mut rows = order.query([])?;
    let mut current: Option<(String, Vec<Entry>)> = None;
    while let Some(r) = rows.next()? {
        let (row, subject): (i64, String) = (r.get(0)?, r.get(1)?);
        if current.as_ref().is_some_and(|(s, _)| *s != subject)
            && let Some(done) = current.take()
            && send.blocking_send(Ok(done)).is_err()
        {
            return Ok(());
        }
        let found = fetch.query_row([row], entry)?;
        current.get_or_insert_with(|| (subject, Vec::new())).1.push(found);
    }
    if let Some(done) = current {
        let _ = send.blocking_send(Ok(done));
    }
    Ok(())
}
