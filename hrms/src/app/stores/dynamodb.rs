//! The DynamoDB backend: table `<prefix><function>` per hosted function,
//! created at start if missing; each relay reads the table's outbox, and
//! each probe asks DynamoDB for the table within two seconds.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
#[cfg(feature = "attendance")]
use hrms_attendance::AttendanceStore;
#[cfg(feature = "attendance")]
use hrms_attendance_adapters::dynamodb::DynamoAttendanceStore;
#[cfg(feature = "audit")]
use hrms_audit::AuditStore;
#[cfg(feature = "audit")]
use hrms_audit_adapters::dynamodb::DynamoAuditStore;
#[cfg(feature = "compliance")]
use hrms_compliance::ComplianceStore;
#[cfg(feature = "compliance")]
use hrms_compliance_adapters::dynamodb::DynamoComplianceStore;
use hrms_dynamodb::{Client, DynamoConfig, Layout, ensure_laid_out_table};
#[cfg(feature = "employee")]
use hrms_employee::EmployeeStore;
#[cfg(feature = "employee")]
use hrms_employee_adapters::dynamodb::DynamoEmployeeStore;
#[cfg(feature = "leave")]
use hrms_leave::LeaveStore;
#[cfg(feature = "leave")]
use hrms_leave_adapters::dynamodb::DynamoLeaveStore;
#[cfg(feature = "notification")]
use hrms_notification::NotificationStore;
#[cfg(feature = "notification")]
use hrms_notification_adapters::dynamodb::DynamoNotificationStore;
#[cfg(feature = "user")]
use hrms_user::UserStore;
#[cfg(feature = "user")]
use hrms_user_adapters::dynamodb::DynamoUserStore;

#[cfg(any(
    feature = "compliance",
    feature = "employee",
    feature = "user",
    feature = "attendance",
    feature = "leave"
))]
use super::Relays;
use super::{Backend, Probe, within};
use crate::app::Function;

/// How long a readiness probe waits for DynamoDB.
const PROBE_LIMIT: Duration = Duration::from_secs(2);

pub struct Dynamo {
    client: Client,
    config: DynamoConfig,
    #[cfg_attr(not(any(feature = "audit", feature = "notification")), allow(dead_code))]
    writers: Writers,
}

/// How many writes a store makes at once, where that is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Writers {
    /// Subjects of a batch the audit log writes at once.
    #[cfg_attr(not(feature = "audit"), allow(dead_code))]
    pub audit: usize,
    /// Writes the Notification store makes at once.
    #[cfg_attr(not(feature = "notification"), allow(dead_code))]
    pub notification: usize,
}

impl Dynamo {
    /// Connects, and creates the tables of `functions` if missing.
    pub async fn open(
        config: DynamoConfig,
        functions: &[Function],
        writers: Writers,
    ) -> anyhow::Result<Self> {
        let client = config.connect().await;
        for function in functions {
            let table = config.table(function.service());
            ensure_laid_out_table(&client, &table, function.layout())
                .await
                .with_context(|| format!("creating DynamoDB table {table} if missing"))?;
        }
        Ok(Self { client, config, writers })
    }

    /// The store of `function` on its table, its outbox handed to `relay`
    /// and the relay's waker wired into it; answers it with its probe.
    #[cfg(any(
        feature = "compliance",
        feature = "employee",
        feature = "user",
        feature = "attendance",
        feature = "leave"
    ))]
    fn relayed<S>(&self, function: Function, relay: Relays<'_>) -> (Arc<S>, Probe)
    where
        S: hrms_dynamodb::Store + Clone + Send + Sync + 'static,
        S::Error: std::error::Error + Send + Sync + 'static,
    {
        let table = self.config.table(function.service());
        let waker = relay(Arc::new(hrms_dynamodb::outbox::DynamoOutbox::new(self.client.clone(), &table)));
        let store = S::new(self.client.clone(), table).with_relay(waker);
        (Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store)))
    }
}

impl Function {
    /// The secondary indexes of the function's table: the audit log's, the
    /// listings' of Employee and User; none for the others.
    pub fn layout(self) -> &'static Layout {
        match self {
            #[cfg(feature = "audit")]
            Function::Audit => &hrms_audit_adapters::dynamodb::LAYOUT,
            #[cfg(feature = "employee")]
            Function::Employee => &hrms_employee_adapters::dynamodb::LAYOUT,
            #[cfg(feature = "user")]
            Function::User => &hrms_user_adapters::dynamodb::LAYOUT,
            #[allow(unreachable_patterns)]
            _ => &Layout::PLAIN,
        }
    }
}

impl Backend for Dynamo {
    #[cfg(feature = "compliance")]
    fn compliance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn ComplianceStore>, Probe)> {
        let (store, probe) = self.relayed::<DynamoComplianceStore>(Function::Compliance, relay);
        Ok((store, probe))
    }

    #[cfg(feature = "employee")]
    fn employee(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn EmployeeStore>, Probe)> {
        let (store, probe) = self.relayed::<DynamoEmployeeStore>(Function::Employee, relay);
        Ok((store, probe))
    }

    #[cfg(feature = "user")]
    fn user(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn UserStore>, Probe)> {
        let (store, probe) = self.relayed::<DynamoUserStore>(Function::User, relay);
        Ok((store, probe))
    }

    #[cfg(feature = "attendance")]
    fn attendance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn AttendanceStore>, Probe)> {
        let (store, probe) = self.relayed::<DynamoAttendanceStore>(Function::Attendance, relay);
        Ok((store, probe))
    }

    #[cfg(feature = "leave")]
    fn leave(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn LeaveStore>, Probe)> {
        let (store, probe) = self.relayed::<DynamoLeaveStore>(Function::Leave, relay);
        Ok((store, probe))
    }

    #[cfg(feature = "audit")]
    fn audit(&self) -> anyhow::Result<(Arc<dyn AuditStore>, Probe)> {
        let store = DynamoAuditStore::new(self.client.clone(), self.config.table(Function::Audit.service()))
            .with_writers(self.writers.audit);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    #[cfg(feature = "notification")]
    fn notification(&self) -> anyhow::Result<(Arc<dyn NotificationStore>, Probe)> {
        let table = self.config.table(Function::Notification.service());
        let store =
            DynamoNotificationStore::new(self.client.clone(), table).with_writers(self.writers.notification);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    fn describe(&self) -> String {
        let at = self.config.endpoint.as_deref().unwrap_or("AWS");
        format!("DynamoDB tables {}<function> at {at}", self.config.table_prefix)
    }
}
