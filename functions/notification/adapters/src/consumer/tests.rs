//! A round queues each recipient's deliveries in order. Two dispatchers on
//! one store send each of 500 mails exactly once: on the
//! store in memory, on SQLite (two stores on one file, as two processes
//! would have) and on DynamoDB (moto).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures::future::BoxFuture;
use hrms_notification::memory::MemoryNotificationStore;
use hrms_notification::{Channel, Delivery, DeliveryKey, NotificationStore, Status, Webhooks};
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use super::{Dispatcher, Lease, by_recipient};
use crate::channels::{Email, Mailer, SendError, Subscribers};

const MAILS: usize = 500;

/// A mail server that counts what it accepted, by Message-ID.
#[derive(Default)]
struct Counting(Mutex<HashMap<String, usize>>);

impl Mailer for Counting {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>> {
        *self.0.lock().expect("lock").entry(email.message_id.clone()).or_default() += 1;
        Box::pin(async {
            // A send takes a moment, as over SMTP: the dispatchers overlap.
            tokio::time::sleep(Duration::from_millis(1)).await;
            Ok(())
        })
    }
}

fn mail(i: usize) -> Delivery {
    let (event_id, now) = (Uuid::now_v7(), Utc::now());
    let address = format!("person{i}@example.com");
    let key = DeliveryKey { event_id, channel: Channel::Email, recipient: address.clone() };
    Delivery {
        id: key.id(),
        event_id,
        event_type: "leave.approved".into(),
        event_time: now,
        channel: Channel::Email,
        user_id: None,
        address,
        subject: "Leave approved".into(),
        text: "Enjoy.".into(),
        html: "<p>Enjoy.</p>".into(),
        status: Status::Pending,
        attempts: 0,
        last_error: None,
        created_at: now,
        updated_at: now,
        next_attempt_at: Some(now),
        read_at: None,
        claimed_by: None,
        lease_until: None,
    }
}

fn dispatcher(store: Arc<dyn NotificationStore>, mailer: Arc<Counting>) -> Dispatcher {
    let subscribers = Subscribers::new(Webhooks::default(), |_| None).expect("no webhooks");
    Dispatcher {
        store,
        dead_letters: Arc::new(hrms_platform::inprocess::InProcessBus::default()),
        mailer,
        subscribers: Arc::new(subscribers),
        from: "hrms@example.com".into(),
        retry: Dispatcher::retry(),
        wake: Arc::new(Notify::new()),
        lease: Lease::default(),
    }
}

/// Records the mails in `stores[0]`, runs a dispatcher on each of the two
/// stores until every mail is sent, and checks each went once.
async fn each_mail_goes_once(stores: [Arc<dyn NotificationStore>; 2]) {
    let mails: Vec<Delivery> = (0..MAILS).map(mail).collect();
    for part in mails.chunks(50) {
        stores[0].record(part.to_vec(), Vec::new()).await.expect("recorded");
    }
    let mailer = Arc::new(Counting::default());
    let (stop, stopping) = watch::channel(false);
    let running = stores.clone().map(|store| {
        let dispatcher = dispatcher(store, mailer.clone());
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            dispatcher
                .run(async move {
                    let _ = stopping.wait_for(|s| *s).await;
                })
                .await
        })
    });
    let sent = || mailer.0.lock().expect("lock").len();
    // A deadline against a hang only: moto takes a few minutes for them all.
    hrms_platform::testing::until(Duration::from_secs(600), || sent() == MAILS).await;
    // Every attempt noted: nothing left to send by either.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !stores[1].due(Utc::now() + chrono::Duration::hours(1), 10).await.expect("due").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "attempts still unnoted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).expect("stop");
    for run in running {
        run.await.expect("dispatcher");
    }
    let counts = mailer.0.lock().expect("lock").clone();
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert_eq!(counts.len(), MAILS, "each mail sent");
    for d in &mails {
        let stored = stores[1].get(d.id).await.expect("get").expect("recorded");
        assert_eq!((stored.status, stored.attempts, stored.claimed_by), (Status::Sent, 1, None), "{}", d.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_on_one_store_in_memory_send_each_mail_once() {
    let store: Arc<dyn NotificationStore> = Arc::new(MemoryNotificationStore::default());
    each_mail_goes_once([store.clone(), store]).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_on_one_sqlite_file_send_each_mail_once() {
    use crate::sqlite::SqliteNotificationStore;
    use hrms_sqlite::Store as _;
    let dir = hrms_platform::testing::TempDir::new("notification-dispatch");
    let path = dir.0.join("notification.db");
    let first = SqliteNotificationStore::open(&path).expect("store");
    let second = SqliteNotificationStore::open(&path).expect("the same file again");
    each_mail_goes_once([Arc::new(first), Arc::new(second)]).await;
}

#[cfg(feature = "dynamodb")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_on_one_dynamodb_table_send_each_mail_once() {
    use crate::dynamodb::DynamoNotificationStore;
    let tables = hrms_dynamodb::testing::tables(&["notification"]).await;
    // One writer at a time for both: moto cannot take a write to a table
    // during a transaction on it (DynamoDB can; the claims' conditions hold
    // on the server either way).
    let store = DynamoNotificationStore::new(tables.client.clone(), tables.table("notification"));
    let store = store.with_writers(1);
    each_mail_goes_once([Arc::new(store.clone()), Arc::new(store)]).await;
}

#[test]
fn a_send_timeout_over_half_the_lease_is_refused() {
    let lease = Lease { owner: "d".into(), length: Duration::from_secs(300) };
    assert!(lease.allows("HRMS_SMTP_TIMEOUT_MS", Duration::from_secs(10)).is_ok());
    assert!(lease.allows("HRMS_SMTP_TIMEOUT_MS", Duration::from_secs(150)).is_ok());
    let refused = lease.allows("HRMS_SMTP_TIMEOUT_MS", Duration::from_secs(151)).expect_err("over half");
    assert!(refused.to_string().contains("HRMS_SMTP_TIMEOUT_MS"), "{refused}");
    assert!(Lease::default().allows("the webhook timeout", Subscribers::TIMEOUT).is_ok());
}

#[test]
fn a_dead_dispatchers_claims_lapse_in_half_a_minute_unless_set_otherwise() {
    let lease = |setting: Option<&str>| Lease::with_setting(setting.map(str::to_owned));
    assert_eq!(lease(None).expect("the default").length, Duration::from_secs(30));
    assert_eq!(lease(Some(" ")).expect("blank is the default").length, Duration::from_secs(30));
    assert_eq!(lease(Some("90000")).expect("set").length, Duration::from_secs(90));
    for bad in ["0", "-5", "30s"] {
        let refused = lease(Some(bad)).expect_err(bad).to_string();
        assert!(refused.contains("HRMS_DISPATCH_LEASE_MS") && refused.contains(bad), "{refused}");
    }
    // The default send timeouts (10 s) fit in the default lease.
    assert!(Lease::default().allows("HRMS_SMTP_TIMEOUT_MS", Duration::from_secs(10)).is_ok());
}

#[test]
fn a_round_keeps_each_recipients_deliveries_in_order() {
    let mut due: Vec<Delivery> = (0..6).map(|i| mail(i % 2)).collect();
    due[5].channel = Channel::InApp;
    let ids = |queue: &[Delivery]| queue.iter().map(|d| d.id).collect::<Vec<_>>();
    let queues = by_recipient(due.clone());
    assert_eq!(queues.len(), 3, "person0 and person1 by mail, person1 in the app");
    assert_eq!(ids(&queues[0]), [due[0].id, due[2].id, due[4].id]);
    assert_eq!(ids(&queues[1]), [due[1].id, due[3].id]);
    assert_eq!(ids(&queues[2]), [due[5].id]);
}
