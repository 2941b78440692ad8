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
use hrms_dynamodb::outbox::DynamoOutbox;
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

use super::{Backend, Probe, Relays, within};
use crate::app::Function;

/// How long a readiness probe waits for DynamoDB.
const PROBE_LIMIT: Duration = Duration::from_secs(2);

pub struct Dynamo {
    client: Client,
    config: DynamoConfig,
    writers: Writers,
}

/// How many writes a store makes at once, where that is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Writers {
    /// Subjects of a batch the audit log writes at once.
    pub audit: usize,
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

    /// The table of `function` and the relay's waker for its outbox.
    fn table(&self, function: Function, relay: Relays<'_>) -> (String, hrms_platform::outbox::RelayWaker) {
        let table = self.config.table(function.service());
        let waker = relay(Arc::new(DynamoOutbox::new(self.client.clone(), &table)));
        (table, waker)
    }
}

impl Function {
    /// The secondary indexes of the function's table: the audit log's; none for the others.
    pub fn layout(self) -> &'static Layout {
        match self {
            #[cfg(feature = "audit")]
            Function::Audit => &hrms_audit_adapters::dynamodb::LAYOUT,
            #[allow(unreachable_patterns)]
            _ => &Layout::PLAIN,
        }
    }
}

impl Backend for Dynamo {
    #[cfg(feature = "compliance")]
    fn compliance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn ComplianceStore>, Probe)> {
        let (table, waker) = self.table(Function::Compliance, relay);
        let store = DynamoComplianceStore::new(self.client.clone(), table).with_relay(waker);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    #[cfg(feature = "employee")]
    fn employee(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn EmployeeStore>, Probe)> {
        let (table, waker) = self.table(Function::Employee, relay);
        let store = DynamoEmployeeStore::new(self.client.clone(), table).with_relay(waker);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    #[cfg(feature = "user")]
    fn user(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn UserStore>, Probe)> {
        let (table, waker) = self.table(Function::User, relay);
        let store = DynamoUserStore::new(self.client.clone(), table).with_relay(waker);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    #[cfg(feature = "attendance")]
    fn attendance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn AttendanceStore>, Probe)> {
        let (table, waker) = self.table(Function::Attendance, relay);
        let store = DynamoAttendanceStore::new(self.client.clone(), table).with_relay(waker);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    #[cfg(feature = "leave")]
    fn leave(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn LeaveStore>, Probe)> {
        let (table, waker) = self.table(Function::Leave, relay);
        let store = DynamoLeaveStore::new(self.client.clone(), table).with_relay(waker);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
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
