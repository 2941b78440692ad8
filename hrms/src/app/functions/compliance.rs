//! The Compliance function in a process: its policy (`HRMS_COMPLIANCE_POLICY`,
//! or the defaults), its store and relay, its routes and commands, and its
//! consumer of `notification-queue`, which evaluates attendance and leave
//! over time. Employee and User call it in-process here.

use std::sync::Arc;

use hrms_compliance::client::Local;
use hrms_compliance::{ComplianceClient, Policy};
use hrms_compliance_adapters::consumer::{ComplianceHandler, GROUP};
use hrms_compliance_adapters::http::{self, ComplianceDeps};
use hrms_events::topics::NOTIFICATION_QUEUE;
use hrms_http::{Api, Callee};

use super::{Consumer, Context, Durability, Hosted};

/// Adds the Compliance function to `hosted`; answers how the others call it.
pub fn host(hosted: &mut Hosted, cx: &mut Context<'_>) -> anyhow::Result<Callee<dyn ComplianceClient>> {
    let policy = Arc::new(match &cx.stores.compliance_policy {
        Some(path) => Policy::load(path)?,
        None => Policy::default(),
    });
    let backend = cx.backend;
    let (store, probe) = backend.compliance(&mut |outbox| cx.relay(outbox))?;
    hosted.probes.push(("compliance", probe));
    hosted.serve(Api::new(cx.auth.clone(), ComplianceDeps { policy: policy.clone(), store: store.clone() }));
    hosted.commands.extend_from_slice(http::COMMANDS);
    hosted.consumers.push(Consumer {
        topics: vec![NOTIFICATION_QUEUE.name],
        group: GROUP,
        handler: Arc::new(ComplianceHandler { store: store.clone(), policy: policy.clone() }),
        durable: Durability::RetryUntilHandled,
    });
    Ok(Callee::local(Arc::new(Local { policy, store }) as Arc<dyn ComplianceClient>))
}
