//! `hrms-bench`: benchmarks of the HRMS that print figures. Run one with
//! `cargo run --release -p hrms-bench -- <name> [options]`; what each
//! measures, and the figures measured so far, are in `docs/benchmarks.md`.
//!
//! - `produce`: CloudEvents publishing against raw rdkafka records.
//! - `http`: the write routes of `dev` against a bare axum handler.
//! - `audit`: events persisted per second, and event -> persisted latency at a fixed rate.
//! - `notification`: mails accepted per second by an SMTP server, and event -> accepted at a fixed rate.
//! - `lambda`: `hrms lambda` under a local Runtime API (init, invocations, RSS) next to `hrms serve`.
//! - `slo`: the seed's targets on the deployed topology under an open-loop load and faults.
//! - `mixed`: leave requests, approvals, check-ins and balance reads against `dev`, next to a bare axum handler.
//!
//! `harness` holds what the HTTP benchmarks share: `dev` in the process, the bare handler, a driver.

mod audit;
mod harness;
mod http;
mod lambda;
mod mixed;
mod notification;
mod produce;
mod slo;

use std::time::Duration;

use clap::Parser;

/// mimalloc, as in the `hrms` binary: the figures are of the product.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Benchmarks of the HRMS that print figures.
#[derive(Parser)]
#[command(name = "hrms-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    hrms_platform::telemetry::init_tracing(false);
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(run(cli.command));
    runtime.shutdown_timeout(Duration::from_secs(5));
    result
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Producer throughput and ack latency: CloudEvents against raw records.
    Produce(produce::ProduceArgs),
    /// POST /employees and POST /users of `dev` against a bare axum handler.
    Http(http::HttpArgs),
    /// The Audit function: persisted events/s, and event -> persisted at a fixed rate.
    Audit(audit::AuditArgs),
    /// The Notification function: mails accepted by SMTP per second, and event -> accepted at a fixed rate.
    Notification(notification::NotificationArgs),
    /// A working day on `dev`: leave requests (some overlapping), approvals,
    /// check-ins and check-outs, balance reads, against a bare axum handler.
    Mixed(mixed::MixedArgs),
    /// One function under a local Lambda Runtime API: init, first and warm
    /// invocations, RSS; next to the same function's `hrms serve` start-up.
    Lambda(lambda::LambdaArgs),
    /// The seed's targets on the deployed topology (each function its own
    /// `hrms serve`, tansu, aiosmtpd) under an open-loop load and faults.
    Slo(Box<slo::SloArgs>),
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Produce(args) => produce::run(args).await,
        Command::Http(args) => http::run(args).await,
        Command::Audit(args) => audit::run(args).await,
        Command::Notification(args) => notification::run(args).await,
        Command::Mixed(args) => mixed::run(args).await,
        Command::Lambda(args) => lambda::run(args).await,
        Command::Slo(args) => slo::run(*args).await,
    }
}

/// Throughput and latency quantiles of one run.
pub struct Figures {
    pub per_second: f64,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

impl Figures {
    pub fn new(elapsed: Duration, mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        let at = |q: f64| {
            let i = ((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1));
            latencies.get(i).copied().unwrap_or_default()
        };
        Self {
            per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
        }
    }

    pub fn print(&self, name: &str) {
        println!("{}", self.row(name));
    }

    /// The figures as a line of the table [`Figures::print`] writes.
    pub fn row(&self, name: &str) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        format!(
            "{name:<16} {:>12.0} {:>10.2} {:>10.2} {:>10.2}",
            self.per_second,
            ms(self.p50),
            ms(self.p95),
            ms(self.p99)
        )
    }
}
