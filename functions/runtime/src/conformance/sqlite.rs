//! The SQLite stores in a temporary directory, one database per service
//! (the User outbox as its relay reads it: through the store's writer).

use std::path::PathBuf;
use std::sync::Arc;

use uuid::Uuid;

use super::Stores;
use crate::outbox::sqlite::{SqliteOutbox, connect};
use crate::sqlite::audit::SqliteAuditStore;
use crate::sqlite::compliance::SqliteComplianceStore;
use crate::sqlite::employee::SqliteEmployeeStore;
use crate::sqlite::user::SqliteUserStore;

/// A directory removed on drop.
pub(super) struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn temp_dir() -> TempDir {
    let dir = TempDir(std::env::temp_dir().join(format!("hrms-conformance-{}", Uuid::now_v7())));
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    dir
}

/// An empty audit log, and the directory it lives in.
pub fn audit_store() -> (Box<dyn hrms_audit::AuditStore>, impl Drop) {
    let dir = temp_dir();
    (Box::new(SqliteAuditStore::open(dir.0.join("audit.db")).expect("audit store")), dir)
}

pub fn stores() -> Stores {
    let dir = temp_dir();
    let (employee, compliance) = (dir.0.join("employee.db"), dir.0.join("compliance.db"));
    let dead_from = employee.clone();
    let user = SqliteUserStore::open(dir.0.join("user.db")).expect("user store");
    Stores {
        employee: Box::new(SqliteEmployeeStore::open(&employee).expect("employee store")),
        employee_outbox: Arc::new(SqliteOutbox::open(&employee).expect("outbox")),
        compliance: Box::new(SqliteComplianceStore::open(&compliance).expect("compliance store")),
        compliance_outbox: Arc::new(SqliteOutbox::open(&compliance).expect("outbox")),
        user_outbox: Arc::new(user.outbox()),
        user: Box::new(user),
        employee_dead: Box::new(move || {
            let path = dead_from.clone();
            Box::pin(async move {
                let conn = connect(&path).expect("db");
                let mut select =
                    conn.prepare("SELECT event_id, reason FROM outbox_dead ORDER BY seq").expect("query");
                let rows = select.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)));
                rows.expect("dead letters")
                    .map(|row| row.expect("row"))
                    .map(|(id, reason)| (Uuid::parse_str(&id).expect("event id"), reason))
                    .collect()
            })
        }),
        _keep: Box::new(dir),
    }
}
