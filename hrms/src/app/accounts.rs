//! Revocation in a process: the authenticator checks every caller against
//! its account (`hrms_http::auth::account`), asking the User function in
//! this process when it is hosted here, else over HTTP at `HRMS_USER_URL`
//! with the service token ([`crate::auth::service_bearer`]). A process
//! with neither checks tokens alone, and says so at start.

use std::sync::Arc;

use anyhow::Context;
use hrms_http::Authenticator;
use hrms_http::auth::account::{AccountCheck, AccountLookup};
use hrms_http::auth::account_remote::HttpAccounts;
use hrms_http::client::{ClientSettings, ServiceClient, base_url};

use crate::auth::{account_settings, service_bearer, service_subject};

/// Has `auth` check callers against `local` (the User function of this
/// process), or against User at `HRMS_USER_URL`.
pub fn install(auth: &Arc<Authenticator>, local: Option<Arc<dyn AccountLookup>>) -> anyhow::Result<()> {
    let settings = account_settings()?;
    let lookup = match local {
        Some(local) => local,
        None => match remote(auth)? {
            Some(remote) => remote,
            None => {
                tracing::warn!(
                    "tokens are not checked against their accounts (suspension, deletion, a new role \
                     or a terminated employee do not revoke them before they expire): set HRMS_USER_URL"
                );
                return Ok(());
            }
        },
    };
    // The service token's subject is not asked about: User would ask
    // Employee about it with that very token, and Employee User, forever.
    let check = AccountCheck::new(lookup, settings).exempting(service_subject()?);
    auth.check_accounts(Arc::new(check));
    Ok(())
}

/// User at `HRMS_USER_URL`, asked with the service token.
fn remote(auth: &Arc<Authenticator>) -> anyhow::Result<Option<Arc<dyn AccountLookup>>> {
    let Some(url) = std::env::var("HRMS_USER_URL").ok().filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let base = base_url("HRMS_USER_URL", &url)?;
    let bearer = service_bearer(auth)?.context(
        "HRMS_USER_URL is set but account lookups have no token: set HRMS_SERVICE_TOKEN_FILE \
         or HRMS_SERVICE_TOKEN (a token of the identity provider with the hr role)",
    )?;
    let settings = ClientSettings::from_env()?;
    let http = settings.http_client().context("building the HTTP client")?;
    let service = ServiceClient::new("user", base, http, &settings);
    Ok(Some(Arc::new(HttpAccounts::new(service, bearer))))
}
