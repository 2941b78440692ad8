//! Which authenticator this environment uses: RS256 with the identity
//! provider's keys at `HRMS_JWKS_URL` (production), or else HS256 with the
//! secret of [`crate::secret`]. Either way tokens must name the issuer
//! `HRMS_JWT_ISSUER` (default `hrms`) and, when set, the audience
//! `HRMS_JWT_AUDIENCE`. Unset and empty variables are alike.

use std::env::VarError;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use hrms_http::auth::ISSUER;
use hrms_http::{AuthSettings, Authenticator};

use crate::secret::jwt_secret;

/// `HRMS_JWKS_URL`, if tokens come from an identity provider.
pub fn jwks_url() -> anyhow::Result<Option<String>> {
    var("HRMS_JWKS_URL")
}

/// The authenticator of this environment.
pub fn authenticator(data_dir: &Path) -> anyhow::Result<Arc<Authenticator>> {
    let settings = AuthSettings {
        issuer: var("HRMS_JWT_ISSUER")?.unwrap_or_else(|| ISSUER.to_owned()),
        audience: var("HRMS_JWT_AUDIENCE")?,
    };
    let auth = match jwks_url()? {
        Some(url) => Authenticator::jwks(&url, settings).context("HRMS_JWKS_URL")?,
        None => Authenticator::hs256_with(&jwt_secret(data_dir)?, settings)?,
    };
    Ok(Arc::new(auth))
}

fn var(name: &str) -> anyhow::Result<Option<String>> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(VarError::NotPresent) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {name}")),
    }
}
