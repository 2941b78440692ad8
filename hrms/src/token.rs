//! `hrms token`: mints a bearer token that this environment's `hrms dev`
//! (same `HRMS_JWT_SECRET` or data directory, issuer and audience) accepts.
//! With `HRMS_JWKS_URL` set it refuses: tokens come from the identity provider.
//! A token lives at most 12 hours (`hrms_http::auth::MAX_LIFETIME`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use hrms_events::Role;
use uuid::Uuid;

use hrms::auth::{authenticator, jwks_url};
use hrms_http::auth::MAX_LIFETIME;

/// The longest a minted token lives, in hours.
const MAX_HOURS: u64 = MAX_LIFETIME.as_secs() / 3600;

#[derive(clap::Args)]
pub struct Args {
    /// admin, hr, manager or employee.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The user id the token speaks for.
    #[arg(long)]
    sub: Uuid,
    /// The caller's own employee record.
    #[arg(long)]
    employee: Option<Uuid>,
    /// Validity in hours, 1 to 12.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=MAX_HOURS))]
    hours: u64,
    /// Data directory of `hrms dev` (where its secret is kept).
    #[arg(long, env = "HRMS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
}

fn parse_role(text: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(text.to_ascii_lowercase()))
        .map_err(|_| format!("{text:?} is not one of admin, hr, manager, employee"))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(url) = jwks_url()? {
        bail!(
            "HRMS_JWKS_URL is set ({url}): tokens come from that identity provider; \
             `hrms token` mints HS256 tokens only, for an environment without HRMS_JWKS_URL"
        );
    }
    let auth = authenticator(&args.data_dir)?;
    let ttl = Duration::from_secs(args.hours.saturating_mul(3600));
    println!("{}", auth.mint(args.sub, args.role, args.employee, ttl)?);
    Ok(())
}
