//! The brokers `slo` starts (none with `--kafka`): one tansu on SQLite
//! storage in `<run>/broker/`, or, with `--brokers N` (N > 1), a cluster of
//! N tansu brokers sharing one PostgreSQL in `<run>/postgres/`, behind one
//! [`Front`] address that every broker advertises. tansu's brokers keep no
//! state of their own: any of them serves every partition and every group
//! from the shared storage, so a killed broker's clients carry on through
//! the others (as a Strimzi cluster's clients do through the partitions'
//! new leaders). The storage itself is not part of a broker fault.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use super::front::Front;
use super::topology::{Proc, free_port};

/// tansu 0.6's PostgreSQL schema (tansu does not create it).
const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tansu/postgres-schema.sql");

/// The brokers of a run and the address the clients bootstrap from.
pub struct Brokers {
    /// In the order the front tries them; a broker fault kills the first.
    pub brokers: Vec<Proc>,
    pub postgres: Option<Proc>,
    pub bootstrap: String,
    front: Option<Front>,
    /// The run's copy of PostgreSQL's programs, if one was made (removed at
    /// the stop: a kept run directory keeps its data and logs, not those).
    programs: Option<PathBuf>,
}

impl Brokers {
    pub async fn start(count: usize, dir: &Path, logs: &Path) -> anyhow::Result<Self> {
        if count <= 1 {
            return Self::on_sqlite(dir, logs).await;
        }
        let (mut postgres, psql) = postgres(dir, logs)?;
        postgres.spawn()?;
        postgres.listening(Duration::from_secs(60)).await?;
        apply_schema(&psql, postgres.port, logs).await?;
        let storage = format!("postgres://postgres@127.0.0.1:{}/postgres", postgres.port);
        let ports: Vec<u16> = (0..count).map(|_| free_port()).collect::<anyhow::Result<_>>()?;
        let addresses = ports.iter().map(|p| SocketAddr::from(([127, 0, 0, 1], *p))).collect();
        let front = Front::start(addresses).await.context("the brokers' front")?;
        let advertised = format!("tcp://127.0.0.1:{}", front.port);
        let mut brokers = Vec::new();
        for (i, port) in ports.into_iter().enumerate() {
            let mut broker = tansu(&format!("broker-{i}"), port, &advertised, &storage, dir, logs)?;
            broker.spawn()?;
            broker.listening(Duration::from_secs(30)).await?;
            brokers.push(broker);
        }
        let bootstrap = format!("127.0.0.1:{}", front.port);
        let programs = Some(dir.join("postgres/install")).filter(|p| p.exists());
        Ok(Self { brokers, postgres: Some(postgres), bootstrap, front: Some(front), programs })
    }

    async fn on_sqlite(dir: &Path, logs: &Path) -> anyhow::Result<Self> {
        let storage = dir.join("broker");
        std::fs::create_dir_all(&storage)?;
        let port = free_port()?;
        let url = format!("tcp://127.0.0.1:{port}");
        // tansu reads a sqlite:// path relative to its working directory.
        let mut broker = tansu("broker", port, &url, "sqlite://tansu.db", &storage, logs)?;
        broker.spawn()?;
        broker.listening(Duration::from_secs(30)).await?;
        let db = storage.join("tansu.db");
        tokio::task::spawn_blocking(move || hrms_e2e::tansu::index_headers(&db, Duration::from_secs(30)))
            .await?
            .context("indexing the broker's headers")?;
        let bootstrap = format!("127.0.0.1:{port}");
        Ok(Self { brokers: vec![broker], postgres: None, bootstrap, front: None, programs: None })
    }

    /// What the report calls them.
    pub fn describe(&self) -> String {
        match (self.brokers.len(), &self.front) {
            (n, Some(_)) => format!("{n} tansu brokers on one PostgreSQL"),
            _ => "1 tansu broker on SQLite".into(),
        }
    }

    /// Kills every broker, then the storage.
    pub fn stop(&mut self) {
        for broker in &mut self.brokers {
            broker.kill();
        }
        if let Some(postgres) = &mut self.postgres {
            postgres.terminate(Duration::from_secs(10));
        }
        if let Some(programs) = self.programs.take() {
            let _ = std::fs::remove_dir_all(programs);
        }
        self.front = None;
    }
}

/// The tansu binary: `TANSU_BIN`, else where `tests/run` installs it.
fn tansu_bin() -> anyhow::Result<PathBuf> {
    let bin = match std::env::var_os("TANSU_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => std::env::home_dir().context("no home directory")?.join(".cache/hrms/tansu/bin/tansu"),
    };
    if !bin.exists() {
        bail!("no broker at {}: set TANSU_BIN or give --kafka", bin.display());
    }
    Ok(bin)
}

fn tansu(
    name: &str,
    port: u16,
    advertised: &str,
    storage: &str,
    cwd: &Path,
    logs: &Path,
) -> anyhow::Result<Proc> {
    let bin = tansu_bin()?;
    let (advertised, storage, cwd) = (advertised.to_owned(), storage.to_owned(), cwd.to_owned());
    Ok(Proc::new(name, port, logs, move || {
        let mut command = Command::new(&bin);
        command.current_dir(&cwd).args([
            "broker",
            "--storage-engine",
            &storage,
            "--listener-url",
            &format!("tcp://127.0.0.1:{port}"),
            "--advertised-listener-url",
            &advertised,
        ]);
        command
    }))
}

/// A PostgreSQL server in `<run>/postgres/` on a loopback port, trusting
/// loopback connections (nothing else can reach it), and its `psql`.
/// PostgreSQL refuses to run as root: as root it runs as the `postgres`
/// user (or `nobody`), from a copy of its programs in the run directory
/// when that user cannot reach them where they are (a venv under `/root`).
fn postgres(dir: &Path, logs: &Path) -> anyhow::Result<(Proc, PathBuf)> {
    let home = dir.join("postgres");
    let data = home.join("data");
    std::fs::create_dir_all(&home)?;
    let mut bin = pg_bin()?;
    let user = server_user()?;
    if let Some((uid, gid)) = user {
        if !reachable_by_all(&bin) {
            bin = copy_install(&bin, &home.join("install"))?;
        }
        std::os::unix::fs::chown(&home, Some(uid), Some(gid))
            .with_context(|| format!("giving {} to the server's user", home.display()))?;
    }
    let as_user = move |command: &mut Command| {
        if let Some((uid, gid)) = user {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
    };
    let mut initdb = Command::new(bin.join("initdb"));
    initdb.args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "-D"]).arg(&data);
    as_user(&mut initdb);
    let log = std::fs::File::create(logs.join("initdb.log"))?;
    let status = initdb.stdout(log.try_clone()?).stderr(log).status().context("initdb")?;
    if !status.success() {
        bail!("initdb failed ({status}); see {}", logs.join("initdb.log").display());
    }
    let (port, server) = (free_port()?, bin.join("postgres"));
    let proc = Proc::new("postgres", port, logs, move || {
        let mut command = Command::new(&server);
        command.arg("-D").arg(&data).args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"]).arg(&home);
        as_user(&mut command);
        command
    });
    Ok((proc, bin.join("psql")))
}

async fn apply_schema(psql: &Path, port: u16, logs: &Path) -> anyhow::Result<()> {
    let log = std::fs::File::create(logs.join("schema.log"))?;
    let mut psql = tokio::process::Command::new(psql);
    psql.args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "-d", "postgres"])
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-f", SCHEMA])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // The server listens a moment before it takes connections.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = psql.status().await.context("psql")?;
        if status.success() {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("the tansu schema did not apply ({status}); see {}", logs.join("schema.log").display());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `(uid, gid)` of the user the server runs as when this runs as root:
/// `postgres` (Debian's package makes it), else `nobody`.
fn server_user() -> anyhow::Result<Option<(u32, u32)>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    for name in [c"postgres", c"nobody"] {
        // SAFETY: a NUL-terminated name; the entry is read before any
        // other getpw* call could reuse it.
        let entry = unsafe { libc::getpwnam(name.as_ptr()) };
        if !entry.is_null() {
            // SAFETY: not null.
            return Ok(Some(unsafe { ((*entry).pw_uid, (*entry).pw_gid) }));
        }
    }
    bail!("PostgreSQL does not run as root, and there is neither a `postgres` nor a `nobody` user")
}

/// The directory of PostgreSQL's programs: `HRMS_TEST_POSTGRES` (tests/run
/// sets it to the PyPI `pgserver` wheel's), else `postgres` on `PATH`, else
/// Debian's newest `/usr/lib/postgresql/<version>/bin`; 16 or later, as
/// tansu 0.6's SQL needs (PostgreSQL 15 refuses its `ListOffsets`).
fn pg_bin() -> anyhow::Result<PathBuf> {
    let from_env = std::env::var_os("HRMS_TEST_POSTGRES").map(PathBuf::from);
    let on_path = || {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).find(|dir| dir.join("postgres").is_file())
    };
    let debian = || {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
            .filter(|(_, bin)| bin.join("postgres").is_file())
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    };
    let bin = from_env.or_else(on_path).or_else(debian).context(
        "no PostgreSQL: set HRMS_TEST_POSTGRES to the directory of its programs (tests/run sets it)",
    )?;
    let version =
        Command::new(bin.join("postgres")).arg("--version").output().context("postgres --version")?;
    let text = String::from_utf8_lossy(&version.stdout).into_owned();
    let major: u32 = text
        .split_whitespace()
        .find_map(|word| word.split('.').next()?.parse().ok())
        .with_context(|| format!("no version in {text:?}"))?;
    if major < 16 {
        bail!(
            "{} is PostgreSQL {major}; tansu 0.6 needs 16 or later (HRMS_TEST_POSTGRES: PyPI's pgserver has 16)",
            bin.display()
        );
    }
    Ok(bin)
}

/// Whether every directory above `path` lets others through.
fn reachable_by_all(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.ancestors().all(|dir| std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
}

/// Copies the installation `bin` belongs to (`<package>/<install>/bin`,
/// `lib`, `share`) under `to`, keeping the libraries a wheel keeps beside
/// its package (`<site>/<package>.libs`, which the programs' RPATH
/// `$ORIGIN/../../../pgserver.libs` names) at the same distance; the copy's `bin`.
fn copy_install(bin: &Path, to: &Path) -> anyhow::Result<PathBuf> {
    let install = bin.parent().context("PostgreSQL's bin has no parent")?;
    let package = install.parent().context("PostgreSQL's installation has no parent")?;
    let (Some(install_name), Some(package_name)) = (install.file_name(), package.file_name()) else {
        bail!("{} is not an installation to copy", bin.display());
    };
    let copy = to.join(package_name).join(install_name);
    std::fs::create_dir_all(to.join(package_name))?;
    let mut copies = vec![(install.to_owned(), copy.clone())];
    let libs = format!("{}.libs", package_name.to_string_lossy());
    if let Some(site) = package.parent()
        && site.join(&libs).is_dir()
    {
        copies.push((site.join(&libs), to.join(&libs)));
    }
    for (from, into) in copies {
        let status = Command::new("cp").arg("-a").arg(&from).arg(&into).status().context("cp")?;
        if !status.success() {
            bail!("copying {} to {} failed ({status})", from.display(), into.display());
        }
    }
    Ok(copy.join(bin.file_name().context("a bin directory")?))
}
