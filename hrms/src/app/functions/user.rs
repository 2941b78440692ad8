//! The User function in a process: its store and relay, its routes and
//! commands, the accounts' standing every caller is checked against, and
//! its consumer of `notification-queue` (group `user-service`), which
//! suspends the accounts of a terminated employee. It calls Compliance and
//! Employee (in-process or over HTTP).

use std::sync::Arc;

use anyhow::Context as _;
use hrms_http::Api;
use hrms_user_adapters::consumer::UserHandler;
use hrms_user_adapters::http::accounts::LocalAccounts;
use hrms_user_adapters::http::{self, UserDeps};

use super::{Callees, Context, Hosted};
use crate::app::consumers;

/// Adds the User function to `hosted`.
pub fn host(hosted: &mut Hosted, cx: &mut Context<'_>, callees: &Callees) -> anyhow::Result<()> {
    let compliance = callees.compliance.clone().context("User calls Compliance")?;
    let employees = callees.employees.clone().context("User calls Employee")?;
    let backend = cx.backend;
    let (store, probe) = backend.user(&mut |outbox| cx.relay(outbox))?;
    hosted.probes.push(("user", probe));
    // Employee in this process ignores the token; apart, it needs the service token.
    let bearer = crate::auth::service_bearer(cx.auth)?.unwrap_or_else(|| {
        tracing::warn!(
            "no service token (HRMS_SERVICE_TOKEN_FILE or HRMS_SERVICE_TOKEN): if Employee runs apart, it refuses the account checks' questions \
             about employee records, and the requests of people with one get 503"
        );
        Arc::new(|| Ok(String::new()))
    });
    hosted.accounts =
        Some(Arc::new(LocalAccounts { store: store.clone(), employees: employees.clone(), bearer }));
    hosted.serve(Api::new(cx.auth.clone(), UserDeps { store: store.clone(), compliance, employees }));
    hosted.commands.extend_from_slice(http::COMMANDS);
    hosted.consumers.push(consumers::of("user").consumer(Arc::new(UserHandler { store })));
    Ok(())
}
