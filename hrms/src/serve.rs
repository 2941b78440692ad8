//! `hrms serve <function>`: one function alone, configured from the
//! environment, as Knative runs it: listens on `0.0.0.0:$PORT`, stops
//! cleanly on SIGTERM (in-flight requests finish, the relay stops).
//!
//! A Kafka-triggered function without `--consume` takes its events on
//! `/deliveries/<function>`, authenticated as `HRMS_INTAKE_*` (Knative
//! Eventing OIDC) and `HRMS_DELIVERY_TOKEN` say
//! ([`hrms_http::intake_auth`]); with neither, `serve` refuses to start
//! unless `--insecure-open-intake` opens the intake to every caller.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use hrms_http::intake_auth::IntakeAuth;

use hrms::app::{App, Function, Options, Stores};

#[derive(clap::Args)]
pub struct Args {
    /// The function to serve.
    function: Function,
    /// Port (Knative sets `PORT`).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    /// Also consume the function's topics directly (a Kafka-triggered
    /// function without a KafkaSource in front of it).
    #[arg(long, env = "HRMS_CONSUME")]
    consume: bool,
    /// Let every caller push events to /deliveries when no intake
    /// authentication is configured: for development only.
    #[arg(long, env = "HRMS_INSECURE_OPEN_INTAKE")]
    insecure_open_intake: bool,
    #[command(flatten)]
    stores: Stores,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // A function alone would publish into a bus that only this process
    // reads: its events would leave the outbox and end with the process.
    let configured = |name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    if !configured("KAFKA_BOOTSTRAP_SERVERS") && !configured("HRMS_EVENT_SINK") {
        anyhow::bail!(
            "hrms serve publishes to a broker: set KAFKA_BOOTSTRAP_SERVERS, or HRMS_EVENT_SINK=kafkasink \
             with the sinks' URLs (in-process events would be lost when this process stops; \
             `hrms dev` runs every function in one process; HRMS_EVENT_SINK=inprocess forces it)"
        );
    }
    let mut intake = IntakeAuth::from_env().context("configuring the event intake's authentication")?;
    if args.insecure_open_intake {
        if intake.is_configured() {
            anyhow::bail!("--insecure-open-intake with intake authentication configured: choose one");
        }
        tracing::warn!("the event intake is open to every caller (--insecure-open-intake)");
        intake = IntakeAuth::insecure_open();
    }
    let app = App::build(Options {
        stores: args.stores,
        functions: vec![args.function],
        event_log: false,
        consume: args.consume,
        intake: Arc::new(intake),
    })
    .await?;
    let address = SocketAddr::from((Ipv4Addr::UNSPECIFIED, args.port));
    let listener =
        tokio::net::TcpListener::bind(address).await.with_context(|| format!("binding {address}"))?;
    let (events, stores) = (app.transport.describe(), &app.stores);
    tracing::info!(function = ?args.function, %address, %events, %stores, "serving");
    app.run(listener).await
}
