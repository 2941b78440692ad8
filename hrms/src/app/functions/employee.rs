//! The Employee function in a process: its store and relay, its routes and
//! commands. It calls Compliance (in-process or over HTTP); Leave,
//! Attendance, User and Notification call it in-process here.

use std::sync::Arc;

use anyhow::Context as _;
use hrms_employee::{EmployeeClient, Local};
use hrms_employee_adapters::http::{self, EmployeeDeps};
use hrms_http::{Api, Callee};

use super::{Callees, Context, Hosted};

/// Adds the Employee function to `hosted`; answers how the others call it.
pub fn host(
    hosted: &mut Hosted,
    cx: &mut Context<'_>,
    callees: &Callees,
) -> anyhow::Result<Callee<dyn EmployeeClient>> {
    let compliance = callees.compliance.clone().context("Employee calls Compliance")?;
    let backend = cx.backend;
    let (store, probe) = backend.employee(&mut |outbox| cx.relay(outbox))?;
    hosted.probes.push(("employee", probe));
    let deps = EmployeeDeps { store: store.clone(), compliance: compliance.clone() };
    hosted.serve(Api::new(cx.auth.clone(), deps));
    hosted.commands.extend_from_slice(http::COMMANDS);
    Ok(Callee::per_token(move |bearer| {
        Arc::new(Local { store: store.clone(), compliance: compliance.bind(bearer) })
            as Arc<dyn EmployeeClient>
    }))
}
