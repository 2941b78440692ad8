//! The audit database's schema, as migrations (`PRAGMA user_version`).
//!
//! Rows are numbered in the order they are appended (`row`, an explicit
//! `INTEGER PRIMARY KEY`, so that `VACUUM` keeps the numbers), and each row
//! names the row before it in its subject's chain (`prev_row`); the head of
//! a chain names its last row. A subject's history is read by following
//! those links back from its head, so that no index by subject is needed:
//! an index ordered by subject takes a page per subject an append touches,
//! and was most of what each commit wrote (and waited on fsync for).
//! `hrms audit verify` does not follow the links: it reads every row, by
//! subject ([`super::scan`]).

pub const MIGRATIONS: &[&str] = &[
    // 1: rows keyed by event id, unique (subject, seq).
    "CREATE TABLE audit_log (
        event_id TEXT NOT NULL PRIMARY KEY,
        subject TEXT NOT NULL,
        seq INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        actor TEXT NOT NULL,
        time TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        event TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (subject, seq)
    );
    CREATE INDEX audit_log_time ON audit_log (time, event_id);
    CREATE INDEX audit_log_actor ON audit_log (actor, time, event_id);
    CREATE INDEX audit_log_type ON audit_log (event_type, time, event_id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE audit_head (
        subject TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE audit_state (
        subject TEXT PRIMARY KEY,
        event_id TEXT NOT NULL
    ) WITHOUT ROWID;",
    // 2: numbered rows linked per chain, no index by subject. The rows keep
    // their numbers; the old (subject, seq) index finds the links once.
    "DROP TRIGGER audit_log_no_update;
    DROP TRIGGER audit_log_no_delete;
    ALTER TABLE audit_log RENAME TO audit_log_1;
    CREATE TABLE audit_log (
        row INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        subject TEXT NOT NULL,
        seq INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        actor TEXT NOT NULL,
        time TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        event TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        prev_row INTEGER
    );
    INSERT INTO audit_log (row, event_id, subject, seq, event_type, actor, time, recorded_at, event,
            prev_hash, hash, prev_row)
        SELECT o.rowid, o.event_id, o.subject, o.seq, o.event_type, o.actor, o.time, o.recorded_at,
            o.event, o.prev_hash, o.hash, p.rowid
        FROM audit_log_1 o LEFT JOIN audit_log_1 p ON p.subject = o.subject AND p.seq = o.seq - 1
        ORDER BY o.rowid;
    ALTER TABLE audit_head ADD COLUMN row INTEGER;
    UPDATE audit_head SET row = (
        SELECT o.rowid FROM audit_log_1 o WHERE o.subject = audit_head.subject AND o.seq = audit_head.seq
    );
    DROP TABLE audit_log_1;
    CREATE INDEX audit_log_time ON audit_log (time, event_id);
    CREATE INDEX audit_log_actor ON audit_log (actor, time, event_id);
    CREATE INDEX audit_log_type ON audit_log (event_type, time, event_id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
];

/// The rows of the chain of the subject bound to `param` (twice), from its
/// head back along the links, as a subquery: `row IN (...)`. Only rows
/// stored with that subject are followed; a loop ends (`UNION`).
pub fn chain_rows(param: &str) -> String {
    format!(
        "WITH RECURSIVE chain(row) AS (
            SELECT row FROM audit_head WHERE subject = {param}
            UNION SELECT l.prev_row FROM audit_log l JOIN chain c ON l.row = c.row
                WHERE l.prev_row IS NOT NULL AND l.subject = {param}
        ) SELECT row FROM chain"
    )
}
