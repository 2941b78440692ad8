//! Assembly of a running process, shared by `hrms dev` (every function and
//! the event log) and `hrms serve <function>` (one function, as Knative runs
//! it): the transport, each hosted function's store ([`stores`]: SQLite or
//! DynamoDB) and outbox relay, its routes, and the process's own routes ([`ops`]: health, readiness,
//! metrics, `/whoami`, and the OpenAPI document of all of them).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::FromRef;
use hrms_events::topics::{AUDIT_QUEUE, NOTIFICATION_QUEUE};
use hrms_http::Authenticator;
use hrms_http::delivery::{self, DeliverySettings};
use hrms_http::intake_auth::IntakeAuth;
use hrms_kafka::{ConsumerSettings, KafkaConsumer};
use hrms_platform::inprocess::BatchSettings;
use hrms_platform::outbox::Relay;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::watch;

mod accounts;
pub mod asyncapi;
pub mod consumers;
pub mod functions;
#[cfg(feature = "lambda")]
pub mod lambda;
mod ops;
mod remote;
pub mod stores;
mod transport;

pub use functions::Durability;
pub use stores::Stores;
pub use transport::Transport;

use crate::event_log::EventLog;
use crate::shutdown;

/// The functions a process can host: those of this build's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Function {
    #[cfg(feature = "user")]
    User,
    #[cfg(feature = "employee")]
    Employee,
    #[cfg(feature = "compliance")]
    Compliance,
    #[cfg(feature = "audit")]
    Audit,
    #[cfg(feature = "notification")]
    Notification,
    #[cfg(feature = "attendance")]
    Attendance,
    #[cfg(feature = "leave")]
    Leave,
}

#[cfg(not(any(
    feature = "user",
    feature = "employee",
    feature = "compliance",
    feature = "audit",
    feature = "notification",
    feature = "attendance",
    feature = "leave"
)))]
compile_error!("hrms holds at least one function: enable one of its function features");

impl Function {
    /// Every function of this build (what `hrms dev` hosts).
    pub fn all() -> Vec<Function> {
        <Function as clap::ValueEnum>::value_variants().to_vec()
    }

    /// The service's name, which names its table.
    pub fn service(self) -> &'static str {
        match self {
            #[cfg(feature = "user")]
            Function::User => "user",
            #[cfg(feature = "employee")]
            Function::Employee => "employee",
            #[cfg(feature = "compliance")]
            Function::Compliance => "compliance",
            #[cfg(feature = "audit")]
            Function::Audit => "audit",
            #[cfg(feature = "notification")]
            Function::Notification => "notification",
            #[cfg(feature = "attendance")]
            Function::Attendance => "attendance",
            #[cfg(feature = "leave")]
            Function::Leave => "leave",
        }
    }
}

/// What to run.
pub struct Options {
    pub stores: Stores,
    pub functions: Vec<Function>,
    /// Log every event on both topics (dev).
    pub event_log: bool,
    /// Run the hosted Kafka-triggered functions as consumers of their topics
    /// (dev; on Knative, KafkaSource delivers to them over HTTP instead).
    pub consume: bool,
    /// Who may push events to `/deliveries/*` when they do not consume
    /// (`IntakeAuth::from_env` in `serve`); building refuses to mount them
    /// with nothing configured.
    pub intake: Arc<IntakeAuth>,
}

#[derive(Clone)]
struct AppState {
    metrics: PrometheusHandle,
    transport: Arc<Transport>,
    auth: Arc<Authenticator>,
    probes: Arc<Vec<(&'static str, stores::Probe)>>,
    /// The OpenAPI document, as served.
    openapi: Bytes,
}

impl FromRef<AppState> for Arc<Authenticator> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

type Task = tokio::task::JoinHandle<anyhow::Result<()>>;

/// A process ready to serve.
pub struct App {
    pub transport: Arc<Transport>,
    /// Where the functions keep their data, for people.
    pub stores: String,
    router: Router,
    tasks: Vec<Task>,
    stop: watch::Sender<bool>,
}

impl App {
    pub async fn build(options: Options) -> anyhow::Result<Self> {
        metrics()?;
        let transport = Transport::from_env().await?;
        Self::build_on(options, transport).await
    }

    /// [`App::build`] with events on `transport`, whatever the environment
    /// says (tests run apps on in-process buses side by side).
    pub async fn build_on(options: Options, transport: Transport) -> anyhow::Result<Self> {
        let metrics = metrics()?;
        let Opened { auth, backend, hosted, openapi } =
            Opened::open(&options.stores, &options.functions, &transport).await?;
        let (stop, stopping) = watch::channel(false);
        let mut tasks = Vec::new();
        if options.event_log {
            tasks.extend(spawn_event_log(&transport, stopping.clone())?);
        }

        if !options.consume && !hosted.consumers.is_empty() && !options.intake.is_configured() {
            let names: Vec<&str> = hosted.consumers.iter().map(|c| c.handler.name()).collect();
            anyhow::bail!(
                "{} would take events on /deliveries with no intake authentication: set \
                 HRMS_INTAKE_ISSUER, HRMS_INTAKE_JWKS_URL, HRMS_INTAKE_AUDIENCE and HRMS_INTAKE_SUBJECTS \
                 (Knative Eventing OIDC) or HRMS_DELIVERY_TOKEN, or consume the topics (--consume); \
                 --insecure-open-intake (HRMS_INSECURE_OPEN_INTAKE) opens it to anyone, for development only",
                names.join(", ")
            );
        }
        for relay in hosted.relays {
            tasks.push(spawn_relay(relay, stopping.clone()));
        }
        #[cfg(feature = "notification")]
        for dispatcher in hosted.dispatchers {
            let stop = stopped(stopping.clone());
            tasks.push(tokio::spawn(async move {
                dispatcher.run(stop).await;
                Ok(())
            }));
        }
        // Kafka-triggered functions read their topics here (dev, or `serve
        // --consume`), or take them from a KafkaSource over HTTP.
        let mut deliveries = Router::new();
        if options.consume {
            for consumer in hosted.consumers {
                tasks.extend(spawn_consumer(&transport, consumer, stopping.clone())?);
            }
        } else {
            let settings = DeliverySettings::new(options.intake.clone());
            if !hosted.consumers.is_empty() {
                tracing::info!(admits = %options.intake.describe(), "event intake on /deliveries");
            }
            for c in hosted.consumers {
                let path = format!("/deliveries/{}", c.handler.name());
                deliveries =
                    deliveries.route(&path, delivery::route(c.handler, c.topics[0], settings.clone()));
            }
        }

        let transport = Arc::new(transport);
        let probes = Arc::new(hosted.probes);
        let state = AppState { metrics, transport: transport.clone(), auth, probes, openapi };
        let router = serving(state, hosted.router, hosted.commands).merge(deliveries);
        let router = hrms_http::layers::serve(router);
        Ok(Self { transport, stores: backend.describe(), router, tasks, stop })
    }

    /// Serves until SIGTERM or Ctrl-C, then lets the background work finish.
    pub async fn run(self, listener: TcpListener) -> anyhow::Result<()> {
        self.run_until(listener, shutdown::signal()).await
    }

    /// Serves until `stop` resolves, then lets the background work finish.
    pub async fn run_until(
        self,
        listener: TcpListener,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(listener, self.router).with_graceful_shutdown(stop).await?;
        let _ = self.stop.send(true);
        for task in self.tasks {
            task.await??;
        }
        Ok(())
    }
}

/// The hosted functions as every host opens them (`serve`, `dev`, `hrms
/// lambda`): the data directory, authentication, the stores, the functions
/// on `transport`'s sinks, the account check, and the OpenAPI document.
struct Opened {
    auth: Arc<Authenticator>,
    backend: Box<dyn stores::Backend>,
    hosted: functions::Hosted,
    openapi: Bytes,
}

impl Opened {
    async fn open(stores: &Stores, functions: &[Function], transport: &Transport) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&stores.data_dir)
            .with_context(|| format!("creating the data directory {}", stores.data_dir.display()))?;
        let auth = crate::auth::authenticator(&stores.data_dir).context("configuring authentication")?;
        let backend = stores.open(functions).await.context("opening the stores")?;
        let mut hosted = functions::host(functions, backend.as_ref(), stores, &auth, transport.sinks())?;
        accounts::install(&auth, hosted.accounts.take()).context("configuring the account check")?;
        let openapi = ops::openapi(&hosted.openapi, &hosted.commands)?;
        Ok(Self { auth, backend, hosted, openapi })
    }
}

/// The process's own routes ([`ops`]) on `state`, and the functions'
/// `routes` with their `commands` taken as CloudEvents on `POST /`.
fn serving(state: AppState, routes: Router, commands: Vec<hrms_http::commands::Command>) -> Router {
    let auth = state.auth.clone();
    Router::from(ops::routes().with_state(state))
        .merge(hrms_http::commands::with_intake(routes, commands, auth))
}

/// The process's metrics recorder: installed by the first app built, shared
/// by the others (a global recorder can be installed once per process).
fn metrics() -> anyhow::Result<PrometheusHandle> {
    static RECORDER: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut recorder = RECORDER.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = recorder.as_ref() {
        return Ok(handle.clone());
    }
    let handle = hrms_platform::telemetry::init_metrics().context("installing the metrics recorder")?;
    *recorder = Some(handle.clone());
    Ok(handle)
}

/// Resolves once the stop was given.
async fn stopped(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|s| *s).await;
}

fn spawn_relay(relay: Relay, stopping: watch::Receiver<bool>) -> Task {
    tokio::spawn(async move {
        relay.run(stopped(stopping)).await;
        Ok(())
    })
}

fn spawn_event_log(transport: &Transport, stopping: watch::Receiver<bool>) -> anyhow::Result<Vec<Task>> {
    let consumer = functions::Consumer {
        topics: vec![NOTIFICATION_QUEUE.name, AUDIT_QUEUE.name],
        group: "hrms-dev-event-log",
        handler: Arc::new(EventLog),
        durable: Durability::DeadLetterAfterRetries,
    };
    spawn_consumer(transport, consumer, stopping)
}

/// Runs `consumer`'s handler on its topics until the stop is given.
fn spawn_consumer(
    transport: &Transport,
    consumer: functions::Consumer,
    stopping: watch::Receiver<bool>,
) -> anyhow::Result<Vec<Task>> {
    let functions::Consumer { topics, group, handler, durable } = consumer;
    let durably = |retry: hrms_platform::RetryPolicy| match durable {
        Durability::RetryUntilHandled => retry.retry_transient_forever(),
        Durability::DeadLetterAfterRetries => retry,
    };
    Ok(match transport {
        Transport::InProcess(bus) => {
            // The batch settings a Kafka consumer of the group would have
            // (`HRMS_BATCH_MAX_WAIT_MS`, `HRMS_BATCH_MAX_RECORDS`).
            let kafka = ConsumerSettings::from_env(group)?;
            topics
                .into_iter()
                .map(|topic| {
                    let (bus, handler, stop) = (bus.clone(), handler.clone(), stopped(stopping.clone()));
                    let defaults = BatchSettings::default();
                    let settings = BatchSettings {
                        max_records: kafka.max_records,
                        max_wait: kafka.max_wait,
                        retry: durably(defaults.retry),
                    };
                    tokio::spawn(async move {
                        bus.consume(topic, group, handler.as_ref(), settings, stop).await;
                        Ok(())
                    })
                })
                .collect()
        }
        Transport::Kafka { config, .. } => {
            let mut settings = ConsumerSettings::from_env(group)?;
            settings.retry = durably(settings.retry);
            let consumer = KafkaConsumer::new(config, settings, &topics)?;
            let stop = stopped(stopping);
            vec![tokio::spawn(async move {
                let result = consumer.run(handler.as_ref(), stop).await;
                consumer.close(Duration::from_secs(10)).await;
                Ok(result?)
            })]
        }
        Transport::KafkaSink(_) => anyhow::bail!(
            "{group} cannot consume through KafkaSinks: take its events from a KafkaSource \
             (hrms serve without --consume), or set HRMS_EVENT_SINK=kafka"
        ),
    })
}

#[cfg(all(test, feature = "user", feature = "employee", feature = "compliance"))]
mod command_tests;
#[cfg(test)]
mod consumer_tests;
#[cfg(test)]
mod intake_tests;
#[cfg(all(test, feature = "employee", feature = "compliance", feature = "leave", feature = "attendance"))]
mod leave_attendance_command_tests;
#[cfg(all(test, feature = "user", feature = "employee", feature = "compliance"))]
mod openapi_tests;
#[cfg(test)]
mod tests;
