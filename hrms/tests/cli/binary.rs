//! The `hrms` binary as a child process: [`hrms`], the command without the
//! test's own configuration, and [`Dev`], a running `hrms dev` or `hrms
//! serve` with its address and its log.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use hrms_e2e::TempDir;
use tokio::sync::{Mutex, mpsc};
use tokio::time::{Instant, timeout_at};

use crate::client::{Api, DELIVERY_TOKEN};
use crate::running::Running;
use crate::wait;

/// The `hrms` command with none of the test process's configuration.
pub fn hrms() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hrms"));
    command
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .env_remove("HRMS_EVENT_SINK")
        .env_remove("HRMS_JWT_SECRET")
        .env_remove("HRMS_JWKS_URL")
        .env_remove("HRMS_JWT_ISSUER")
        .env_remove("HRMS_JWT_AUDIENCE")
        .env_remove("HRMS_DELIVERY_TOKEN")
        .env_remove("HRMS_INTAKE_ISSUER")
        .env_remove("HRMS_INTAKE_JWKS_URL")
        .env_remove("HRMS_INTAKE_AUDIENCE")
        .env_remove("HRMS_INTAKE_SUBJECTS")
        .env_remove("HRMS_INSECURE_OPEN_INTAKE")
        .env_remove("HRMS_USER_URL")
        .env_remove("HRMS_ACCOUNT_CACHE_TTL_MS")
        .env_remove("HRMS_ACCOUNT_STALE_MS")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    command
}

/// `hrms dev` on a random port with its data under `data`.
pub fn dev(data: &TempDir) -> Command {
    let mut command = hrms();
    command.args(["dev", "--listen", "127.0.0.1:0", "--data-dir"]).arg(&data.0);
    command
}

/// `command` on the broker at `servers`, joining consumer groups in seconds.
pub fn on_kafka(mut command: Command, servers: &str) -> Command {
    command
        .env("KAFKA_BOOTSTRAP_SERVERS", servers)
        .env("KAFKA_SESSION_TIMEOUT_MS", "6000")
        .env("KAFKA_MAX_POLL_INTERVAL_MS", "10000")
        .env("KAFKA_MESSAGE_TIMEOUT_MS", "5000");
    command
}

/// A loopback port nothing listens on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port()
}

/// A running `hrms dev` or `hrms serve`, its API and its log lines.
pub struct Dev {
    child: Child,
    pub api: Api,
    data_dir: PathBuf,
    log: Mutex<mpsc::UnboundedReceiver<String>>,
}

impl Dev {
    /// `hrms dev` on `data` with nothing configured.
    pub async fn start(data: &TempDir) -> Self {
        Self::dev(dev(data), data).await
    }

    /// Runs `command` (an `hrms dev` on `data`); waits until it says where it listens.
    pub async fn dev(command: Command, data: &TempDir) -> Self {
        let (mut child, mut log) = spawn(command);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut said = Vec::new();
        let address = loop {
            match timeout_at(deadline, log.recv()).await {
                Ok(Some(line)) => match line.split("http://").nth(1) {
                    Some(rest) => break rest.split_whitespace().next().unwrap_or_default().to_owned(),
                    None => said.push(line),
                },
                // The readers hang up when the process exits at start.
                Ok(None) | Err(_) => {
                    let _ = child.kill();
                    panic!("dev did not say where it listens; it said:\n{}", said.join("\n"))
                }
            }
        };
        Self::new(child, log, format!("http://{address}"), data)
    }

    /// `hrms serve <function>` on `port`, JSON logs, events in-process.
    pub async fn serve(function: &str, port: u16, data: &TempDir) -> Self {
        Self::serve_with(function, port, data, &[]).await
    }

    /// `hrms serve <function>` with more environment (events in-process
    /// unless it names a sink; its intake takes [`DELIVERY_TOKEN`] unless
    /// it configures another); waits until it listens.
    pub async fn serve_with(function: &str, port: u16, data: &TempDir, env: &[(&str, &str)]) -> Self {
        let mut command = hrms();
        command
            .args(["serve", function, "--data-dir"])
            .arg(&data.0)
            .env("PORT", port.to_string())
            .env("HRMS_LOG_JSON", "true")
            .env("HRMS_EVENT_SINK", "inprocess")
            .env("HRMS_DELIVERY_TOKEN", DELIVERY_TOKEN)
            .envs(env.iter().copied());
        let (mut child, log) = spawn(command);
        let address = format!("127.0.0.1:{port}");
        wait::until(&format!("{function} listening on {address}"), Duration::from_secs(60), async || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{function} exited at start: {status}");
            }
            tokio::net::TcpStream::connect(&address).await.map(drop).map_err(|e| e.to_string())
        })
        .await;
        Self::new(child, log, format!("http://{address}"), data)
    }

    fn new(child: Child, log: mpsc::UnboundedReceiver<String>, base: String, data: &TempDir) -> Self {
        Self { child, api: Api::new(base), data_dir: data.0.clone(), log: Mutex::new(log) }
    }

    /// Waits until every one of `needles` has appeared in some log line;
    /// the matching lines, in the order of `needles`.
    pub async fn wait_for_logs(&self, needles: &[String], limit: Duration) -> Vec<String> {
        let mut log = self.log.lock().await;
        let deadline = Instant::now() + limit;
        let mut found: Vec<Option<String>> = vec![None; needles.len()];
        let mut seen = Vec::new();
        while found.iter().any(Option::is_none) {
            let Ok(Some(line)) = timeout_at(deadline, log.recv()).await else {
                let tail = seen[seen.len().saturating_sub(40)..].join("\n");
                panic!("not all of {needles:?} logged within {limit:?}; the last lines:\n{tail}");
            };
            for (slot, needle) in found.iter_mut().zip(needles) {
                if slot.is_none() && line.contains(needle.as_str()) {
                    *slot = Some(line.clone());
                }
            }
            seen.push(line);
        }
        found.into_iter().flatten().collect()
    }

    /// Sends SIGTERM and waits (30 s at most) for the process to exit.
    pub async fn terminate(mut self) -> ExitStatus {
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let mut log = self.log.lock().await;
                let said: Vec<String> = std::iter::from_fn(|| log.try_recv().ok()).collect();
                panic!("it did not stop within 30 s of SIGTERM; it said:\n{}", said.join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Starts `command` with its stdout and stderr read line by line into the channel.
fn spawn(mut command: Command) -> (Child, mpsc::UnboundedReceiver<String>) {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("hrms starts");
    let (tx, log) = mpsc::unbounded_channel();
    for stream in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let tx = tx.clone();
        // Drain the pipe to the end, whatever the bytes: a child whose
        // pipe fills up blocks on its next log line.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                let _ = tx.send(String::from_utf8_lossy(&line).trim_end().to_owned());
                line.clear();
            }
        });
    }
    (child, log)
}

/// A process a test did not terminate (it failed, or kept a service it
/// needed to the end) is killed, not left running after the tests.
impl Drop for Dev {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Running for Dev {
    fn api(&self) -> &Api {
        &self.api
    }

    fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// `hrms dev` logs every event it sees on the topics.
    async fn published(&self, types: &[&str]) {
        let needles: Vec<String> = types.iter().map(|t| format!("type=\"{t}\"")).collect();
        self.wait_for_logs(&needles, Duration::from_secs(30)).await;
    }
}
