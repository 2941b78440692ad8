//! The User function in a process: its store and relay, its routes and
//! commands. It calls Compliance and Employee (in-process or over HTTP).

use anyhow::Context as _;
use hrms_http::Api;
use hrms_user_adapters::http::{self, UserDeps};

use super::{Callees, Context, Hosted};

/// Adds the User function to `hosted`.
pub fn host(hosted: &mut Hosted, cx: &mut Context<'_>, callees: &Callees) -> anyhow::Result<()> {
    let compliance = callees.compliance.clone().context("User calls Compliance")?;
    let employees = callees.employees.clone().context("User calls Employee")?;
    let backend = cx.backend;
    let (store, probe) = backend.user(&mut |outbox| cx.relay(outbox))?;
    hosted.probes.push(("user", probe));
    hosted.serve(Api::new(cx.auth.clone(), UserDeps { store, compliance, employees }));
    hosted.commands.extend_from_slice(http::COMMANDS);
    Ok(())
}
