//! The SQLite backend: `<data dir>/<function>.db`, each relay reading its
//! outbox through the store's own writer (`store.outbox()`), so that the
//! relay and the requests share group commits.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
#[cfg(feature = "attendance")]
use hrms_attendance::AttendanceStore;
#[cfg(feature = "attendance")]
use hrms_attendance_adapters::sqlite::SqliteAttendanceStore;
#[cfg(feature = "audit")]
use hrms_audit::AuditStore;
#[cfg(feature = "audit")]
use hrms_audit_adapters::sqlite::SqliteAuditStore;
#[cfg(feature = "compliance")]
use hrms_compliance::ComplianceStore;
#[cfg(feature = "compliance")]
use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
#[cfg(feature = "employee")]
use hrms_employee::EmployeeStore;
#[cfg(feature = "employee")]
use hrms_employee_adapters::sqlite::SqliteEmployeeStore;
#[cfg(feature = "leave")]
use hrms_leave::LeaveStore;
#[cfg(feature = "leave")]
use hrms_leave_adapters::sqlite::SqliteLeaveStore;
#[cfg(feature = "notification")]
use hrms_notification::NotificationStore;
#[cfg(feature = "notification")]
use hrms_notification_adapters::sqlite::SqliteNotificationStore;
#[cfg(feature = "user")]
use hrms_user::UserStore;
#[cfg(feature = "user")]
use hrms_user_adapters::sqlite::SqliteUserStore;

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
    #[cfg(feature = "compliance")]
    fn compliance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn ComplianceStore>, Probe)> {
        let db = self.file("compliance.db");
        let store = SqliteComplianceStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    #[cfg(feature = "employee")]
    fn employee(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn EmployeeStore>, Probe)> {
        let db = self.file("employee.db");
        let store = SqliteEmployeeStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    #[cfg(feature = "user")]
    fn user(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn UserStore>, Probe)> {
        let db = self.file("user.db");
        let store = SqliteUserStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    #[cfg(feature = "attendance")]
    fn attendance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn AttendanceStore>, Probe)> {
        let db = self.file("attendance.db");
        let store = SqliteAttendanceStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    #[cfg(feature = "leave")]
    fn leave(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn LeaveStore>, Probe)> {
        let db = self.file("leave.db");
        let store = SqliteLeaveStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    #[cfg(feature = "audit")]
    fn audit(&self) -> anyhow::Result<(Arc<dyn AuditStore>, Probe)> {
        let db = self.file("audit.db");
        let store = SqliteAuditStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    #[cfg(feature = "notification")]
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
