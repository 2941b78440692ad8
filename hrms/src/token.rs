//! `hrms token`: mints a bearer token that this environment's `hrms dev`
//! (same `HRMS_JWT_SECRET` or data directory, issuer and audience) accepts.
//! With `HRMS_JWKS_URL` set it refuses: tokens come from the identity provider.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use hrms_events::Role;
use uuid::Uuid;

use hrms::auth::{authenticator, jwks_url};

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
    /// Validity in hours.
    #[arg(long, default_value_t = 8)]
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
