//! `hrms-bench audit`: the Audit function on its embedded store (SQLite,
//! `synchronous=FULL`), fed by the in-process consumer runtime (batches of
//! up to 500 records or 200 ms, as deployed). Two runs:
//! - throughput: a backlog of events about many subjects, persisted as fast
//!   as it goes; prints persisted events/s;
//! - latency: events published at a fixed rate; prints event time ->
//!   persisted p50/p95/p99.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use futures::future::BoxFuture;
use hrms_audit::fixtures::employee_updated;
use hrms_audit_adapters::consumer::{AuditHandler, GROUP};
use hrms_audit_adapters::sqlite::SqliteAuditStore;
use hrms_events::HrmsEvent;
use hrms_events::topics::AUDIT_QUEUE;
use hrms_platform::inprocess::{BatchSettings, InProcessBus};
use hrms_platform::{Delivery, EventPublisher, Handler, HandlerError};
use tokio::sync::watch;
use uuid::Uuid;

use super::Figures;

#[derive(clap::Args)]
pub struct AuditArgs {
    /// Events in the throughput run.
    #[arg(long, default_value_t = 200_000)]
    events: usize,
    /// Subjects the events are about.
    #[arg(long, default_value_t = 1_000)]
    subjects: usize,
    /// Events per second in the latency run.
    #[arg(long, default_value_t = 1_000)]
    rate: u32,
    /// Seconds of the latency run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Where the benchmark's databases go (a fresh one per run).
    #[arg(long, default_value = "./data/bench")]
    dir: std::path::PathBuf,
}

/// The Audit handler, timing each event from its time to persisted.
struct Timed {
    inner: AuditHandler,
    delays: Mutex<Vec<Duration>>,
}

impl Handler for Timed {
    fn name(&self) -> &str {
        "audit"
    }

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            self.inner.handle(batch).await?;
            let now = Utc::now();
            if let Ok(mut delays) = self.delays.lock() {
                delays.extend(batch.iter().map(|d| (now - d.event.time).to_std().unwrap_or_default()));
            }
            Ok(())
        })
    }
}

impl Timed {
    fn persisted(&self) -> usize {
        self.delays.lock().map(|d| d.len()).unwrap_or(0)
    }
}

pub async fn run(args: AuditArgs) -> anyhow::Result<()> {
    if args.events == 0 || args.subjects == 0 || args.rate == 0 || args.seconds == 0 {
        bail!("--events, --subjects, --rate and --seconds must be positive");
    }
    println!("audit on SQLite (synchronous=FULL, WAL), in-process consumer, batches of up to 500 or 200 ms");
    println!("{:<16} {:>12} {:>10} {:>10} {:>10}", "run", "events/s", "p50 ms", "p95 ms", "p99 ms");

    let subjects: Vec<Uuid> = (0..args.subjects).map(|_| Uuid::now_v7()).collect();
    let backlog: Vec<HrmsEvent> = (0..args.events)
        .map(|i| {
            employee_updated(
                subjects[i % subjects.len()],
                (i / subjects.len()) as u64 + 1,
                Utc::now(),
                subjects[0],
            )
        })
        .collect();
    let (bus, handler, stop, consumer) = start(&args.dir)?;
    bus.publish_all(&backlog).await?;
    let started = Instant::now();
    while handler.persisted() < backlog.len() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    finish(stop, consumer).await?;
    let delays = std::mem::take(&mut *handler.delays.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    Figures::new(elapsed, delays).print("throughput");

    let (bus, handler, stop, consumer) = start(&args.dir)?;
    let total = args.rate as u64 * args.seconds;
    let tick = Duration::from_millis(10);
    let per_tick = (args.rate as u64 / 100).max(1);
    let mut interval = tokio::time::interval(tick);
    let started = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        interval.tick().await;
        let batch: Vec<HrmsEvent> = (0..per_tick.min(total - sent))
            .map(|i| {
                let n = (sent + i) as usize;
                employee_updated(subjects[n % subjects.len()], n as u64 + 1, Utc::now(), subjects[0])
            })
            .collect();
        sent += batch.len() as u64;
        bus.publish_all(&batch).await?;
    }
    while handler.persisted() < total as usize {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    finish(stop, consumer).await?;
    let delays = std::mem::take(&mut *handler.delays.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    Figures::new(elapsed, delays).print(&format!("at {}/s", args.rate));
    Ok(())
}

type Started = (InProcessBus, Arc<Timed>, watch::Sender<bool>, tokio::task::JoinHandle<()>);

/// A fresh store and a consumer of the Audit function on a new bus.
fn start(dir: &std::path::Path) -> anyhow::Result<Started> {
    let path = dir.join(format!("audit-{}.db", Uuid::now_v7()));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let store =
        Arc::new(SqliteAuditStore::open(&path).with_context(|| format!("opening {}", path.display()))?);
    let handler = Arc::new(Timed { inner: AuditHandler { store }, delays: Mutex::new(Vec::new()) });
    let bus = InProcessBus::default();
    let (stop, mut stopping) = watch::channel(false);
    let consumer = tokio::spawn({
        let (bus, handler) = (bus.clone(), handler.clone());
        async move {
            let settings = BatchSettings {
                max_records: 500,
                max_wait: Duration::from_millis(200),
                ..Default::default()
            };
            let stopped = async move {
                let _ = stopping.wait_for(|s| *s).await;
            };
            bus.consume(AUDIT_QUEUE.name, GROUP, handler.as_ref(), settings, stopped).await;
        }
    });
    Ok((bus, handler, stop, consumer))
}

async fn finish(stop: watch::Sender<bool>, consumer: tokio::task::JoinHandle<()>) -> anyhow::Result<()> {
    let _ = stop.send(true);
    consumer.await?;
    Ok(())
}
