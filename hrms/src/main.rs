//! `hrms`: one binary for every way the HRMS runs.
//!
//! - `hrms dev`: the whole system in one process on embedded defaults.
//! - `hrms serve <function>`: one function, as Knative runs it.
//! - `hrms topics create`: the topics and dead-letter topics of the event table.
//! - `hrms events`: the event catalogue (types, topics, schemas; `--asyncapi`:
//!   as an AsyncAPI 3.0 document);
//!   `hrms events tail <topic>`: a topic's records as they come, decoded.
//! - `hrms audit verify|replay|export`: the auditor's tools over the audit log
//!   (with the feature `audit`).
//! - `hrms dlq list|redrive <topic>`: dead letters, and sending them back.
//! - `hrms token`: a bearer token that `dev` accepts (HS256; not with `HRMS_JWKS_URL`).
//! - `hrms lambda`: one function under the AWS Lambda Runtime API (feature `lambda`).
//!
//! The functions it holds are those of its features (all by default); the
//! benchmarks are the `hrms-bench` binary (`bench/`).

#[cfg(feature = "audit")]
mod audit;
mod dev;
mod dlq;
#[cfg(feature = "lambda")]
mod lambda;
mod serve;
mod tail;
mod token;
mod topics;

use clap::{Parser, Subcommand};

/// mimalloc instead of the C library's allocator: requests allocate and
/// free many small buffers (JSON, HTTP, SQLite rows) across threads. Not
/// with the `system-allocator` feature (the Lambda zips).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The HRMS event-driven backend.
#[derive(Parser)]
#[command(name = "hrms", version, about)]
struct Cli {
    /// Log JSON lines instead of human-readable text.
    #[arg(long, global = true, env = "HRMS_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole system in one process: in-process events, or Kafka when
    /// KAFKA_BOOTSTRAP_SERVERS is set (topics are created if missing).
    Dev(dev::Args),
    /// Run one function alone, configured from the environment (the form
    /// Knative runs): listens on $PORT.
    Serve(serve::Args),
    /// Manage the Kafka topics of the event table.
    #[command(subcommand)]
    Topics(topics::Command),
    /// Print the event catalogue: every type with its topic and schema
    /// (or, with `tail`, follow a topic).
    Events(EventsArgs),
    /// The audit log: verify its chains, rebuild its read models, export it.
    #[cfg(feature = "audit")]
    #[command(subcommand)]
    Audit(audit::Command),
    /// Dead-letter topics: list their letters, send them back.
    #[command(subcommand)]
    Dlq(dlq::Command),
    /// Mint a bearer token that `hrms dev` in this environment accepts.
    Token(token::Args),
    /// Run one function (or `relay`, the outbox relay) under the AWS Lambda
    /// Runtime API; what the binary does as a custom runtime's `bootstrap`.
    #[cfg(feature = "lambda")]
    Lambda(lambda::Args),
}

fn main() -> anyhow::Result<()> {
    #[cfg(feature = "lambda")]
    let cli = if lambda::is_bootstrap() { Cli::parse_from(["hrms", "lambda"]) } else { Cli::parse() };
    #[cfg(not(feature = "lambda"))]
    let cli = Cli::parse();
    // CloudWatch reads JSON lines.
    #[cfg(feature = "lambda")]
    let log_json = cli.log_json || matches!(cli.command, Command::Lambda(_));
    #[cfg(not(feature = "lambda"))]
    let log_json = cli.log_json;
    // Spans exported by OTLP when OTEL_EXPORTER_OTLP_* says where.
    let (exporter, problem) = match hrms_http::otlp::exporter() {
        Ok(exporter) => (exporter, None),
        Err(e) => (None, Some(e)),
    };
    hrms_platform::telemetry::init_tracing_exporting(log_json, exporter);
    if let Some(e) = problem {
        tracing::error!(error = %e, "cannot export traces; going on without");
    }
    #[cfg(feature = "lambda")]
    if matches!(cli.command, Command::Lambda(_)) {
        // SAFETY: no thread has been started yet (the runtime comes next).
        unsafe { lambda::load_secrets() };
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    // A Lambda sandbox runs one invocation at a time on a share of a vCPU:
    // one worker is enough (TOKIO_WORKER_THREADS sets another count).
    #[cfg(feature = "lambda")]
    if matches!(cli.command, Command::Lambda(_)) && std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(1);
    }
    let runtime = builder.enable_all().build()?;
    let result = runtime.block_on(async {
        match cli.command {
            Command::Dev(args) => dev::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Topics(command) => topics::run(command).await,
            Command::Events(EventsArgs { command: Some(EventsCommand::Tail(args)), .. }) => {
                tail::run(args).await
            }
            Command::Events(EventsArgs { asyncapi: true, .. }) => {
                println!("{}", hrms::app::asyncapi::document());
                Ok(())
            }
            Command::Events(EventsArgs { command: None, .. }) => {
                print_catalogue();
                Ok(())
            }
            #[cfg(feature = "audit")]
            Command::Audit(command) => audit::run(command).await,
            Command::Dlq(command) => dlq::run(command).await,
            Command::Token(args) => token::run(args),
            #[cfg(feature = "lambda")]
            Command::Lambda(args) => lambda::run(args).await,
        }
    });
    // Blocking work still running (a client closing against an unreachable
    // broker) must not keep the process from exiting.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    // The spans not exported yet.
    hrms_platform::telemetry::shutdown_tracing();
    result
}

/// `hrms events`: the catalogue, or a subcommand.
#[derive(clap::Args)]
struct EventsArgs {
    /// Print the AsyncAPI 3.0 document of the event side instead (JSON; the
    /// one `GET /asyncapi.json` serves).
    #[arg(long)]
    asyncapi: bool,
    #[command(subcommand)]
    command: Option<EventsCommand>,
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Follow a topic (or a DLQ) from its end, decoding each record as a
    /// CloudEvent; filter by type, subject, key; lines or JSON.
    Tail(tail::Args),
}

fn print_catalogue() {
    println!("{:<30} {:<13} {:<20} dataschema", "type", "service", "topic");
    for ty in hrms_events::EventType::ALL {
        println!(
            "{:<30} {:<13} {:<20} {}",
            ty.as_str(),
            ty.service().name(),
            ty.topic().name,
            ty.schema_uri()
        );
    }
}
