//! What the HTTP benchmarks drive: `dev`'s functions in this process on a
//! fresh data directory (SQLite stores; events over Kafka when
//! `KAFKA_BOOTSTRAP_SERVERS` is set, in-process otherwise), a bare axum
//! JSON handler to compare them with, and a driver of a fixed number of
//! requests.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use futures::future::try_join_all;
use hrms_events::Role;
use hrms_http::Authenticator;
use hrms_http::intake_auth::{DeliveryToken, IntakeAuth};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::Figures;
use hrms::app::{App, Function, Options, Stores};

/// How the stores of [`Dev`] keep data, for the heading of a run.
pub const STORES: &str = "stores: SQLite, WAL, synchronous=FULL (each commit is on disk before the answer)";

/// Every function of `dev`, serving on a loopback port.
pub struct Dev {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// How events travel, for people.
    pub transport: String,
    auth: Arc<Authenticator>,
    data_dir: PathBuf,
    stop: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
}

impl Dev {
    /// Every function; with `consume`, the Kafka-triggered ones consume
    /// their topics in this process too (as in `hrms dev`), else the events
    /// are only published (as a domain function alone serves).
    pub async fn start(consume: bool) -> anyhow::Result<Self> {
        let data_dir = std::env::temp_dir().join(format!("hrms-bench-{}", Uuid::now_v7()));
        let stores = Stores::sqlite(data_dir.clone());
        // Nothing pushes events to it: its /deliveries take a token nobody has.
        let token = hrms::secret::random_token().map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let intake = IntakeAuth::default().with_token(DeliveryToken::new(&token)?);
        let options = Options {
            stores,
            functions: Function::all(),
            event_log: false,
            consume,
            intake: Arc::new(intake),
        };
        let app = App::build(options).await?;
        let transport = app.transport.describe();
        let auth = hrms::auth::authenticator(&data_dir)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(app.run_until(listener, async {
            let _ = stopped.await;
        }));
        Ok(Self { address, transport, auth, data_dir, stop, server })
    }

    /// Where accounts are made, and their tokens minted.
    pub fn issuer(&self) -> crate::mixed::people::Issuer<'_> {
        crate::mixed::people::Issuer { address: &self.address, auth: &self.auth }
    }

    /// An admin who hires and terminates during a run.
    pub fn hr(&self) -> anyhow::Result<crate::mixed::people::Hr> {
        crate::mixed::people::Hr::new(self.auth.clone())
    }

    /// A bearer token for one hour.
    pub fn token(&self, user_id: Uuid, role: Role, employee_id: Option<Uuid>) -> anyhow::Result<String> {
        Ok(self.auth.mint(user_id, role, employee_id, Duration::from_secs(3600))?)
    }

    /// Stops serving, waits for the functions to finish, removes the data.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        let _ = std::fs::remove_dir_all(&self.data_dir);
        Ok(())
    }
}

/// The bare handler: parses the JSON body of `POST /bare` and answers it
/// with 201. Its address.
pub async fn bare() -> anyhow::Result<String> {
    let router = Router::new().route(
        "/bare",
        post(|axum::Json(body): axum::Json<Value>| async move { (StatusCode::CREATED, axum::Json(body)) }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(address)
}

/// The bare handler made durable: it also inserts the body, with a new id,
/// into a SQLite table in `dir` through the stores' group-committing writer
/// (WAL, `synchronous=FULL`) before it answers. Its address.
pub async fn bare_durable(dir: &std::path::Path) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir)?;
    let db = hrms_sqlite::Database::open(
        dir.join("bare.db"),
        &["CREATE TABLE bare (id TEXT PRIMARY KEY, body TEXT NOT NULL)"],
    )?;
    let router = Router::new().route(
        "/bare",
        post(move |axum::Json(body): axum::Json<Value>| async move {
            let row = (Uuid::now_v7().to_string(), body.to_string());
            let insert = move |tx: &hrms_sqlite::outbox::rusqlite::Connection| {
                tx.prepare_cached("INSERT INTO bare (id, body) VALUES (?1, ?2)")?.execute(row)
            };
            match db.apply(insert).await {
                Ok(_) => (StatusCode::CREATED, axum::Json(body)),
                Err(e) => {
                    let error = hrms_platform::Chain(&e).to_string();
                    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(Value::String(error)))
                }
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(address)
}

/// Sends `count` POSTs of `body()` to `url`, `concurrency` at a time, each
/// expecting 201.
pub async fn timed(
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
