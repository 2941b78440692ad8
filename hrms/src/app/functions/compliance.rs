//! The Compliance function in a process: its policy (`HRMS_COMPLIANCE_POLICY`,
//! or the defaults), its store and relay, its routes and commands, and its
//! consumer of `notification-queue`, which evaluates attendance and leave
//! over time. Employee and User call it in-process here.

use std::sync::Arc;

use hrms_compliance::client::Local;
use hrms_compliance::{ComplianceClient, Policy};
use hrms_compliance_adapters::consumer::ComplianceHandler;
use hrms_compliance_adapters::http::{self, ComplianceDeps};
use hrms_http::{Api, Callee};

use super::{Context, Hosted};
use crate::app::consumers;

/// Adds the Compliance function to `hosted`; answers how the others call it.
pub fn host(hosted: &mut Hosted, cx: &mut Context<'_>) -> anyhow::Result<Callee<dyn ComplianceClient>> {
    let policy = Arc::new(match &cx.stores.compliance_policy {
        Some(path) => Policy::load(path)?,
        None => Policy::default(),
    });
    let backend = cx.backend;
    let (store, probe) = backend.compliance(&mut |outbox| cx.relay(outbox))?;
    hosted.probes.push(("compliance", probe));
    hosted.serve(Api::new(cx.auth.clone(), ComplianceDeps::new(policy.clone(), store.clone())));
    hosted.commands.extend_from_slice(http::COMMANDS);
    let handler = ComplianceHandler { store: store.clone(), policy: policy.clone() };
    hosted.consumers.push(consumers::of("compliance").consumer(Arc::new(handler)));
    Ok(Callee::local(Arc::new(Local { policy, store }) as Arc<dyn ComplianceClient>))
}
