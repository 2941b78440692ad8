//! The Notification dispatcher over the SMTP pool against aiosmtpd: a
//! thousand mails to ten people over four connections all arrive, once
//! each, and each person's in the order they fell due; mails that meet a
//! dead server are retried, then dead-lettered.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use hrms_e2e::{Smtp, TempDir, eventually};
use hrms_events::{EventType, HrmsEvent, fixtures};
use hrms_notification::{Channel, Delivery, DeliveryKey, NotificationStore, Status, Webhooks};
use hrms_notification_adapters::channels::{DEFAULT_FROM, SmtpConfig, SmtpMailer, Subscribers};
use hrms_notification_adapters::consumer::{Dispatcher, Lease};
use hrms_notification_adapters::sqlite::SqliteNotificationStore;
use hrms_platform::consume::RetryPolicy;
use hrms_platform::inprocess::InProcessBus;
use hrms_sqlite::Store as _;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

const PEOPLE: usize = 10;
const MAILS: usize = 1_000;

/// Mail `n` of `event` to person `n % PEOPLE`, due `n` microseconds after
/// the first: the order the dispatcher takes them in.
fn mail(event: &HrmsEvent, n: usize) -> Delivery {
    let start = Utc::now() - chrono::Duration::seconds(1);
    let due = start + chrono::Duration::microseconds(n as i64);
    let address = format!("person{}@example.com", n % PEOPLE);
    let key = DeliveryKey { event_id: event.id, channel: Channel::Email, recipient: address.clone() };
    Delivery {
        id: key.id(),
        event_id: event.id,
        event_type: event.event_type().as_str().to_owned(),
        event_time: due,
        channel: Channel::Email,
        user_id: None,
        address,
        subject: format!("mail {n}"),
        text: "Enjoy.".into(),
        html: "<p>Enjoy.</p>".into(),
        status: Status::Pending,
        attempts: 0,
        last_error: None,
        created_at: due,
        updated_at: due,
        next_attempt_at: Some(due),
        read_at: None,
        claimed_by: None,
        lease_until: None,
    }
}

/// `count` mails, each about its own event, recorded with their events.
async fn recorded(store: &dyn NotificationStore, count: usize) -> Vec<Delivery> {
    let events: Vec<HrmsEvent> = (0..count).map(|_| fixtures::sample(EventType::LeaveApproved)).collect();
    let mails: Vec<Delivery> = events.iter().enumerate().map(|(n, e)| mail(e, n)).collect();
    for (part, events) in mails.chunks(100).zip(events.chunks(100)) {
        store.record(part.to_vec(), events.to_vec()).await.expect("recorded");
    }
    mails
}

/// A dispatcher on `store` sending over a pool of `pool_size` connections
/// to `smtp`, until `stop` says true.
fn dispatch(
    store: Arc<dyn NotificationStore>,
    smtp: &Smtp,
    pool_size: u32,
    retry: RetryPolicy,
    bus: &InProcessBus,
    stop: &watch::Sender<bool>,
) -> JoinHandle<()> {
    let config = SmtpConfig { pool_size, timeout: Duration::from_secs(5), ..SmtpConfig::new(smtp.url()) };
    let dispatcher = Dispatcher {
        store,
        dead_letters: Arc::new(bus.clone()),
        mailer: Arc::new(SmtpMailer::new(&config).expect("mailer")),
        subscribers: Arc::new(Subscribers::new(Webhooks::default(), |_| None).expect("no webhooks")),
        from: DEFAULT_FROM.into(),
        retry,
        wake: Arc::new(Notify::new()),
        lease: Lease::default(),
    };
    let mut stopping = stop.subscribe();
    tokio::spawn(async move {
        dispatcher
            .run(async move {
                let _ = stopping.wait_for(|s| *s).await;
            })
            .await
    })
}

/// A header's value in a mail file's text.
fn header<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().take_while(|l| !l.is_empty()).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// Where the server took a mail in the order it took them all: Python's
/// Maildir names each file `<time>.M<µs>P<pid>Q<count>.<host>`, the count
/// rising by one a message in the server's process.
fn taken_at(path: &Path) -> u64 {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let count = name.split('.').nth(1).and_then(|part| part.split_once('Q')).map(|(_, q)| q);
    count.and_then(|q| q.parse().ok()).unwrap_or_else(|| panic!("no Q<count> in {name}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_mails_over_four_connections_arrive_once_each_in_order_per_person() {
    let smtp = Smtp::start();
    let dir = TempDir::new();
    let store: Arc<dyn NotificationStore> =
        Arc::new(SqliteNotificationStore::open(dir.0.join("notification.db")).expect("store"));
    let mails = recorded(store.as_ref(), MAILS).await;
    let (stop, bus) = (watch::channel(false).0, InProcessBus::default());
    let running = dispatch(store.clone(), &smtp, 4, Dispatcher::retry(), &bus, &stop);
    eventually("every mail at the server", Duration::from_secs(180), || smtp.messages().len() >= MAILS).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !store.due(Utc::now() + chrono::Duration::hours(1), 1).await.expect("due").is_empty() {
        assert!(Instant::now() < deadline, "mails accepted but not noted sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).expect("stop");
    running.await.expect("dispatcher");

    let mut files = smtp.messages();
    assert_eq!(files.len(), MAILS, "each mail once");
    files.sort_by_key(|path| taken_at(path));
    let mut ids = HashSet::new();
    let mut per_person: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("a mail file");
        ids.insert(header(&text, "Message-ID").expect("Message-ID").to_owned());
        let to = header(&text, "To").expect("To").to_owned();
        let n = header(&text, "Subject").and_then(|s| s.strip_prefix("mail ")).and_then(|n| n.parse().ok());
        per_person.entry(to).or_default().push(n.expect("Subject: mail <n>"));
    }
    assert_eq!(ids.len(), MAILS, "a distinct Message-ID each");
    assert_eq!(per_person.len(), PEOPLE);
    for (to, taken) in &per_person {
        let mut due = taken.clone();
        due.sort_unstable();
        assert_eq!(taken, &due, "{to}'s mails in the order they fell due");
    }
    for d in &mails {
        let stored = store.get(d.id).await.expect("get").expect("recorded");
        assert_eq!((stored.status, stored.attempts), (Status::Sent, 1), "{}", d.id);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mails_that_meet_a_dead_server_are_retried_then_dead_lettered() {
    let mut smtp = Smtp::start();
    let dir = TempDir::new();
    let store: Arc<dyn NotificationStore> =
        Arc::new(SqliteNotificationStore::open(dir.0.join("notification.db")).expect("store"));
    let retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(100),
        ..Dispatcher::retry()
    };
    let (stop, bus) = (watch::channel(false).0, InProcessBus::default());
    let running = dispatch(store.clone(), &smtp, 2, retry, &bus, &stop);
    // One mail while the server lives leaves a connection in the pool.
    let first = recorded(store.as_ref(), 1).await;
    eventually("the first mail", Duration::from_secs(30), || smtp.messages().len() == 1).await;
    smtp.stop();
    let mails = recorded(store.as_ref(), 5).await;
    // Kept by the in-process bus under the event's topic (Kafka: its `.dlq`).
    let topic = fixtures::sample(EventType::LeaveApproved).topic();
    let letters = || bus.dead_letters(topic);
    eventually("five dead letters", Duration::from_secs(60), || letters().len() >= 5).await;
    stop.send(true).expect("stop");
    running.await.expect("dispatcher");

    let letters = letters();
    assert_eq!(letters.len(), 5, "each given-up mail dead-lettered once");
    let events: HashSet<_> = mails.iter().map(|d| d.event_id).collect();
    for letter in &letters {
        assert!(events.contains(&letter.delivery.event.id), "{letter:?}");
        assert_eq!(letter.attempts, 3, "{letter:?}");
        assert!(letter.reason.contains("email delivery"), "{}", letter.reason);
    }
    for d in &mails {
        let stored = store.get(d.id).await.expect("get").expect("recorded");
        assert_eq!((stored.status, stored.attempts), (Status::Dead, 3), "{}", d.id);
        assert!(stored.last_error.is_some_and(|e| e.contains("SMTP")), "{}", d.id);
    }
    let sent = store.get(first[0].id).await.expect("get").expect("recorded");
    assert_eq!(sent.status, Status::Sent);
    assert_eq!(smtp.messages().len(), 1, "nothing more reached the Maildir");
}
