//! Where the hosted functions keep their data: SQLite files under the data
//! directory (the default), or DynamoDB tables (`--store dynamodb`). Each
//! backend opens a function's store, hands the store's outbox to the relay
//! it is given and wires the relay's waker into the store, and returns the
//! store with its readiness probe; `functions` wires the rest once for both.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::future::BoxFuture;
#[cfg(feature = "attendance")]
use hrms_attendance::AttendanceStore;
#[cfg(feature = "audit")]
use hrms_audit::AuditStore;
#[cfg(feature = "compliance")]
use hrms_compliance::ComplianceStore;
use hrms_dynamodb::DynamoConfig;
use hrms_dynamodb::config::DEFAULT_TABLE_PREFIX;
#[cfg(feature = "employee")]
use hrms_employee::EmployeeStore;
#[cfg(feature = "leave")]
use hrms_leave::LeaveStore;
#[cfg(feature = "notification")]
use hrms_notification::NotificationStore;
use hrms_platform::outbox::{OutboxStore, RelayWaker};
#[cfg(feature = "user")]
use hrms_user::UserStore;

use super::Function;

/// A [`Probe`] that pings a clone of `$store` (a store with `async fn ping`).
macro_rules! probe {
    ($store:expr) => {{
        let store = $store.clone();
        std::sync::Arc::new(move || {
            let store = store.clone();
            Box::pin(async move { Ok(store.ping().await?) })
                as futures::future::BoxFuture<'static, anyhow::Result<()>>
        }) as crate::app::stores::Probe
    }};
}

mod dynamodb;
mod sqlite;

/// Whether a hosted function's store answers; the error says why, with its causes.
pub type Probe = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Starts the relay of an outbox; answers the waker its store rings after each commit.
pub type Relays<'a> = &'a mut dyn FnMut(Arc<dyn OutboxStore>) -> RelayWaker;

/// The kinds of store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// One SQLite file per function under the data directory.
    Sqlite,
    /// One DynamoDB table per function, created if missing.
    Dynamodb,
}

/// Where the functions keep their data and read their policies; the same
/// flags for `dev` and `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct Stores {
    /// The functions' stores.
    #[arg(long = "store", env = "HRMS_STORE", value_enum, default_value_t = StoreKind::Sqlite)]
    pub kind: StoreKind,
    /// Directory of the embedded stores (and of the generated token secret).
    #[arg(long, env = "HRMS_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// DynamoDB table names are this prefix and the function (`hrms-user`, …).
    #[arg(long, env = "HRMS_DYNAMODB_TABLE_PREFIX", default_value = DEFAULT_TABLE_PREFIX)]
    pub dynamodb_table_prefix: String,
    /// A DynamoDB endpoint instead of AWS's (moto, DynamoDB Local); credentials
    /// and region come from the usual AWS environment.
    #[arg(long, env = "HRMS_DYNAMODB_ENDPOINT")]
    pub dynamodb_endpoint: Option<String>,
    /// How many subjects of a batch the audit log writes to DynamoDB at once
    /// (1 for moto, which cannot take concurrent transactions on one table).
    #[arg(long, env = "HRMS_DYNAMODB_AUDIT_WRITERS", default_value_t = 16)]
    pub dynamodb_audit_writers: usize,
    /// How many writes the Notification function makes to DynamoDB at once
    /// (1 for moto, which cannot take a write to a table during a transaction on it).
    #[arg(long, env = "HRMS_DYNAMODB_NOTIFICATION_WRITERS", default_value_t = 16)]
    pub dynamodb_notification_writers: usize,
    /// Compliance policy file (TOML); the documented defaults without one.
    #[arg(long, env = "HRMS_COMPLIANCE_POLICY")]
    pub compliance_policy: Option<PathBuf>,
    /// Leave policy file (TOML): types of leave and holiday calendars; the
    /// documented defaults without one.
    #[arg(long, env = "HRMS_LEAVE_POLICY")]
    pub leave_policy: Option<PathBuf>,
}

impl Stores {
    /// SQLite stores under `data_dir`, default policies.
    pub fn sqlite(data_dir: PathBuf) -> Self {
        Self {
            kind: StoreKind::Sqlite,
            data_dir,
            dynamodb_table_prefix: DEFAULT_TABLE_PREFIX.to_owned(),
            dynamodb_endpoint: None,
            dynamodb_audit_writers: 16,
            dynamodb_notification_writers: 16,
            compliance_policy: None,
            leave_policy: None,
        }
    }

    pub(super) fn dynamo_config(&self) -> DynamoConfig {
        DynamoConfig {
            table_prefix: self.dynamodb_table_prefix.clone(),
            endpoint: self.dynamodb_endpoint.clone().filter(|e| !e.trim().is_empty()),
        }
    }

    /// Opens the backend for `functions` (on DynamoDB: connects, and creates
    /// their tables if missing).
    pub async fn open(&self, functions: &[Function]) -> anyhow::Result<Box<dyn Backend>> {
        Ok(match self.kind {
            StoreKind::Sqlite => Box::new(sqlite::Sqlite::new(self.data_dir.clone())),
            StoreKind::Dynamodb => Box::new(
                dynamodb::Dynamo::open(
                    self.dynamo_config(),
                    functions,
                    dynamodb::Writers {
                        audit: self.dynamodb_audit_writers,
                        notification: self.dynamodb_notification_writers,
                    },
                )
                .await?,
            ),
        })
    }
}

/// Opens each function's store, woken relay and probe.
pub trait Backend: Send + Sync {
    #[cfg(feature = "compliance")]
    fn compliance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn ComplianceStore>, Probe)>;
    #[cfg(feature = "employee")]
    fn employee(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn EmployeeStore>, Probe)>;
    #[cfg(feature = "user")]
    fn user(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn UserStore>, Probe)>;
    #[cfg(feature = "attendance")]
    fn attendance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn AttendanceStore>, Probe)>;
    #[cfg(feature = "leave")]
    fn leave(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn LeaveStore>, Probe)>;
    /// The audit log (the Audit function emits no events: no relay).
    #[cfg(feature = "audit")]
    fn audit(&self) -> anyhow::Result<(Arc<dyn AuditStore>, Probe)>;
    /// Contacts, preferences and deliveries.
    #[cfg(feature = "notification")]
    fn notification(&self) -> anyhow::Result<(Arc<dyn NotificationStore>, Probe)>;
    /// A line for people.
    fn describe(&self) -> String;
}

/// `probe`, failing when it has no answer within `limit`.
fn within(limit: Duration, probe: Probe) -> Probe {
    Arc::new(move || {
        let answer = probe();
        Box::pin(async move {
            tokio::time::timeout(limit, answer)
                .await
                .with_context(|| format!("no answer within {limit:?}"))?
        })
    })
}
