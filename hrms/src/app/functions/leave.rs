//! The Leave function in a process: its policy (`HRMS_LEAVE_POLICY`, or
//! the defaults), its store and relay, its routes and commands, and its consumer of
//! `notification-queue` (group `leave-service`), which cancels the leave
//! of a terminated employee and moves pending requests to whoever decides
//! them now (a new manager, or the manager of an approver who left). It
//! calls Employee (in-process or over HTTP).

use std::sync::Arc;

use anyhow::Context as _;
use hrms_http::Api;
use hrms_leave::Policy;
use hrms_leave_adapters::consumer::LeaveHandler;
use hrms_leave_adapters::http::{self, LeaveDeps};

use super::{Callees, Context, Hosted};
use crate::app::consumers;

/// Adds the Leave function to `hosted`.
pub fn host(hosted: &mut Hosted, cx: &mut Context<'_>, callees: &Callees) -> anyhow::Result<()> {
    let employees = callees.employees.clone().context("Leave calls Employee")?;
    let policy = Arc::new(match &cx.stores.leave_policy {
        Some(path) => Policy::load(path)?,
        None => Policy::default(),
    });
    let backend = cx.backend;
    let (store, probe) = backend.leave(&mut |outbox| cx.relay(outbox))?;
    hosted.probes.push(("leave", probe));
    let deps = LeaveDeps { store: store.clone(), policy: policy.clone(), employees };
    hosted.serve(Api::new(cx.auth.clone(), deps));
    hosted.commands.extend_from_slice(http::COMMANDS);
    hosted.consumers.push(consumers::of("leave").consumer(Arc::new(LeaveHandler { store, policy })));
    Ok(())
}
