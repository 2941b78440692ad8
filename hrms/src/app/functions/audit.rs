//! The Audit function in a process: its log (no events of its own, so no
//! relay), its routes, and its consumer of `audit-queue`.

use std::sync::Arc;

use hrms_audit_adapters::consumer::{AuditHandler, GROUP};
use hrms_audit_adapters::http::AuditDeps;
use hrms_events::topics::AUDIT_QUEUE;
use hrms_http::Api;

use super::{Consumer, Context, Durability, Hosted};

/// Adds the Audit function to `hosted`.
pub fn host(hosted: &mut Hosted, cx: &mut Context<'_>) -> anyhow::Result<()> {
    let (store, probe) = cx.backend.audit()?;
    hosted.probes.push(("audit", probe));
    hosted.serve(Api::new(cx.auth.clone(), AuditDeps { store: store.clone() }));
    hosted.consumers.push(Consumer {
        topics: vec![AUDIT_QUEUE.name],
        group: GROUP,
        handler: Arc::new(AuditHandler { store }),
        durable: Durability::RetryUntilHandled,
    });
    Ok(())
}
