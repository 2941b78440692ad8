//! What `hrms lambda` hosts: one function, or the outbox relay, assembled
//! as [`App::build`](super::App::build) assembles it for `serve`, for the
//! Lambda host of `hrms_lambda`. On Lambda nothing runs between
//! invocations, so the outbox relays are not started (the relay function
//! drains the tables' outboxes from their DynamoDB Streams), and the data
//! is in DynamoDB (a sandbox's files do not outlive it).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use hrms_kafka::{KafkaConfig, KafkaPublisher};
use hrms_lambda::Target;
use hrms_lambda::kafka::KafkaTarget;
use hrms_lambda::kafka::marks::DynamoMarks;
use hrms_lambda::relay::StreamRelay;
use hrms_platform::inprocess::InProcessBus;

use super::stores::StoreKind;
use super::{AppState, Function, Opened, Stores, Transport, metrics, serving};

/// What a Lambda function runs: a function of this build, or the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LambdaFunction {
    Function(Function),
    /// The outbox relay of every function's table.
    Relay,
}

impl std::str::FromStr for LambdaFunction {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        if name == "relay" {
            return Ok(Self::Relay);
        }
        <Function as clap::ValueEnum>::from_str(name, true).map(Self::Function).map_err(|_| {
            let known: Vec<&str> = Function::all().into_iter().map(Function::service).collect();
            format!("no function {name:?} in this build: expected relay or one of {}", known.join(", "))
        })
    }
}

/// How long an outbox event waits before the relay's sweep publishes it
/// (`HRMS_RELAY_SWEEP_AFTER_SECS`, default 60).
fn sweep_after() -> anyhow::Result<Duration> {
    match std::env::var("HRMS_RELAY_SWEEP_AFTER_SECS") {
        Ok(s) if !s.trim().is_empty() => {
            Ok(Duration::from_secs(s.trim().parse().context("HRMS_RELAY_SWEEP_AFTER_SECS: whole seconds")?))
        }
        _ => Ok(Duration::from_secs(60)),
    }
}

/// The functions whose outboxes the relay drains: `HRMS_RELAY_FUNCTIONS`
/// (comma-separated, those deployed), else every one of this build that
/// writes events.
fn relayed() -> anyhow::Result<Vec<Function>> {
    let listed = std::env::var("HRMS_RELAY_FUNCTIONS").unwrap_or_default();
    if listed.trim().is_empty() {
        return Ok(Function::all().into_iter().filter(|f| f.emits_events()).collect());
    }
    listed
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| match name.parse::<LambdaFunction>() {
            Ok(LambdaFunction::Function(f)) if f.emits_events() => Ok(f),
            Ok(_) => bail!("HRMS_RELAY_FUNCTIONS: {name} has no outbox"),
            Err(e) => bail!("HRMS_RELAY_FUNCTIONS: {e}"),
        })
        .collect()
}

/// Builds what the Lambda function `which` runs, on `stores` (DynamoDB only).
pub async fn target(which: LambdaFunction, stores: Stores) -> anyhow::Result<Target> {
    if stores.kind != StoreKind::Dynamodb {
        bail!(
            "hrms lambda keeps its data in DynamoDB: set HRMS_STORE=dynamodb (SQLite files would \
             vanish with the Lambda sandbox, and every sandbox would have its own)"
        );
    }
    let kafka = KafkaConfig::from_env().context("reading the KAFKA_* settings")?;
    match which {
        LambdaFunction::Relay => {
            let config = kafka.context("the relay publishes to Kafka: set KAFKA_BOOTSTRAP_SERVERS")?;
            let dynamo = stores.dynamo_config();
            let tables = relayed()?.into_iter().map(|f| dynamo.table(f.service())).collect();
            let relay = StreamRelay {
                client: dynamo.connect().await,
                tables,
                publisher: Arc::new(KafkaPublisher::new(&config).context("creating the Kafka producer")?),
                sweep_after: sweep_after()?,
            };
            Ok(Target {
                function: "relay".into(),
                http: None,
                kafka: None,
                relay: Some(relay),
                secrets: None,
            })
        }
        LambdaFunction::Function(function) => host(function, stores, kafka).await,
    }
}

async fn host(function: Function, stores: Stores, kafka: Option<KafkaConfig>) -> anyhow::Result<Target> {
    let configured = |name| std::env::var(name).is_ok_and(|v: String| !v.trim().is_empty());
    if !configured("HRMS_JWKS_URL") && !configured("HRMS_JWT_SECRET") {
        bail!(
            "hrms lambda verifies tokens with the identity provider's keys (HRMS_JWKS_URL) or a \
             shared HRMS_JWT_SECRET: a secret made by one sandbox is unknown to the others"
        );
    }
    let metrics = metrics()?;
    // Events stay in the outbox for the relay function; dead letters (the
    // consumers', the Notification function's) go to Kafka. An HTTP-only
    // function makes no Kafka client: none would be used.
    let consumes = super::consumers::CONSUMERS.iter().any(|c| c.function == function.service());
    let transport = match kafka.filter(|_| consumes) {
        Some(config) => Transport::Kafka {
            probe: KafkaPublisher::new(&config).context("creating the Kafka producer")?,
            config,
        },
        None => Transport::InProcess(InProcessBus::default()),
    };
    let Opened { auth, backend: _, hosted, openapi } = Opened::open(&stores, &[function], &transport).await?;
    #[cfg(feature = "notification")]
    for dispatcher in hosted.dispatchers {
        // Runs while the sandbox is thawed: during invocations.
        tokio::spawn(async move { dispatcher.run(std::future::pending()).await });
    }
    let mut consumers = hosted.consumers.into_iter();
    let kafka = match (consumers.next(), &transport) {
        (None, _) => None,
        (Some(c), Transport::Kafka { probe, .. }) => {
            let dynamo = stores.dynamo_config();
            let table = dynamo.table(function.service());
            Some(KafkaTarget {
                handler: c.handler,
                group: c.group.to_owned(),
                dead_letters: Arc::new(probe.clone()),
                marks: Arc::new(DynamoMarks::new(dynamo, table)),
            })
        }
        (Some(c), _) => {
            bail!("{} consumes Kafka and writes dead letters there: set KAFKA_BOOTSTRAP_SERVERS", c.group)
        }
    };
    let transport = Arc::new(transport);
    let probes = Arc::new(hosted.probes);
    let state = AppState { metrics, transport, auth, probes, openapi };
    let router = hrms_http::layers::serve(serving(state, hosted.router, hosted.commands));
    Ok(Target { function: function.service().into(), http: Some(router), kafka, relay: None, secrets: None })
}

impl Function {
    /// Whether the function writes events to an outbox (all but Audit and Notification).
    pub fn emits_events(self) -> bool {
        match self {
            #[cfg(feature = "audit")]
            Function::Audit => false,
            #[cfg(feature = "notification")]
            Function::Notification => false,
            #[allow(unreachable_patterns)]
            _ => true,
        }
    }
}
