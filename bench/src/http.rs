//! `hrms-bench http`: `POST /employees` and `POST /users` of `dev` (every
//! function in this process, on its SQLite store, events over Kafka when
//! `KAFKA_BOOTSTRAP_SERVERS` is set), next to a bare axum JSON handler
//! measured in the same run by the same client, and the ratio of their
//! throughputs. Between the two, the bare handler that also commits the
//! body to SQLite as the stores do: what durability alone costs. Each
//! request makes a new record with its own e-mail.

use anyhow::bail;
use hrms_events::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use super::harness::{Dev, STORES, bare, bare_durable, timed};

#[derive(clap::Args)]
pub struct HttpArgs {
    /// Requests per run.
    #[arg(long, default_value_t = 5_000)]
    requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Requests per run for POST /users (each hashes a password with
    /// argon2id, deliberately slow).
    #[arg(long, default_value_t = 500)]
    user_requests: usize,
    /// Leave out the consumers (Audit, Notification, Compliance over time)
    /// that `dev` runs on the same cores: the requests' own path, as a
    /// domain function deployed alone serves them.
    #[arg(long)]
    without_consumers: bool,
}

pub async fn run(args: HttpArgs) -> anyhow::Result<()> {
    if args.requests == 0 || args.concurrency == 0 {
        bail!("--requests and --concurrency must be positive");
    }
    let dev = Dev::start(!args.without_consumers).await?;
    let token = dev.token(Uuid::now_v7(), Role::Admin, None)?;
    let bare = bare().await?;
    let durable_dir = std::env::temp_dir().join(format!("hrms-bench-bare-{}", Uuid::now_v7()));
    let bare_durable = bare_durable(&durable_dir).await?;

    println!(
        "hrms-bench http: {} requests ({} for /users), {} in flight; events: {}; consumers: {}",
        args.requests,
        args.user_requests,
        args.concurrency,
        dev.transport,
        if args.without_consumers { "none" } else { "in this process" }
    );
    println!("{STORES}");
    println!("{:<16} {:>12} {:>10} {:>10} {:>10}", "", "requests/s", "p50 ms", "p95 ms", "p99 ms");
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    let load = |url: String, count: usize, body: fn() -> Value| {
        let client = client.clone();
        let token = token.clone();
        async move { timed(&client, &url, &token, count, args.concurrency, body).await }
    };
    let bare_figures = load(format!("{bare}/bare"), args.requests, employee).await?;
    bare_figures.print("bare axum");
    let durable_figures = load(format!("{bare_durable}/bare"), args.requests, employee).await?;
    durable_figures.print("bare + SQLite");
    let _ = std::fs::remove_dir_all(&durable_dir);
    let employees = load(format!("{}/employees", dev.address), args.requests, employee).await?;
    employees.print("POST /employees");
    let users = load(format!("{}/users", dev.address), args.user_requests, user).await?;
    users.print("POST /users");
    println!(
        "ratio to bare: /employees {:.2}, /users {:.3}; to bare + SQLite: /employees {:.2}",
        employees.per_second / bare_figures.per_second,
        users.per_second / bare_figures.per_second,
        employees.per_second / durable_figures.per_second
    );

    dev.stop().await
}

fn email() -> String {
    format!("bench.{}@example.com", Uuid::now_v7().simple())
}

fn employee() -> Value {
    json!({
        "first_name": "Bench", "last_name": "Mark", "email": email(), "department": "Load",
        "job_title": "Tester", "country": "DE", "weekly_hours": 40, "hire_date": "2026-12-01"
    })
}

fn user() -> Value {
    json!({
        "email": email(), "full_name": "Bench Mark", "role": "hr", "password": "a long enough passphrase"
    })
}
