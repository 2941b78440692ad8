//! `hrms bench http`: `POST /employees` and `POST /users` of `dev` (every
//! function in this process, on its SQLite store, events over Kafka when
//! `KAFKA_BOOTSTRAP_SERVERS` is set), next to a bare axum JSON handler
//! measured in the same run by the same client, and the ratio of their
//! throughputs. Each request makes a new record with its own e-mail.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use futures::future::try_join_all;
use hrms_events::Role;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::Figures;
use crate::app::{App, Function, Options, Stores};

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
}

pub async fn run(args: HttpArgs) -> anyhow::Result<()> {
    if args.requests == 0 || args.concurrency == 0 {
        bail!("--requests and --concurrency must be positive");
    }
    let data_dir = std::env::temp_dir().join(format!("hrms-bench-{}", Uuid::now_v7()));
    let stores = Stores::sqlite(data_dir.clone());
    let app =
        App::build(Options { stores, functions: Function::ALL.to_vec(), event_log: false, consume: true })
            .await?;
    let transport = app.transport.describe();
    let token = crate::auth::authenticator(&data_dir)?.mint(
        Uuid::now_v7(),
        Role::Admin,
        None,
        Duration::from_secs(3600),
    )?;
    let (stop, stopped) = oneshot::channel::<()>();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let dev = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(app.run_until(listener, async {
        let _ = stopped.await;
    }));
    let bare = bare().await?;

    println!(
        "hrms bench http: {} requests ({} for /users), {} in flight; events: {transport}",
        args.requests, args.user_requests, args.concurrency
    );
    println!("stores: SQLite, WAL, synchronous=FULL (each commit is on disk before the answer)");
    println!("{:<16} {:>12} {:>10} {:>10} {:>10}", "", "requests/s", "p50 ms", "p95 ms", "p99 ms");
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    let load = |url: String, count: usize, body: fn() -> Value| {
        let client = client.clone();
        let token = token.clone();
        async move { timed(&client, &url, &token, count, args.concurrency, body).await }
    };
    let bare_figures = load(format!("{bare}/bare"), args.requests, employee).await?;
    bare_figures.print("bare axum");
    let employees = load(format!("{dev}/employees"), args.requests, employee).await?;
    employees.print("POST /employees");
    let users = load(format!("{dev}/users"), args.user_requests, user).await?;
    users.print("POST /users");
    println!(
        "ratio to bare: /employees {:.2}, /users {:.3}",
        employees.per_second / bare_figures.per_second,
        users.per_second / bare_figures.per_second
    );

    let _ = stop.send(());
    server.await??;
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}

/// The bare handler: parses the JSON body and answers it with 201.
async fn bare() -> anyhow::Result<String> {
    let router = Router::new().route(
        "/bare",
        post(|axum::Json(body): axum::Json<Value>| async move { (StatusCode::CREATED, axum::Json(body)) }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(address)
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

/// Sends `count` requests, `concurrency` at a time, each expecting 201.
async fn timed(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    count: usize,
    concurrency: usize,
    body: fn() -> Value,
) -> anyhow::Result<Figures> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let next = next.clone();
        async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let sent = Instant::now();
                let response =
                    client.post(url).bearer_auth(token).json(&body()).send().await.context("sending")?;
                let status = response.status();
                let _ = response.bytes().await;
                if status != reqwest::StatusCode::CREATED {
                    bail!("{url} answered {status}");
                }
                latencies.push(sent.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }
    });
    let latencies = try_join_all(workers).await?.concat();
    Ok(Figures::new(started.elapsed(), latencies))
}
