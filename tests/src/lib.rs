//! Test harness for the end-to-end tests: a real Kafka-protocol broker
//! (tansu), moto's DynamoDB server and an SMTP server (aiosmtpd, writing a
//! Maildir) per test on free loopback ports,
//! consumer settings that join a group quickly, a recording handler, and
//! waiting on conditions.
//!
//! The broker binary is `$TANSU_BIN`, else `~/.cache/hrms/tansu/bin/tansu`,
//! as installed by `tests/run`; moto is `$HRMS_TEST_MOTO` and Python readers
//! and aiosmtpd use `$HRMS_TEST_PYTHON`, both from the venv `tests/run` makes.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use hrms_kafka::{ConsumerSettings, KafkaConfig};
use hrms_platform::{Delivery, Handler, HandlerError, RetryPolicy};

pub mod tansu;
pub mod webhook;

pub use webhook::{WebhookReceiver, serve_webhooks};

/// Where the broker keeps records.
#[derive(Debug, Clone)]
pub enum Storage {
    /// Gone when the broker stops.
    Memory,
    /// Kept across restarts.
    Sqlite(PathBuf),
}

/// A tansu broker on 127.0.0.1, killed when dropped.
pub struct Broker {
    child: Option<Child>,
    port: u16,
    storage: Storage,
    _dir: Option<TempDir>,
}

impl Broker {
    /// A broker with in-memory storage.
    pub fn start() -> Self {
        Self::launch(free_port(), Storage::Memory, None)
    }

    /// A broker whose records survive [`Broker::restart`].
    pub fn start_persistent() -> Self {
        let dir = TempDir::new();
        let storage = Storage::Sqlite(dir.0.join("tansu.db"));
        Self::launch(free_port(), storage, Some(dir))
    }

    fn launch(port: u16, storage: Storage, dir: Option<TempDir>) -> Self {
        let mut broker = Self { child: None, port, storage, _dir: dir };
        broker.spawn();
        broker
    }

    fn spawn(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let mut command = Command::new(tansu_bin());
        // tansu reads a sqlite:// path relative to its working directory.
        let engine = match &self.storage {
            Storage::Memory => "memory://tansu/".to_owned(),
            Storage::Sqlite(path) => {
                if let Some(dir) = path.parent() {
                    command.current_dir(dir);
                }
                let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
                format!("sqlite://{file}")
            }
        };
        command.args([
            "broker",
            "--storage-engine",
            &engine,
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
        ]);
        self.child = Some(launch(command, self.port));
        if let Storage::Sqlite(db) = &self.storage
            && let Err(e) = tansu::index_headers(db, Duration::from_secs(30))
        {
            panic!("could not index the broker's headers in {}: {e}", db.display());
        }
    }

    /// `host:port` for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Client configuration for this broker, with a short delivery timeout
    /// so that tests of broker loss finish quickly.
    pub fn config(&self) -> KafkaConfig {
        if std::env::var_os("TEST_LOG").is_some() {
            hrms_platform::telemetry::init_tracing(false);
        }
        let mut config = KafkaConfig::new(self.bootstrap());
        config.debug = std::env::var("KAFKA_DEBUG").ok();
        config.message_timeout = Duration::from_secs(5);
        config
    }

    /// Kills the broker (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and storage.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The tansu binary the tests run.
pub fn tansu_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("TANSU_BIN") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let path = home.join(".cache/hrms/tansu/bin/tansu");
    assert!(
        path.exists(),
        "no broker at {}: run tests/run, which installs it (or set TANSU_BIN)",
        path.display()
    );
    path
}

/// moto's DynamoDB server on 127.0.0.1 (an empty one per test), killed
/// when dropped.
pub struct Moto {
    child: Option<Child>,
    port: u16,
}

impl Moto {
    pub fn start() -> Self {
        let port = free_port();
        let mut command = Command::new(moto_bin());
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        Self { child: Some(launch(command, port)), port }
    }

    /// `http://127.0.0.1:<port>`, for `HRMS_DYNAMODB_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as an outage would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The moto_server binary the tests run.
pub fn moto_bin() -> PathBuf {
    std::env::var_os("HRMS_TEST_MOTO").map(PathBuf::from).expect(
        "HRMS_TEST_MOTO is not set: run tests/run, which installs moto into the test venv \
         (or set HRMS_TEST_MOTO to a moto_server binary)",
    )
}

/// aiosmtpd on 127.0.0.1 with its Maildir handler (a fresh Maildir per
/// test; recipients can be refused, see [`Smtp::refuse`]), killed when dropped.
pub struct Smtp {
    child: Option<Child>,
    port: u16,
    maildir: TempDir,
}

impl Smtp {
    pub fn start() -> Self {
        let mut smtp = Self { child: None, port: free_port(), maildir: TempDir::new() };
        smtp.spawn();
        smtp
    }

    fn spawn(&mut self) {
        let mut command = Command::new(python());
        command.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{}", self.port)]);
        command.env("PYTHONPATH", python_script(""));
        command.args(["-c", "smtp_handlers.RefusingMailbox"]).arg(self.maildir());
        self.child = Some(launch(command, self.port));
    }

    /// Python's Maildir creates `new/`, `cur/` and `tmp/` only in a directory
    /// it creates itself.
    fn maildir(&self) -> PathBuf {
        self.maildir.0.join("Maildir")
    }

    /// From now on, answers 550 (a permanent failure) to mail for `address`.
    pub fn refuse(&self, address: &str) {
        std::fs::write(self.maildir.0.join("refused"), format!("{address}\n"))
            .expect("writing the refused list");
    }

    /// Takes mail for everyone again.
    pub fn accept_all(&self) {
        let _ = std::fs::remove_file(self.maildir.0.join("refused"));
    }

    /// `smtp://127.0.0.1:<port>`, for `HRMS_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as an outage would); the Maildir stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and Maildir.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// The files of the messages received so far (Maildir `new/` and `cur/`),
    /// oldest first.
    pub fn messages(&self) -> Vec<PathBuf> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.maildir().join(sub)).ok())
            .flatten()
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
            .collect();
        files.sort();
        files.into_iter().map(|(_, path)| path).collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The Python interpreter of the test venv (confluent-kafka, cloudevents).
pub fn python() -> PathBuf {
    std::env::var_os("HRMS_TEST_PYTHON")
        .map(PathBuf::from)
        .expect("HRMS_TEST_PYTHON is not set: run tests/run, which creates the venv")
}

/// A script under `tests/python/`.
pub fn python_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python").join(name)
}

/// Consumer settings that join a group on tansu in seconds.
pub fn consumer_settings(group: &str) -> ConsumerSettings {
    ConsumerSettings {
        max_wait: Duration::from_millis(50),
        retry: RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        session_timeout: Duration::from_secs(6),
        max_poll_interval: Duration::from_secs(10),
        ..ConsumerSettings::new(group)
    }
}

/// A handler that keeps what it handled and refuses chosen events.
#[derive(Default)]
pub struct Collect {
    pub handled: Mutex<Vec<Delivery>>,
    pub refuse: Mutex<Vec<uuid::Uuid>>,
}

impl Collect {
    pub fn count(&self) -> usize {
        self.handled.lock().map(|h| h.len()).unwrap_or(0)
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.handled.lock().map(|h| h.clone()).unwrap_or_default()
    }
}

impl Handler for Collect {
    fn name(&self) -> &str {
        "collect"
    }

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let refused = self
                .refuse
                .lock()
                .map(|r| batch.iter().find(|d| r.contains(&d.event.id)).map(|d| d.event.id));
            if let Ok(Some(id)) = refused {
                return Err(HandlerError::Permanent { reason: format!("refused {id}"), cause: None });
            }
            if let Ok(mut handled) = self.handled.lock() {
                handled.extend_from_slice(batch);
            }
            Ok(())
        })
    }
}

/// Resolves once `condition` holds; panics with `what` after `limit`.
pub async fn eventually(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts a server that dies with the test process, and waits until it
/// listens on `port`; its log goes to the test's output with `TEST_LOG`.
fn launch(mut command: Command, port: u16) -> Child {
    let what = command.get_program().to_string_lossy().into_owned();
    let log = if std::env::var_os("TEST_LOG").is_some() { Stdio::inherit() } else { Stdio::null() };
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
    die_with_parent(&mut command);
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited at start: {status}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not listen on {port} within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Makes a child die with the test process, even on abort.
fn die_with_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and touches only the child.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("hrms-test-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }
}

impl Default for TempDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
