//! `hrms`: one binary for every way the HRMS runs.
//!
//! - `hrms dev`: the whole system in one process on embedded defaults.
//! - `hrms serve <function>`: one function, as Knative runs it.
//! - `hrms topics create`: the topics and dead-letter topics of the event table.
//! - `hrms events`: the event catalogue (types, topics, schemas).
//! - `hrms audit verify|replay|export`: the auditor's tools over the audit log
//!   (with the feature `audit`).
//! - `hrms dlq list|redrive <topic>`: dead letters, and sending them back.
//! - `hrms token`: a bearer token that `dev` accepts (HS256; not with `HRMS_JWKS_URL`).
//!
//! The functions it holds are those of its features (all by default); the
//! benchmarks are the `hrms-bench` binary (`bench/`).

#[cfg(feature = "audit")]
mod audit;
mod dev;
mod dlq;
mod serve;
mod token;
mod topics;

use clap::{Parser, Subcommand};

/// mimalloc instead of the C library's allocator: requests allocate and
/// free many small buffers (JSON, HTTP, SQLite rows) across threads.
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
    /// Print the event catalogue: every type with its topic and schema.
    Events,
    /// The audit log: verify its chains, rebuild its read models, export it.
    #[cfg(feature = "audit")]
    #[command(subcommand)]
    Audit(audit::Command),
    /// Dead-letter topics: list their letters, send them back.
    #[command(subcommand)]
    Dlq(dlq::Command),
    /// Mint a bearer token that `hrms dev` in this environment accepts.
    Token(token::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    hrms_platform::telemetry::init_tracing(cli.log_json);
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(async {
        match cli.command {
            Command::Dev(args) => dev::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Topics(command) => topics::run(command).await,
            Command::Events => {
                print_catalogue();
                Ok(())
            }
            #[cfg(feature = "audit")]
            Command::Audit(command) => audit::run(command).await,
            Command::Dlq(command) => dlq::run(command).await,
            Command::Token(args) => token::run(args),
        }
    });
    // Blocking work still running (a client closing against an unreachable
    // broker) must not keep the process from exiting.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    result
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
