//! `hrms dev`: the system in one process on embedded defaults: in-process
//! events (or Kafka when `KAFKA_BOOTSTRAP_SERVERS` is set), every function
//! built so far on its embedded store (or DynamoDB with `--store dynamodb`)
//! with its outbox relay, the event log on both topics, and health and
//! metrics over HTTP.

use std::net::SocketAddr;

use anyhow::Context;

use hrms::app::{App, Function, Options, Stores};

#[derive(clap::Args)]
pub struct Args {
    /// Address for HTTP.
    #[arg(long, env = "HRMS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    stores: Stores,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let app = App::build(Options {
        stores: args.stores.clone(),
        functions: Function::all(),
        event_log: true,
        consume: true,
        // Every consumer runs in the process: no /deliveries to authenticate.
        intake: Default::default(),
    })
    .await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let address = listener.local_addr()?;
    println!(
        "hrms dev: http://{address} (/users, /employees, /attendance, /compliance, /leaves, /leave-balances, /audit, /notifications, /healthz, /readyz, /metrics, /whoami)"
    );
    println!("  API:      http://{address}/openapi.json (OpenAPI 3.1)");
    println!("  events:   {}; every event on the topics is logged", app.transport.describe());
    println!("  stores:   {}", app.stores);
    println!("  data dir: {}", args.stores.data_dir.display());
    match hrms::auth::jwks_url()? {
        Some(url) => println!("  tokens:   RS256 from the identity provider, keys at {url}"),
        None => println!(
            "  a token:  cargo run --release -- token --role admin --sub <user uuid> --data-dir {}",
            args.stores.data_dir.display()
        ),
    }
    app.run(listener).await
}
