//! The DynamoDB backend: table `<prefix><function>` per hosted function,
//! created at start if missing; each relay reads the table's outbox, and
//! each probe asks DynamoDB for the table within two seconds.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hrms_attendance::AttendanceStore;
use hrms_audit::AuditStore;
use hrms_compliance::ComplianceStore;
use hrms_employee::EmployeeStore;
use hrms_leave::LeaveStore;
use hrms_notification::NotificationStore;
use hrms_runtime::dynamodb::attendance::DynamoAttendanceStore;
use hrms_runtime::dynamodb::audit::DynamoAuditStore;
use hrms_runtime::dynamodb::compliance::DynamoComplianceStore;
use hrms_runtime::dynamodb::employee::DynamoEmployeeStore;
use hrms_runtime::dynamodb::leave::DynamoLeaveStore;
use hrms_runtime::dynamodb::notification::DynamoNotificationStore;
use hrms_runtime::dynamodb::outbox::DynamoOutbox;
use hrms_runtime::dynamodb::user::DynamoUserStore;
use hrms_runtime::dynamodb::{Client, DynamoConfig, ensure_service_table};
use hrms_user::UserStore;

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
            ensure_service_table(&client, &config, function.service())
                .await
                .with_context(|| format!("creating DynamoDB table {table} if missing"))?;
        }
        Ok(Self { client, config, writers })
    }

    /// The table of `function` and the relay's waker for its outbox.
    fn table(&self, function: Function, relay: Relays<'_>) -> (String, hrms_runtime::outbox::RelayWaker) {
        let table = self.config.table(function.service());
        let waker = relay(Arc::new(DynamoOutbox::new(self.client.clone(), &table)));
        (table, waker)
    }
}

impl Backend for Dynamo {
    fn compliance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn ComplianceStore>, Probe)> {
        let (table, waker) = self.table(Function::Compliance, relay);
        let store = DynamoComplianceStore::new(self.client.clone(), table).with_relay(waker);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    fn employee(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn EmployeeStore>, Probe)> {
        let (table, waker) = self.table(Function::Employee, relay);
        let store = DynamoEmployeeStore::new(self.client.clone(), table).with_relay(waker);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    fn user(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn UserStore>, Probe)> {
        let (table, waker) = self.table(Function::User, relay);
        let store = DynamoUserStore::new(self.client.clone(), table).with_relay(waker);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    fn attendance(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn AttendanceStore>, Probe)> {
        let (table, waker) = self.table(Function::Attendance, relay);
        let store = DynamoAttendanceStore::new(self.client.clone(), table).with_relay(waker);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    fn leave(&self, relay: Relays<'_>) -> anyhow::Result<(Arc<dyn LeaveStore>, Probe)> {
        let (table, waker) = self.table(Function::Leave, relay);
        let store = DynamoLeaveStore::new(self.client.clone(), table).with_relay(waker);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

    fn audit(&self) -> anyhow::Result<(Arc<dyn AuditStore>, Probe)> {
        let store = DynamoAuditStore::new(self.client.clone(), self.config.table(Function::Audit.service()))
            .with_writers(self.writers.audit);
        Ok((Arc::new(store.clone()), within(PROBE_LIMIT, probe!(store))))
    }

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
