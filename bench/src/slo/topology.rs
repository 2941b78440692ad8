//! The processes of an `slo` run, each a child of the benchmark on a
//! loopback port, its output in `<run>/logs/`: the brokers
//! ([`super::brokers`]: one tansu on SQLite, or several on one
//! PostgreSQL; records survive a restart), an aiosmtpd server recording what
//! it takes (`bench/python/slo_smtp.py`), and the functions: each its own
//! `hrms serve` (`apart`; the Kafka-triggered ones with `--consume`), or one
//! `hrms dev` (`dev`), on SQLite files or (`--store dynamodb`) on tables of
//! a moto server ([`super::dynamo`]). Every child dies with the benchmark.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::brokers::Brokers;
use super::dynamo;
use super::records::{Records, Store};

/// The functions apart, in start order (callees first).
pub const FUNCTIONS: [&str; 7] =
    ["compliance", "employee", "user", "leave", "attendance", "audit", "notification"];
/// The functions that consume their topics.
const CONSUMERS: [&str; 6] = ["compliance", "leave", "audit", "notification", "user", "attendance"];
/// The HS256 secret every process verifies tokens with.
pub const JWT_SECRET: &str = "hrms-bench-slo-secret-of-at-least-32-characters";
/// The delivery token of every process (nothing pushes to `/deliveries`).
const DELIVERY_TOKEN: &str = "hrms-bench-slo-delivery-token-of-32-characters";

/// A child process that can be killed and started again the same way.
pub struct Proc {
    pub name: String,
    command: Box<dyn Fn() -> Command + Send>,
    child: Option<Child>,
    log: PathBuf,
    pub port: u16,
    /// How many times it was started.
    pub starts: u32,
}

impl Proc {
    pub(super) fn new(
        name: &str,
        port: u16,
        logs: &Path,
        command: impl Fn() -> Command + Send + 'static,
    ) -> Self {
        let log = logs.join(format!("{name}.log"));
        Self { name: name.into(), command: Box::new(command), child: None, log, port, starts: 0 }
    }

    /// Starts it (appending to its log).
    pub fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
        let mut command = (self.command)();
        command.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
        die_with_parent(&mut command);
        let child = command.spawn().with_context(|| format!("starting {}", self.name))?;
        self.child = Some(child);
        self.starts += 1;
        Ok(())
    }

    /// SIGKILL, as a crash or an OOM kill would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, and waits up to `limit` for it to exit (then SIGKILL).
    pub fn terminate(&mut self, limit: Duration) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// SIGSTOP (`true`) or SIGCONT (`false`).
    pub fn freeze(&self, frozen: bool) {
        if let Some(child) = &self.child {
            let signal = if frozen { "-STOP" } else { "-CONT" };
            let _ =
                Command::new("kill").args([signal, &child.id().to_string()]).stderr(Stdio::null()).status();
        }
    }

    /// Waits until it accepts connections on its port.
    pub async fn listening(&mut self, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return Ok(());
            }
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                bail!("{} exited at start ({status}); see {}", self.name, self.log.display());
            }
            if Instant::now() > deadline {
                bail!(
                    "{} did not listen on {} within {limit:?}; see {}",
                    self.name,
                    self.port,
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.freeze(false);
        self.kill();
    }
}

/// The brokers, the SMTP server, moto and the functions of one run.
pub struct Topology {
    /// The brokers started for the run (none with `--kafka`).
    pub brokers: Option<Brokers>,
    pub bootstrap: String,
    pub smtp: Option<Proc>,
    pub smtp_url: String,
    /// Where the SMTP server records arrivals.
    pub arrivals: PathBuf,
    /// By function name (`dev` holds every function under the name `dev`).
    pub functions: BTreeMap<String, Proc>,
    /// The data directory of each function's store, by function name.
    pub data: BTreeMap<String, PathBuf>,
    pub dev: bool,
    /// moto, when the stores are DynamoDB tables (`stop` leaves it up: the
    /// records are read after; it dies with the topology).
    pub moto: Option<Proc>,
}

/// What starts the topology.
pub struct Setup {
    pub hrms: PathBuf,
    pub dir: PathBuf,
    pub dev: bool,
    /// A broker to use instead of starting tansu.
    pub bootstrap: Option<String>,
    /// How many tansu brokers to start (several share one PostgreSQL).
    pub brokers: usize,
    /// An SMTP server to use instead of starting aiosmtpd (no arrival record then).
    pub smtp_url: Option<String>,
    /// Where the functions keep their data.
    pub store: Store,
}

impl Topology {
    pub async fn start(setup: &Setup) -> anyhow::Result<Self> {
        let logs = setup.dir.join("logs");
        std::fs::create_dir_all(&logs)?;
        let (brokers, bootstrap) = match &setup.bootstrap {
            Some(bootstrap) => (None, bootstrap.clone()),
            None => {
                let brokers = Brokers::start(setup.brokers, &setup.dir, &logs).await?;
                let bootstrap = brokers.bootstrap.clone();
                (Some(brokers), bootstrap)
            }
        };
        let arrivals = setup.dir.join("smtp-arrivals.jsonl");
        let (smtp, smtp_url) = match &setup.smtp_url {
            Some(url) => (None, url.clone()),
            None => {
                let mut smtp = aiosmtpd(&arrivals, &logs)?;
                smtp.spawn()?;
                smtp.listening(Duration::from_secs(30)).await?;
                let url = format!("smtp://127.0.0.1:{}", smtp.port);
                (Some(smtp), url)
            }
        };
        let moto = match setup.store {
            Store::Sqlite => None,
            Store::Dynamodb => {
                let mut moto = dynamo::moto(&logs)?;
                moto.spawn()?;
                moto.listening(Duration::from_secs(30)).await?;
                Some(moto)
            }
        };
        let topics = Command::new(&setup.hrms)
            .args(["topics", "create"])
            .env("KAFKA_BOOTSTRAP_SERVERS", &bootstrap)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(logs.join("topics.log"))?)
            .status()
            .context("hrms topics create")?;
        if !topics.success() {
            bail!("hrms topics create failed: {topics}");
        }
        let mut topology = Self {
            brokers,
            bootstrap,
            smtp,
            smtp_url,
            arrivals,
            functions: BTreeMap::new(),
            data: BTreeMap::new(),
            dev: setup.dev,
            moto,
        };
        if setup.dev {
            topology.add_dev(setup, &logs)?;
        } else {
            topology.add_apart(setup, &logs)?;
        }
        for function in topology.functions.values_mut() {
            function.spawn()?;
            function.listening(Duration::from_secs(120)).await?;
        }
        Ok(topology)
    }

    fn add_apart(&mut self, setup: &Setup, logs: &Path) -> anyhow::Result<()> {
        let ports: BTreeMap<&str, u16> =
            FUNCTIONS.iter().map(|f| Ok((*f, free_port()?))).collect::<anyhow::Result<_>>()?;
        let url = |f: &str| format!("http://127.0.0.1:{}", ports[f]);
        for function in FUNCTIONS {
            let data = setup.dir.join("data").join(function);
            std::fs::create_dir_all(&data)?;
            let mut env = self.common_env(&data);
            env.push(("PORT".into(), ports[function].to_string()));
            env.push(("HRMS_COMPLIANCE_URL".into(), url("compliance")));
            env.push(("HRMS_EMPLOYEE_URL".into(), url("employee")));
            if function != "user" {
                env.push(("HRMS_USER_URL".into(), url("user")));
            }
            if function == "notification" {
                env.push(("HRMS_SMTP_URL".into(), self.smtp_url.clone()));
            }
            if CONSUMERS.contains(&function) {
                env.push(("HRMS_CONSUME".into(), "true".into()));
                // Static membership, as a platform that restarts a replica
                // under its own name (a StatefulSet's pod): the restarted
                // process takes its partitions back at once. (A new member
                // id waits out its dead predecessor's session, and on tansu
                // 0.6 can be left with no partitions: docs/events.md.)
                env.push(("KAFKA_GROUP_INSTANCE_ID".into(), format!("{function}-0")));
                if setup.bootstrap.is_none() {
                    env.extend(on_tansu(function));
                }
            }
            let hrms = setup.hrms.clone();
            let proc = Proc::new(function, ports[function], logs, move || {
                let mut command = Command::new(&hrms);
                command.args(["serve", function]).envs(env.iter().map(|(k, v)| (k, v)));
                command
            });
            self.functions.insert(function.into(), proc);
            self.data.insert(function.into(), data);
        }
        Ok(())
    }

    fn add_dev(&mut self, setup: &Setup, logs: &Path) -> anyhow::Result<()> {
        let port = free_port()?;
        let data = setup.dir.join("data").join("dev");
        std::fs::create_dir_all(&data)?;
        let mut env = self.common_env(&data);
        env.push(("HRMS_LISTEN".into(), format!("127.0.0.1:{port}")));
        env.push(("HRMS_SMTP_URL".into(), self.smtp_url.clone()));
        env.push(("KAFKA_GROUP_INSTANCE_ID".into(), "dev-0".into()));
        let hrms = setup.hrms.clone();
        let proc = Proc::new("dev", port, logs, move || {
            let mut command = Command::new(&hrms);
            command.arg("dev").envs(env.iter().map(|(k, v)| (k, v)));
            command
        });
        self.functions.insert("dev".into(), proc);
        for function in FUNCTIONS {
            self.data.insert(function.into(), data.clone());
        }
        Ok(())
    }

    /// The base URL of `function` (of `dev` for every function there).
    pub fn base(&self, function: &str) -> String {
        let name = if self.dev { "dev" } else { function };
        self.functions.get(name).map(Proc::base).unwrap_or_default()
    }

    /// The process that runs `function`.
    pub fn process(&mut self, function: &str) -> Option<&mut Proc> {
        let name = if self.dev { "dev" } else { function };
        self.functions.get_mut(name)
    }

    /// Where to read what the functions recorded: their SQLite files, or
    /// their tables on moto.
    pub fn records(&self) -> Records {
        match &self.moto {
            Some(moto) => Records::Dynamo(dynamo::Tables::new(&dynamo::endpoint(moto.port))),
            None => Records::Sqlite(
                self.data.iter().map(|(f, data)| (f.clone(), data.join(format!("{f}.db")))).collect(),
            ),
        }
    }

    /// What every function's process is given: the broker, its store (the
    /// SQLite files under `data`, or its table on moto), the secrets, logs.
    fn common_env(&self, data: &Path) -> Vec<(String, String)> {
        let mut env = vec![
            ("KAFKA_BOOTSTRAP_SERVERS".into(), self.bootstrap.clone()),
            ("HRMS_DATA_DIR".into(), data.display().to_string()),
            ("HRMS_JWT_SECRET".into(), JWT_SECRET.into()),
            ("HRMS_DELIVERY_TOKEN".into(), DELIVERY_TOKEN.into()),
            ("HRMS_LOG_JSON".into(), "true".into()),
            ("RUST_LOG".into(), std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into())),
        ];
        match &self.moto {
            Some(moto) => env.extend(dynamo::env(&dynamo::endpoint(moto.port))),
            None => env.push(("HRMS_STORE".into(), "sqlite".into())),
        }
        env
    }

    /// SIGTERM to every function (they finish what they hold), then the
    /// SMTP server and the brokers.
    pub fn stop(&mut self) {
        for function in self.functions.values_mut().rev() {
            function.freeze(false);
            function.terminate(Duration::from_secs(20));
        }
        if let Some(smtp) = &mut self.smtp {
            smtp.kill();
        }
        if let Some(brokers) = &mut self.brokers {
            brokers.stop();
        }
    }
}

/// How the consumers read from tansu: tansu holds every fetch for its
/// whole `fetch.wait.max.ms`, records or not, where Kafka answers as soon as
/// records come, so there the wait is each event's delay and each idle
/// poll costs the broker three SQL statements per partition, each planned
/// anew. Audit and Notification, whose delays the run measures, poll every
/// 20 ms and batch what one fetch brought (2 ms); the reactions to
/// terminations and findings (Leave, Compliance, User, Attendance) every
/// 250 ms.
fn on_tansu(function: &str) -> [(String, String); 2] {
    let (fetch_wait, batch_wait) = match function {
        "audit" | "notification" => ("20", "2"),
        _ => ("250", "10"),
    };
    [
        ("KAFKA_FETCH_WAIT_MAX_MS".into(), fetch_wait.into()),
        ("HRMS_BATCH_MAX_WAIT_MS".into(), batch_wait.into()),
    ]
}

/// aiosmtpd with the recording handler, from `HRMS_TEST_PYTHON`'s venv.
fn aiosmtpd(arrivals: &Path, logs: &Path) -> anyhow::Result<Proc> {
    let python = std::env::var_os("HRMS_TEST_PYTHON")
        .map(PathBuf::from)
        .context("HRMS_TEST_PYTHON is not set (a Python with aiosmtpd); or give --smtp-url")?;
    let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python");
    let port = free_port()?;
    let arrivals = arrivals.to_owned();
    Ok(Proc::new("smtp", port, logs, move || {
        let mut command = Command::new(&python);
        command
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "slo_smtp.Recorder"])
            .arg(&arrivals)
            .env("PYTHONPATH", &scripts);
        command
    }))
}

pub(super) fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Makes a child die with the benchmark, even when it is killed.
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches only the child.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
