//! Two Notification dispatchers on one store, as two replicas run: each of
//! 500 mails reaches the SMTP server (aiosmtpd) once, counted by the
//! Message-IDs the server received.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use hrms_e2e::{Smtp, TempDir};
use hrms_notification::{Channel, Delivery, DeliveryKey, NotificationStore, Status, Webhooks};
use hrms_notification_adapters::channels::{DEFAULT_FROM, SmtpConfig, SmtpMailer, Subscribers};
use hrms_notification_adapters::consumer::{Dispatcher, Lease};
use hrms_notification_adapters::sqlite::SqliteNotificationStore;
use hrms_platform::inprocess::InProcessBus;
use hrms_sqlite::Store as _;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

const MAILS: usize = 500;

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

/// The Message-ID header of each message the server kept.
fn message_ids(smtp: &Smtp) -> Vec<String> {
    smtp.messages()
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .filter_map(|text| {
            let header = text
                .lines()
                .take_while(|l| !l.is_empty())
                .find(|l| l.len() > 11 && l[..11].eq_ignore_ascii_case("message-id:"))?;
            Some(header[11..].trim().to_owned())
        })
        .collect()
}

/// How many of `mails` the store holds as sent.
async fn sent(store: &dyn NotificationStore, mails: &[Delivery]) -> usize {
    let mut sent = 0;
    for d in mails {
        if store.get(d.id).await.expect("get").is_some_and(|d| d.status == Status::Sent) {
            sent += 1;
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread")]
async fn two_dispatchers_on_one_store_send_each_of_500_mails_once() {
    let smtp = Smtp::start();
    let dir = TempDir::new();
    let path = dir.0.join("notification.db");
    // Two stores on one file: two processes' dispatchers.
    let stores: [Arc<dyn NotificationStore>; 2] = [
        Arc::new(SqliteNotificationStore::open(&path).expect("store")),
        Arc::new(SqliteNotificationStore::open(&path).expect("the same file again")),
    ];
    let mails: Vec<Delivery> = (0..MAILS).map(mail).collect();
    for part in mails.chunks(100) {
        stores[0].record(part.to_vec(), Vec::new()).await.expect("recorded");
    }

    let (stop, stopping) = watch::channel(false);
    let running = stores.clone().map(|store| {
        let dispatcher = Dispatcher {
            store,
            dead_letters: Arc::new(InProcessBus::default()),
            mailer: Arc::new(SmtpMailer::new(&SmtpConfig::new(smtp.url())).expect("mailer")),
            subscribers: Arc::new(Subscribers::new(Webhooks::default(), |_| None).expect("no webhooks")),
            from: DEFAULT_FROM.into(),
            retry: Dispatcher::retry(),
            wake: Arc::new(Notify::new()),
            lease: Lease::default(),
        };
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            dispatcher
                .run(async move {
                    let _ = stopping.wait_for(|s| *s).await;
                })
                .await
        })
    });
    let deadline = Instant::now() + Duration::from_secs(300);
    while sent(stores[1].as_ref(), &mails).await < MAILS {
        assert!(
            Instant::now() < deadline,
            "not all sent: {} of {MAILS}",
            sent(stores[1].as_ref(), &mails).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Anything sent twice would have reached the server by now: the
    // dispatchers note a mail sent only after the server accepted it.
    stop.send(true).expect("stop");
    for run in running {
        run.await.expect("dispatcher");
    }

    let ids = message_ids(&smtp);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &ids {
        *counts.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "Message-IDs received more than once: {twice:?}");
    assert_eq!((ids.len(), counts.len()), (MAILS, MAILS), "each mail received, once");
}
