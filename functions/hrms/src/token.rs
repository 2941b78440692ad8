//! `hrms token`: mints a bearer token that this environment's `hrms dev`
//! (same `HRMS_JWT_SECRET` or data directory) accepts.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hrms_events::Role;
use hrms_runtime::http::Authenticator;
use uuid::Uuid;

use crate::secret::jwt_secret;

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

/// The authenticator of this environment.
pub fn authenticator(data_dir: &std::path::Path) -> anyhow::Result<Arc<Authenticator>> {
    Ok(Arc::new(Authenticator::hs256(&jwt_secret(data_dir)?)?))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let auth = authenticator(&args.data_dir)?;
    let ttl = Duration::from_secs(args.hours.saturating_mul(3600));
    println!("{}", auth.mint(args.sub, args.role, args.employee, ttl)?);
    Ok(())
}
