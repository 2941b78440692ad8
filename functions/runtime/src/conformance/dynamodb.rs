//! The DynamoDB stores on moto, in tables of their own.

use std::sync::Arc;

use uuid::Uuid;

use super::Stores;
use crate::dynamodb::compliance::DynamoComplianceStore;
use crate::dynamodb::employee::DynamoEmployeeStore;
use crate::dynamodb::outbox::DynamoOutbox;
use crate::dynamodb::testing::{self, tables};
use crate::dynamodb::user::DynamoUserStore;

/// An empty audit log in a table of its own.
pub async fn audit_store() -> Box<dyn hrms_audit::AuditStore> {
    Box::new(testing::audit_store(&tables().await))
}

pub async fn stores() -> Stores {
    let tables = tables().await;
    let (employee, compliance) = (tables.table("employee"), tables.table("compliance"));
    let user = tables.table("user");
    let client = tables.client.clone();
    let dead = Arc::new(DynamoOutbox::new(client.clone(), &employee));
    Stores {
        employee: Box::new(DynamoEmployeeStore::new(client.clone(), &employee)),
        employee_outbox: Arc::new(DynamoOutbox::new(client.clone(), &employee)),
        compliance: Box::new(DynamoComplianceStore::new(client.clone(), &compliance)),
        compliance_outbox: Arc::new(DynamoOutbox::new(client.clone(), &compliance)),
        user: Box::new(DynamoUserStore::new(client.clone(), &user)),
        user_outbox: Arc::new(DynamoOutbox::new(client, &user)),
        employee_dead: Box::new(move || {
            let outbox = dead.clone();
            Box::pin(async move {
                let letters = outbox.dead_letters(100).await.expect("dead letters");
                letters
                    .into_iter()
                    .map(|d| (Uuid::parse_str(&d.event_id).expect("event id"), d.reason))
                    .collect()
            })
        }),
        _keep: Box::new(()),
    }
}
