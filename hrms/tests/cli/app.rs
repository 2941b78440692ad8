//! The HRMS in the test's process: [`spawn_app`] builds `hrms::app::App`
//! as `hrms dev` does (every function, SQLite stores in a fresh data
//! directory, the consumers in the process) on an in-process bus whatever
//! the environment says, serves it on a random loopback port, and stops it
//! when the [`TestApp`] is stopped or dropped.

use std::path::Path;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use hrms::app::{App, Function, Options, Stores, Transport};
use hrms_e2e::{Collect, TempDir, eventually};
use hrms_events::topics::{AUDIT_QUEUE, NOTIFICATION_QUEUE};
use hrms_http::intake_auth::{DeliveryToken, IntakeAuth};
use hrms_platform::inprocess::{BatchSettings, InProcessBus};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::client::{Api, DELIVERY_TOKEN};
use crate::running::{Running, hermetic};

/// An app serving in this process, and what it published.
pub struct TestApp {
    pub api: Api,
    data: TempDir,
    published: Arc<Collect>,
    /// Dropped with the app, it stops it too.
    stop: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
}

/// Every function, with its consumers, as `hrms dev` runs them.
pub async fn spawn_app() -> TestApp {
    spawn(Function::all(), true).await
}

/// `functions` as `hrms serve` runs them: a Kafka-triggered one takes its
/// events over HTTP (`POST /deliveries/<name>`), as from a KafkaSource.
pub async fn spawn_functions(functions: Vec<Function>) -> TestApp {
    spawn(functions, false).await
}

async fn spawn(functions: Vec<Function>, consume: bool) -> TestApp {
    hermetic();
    let data = TempDir::new();
    let bus = InProcessBus::default();
    let published = Arc::new(Collect::default());
    for topic in [NOTIFICATION_QUEUE.name, AUDIT_QUEUE.name] {
        watch(&bus, topic, published.clone()).await;
    }
    let intake = IntakeAuth::default().with_token(DeliveryToken::new(DELIVERY_TOKEN).expect("a token"));
    let options = Options {
        stores: Stores::sqlite(data.0.clone()),
        functions,
        event_log: false,
        consume,
        intake: Arc::new(intake),
    };
    let app = App::build_on(options, Transport::InProcess(bus)).await.expect("the app builds");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let api = Api::new(format!("http://{}", listener.local_addr().expect("an address")));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(listener, async {
        let _ = stopped.await;
    }));
    TestApp { api, data, published, stop, server }
}

/// Keeps what is published on `topic` from now on, as a consumer group of
/// its own (as `hrms dev`'s event log).
async fn watch(bus: &InProcessBus, topic: &'static str, into: Arc<Collect>) {
    let bus = bus.clone();
    let mut consumer = Box::pin(async move {
        let forever = std::future::pending();
        bus.consume(topic, "test-published", into.as_ref(), BatchSettings::default(), forever).await
    });
    // Its first poll subscribes the group: nothing published later is missed.
    std::future::poll_fn(|cx| {
        let _ = consumer.as_mut().poll(cx);
        Poll::Ready(())
    })
    .await;
    tokio::spawn(consumer);
}

impl TestApp {
    /// Stops serving and waits for the background work to finish cleanly;
    /// the data directory, for the tools that read it.
    pub async fn stop(self) -> TempDir {
        let TestApp { data, stop, server, .. } = self;
        let _ = stop.send(());
        server.await.expect("the server task").expect("a clean stop");
        data
    }
}

impl Running for TestApp {
    fn api(&self) -> &Api {
        &self.api
    }

    fn data_dir(&self) -> &Path {
        &self.data.0
    }

    async fn published(&self, types: &[&str]) {
        let seen = || -> Vec<String> {
            self.published.deliveries().iter().map(|d| d.event.event_type().as_str().to_owned()).collect()
        };
        let what = format!("{types:?} published");
        eventually(&what, Duration::from_secs(30), || types.iter().all(|t| seen().iter().any(|s| s == t)))
            .await;
    }
}
