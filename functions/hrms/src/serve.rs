//! `hrms serve <function>`: one function alone, configured from the
//! environment, as Knative runs it: listens on `0.0.0.0:$PORT`, stops
//! cleanly on SIGTERM (in-flight requests finish, the relay stops).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;

use crate::app::{App, Function, Options};

#[derive(clap::Args)]
pub struct Args {
    /// The function to serve.
    function: Function,
    /// Port (Knative sets `PORT`).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    /// Directory of the embedded stores.
    #[arg(long, env = "HRMS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Compliance policy file (TOML).
    #[arg(long, env = "HRMS_COMPLIANCE_POLICY")]
    compliance_policy: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let app = App::build(Options {
        data_dir: args.data_dir,
        compliance_policy: args.compliance_policy,
        functions: vec![args.function],
        event_log: false,
    })
    .await?;
    let address = SocketAddr::from((Ipv4Addr::UNSPECIFIED, args.port));
    let listener =
        tokio::net::TcpListener::bind(address).await.with_context(|| format!("binding {address}"))?;
    tracing::info!(function = ?args.function, %address, events = %app.transport.describe(), "serving");
    app.run(listener).await
}
