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

#[cfg(any(
    feature = "compliance",
    feature = "employee",
    feature = "user",
    feature = "attendance",
    feature = "leave"
))]
use super::Relays;
use super::{Backend, Probe};

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

    /// Opens the store in `<data dir>/<S::NAME>.db`, hands its outbox to
    /// `relay` and wires the relay's waker into it; answers it with its probe.
    #[cfg(any(
        feature = "compliance",
        feature = "employee",
        feature = "user",
        feature = "attendance",
        feature = "leave"
    ))]
    fn relayed<S>(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<S>, Probe)>
    where
        S: hrms_sqlite::Store + Clone + Send + Sync + 'static,
        S::Error: std::error::Error + Send + Sync + 'static,
    {
        let db = self.file(&format!("{}.db", S::NAME));
        let store = S::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(Arc::new(store.outbox()));
        let store = store.with_relay(waker);
        Ok((Arc::new(store.clone()), probe!(store)))
    }
}

impl Backend for Sqlite {
    #[cfg(feature = "compliance")]
    fn compliance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn ComplianceStore>, Probe)> {
        let (store, probe) = self.relayed::<SqliteComplianceStore>(relay)?;
        Ok((store, probe))
    }

    #[cfg(feature = "employee")]
    fn employee(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn EmployeeStore>, Probe)> {
        let (store, probe) = self.relayed::<SqliteEmployeeStore>(relay)?;
        Ok((store, probe))
    }

    #[cfg(feature = "user")]
    fn user(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn UserStore>, Probe)> {
        let (store, probe) = self.relayed::<SqliteUserStore>(relay)?;
        Ok((store, probe))
    }

    #[cfg(feature = "attendance")]
    fn attendance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn AttendanceStore>, Probe)> {
        let (store, probe) = self.relayed::<SqliteAttendanceStore>(relay)?;
        Ok((store, probe))
    }

    #[cfg(feature = "leave")]
    fn leave(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn LeaveStore>, Probe)> {
        let (store, probe) = self.relayed::<SqliteLeaveStore>(relay)?;
        Ok((store, probe))
    }

    #[cfg(feature = "audit")]
    fn audit(&self) -> anyhow::Result<(Arc<dyn AuditStore>, Probe)> {
        let db = self.file("audit.db");
        let store = SqliteAuditStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    #[cfg(feature = "notification")]
    fn notification(&self) -> anyhow::Result<(Arc<dyn NotificationStore>, Probe)> {
        use hrms_sqlite::Store as _;
        let db = self.file("notification.db");
        let store =
            SqliteNotificationStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        Ok((Arc::new(store.clone()), probe!(store)))
    }

    fn describe(&self) -> String {
        format!("SQLite under {}", self.data_dir.display())
    }
}
