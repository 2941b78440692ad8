//! The Notification function on real parts: each of the 17 notification
//! types, produced to tansu, consumed by the handler, reaches exactly the
//! people of the crate's table by e-mail (aiosmtpd, read back by Python's
//! email package) and the subscriber by a signed webhook, each once.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use hrms_e2e::{Broker, Smtp, TempDir, consumer_settings, python, python_script, serve_webhooks};
use hrms_events::{EventType, fixtures};
use hrms_kafka::{KafkaConsumer, KafkaPublisher, ensure_topics};
use hrms_notification::fixtures::{people, recipients};
use hrms_notification::{Channel, Preparer, Templates, Webhooks};
use hrms_notification_adapters::channels::{DEFAULT_FROM, SmtpConfig, SmtpMailer, Subscribers, message_id};
use hrms_notification_adapters::consumer::{Dispatcher, GROUP, NotificationHandler};
use hrms_notification_adapters::sqlite::SqliteNotificationStore;
use hrms_platform::{Delivery, EventPublisher, Handler, HandlerError};
use hrms_sqlite::Store as _;
use serde_json::Value;
use tokio::sync::{Notify, watch};

const SECRET: &str = "a-webhook-secret-of-at-least-32-characters";

/// The handler, counting the events it took.
struct Counting {
    inner: NotificationHandler,
    handled: AtomicUsize,
}

impl Handler for Counting {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            self.inner.handle(batch).await?;
            self.handled.fetch_add(batch.len(), Ordering::SeqCst);
            Ok(())
        })
    }
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_type_reaches_its_people_by_mail_and_its_subscriber_by_webhook_once() {
    let broker = Broker::start();
    let config = broker.config();
    ensure_topics(&config, &hrms_events::TOPICS).await.expect("topics");
    let smtp = Smtp::start();
    let (base, receiver) = serve_webhooks(SECRET.as_bytes()).await;
    let hook = format!(
        "[[webhook]]\nname = \"bridge\"\nurl = \"{base}/hook\"\nevents = [\"*\"]\nsecret_env = \"S\"\nallow_http = true\n"
    );
    let webhooks = Webhooks::from_toml(&hook).expect("subscriptions");
    let subscribers =
        Arc::new(Subscribers::new(webhooks.clone(), |_| Some(SECRET.into())).expect("subscribers"));

    let dir = TempDir::new();
    let store = Arc::new(SqliteNotificationStore::open(dir.0.join("notification.db")).expect("store"));
    let templates = Arc::new(Templates::embedded());
    let wake = Arc::new(Notify::new());
    let inner = NotificationHandler {
        store: store.clone(),
        templates: templates.clone(),
        directory: None,
        subscribers: subscribers.clone(),
        wake: wake.clone(),
    };
    let handler = Arc::new(Counting { inner, handled: AtomicUsize::new(0) });
    let publisher = KafkaPublisher::new(&config).expect("producer");
    let mailer = SmtpMailer::new(&SmtpConfig::new(smtp.url())).expect("mailer");
    let dispatcher = Dispatcher {
        store: store.clone(),
        dead_letters: Arc::new(publisher.clone()),
        mailer: Arc::new(mailer),
        subscribers,
        from: DEFAULT_FROM.into(),
        retry: Dispatcher::retry(),
        wake,
        lease: hrms_notification_adapters::consumer::Lease::default(),
    };
    let (stop, stopping) = watch::channel(false);
    let consumer =
        KafkaConsumer::new(&config, consumer_settings(GROUP), &["notification-queue"]).expect("consumer");
    let consuming = {
        let (handler, stopping) = (handler.clone(), stopping.clone());
        tokio::spawn(async move { consumer.run(handler.as_ref(), stopped(stopping)).await })
    };
    let dispatching = tokio::spawn(async move { dispatcher.run(stopped(stopping)).await });

    // One event at a time, the samples' people learned anew before each
    // (an account closed by one sample must not hide them from the next).
    let mut mail_ids = BTreeSet::new();
    let mut event_ids = BTreeSet::new();
    let types: Vec<EventType> = EventType::ALL.iter().copied().filter(|t| !t.is_audit()).collect();
    assert_eq!(types.len(), 17);
    for ty in types {
        let preparer = Preparer {
            store: store.as_ref(),
            templates: &templates,
            directory: None,
            webhooks: &Webhooks::default(),
        };
        for person in people() {
            preparer.prepare(&person).await.expect("learned");
        }
        let event = fixtures::sample(ty);
        for (channel, address) in recipients(ty) {
            if channel == Channel::Email {
                mail_ids.insert(format!("<{}>", message_id(event.id, "email", &address)));
            }
        }
        event_ids.insert(event.id.to_string());
        let before = handler.handled.load(Ordering::SeqCst);
        publisher.publish_all(std::slice::from_ref(&event)).await.expect("published");
        until(&format!("{ty:?} handled"), Duration::from_secs(60), || {
            handler.handled.load(Ordering::SeqCst) > before
        })
        .await;
    }
    let accepted = || receiver.accepted.lock().expect("lock").len();
    until("every mail and webhook", Duration::from_secs(60), || {
        smtp.messages().len() >= mail_ids.len() && accepted() >= event_ids.len()
    })
    .await;

    let mails: Vec<Value> = {
        let output = std::process::Command::new(python())
            .arg(python_script("read_mail.py"))
            .args(smtp.messages())
            .output()
            .expect("python runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("JSON")
    };
    let got: BTreeSet<String> =
        mails.iter().filter_map(|m| m["message_id"].as_str().map(str::to_owned)).collect();
    assert_eq!(mails.len(), got.len(), "no mail twice");
    assert_eq!(got, mail_ids, "each type's mails to exactly its people");
    for mail in &mails {
        let text = mail["parts"][0]["body"].as_str().unwrap_or_default();
        assert!(
            !mail["subject"].as_str().unwrap_or_default().is_empty() && !text.trim().is_empty(),
            "{mail}"
        );
        assert!(!text.contains("{{") && !text.contains("None"), "{mail}");
    }
    let hooks: Vec<String> = receiver
        .accepted
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(hooks.len(), 17, "one webhook per event");
    assert_eq!(hooks.into_iter().collect::<BTreeSet<_>>(), event_ids);

    stop.send_replace(true);
    consuming.await.expect("joined").expect("consumer ran");
    dispatching.await.expect("joined");
}
