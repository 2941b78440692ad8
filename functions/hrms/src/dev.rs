//! `hrms dev`: the system in one process on embedded defaults: in-process
//! events (or Kafka when `KAFKA_BOOTSTRAP_SERVERS` is set), the functions
//! built so far on their embedded stores with their outbox relays, the event
//! log on both topics, and health and metrics over HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use hrms_compliance::Policy;
use hrms_events::topics::{AUDIT_QUEUE, NOTIFICATION_QUEUE};
use hrms_runtime::EventPublisher;
use hrms_runtime::http::compliance::{self, ComplianceApi};
use hrms_runtime::http::{Authenticator, Caller};
use hrms_runtime::inprocess::{BatchSettings, InProcessBus};
use hrms_runtime::kafka::{ConsumerSettings, KafkaConfig, KafkaConsumer, KafkaPublisher, ensure_topics};
use hrms_runtime::outbox::sqlite::SqliteOutbox;
use hrms_runtime::outbox::{Relay, RelaySettings};
use hrms_runtime::sqlite::compliance::SqliteComplianceStore;
use metrics_exporter_prometheus::PrometheusHandle;
use rdkafka::producer::Producer;
use tokio::sync::watch;

use crate::event_log::EventLog;
use crate::shutdown;

#[derive(clap::Args)]
pub struct Args {
    /// Address for HTTP.
    #[arg(long, env = "HRMS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory of the embedded stores.
    #[arg(long, env = "HRMS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Compliance policy file (TOML); the documented defaults without one.
    #[arg(long, env = "HRMS_COMPLIANCE_POLICY")]
    compliance_policy: Option<PathBuf>,
}

/// Where events travel in this process.
#[derive(Clone)]
enum Transport {
    InProcess(InProcessBus),
    Kafka { config: KafkaConfig, probe: KafkaPublisher },
}

impl Transport {
    fn publisher(&self) -> Arc<dyn EventPublisher> {
        match self {
            Transport::InProcess(bus) => Arc::new(bus.clone()),
            Transport::Kafka { probe, .. } => Arc::new(probe.clone()),
        }
    }
}

#[derive(Clone)]
struct AppState {
    metrics: PrometheusHandle,
    transport: Arc<Transport>,
    auth: Arc<Authenticator>,
}

impl FromRef<AppState> for Arc<Authenticator> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let metrics = hrms_runtime::telemetry::init_metrics().context("installing the metrics recorder")?;
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating the data directory {}", args.data_dir.display()))?;
    let auth = crate::token::authenticator(&args.data_dir).context("loading the JWT secret")?;
    let transport = match KafkaConfig::from_env()? {
        None => Transport::InProcess(InProcessBus::default()),
        Some(config) => {
            ensure_topics(&config, &hrms_events::TOPICS).await.context("creating the topics")?;
            Transport::Kafka { probe: KafkaPublisher::new(&config)?, config }
        }
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let address = listener.local_addr()?;
    let events = match &transport {
        Transport::InProcess(_) => "in-process (set KAFKA_BOOTSTRAP_SERVERS to use Kafka)".to_owned(),
        Transport::Kafka { config, .. } => format!("Kafka at {}", config.bootstrap_servers),
    };
    println!("hrms dev: http://{address} (/healthz, /readyz, /metrics, /whoami, /compliance/*)");
    println!("  events:   {events}; every event on the topics is logged");
    println!("  data dir: {}", args.data_dir.display());
    println!(
        "  a token:  cargo run --release -- token --role admin --sub <user uuid> --data-dir {}",
        args.data_dir.display()
    );

    let policy = match &args.compliance_policy {
        Some(path) => Policy::load(path)?,
        None => Policy::default(),
    };
    let (stop, stopping) = watch::channel(false);
    let mut tasks = spawn_event_log(&transport, stopping.clone())?;

    // Compliance: its store and the relay of its outbox.
    let compliance_db = args.data_dir.join("compliance.db");
    let relay = Relay::new(
        Arc::new(SqliteOutbox::open(&compliance_db)?),
        transport.publisher(),
        RelaySettings::default(),
    );
    let store = SqliteComplianceStore::open(&compliance_db)
        .with_context(|| format!("opening {}", compliance_db.display()))?
        .with_relay(relay.waker());
    let relay_stop = stopped(stopping.clone());
    tasks.push(tokio::spawn(async move {
        relay.run(relay_stop).await;
        Ok(())
    }));
    let compliance = compliance::router(ComplianceApi {
        auth: auth.clone(),
        policy: Arc::new(policy),
        store: Arc::new(store),
    });

    let state = AppState { metrics, transport: Arc::new(transport), auth };
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(|State(s): State<AppState>| async move { s.metrics.render() }))
        .route("/whoami", get(whoami))
        .with_state(state)
        .merge(compliance);
    let app = hrms_runtime::http::layers::serve(app);
    axum::serve(listener, app).with_graceful_shutdown(shutdown::signal()).await?;
    let _ = stop.send(true);
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// The caller a token names: a way to check a token.
async fn whoami(caller: Caller) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "user_id": caller.user_id,
        "role": caller.role,
        "employee_id": caller.employee_id,
    }))
}

/// Ready when the transport is reachable.
async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match &*state.transport {
        Transport::InProcess(_) => (StatusCode::OK, "ready"),
        Transport::Kafka { probe, .. } => {
            let producer = probe.producer().clone();
            let reachable = tokio::task::spawn_blocking(move || {
                producer.client().fetch_metadata(None, Duration::from_secs(2)).is_ok()
            })
            .await
            .unwrap_or(false);
            if reachable {
                (StatusCode::OK, "ready")
            } else {
                (StatusCode::SERVICE_UNAVAILABLE, "kafka unreachable")
            }
        }
    }
}

type Task = tokio::task::JoinHandle<anyhow::Result<()>>;

/// Resolves once the stop was given.
async fn stopped(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|s| *s).await;
}

fn spawn_event_log(transport: &Transport, stopping: watch::Receiver<bool>) -> anyhow::Result<Vec<Task>> {
    Ok(match transport {
        Transport::InProcess(bus) => [NOTIFICATION_QUEUE.name, AUDIT_QUEUE.name]
            .into_iter()
            .map(|topic| {
                let (bus, stop) = (bus.clone(), stopped(stopping.clone()));
                tokio::spawn(async move {
                    bus.consume(topic, "hrms-dev-event-log", &EventLog, BatchSettings::default(), stop).await;
                    Ok(())
                })
            })
            .collect(),
        Transport::Kafka { config, .. } => {
            let settings = ConsumerSettings {
                max_wait: Duration::from_millis(20),
                ..ConsumerSettings::new("hrms-dev-event-log")
            };
            let consumer =
                KafkaConsumer::new(config, settings, &[NOTIFICATION_QUEUE.name, AUDIT_QUEUE.name])?;
            let stop = stopped(stopping);
            vec![tokio::spawn(async move {
                let result = consumer.run(&EventLog, stop).await;
                consumer.close(Duration::from_secs(10)).await;
                Ok(result?)
            })]
        }
    })
}
