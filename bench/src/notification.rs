//! `hrms-bench notification`: the Notification function from event to an
//! SMTP server's acceptance, on its embedded store (SQLite), fed by the
//! in-process consumer runtime (batches of up to 500 records or 200 ms, as
//! `dev` runs it), sending through the SMTP pool of `HRMS_SMTP_*`. Each event
//! (`leave.approved`, for one of 100 employees) makes one e-mail and one
//! in-app notice. Two runs:
//! - maximum rate: a backlog of events, mailed as fast as it goes; prints
//!   mails accepted per second;
//! - latency: events at a fixed rate; prints event time -> accepted by SMTP
//!   p50/p95/p99.
//!
//! It needs an SMTP server, e.g. aiosmtpd discarding what it takes:
//! `python -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Sink`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hrms_events::topics::NOTIFICATION_QUEUE;
use hrms_events::{EventType, HrmsEvent, Payload, fixtures};
use hrms_notification::contacts::ContactUpdate;
use hrms_notification::{NotificationStore, Templates};
use hrms_notification_adapters::channels::{
    Email, Mailer, SendError, SmtpConfig, SmtpMailer, Subscribers, message_id,
};
use hrms_notification_adapters::consumer::{Dispatcher, GROUP, NotificationHandler};
use hrms_notification_adapters::sqlite::SqliteNotificationStore;
use hrms_platform::EventPublisher;
use hrms_platform::inprocess::{BatchSettings, InProcessBus};
use hrms_sqlite::Store as _;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use super::Figures;

#[derive(clap::Args)]
pub struct NotificationArgs {
    /// The SMTP server (as `HRMS_SMTP_URL`); `HRMS_SMTP_POOL_SIZE` and the
    /// other `HRMS_SMTP_*` settings apply.
    #[arg(long, env = "HRMS_SMTP_URL")]
    smtp: String,
    /// Events in the maximum-rate run.
    #[arg(long, default_value_t = 5_000)]
    events: usize,
    /// Events per second in the latency run.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Seconds of the latency run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Where the benchmark's databases go (a fresh one per run).
    #[arg(long, default_value = "./data/bench")]
    dir: std::path::PathBuf,
}

/// The SMTP mailer, timing each mail from its event's time to accepted.
struct Timed {
    inner: SmtpMailer,
    /// Message-ID -> the time of the event the mail is about.
    events: Mutex<HashMap<String, DateTime<Utc>>>,
    delays: Mutex<Vec<Duration>>,
}

impl Mailer for Timed {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            self.inner.send(email).await?;
            let now = Utc::now();
            let time = self.events.lock().ok().and_then(|e| e.get(&email.message_id).copied());
            if let (Some(time), Ok(mut delays)) = (time, self.delays.lock()) {
                delays.push((now - time).to_std().unwrap_or_default());
            }
            Ok(())
        })
    }
}

impl Timed {
    fn accepted(&self) -> usize {
        self.delays.lock().map(|d| d.len()).unwrap_or(0)
    }

    fn expect(&self, events: &[HrmsEvent], people: &[(Uuid, String)]) {
        if let Ok(mut expected) = self.events.lock() {
            for (event, (_, email)) in events.iter().zip(people.iter().cycle()) {
                expected.insert(message_id(event.id, "email", email), event.time);
            }
        }
    }
}

pub async fn run(args: NotificationArgs) -> anyhow::Result<()> {
    if args.events == 0 || args.rate == 0 || args.seconds == 0 {
        bail!("--events, --rate and --seconds must be positive");
    }
    let mut config = SmtpConfig::from_env()?.unwrap_or_else(|| SmtpConfig::new(&args.smtp));
    config.url = args.smtp.clone();
    println!(
        "notification on SQLite, in-process consumer (batches of up to 500 or 200 ms), SMTP at {} (pool of {})",
        config.url, config.pool_size
    );
    println!("{:<16} {:>12} {:>10} {:>10} {:>10}", "run", "mails/s", "p50 ms", "p95 ms", "p99 ms");
    let people: Vec<(Uuid, String)> =
        (0..100).map(|i| (Uuid::now_v7(), format!("employee{i}@example.com"))).collect();

    let run = Run::start(&args.dir, &config, &people).await?;
    let backlog = approvals(args.events, &people);
    run.mailer.expect(&backlog, &people);
    let started = Instant::now();
    run.bus.publish_all(&backlog).await?;
    run.wait(backlog.len()).await?;
    run.finish("maximum rate", started.elapsed()).await?;

    let run = Run::start(&args.dir, &config, &people).await?;
    let total = args.rate as usize * args.seconds as usize;
    let per_tick = (args.rate as usize / 100).max(1);
    let mut interval = tokio::time::interval(Duration::from_millis(10));
    let started = Instant::now();
    let mut sent = 0;
    while sent < total {
        interval.tick().await;
        let batch = approvals(per_tick.min(total - sent), &people[sent % people.len()..]);
        run.mailer.expect(&batch, &people[sent % people.len()..]);
        sent += batch.len();
        run.bus.publish_all(&batch).await?;
    }
    run.wait(total).await?;
    run.finish(&format!("at {}/s", args.rate), started.elapsed()).await
}

/// `n` approvals of leave, one for each of `people` in turn.
fn approvals(n: usize, people: &[(Uuid, String)]) -> Vec<HrmsEvent> {
    people
        .iter()
        .cycle()
        .take(n)
        .map(|(employee_id, _)| {
            let mut event = fixtures::sample(EventType::LeaveApproved);
            event.id = Uuid::now_v7();
            event.time = Utc::now();
            if let Payload::LeaveApproved(p) = &mut event.payload {
                p.employee_id = *employee_id;
                p.leave_id = Uuid::now_v7();
            }
            event
        })
        .collect()
}

/// One run: a fresh store, the handler consuming a new bus, the dispatcher.
struct Run {
    bus: InProcessBus,
    mailer: Arc<Timed>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Run {
    async fn start(
        dir: &std::path::Path,
        config: &SmtpConfig,
        people: &[(Uuid, String)],
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("notification-{}.db", Uuid::now_v7()));
        let store = Arc::new(
            SqliteNotificationStore::open(&path).with_context(|| format!("opening {}", path.display()))?,
        );
        for (employee_id, email) in people {
            let update = ContactUpdate {
                user_id: Some(Uuid::now_v7()),
                employee_id: Some(*employee_id),
                name: Some("Bench Employee".into()),
                email: Some(email.clone()),
                active: Some(true),
                ..Default::default()
            };
            store.learn(&update).await?;
        }
        let mailer = Arc::new(Timed {
            inner: SmtpMailer::new(config)?,
            events: Mutex::new(HashMap::new()),
            delays: Mutex::new(Vec::new()),
        });
        let (bus, wake) = (InProcessBus::default(), Arc::new(Notify::new()));
        let subscribers = Arc::new(Subscribers::new(Default::default(), |_| None)?);
        let handler = Arc::new(NotificationHandler {
            store: store.clone(),
            templates: Arc::new(Templates::embedded()),
            directory: None,
            subscribers: subscribers.clone(),
            wake: wake.clone(),
        });
        let dispatcher = Dispatcher {
            store,
            dead_letters: Arc::new(bus.clone()),
            mailer: mailer.clone(),
            subscribers,
            from: config.from.clone(),
            retry: Dispatcher::retry(),
            wake,
            lease: hrms_notification_adapters::consumer::Lease::default(),
        };
        let (stop, stopping) = watch::channel(false);
        let stopped = |mut stopping: watch::Receiver<bool>| async move {
            let _ = stopping.wait_for(|s| *s).await;
        };
        let settings =
            BatchSettings { max_records: 500, max_wait: Duration::from_millis(200), ..Default::default() };
        let consumer = tokio::spawn({
            let (bus, stop) = (bus.clone(), stopped(stopping.clone()));
            async move { bus.consume(NOTIFICATION_QUEUE.name, GROUP, handler.as_ref(), settings, stop).await }
        });
        let dispatching = tokio::spawn({
            let stop = stopped(stopping);
            async move { dispatcher.run(stop).await }
        });
        Ok(Self { bus, mailer, stop, tasks: vec![consumer, dispatching] })
    }

    /// Until `n` mails were accepted; an error if they stop coming.
    async fn wait(&self, n: usize) -> anyhow::Result<()> {
        let (mut last, mut since) = (0, Instant::now());
        while self.mailer.accepted() < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let now = self.mailer.accepted();
            if now > last {
                (last, since) = (now, Instant::now());
            } else if since.elapsed() > Duration::from_secs(30) {
                bail!("{now} of {n} mails accepted, none for 30 s: is the SMTP server up?");
            }
        }
        Ok(())
    }

    async fn finish(self, name: &str, elapsed: Duration) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        for task in self.tasks {
            task.await?;
        }
        let delays =
            std::mem::take(&mut *self.mailer.delays.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
        Figures::new(elapsed, delays).print(name);
        Ok(())
    }
}
