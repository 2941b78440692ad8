//! moto's DynamoDB server for this crate's tests: one per test binary on a
//! free loopback port, started on first use, killed when the test process
//! exits; each test gets tables of its own (a unique prefix), so tests share
//! the server in parallel.
//!
//! The server is `$HRMS_TEST_MOTO` (tests/run's `moto_serial`, moto's server
//! answering one request at a time, or a `moto_server` binary), which
//! `tests/run` sets after installing moto into the test venv.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

use super::{DynamoConfig, ensure_table};

/// A client and freshly created service tables of one test.
pub struct Tables {
    pub client: Client,
    pub config: DynamoConfig,
}

impl Tables {
    /// The table of `service`.
    pub fn table(&self, service: &str) -> String {
        self.config.table(service)
    }
}

/// The audit store in `tables`, writing one subject at a time: moto copies
/// a table when a transaction begins, which fails (HTTP 500) if another
/// write changes the table meanwhile, and a failed transaction restores
/// that copy, undoing what committed since. DynamoDB has neither problem.
/// Creates the service tables (with the audit table's indexes) under a
/// prefix no other test uses.
/// A fresh table prefix on the test binary's moto, with a plain table for each of `services`.
pub async fn tables(services: &[&str]) -> Tables {
    let endpoint = endpoint();
    let config = DynamoConfig {
        table_prefix: format!("t{}-", uuid::Uuid::now_v7().simple()),
        endpoint: Some(endpoint.clone()),
    };
    let client = Client::from_conf(client_config(&endpoint).build());
    for service in services {
        ensure_table(&client, &config.table(service)).await.expect("a table on moto");
    }
    Tables { client, config }
}

/// [`tables`], each of `services` with the indexes of its layout.
pub async fn laid_out_tables(services: &[(&str, &crate::Layout)]) -> Tables {
    let tables = tables(&[]).await;
    for (service, layout) in services {
        crate::ensure_laid_out_table(&tables.client, &tables.table(service), layout)
            .await
            .expect("a table on moto");
    }
    tables
}

/// A client configuration for `endpoint` with dummy credentials (on the
/// client, not in the process environment).
pub fn client_config(endpoint: &str) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(endpoint)
}

/// The moto_server binary the tests run.
pub fn moto_bin() -> PathBuf {
    std::env::var_os("HRMS_TEST_MOTO").map(PathBuf::from).expect(
        "HRMS_TEST_MOTO is not set: run tests/run, which installs moto into the test venv \
         (or set HRMS_TEST_MOTO to a moto_server binary)",
    )
}

/// `http://127.0.0.1:<port>` of this process's server, started if need be.
pub fn endpoint() -> String {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER.get_or_init(start).clone().unwrap_or_else(|e| panic!("{e}"))
}

/// Starts the server from a thread that lives as long as the process: a
/// child asked to die with its parent dies when the thread that started it
/// ends, and each test runs on a thread of its own.
fn start() -> Result<String, String> {
    let bin = moto_bin();
    let (ready, answer) = mpsc::channel();
    std::thread::Builder::new()
        .name("moto-server".into())
        .spawn(move || {
            let port = free_port();
            let mut command = Command::new(&bin);
            command
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(if std::env::var_os("TEST_LOG").is_some() {
                    Stdio::inherit()
                } else {
                    Stdio::null()
                });
            die_with_parent(&mut command);
            let started = command
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", bin.display()))
                .and_then(|child| wait_until_listening(child, port));
            match started {
                Ok(_child) => {
                    let _ = ready.send(Ok(format!("http://127.0.0.1:{port}")));
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            }
        })
        .map_err(|e| format!("cannot start the moto thread: {e}"))?;
    answer.recv().map_err(|_| "the moto thread ended".to_owned())?
}

fn wait_until_listening(mut child: Child, port: u16) -> Result<Child, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("moto_server exited at start: {status}"));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(format!("moto_server did not listen on {port} within 30 s"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(child)
}

pub fn free_port() -> u16 {
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
