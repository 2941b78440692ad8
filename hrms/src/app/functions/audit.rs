//! The Audit function in a process: its log (no events of its own, so no
//! relay), its routes, and its consumer of `audit-queue`.

use std::sync::Arc;

use hrms_audit_adapters::consumer::AuditHandler;
use hrms_audit_adapters::http::AuditDeps;
use hrms_http::Api;

use super::{Context, Hosted};
use crate::app::consumers;

/// Adds the Audit function to `hosted`.
pub fn host(hosted: &mut Hosted, cx: &mut Context<'_>) -> anyhow::Result<()> {
    let (store, probe) = cx.backend.audit()?;
    hosted.probes.push(("audit", probe));
    hosted.serve(Api::new(cx.auth.clone(), AuditDeps::new(store.clone())));
    hosted.consumers.push(consumers::of("audit").consumer(Arc::new(AuditHandler { store })));
    Ok(())
}
