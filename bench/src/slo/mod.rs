//! `hrms-bench slo`: the seed's success metrics, measured on the topology
//! as deployed, under an open-loop load and faults on a schedule.
//!
//! It starts the brokers ([`brokers`]: one tansu on SQLite storage, or
//! with `--brokers N` N of them on one PostgreSQL), an aiosmtpd server that
//! records each message's arrival, and every function as its own
//! `hrms serve` on its own store (a SQLite file, or with `--store dynamodb`
//! a table on a moto server it starts), the Kafka-triggered ones consuming
//! their topics (`--topology dev`: one `hrms dev` instead); makes a
//! population of managers and employees through the User function; then
//! offers the whole HR workload of `bench mixed` at a fixed rate
//! ([`load`]) while injecting the `--fault`s ([`faults`]) and sampling the
//! broker and the functions ([`observe`]). After the load it waits until
//! everything published is consumed and every mail due is sent (or a
//! deadline), stops the functions and reads what they recorded
//! ([`records`]): the audit log's event and persisted times, the
//! Notification function's deliveries, the outboxes' leftovers, the SMTP
//! server's arrivals. [`report`] judges the figures against the targets.

mod brokers;
mod dynamo;
mod faults;
mod front;
mod load;
mod observe;
mod records;
mod report;
mod topology;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use hrms_http::Authenticator;
use tokio::sync::watch;

use crate::mixed::people::{self, Hr, Issuer};
use crate::mixed::worker::{Op, Urls};
use observe::Published;
use report::{Measured, Stats};
use topology::{Setup, Topology};

#[derive(clap::Args)]
pub struct SloArgs {
    /// Operations offered per second (open loop: due on time whatever the answers take).
    #[arg(long, default_value_t = 300.0)]
    rate: f64,
    /// How long the load lasts, e.g. 60s.
    #[arg(long, default_value = "60s", value_parser = duration)]
    duration: Duration,
    /// `apart`: every function its own `hrms serve`; `dev`: one `hrms dev`.
    #[arg(long, default_value = "apart", value_parser = ["apart", "dev"])]
    topology: String,
    /// The functions' stores: `sqlite` (a file each) or `dynamodb` (a table
    /// each, on a moto server the run starts: `$HRMS_TEST_MOTO`).
    #[arg(long, default_value = "sqlite", value_parser = ["sqlite", "dynamodb"])]
    store: String,
    /// A fault on a schedule (repeatable): broker-restart@20s+10s,
    /// kill:<function>@30s, smtp-down@15s+20s, store-down:<function>@40s+10s.
    #[arg(long = "fault")]
    faults: Vec<String>,
    /// Where to write the JSON report.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Where to write the HTML report with charts.
    #[arg(long)]
    html: Option<PathBuf>,
    /// A directory to write the HTML report's charts into, one SVG file each
    /// (latency.svg, lag.svg, distribution.svg).
    #[arg(long)]
    charts: Option<PathBuf>,
    /// The `hrms` binary (default: the one beside this benchmark's binary).
    #[arg(long)]
    hrms: Option<PathBuf>,
    /// A Kafka to use (`host:port`) instead of starting tansu (no broker faults then).
    #[arg(long)]
    kafka: Option<String>,
    /// How many tansu brokers to start: 1 on SQLite storage, or more sharing
    /// one PostgreSQL (started for the run; needs PostgreSQL 16 or later,
    /// `$HRMS_TEST_POSTGRES`, and a tansu built with its `postgres` feature)
    /// behind one address. `broker-restart` kills the first.
    #[arg(long, default_value_t = 1)]
    brokers: usize,
    /// An SMTP server to use (as `HRMS_SMTP_URL`) instead of starting aiosmtpd
    /// (no mail arrivals are recorded then).
    #[arg(long)]
    smtp_url: Option<String>,
    /// Employees with accounts (made through `POST /users` before the load).
    #[arg(long, default_value_t = 200)]
    employees: usize,
    /// Employees per manager.
    #[arg(long, default_value_t = 10)]
    team: usize,
    /// Workers, each acting for its own employees one operation at a time.
    #[arg(long, default_value_t = 64)]
    workers: usize,
    /// How long to wait after the load for everything to be consumed and mailed.
    #[arg(long, default_value = "120s", value_parser = duration)]
    drain: Duration,
    /// What fails the run: `targets` (every row of the table) or `delivery`
    /// (delivery rate, loss, duplicates and lag only; the latency rows are
    /// printed and written but do not fail it).
    #[arg(long, default_value = "targets", value_parser = ["targets", "delivery"])]
    gate: String,
    /// The run's directory (stores, broker, logs); a new one under the temp
    /// directory by default, removed after a passing run.
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = match text.strip_suffix("ms") {
        Some(n) => (n, 1e-3),
        None => (text.strip_suffix('s').unwrap_or(text), 1.0),
    };
    let value: f64 = number.parse().map_err(|_| format!("{text:?} is not a duration like 60s"))?;
    Duration::try_from_secs_f64(value * scale).map_err(|e| e.to_string())
}

/// The histogram of produce latency (publish to broker acknowledgement).
const PRODUCE: &str = "hrms_publish_ack_seconds";

pub async fn run(args: SloArgs) -> anyhow::Result<()> {
    if args.rate <= 0.0 || args.workers == 0 || args.team == 0 || args.employees < args.workers {
        bail!("--rate, --workers and --team must be positive, --employees at least --workers");
    }
    let faults: Vec<faults::Fault> =
        args.faults.iter().map(|f| faults::parse(f)).collect::<anyhow::Result<_>>()?;
    let hrms = match &args.hrms {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("hrms"),
    };
    if !hrms.exists() {
        bail!("no hrms binary at {} (build it: cargo build -p hrms; or give --hrms)", hrms.display());
    }
    if args.store == "dynamodb" {
        dynamo::moto_bin()?;
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("hrms-slo-{}", uuid::Uuid::now_v7())));
    std::fs::create_dir_all(&dir)?;
    eprintln!("hrms-bench slo: run directory {}", dir.display());
    let setup = Setup {
        hrms,
        dir: dir.clone(),
        dev: args.topology == "dev",
        bootstrap: args.kafka.clone(),
        brokers: args.brokers,
        smtp_url: args.smtp_url.clone(),
        store: if args.store == "dynamodb" { records::Store::Dynamodb } else { records::Store::Sqlite },
    };
    let topology = Topology::start(&setup).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.workers)
        .timeout(Duration::from_secs(30))
        .build()?;
    for name in topology.functions.keys() {
        ready(&client, &topology.base(name)).await.with_context(|| format!("{name} is not ready"))?;
    }
    let (bootstrap, user) = (topology.bootstrap.clone(), topology.base("user"));
    let urls = Urls {
        leave: topology.base("leave"),
        attendance: topology.base("attendance"),
        employee: topology.base("employee"),
        user: user.clone(),
    };
    let topology = Arc::new(tokio::sync::Mutex::new(topology));

    let auth = Arc::new(Authenticator::hs256(topology::JWT_SECRET.as_bytes())?);
    let issuer = Issuer { address: &user, auth: &auth };
    let made = Instant::now();
    let population = people::create(&issuer, &client, args.employees, args.team, 8).await?;
    eprintln!(
        "population: {} managers and {} employees in {:.1} s",
        population.managers.len(),
        population.employees.len(),
        made.elapsed().as_secs_f64()
    );

    let published: Published = Arc::default();
    let (stop, stopping) = watch::channel(false);
    let observer = tokio::spawn(observe::published(bootstrap.clone(), published.clone(), stopping.clone()));
    // The load starts once the population's events went through: every
    // consumer has joined its group, which takes tansu seconds.
    let warming = Instant::now();
    if !warmed_up(&topology, &published, Duration::from_secs(60)).await {
        eprintln!("the population's events did not all go through within 60 s; loading anyway");
    }
    eprintln!("warmed up in {:.1} s", warming.elapsed().as_secs_f64());
    let start = Instant::now() + Duration::from_secs(1);
    let start_wall = Utc::now() + chrono::Duration::seconds(1);
    let lag = tokio::spawn(observe::lag(bootstrap, start, stopping.clone()));
    let scrapes: observe::Scrapes = Arc::default();
    let scraper = tokio::spawn(scrape_every_second(
        topology.clone(),
        client.clone(),
        scrapes.clone(),
        stopping.clone(),
    ));
    let injected: Vec<_> =
        faults.into_iter().map(|f| tokio::spawn(faults::inject(f, topology.clone(), start))).collect();

    let load = load::run(
        client.clone(),
        urls,
        Hr::new(auth.clone())?,
        &population,
        args.workers,
        args.rate,
        start,
        args.duration,
    )
    .await;
    let loaded = Instant::now();
    let mut faults = Vec::new();
    for task in injected {
        faults.push(task.await.context("a fault's task")??);
    }
    let _ = drained(&topology, &published, args.drain).await;
    let drained_in = loaded.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let lag = lag.await.unwrap_or_default();
    let _ = scraper.await;
    let _ = observer.await;
    let mut topology =
        Arc::try_unwrap(topology).map_err(|_| anyhow::anyhow!("the topology is still in use"))?.into_inner();
    let brokers = match &topology.brokers {
        Some(brokers) => brokers.describe(),
        None => format!("the Kafka at {}", topology.bootstrap),
    };
    topology.stop();

    let published = published.lock().map(|p| p.clone()).unwrap_or_default();
    let produce = observe::sum(
        scrapes.lock().map(|s| s.values().cloned().collect::<Vec<_>>()).unwrap_or_default().into_iter(),
    );
    let at = |t: chrono::DateTime<Utc>| (t - start_wall).as_seconds_f64();

    let recorded = topology.records();
    let rows = recorded.audit_log().await.context("reading the audit log")?;
    let mut expected: HashSet<String> = published
        .iter()
        .filter(|(_, s)| s.event_type.starts_with("audit."))
        .map(|(id, _)| id.clone())
        .collect();
    let left = recorded.outboxes().await.context("reading the outboxes")?;
    expected.extend(left.into_iter().filter(|(_, t)| t.starts_with("audit.")).map(|(id, _)| id));
    let audited: HashSet<&str> = rows.iter().map(|r| r.event_id.as_str()).collect();
    let audit_lost = expected.iter().filter(|id| !audited.contains(id.as_str())).count();
    // Latencies from the load's events only: the population's went out
    // before the consumers had joined (`warmed_up`).
    let audit = rows
        .iter()
        .map(|r| (at(r.time), (r.recorded_at - r.time).as_seconds_f64() * 1e3))
        .filter(|(at, _)| *at >= 0.0)
        .collect();

    let statuses = recorded.email_deliveries().await.context("reading the deliveries")?;
    let due: usize = statuses.values().sum();
    let arrivals = records::arrivals(&topology.arrivals);
    let mail_duplicates = arrivals.values().map(|v| v.len().saturating_sub(1)).sum();
    let not_sent = due - statuses.get("sent").copied().unwrap_or(0);
    let mail_lost =
        if topology.smtp.is_some() { not_sent.max(due.saturating_sub(arrivals.len())) } else { not_sent };
    let mail = arrivals
        .iter()
        .filter_map(|(id, times)| {
            let event = published.get(records::event_of(id))?;
            let first = times.iter().copied().fold(f64::INFINITY, f64::min);
            let arrived = chrono::DateTime::from_timestamp_micros((first * 1e6) as i64)?;
            Some((at(event.time), (arrived - event.time).as_seconds_f64() * 1e3))
        })
        .filter(|(at, _)| *at >= 0.0)
        .collect();

    let http = Op::ALL
        .iter()
        .map(|op| {
            let i = *op as usize;
            let stats = Stats::of(load.tally.latencies[i].iter().map(|d| d.as_secs_f64() * 1e3));
            (op.name().to_owned(), stats, load.tally.answers[i].clone())
        })
        .collect();
    let measured = Measured {
        rate: args.rate,
        seconds: args.duration.as_secs_f64(),
        topology: args.topology.clone(),
        brokers,
        store: args.store.clone(),
        http,
        http_timeline: load.timeline.iter().map(|(at, d)| (*at, d.as_secs_f64() * 1e3)).collect(),
        http_failed: load::failed(&load.tally),
        produce_p95_ms: produce.get(PRODUCE).and_then(|b| observe::quantile(b, 0.95)).map(|s| s * 1e3),
        audit,
        mail,
        lag,
        faults,
        audit_expected: expected.len(),
        audit_lost,
        audit_duplicates: records::audit_duplicates(&rows),
        mail_due: due,
        mail_lost,
        mail_duplicates,
        mail_statuses: statuses,
        drained_in,
        gate_latency: args.gate == "targets",
    };
    eprintln!("offered {} operations", load.offered);
    print!("{}", measured.table());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&measured.json())?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, measured.html()).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(dir) = &args.charts {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (name, svg) in measured.charts() {
            let path = dir.join(name);
            std::fs::write(&path, svg).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if !measured.pass() {
        bail!("a target was missed (the table above says which); the run's logs are in {}", dir.display());
    }
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// Waits until `/readyz` answers 200.
async fn ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = client.get(format!("{base}/readyz")).send().await;
        if answer.is_ok_and(|a| a.status().is_success()) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{base}/readyz did not answer 200 within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Keeps the last `/metrics` of every process start.
async fn scrape_every_second(
    topology: Arc<tokio::sync::Mutex<Topology>>,
    client: reqwest::Client,
    scrapes: observe::Scrapes,
    mut stopping: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stop = tokio::select! {
            _ = stopping.changed() => true,
            _ = tick.tick() => false,
        };
        let targets: Vec<(String, u32, String)> = {
            let t = topology.lock().await;
            t.functions.iter().map(|(name, p)| (name.clone(), p.starts, p.base())).collect()
        };
        for (name, starts, base) in targets {
            if let Some(h) = observe::scrape(&client, &base, &[PRODUCE]).await
                && let Ok(mut scrapes) = scrapes.lock()
            {
                scrapes.insert((name, starts), h);
            }
        }
        if stop {
            return;
        }
    }
}

/// Waits until the observer has seen an audit event and [`drained`] holds,
/// or `limit` has passed; whether it held.
async fn warmed_up(topology: &tokio::sync::Mutex<Topology>, published: &Published, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let seen_audit =
        || published.lock().is_ok_and(|p| p.values().any(|s| s.event_type.starts_with("audit.")));
    while !seen_audit() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drained(topology, published, deadline.saturating_duration_since(Instant::now())).await
}

/// Waits until the outboxes are empty, every audit event published is in
/// the log and every e-mail due is sent (twice in a row, a second apart),
/// or `limit` has passed; whether that happened.
async fn drained(topology: &tokio::sync::Mutex<Topology>, published: &Published, limit: Duration) -> bool {
    let (recorded, arrivals, smtp) = {
        let t = topology.lock().await;
        (t.records(), t.arrivals.clone(), t.smtp.is_some())
    };
    let deadline = Instant::now() + limit;
    let mut in_a_row = 0;
    while Instant::now() < deadline && in_a_row < 2 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let expected: HashSet<String> = published
            .lock()
            .map(|p| {
                p.iter()
                    .filter(|(_, s)| s.event_type.starts_with("audit."))
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default();
        let left = recorded.outboxes().await.map(|o| o.len()).unwrap_or(0);
        let audited: HashSet<String> =
            recorded.audit_log().await.unwrap_or_default().into_iter().map(|r| r.event_id).collect();
        let statuses = recorded.email_deliveries().await.unwrap_or_default();
        let due: usize = statuses.values().sum();
        let sent = statuses.get("sent").copied().unwrap_or(0);
        let arrivals = arrivals.clone();
        let mailed = !smtp
            || tokio::task::spawn_blocking(move || records::arrivals(&arrivals).len())
                .await
                .is_ok_and(|arrived| arrived >= due);
        let done = left == 0 && expected.iter().all(|id| audited.contains(id)) && sent == due && mailed;
        in_a_row = if done { in_a_row + 1 } else { 0 };
    }
    in_a_row >= 2
}
