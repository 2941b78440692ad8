//! The SQLite backend: `<data dir>/<function>.db`, each relay reading its
//! outbox through the store's own writer (`store.outbox()`), so that the
//! relay and the requests share group commits.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use hrms_attendance::AttendanceStore;
use hrms_audit::AuditStore;
use hrms_compliance::ComplianceStore;
use hrms_employee::EmployeeStore;
use hrms_leave::LeaveStore;
use hrms_notification::NotificationStore;
use hrms_runtime::sqlite::attendance::SqliteAttendanceStore;
use hrms_runtime::sqlite::audit::SqliteAuditStore;
use hrms_runtime::sqlite::compliance::SqliteComplianceStore;
use hrms_runtime::sqlite::employee::SqliteEmployeeStore;
use hrms_runtime::sqlite::leave::SqliteLeaveStore;
use hrms_runtime::sqlite::notification::SqliteNotificationStore;
use hrms_runtime::sqlite::user::SqliteUserStore;
use hrms_user::UserStore;

use super::{Backend, Probe, Relays};

pub struct Sqlite {
    data_dir: PathBuf,
}

impl Sqlite {
    pub fn new(data_dir: PathBuf) -> Self {
        Self { data_dir }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.data_dir.join(name)
    }
}

impl Backend for Sqlite {
    fn compliance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn ComplianceStore>, Probe)> {
        let db = self.file("compliance.db");
        let store = SqliteComplianceStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    fn employee(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn EmployeeStore>, Probe)> {
        let db = self.file("employee.db");
        let store = SqliteEmployeeStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    fn user(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn UserStore>, Probe)> {
        let db = self.file("user.db");
        let store = SqliteUserStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    fn attendance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn AttendanceStore>, Probe)> {
        let db = self.file("attendance.db");
        let store = SqliteAttendanceStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    fn leave(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn LeaveStore>, Probe)> {
        let db = self.file("leave.db");
        let store = SqliteLeaveStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    fn audit(&self) -> anyhow::Result<(Arc<dyn AuditStore>, Probe)> {
        let db = self.file("audit.db");
        let store = SqliteAuditStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    fn notification(&self) -> anyhow::Result<(Arc<dyn NotificationStore>, Probe)> {
        let db = self.file("notification.db");
        let store =
            SqliteNotificationStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    fn describe(&self) -> String {
        format!("SQLite under {}", self.data_dir.display())
    }
}
