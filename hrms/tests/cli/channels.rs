//! The channels `hrms dev` takes from its environment: an SMTP server
//! (`HRMS_SMTP_URL`) that may be down for a while, and webhook subscribers
//! (`HRMS_WEBHOOKS`) that get the events they name, signed.

use std::time::Duration;

use hrms_e2e::{Smtp, TempDir, eventually};
use hrms_events::Role;

use crate::binary::{Dev, dev};
use crate::fixtures::employee_account;
use crate::running::Running;
use crate::wait;

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_subscriber_gets_the_events_it_names_signed_and_once() {
    const SECRET: &str = "a-webhook-secret-of-at-least-32-characters";
    let (base, receiver) = hrms_e2e::serve_webhooks(SECRET.as_bytes()).await;
    let data = TempDir::new();
    let subscriptions = data.0.join("webhooks.toml");
    let file = format!(
        "[[webhook]]\nname = \"payroll\"\nurl = \"{base}/hook\"\nevents = [\"user.*\"]\nsecret_env = \"PAYROLL_SECRET\"\nallow_http = true\n"
    );
    std::fs::write(&subscriptions, file).expect("written");
    let mut command = dev(&data);
    command.env("HRMS_WEBHOOKS", &subscriptions).env("PAYROLL_SECRET", SECRET);
    let dev = Dev::dev(command, &data).await;
    let admin = dev.token(Role::Admin);
    let account = employee_account("kat@example.com", "Katherine", "Johnson");
    let answer = dev.api.post("/users", Some(&admin), Some(&account)).await;
    assert_eq!(answer.status, 201, "{answer}");

    let accepted = || receiver.accepted.lock().expect("lock").clone();
    eventually("the webhook", Duration::from_secs(30), || !accepted().is_empty()).await;
    let event = accepted().remove(0);
    assert_eq!((event["type"].as_str(), event["specversion"].as_str()), (Some("user.created"), Some("1.0")));
    assert!(!event.to_string().contains("password"), "{event}");
    let (headers, _) = receiver.requests.lock().expect("lock")[0].clone();
    let delivery = headers.get("hrms-delivery").and_then(|v| v.to_str().ok()).expect("HRMS-Delivery");
    // Recorded sent once the answer is back (a moment after the receiver took it).
    let path = format!("/notifications/{delivery}");
    dev.api.poll(&path, &admin, "recorded sent", |status| status["status"] == "sent").await;
    assert!(dev.terminate().await.success());
    assert_eq!(accepted().len(), 1, "only user.* events, each once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mail_that_finds_the_smtp_server_down_is_retried_and_delivered_once_it_is_back() {
    let mut smtp = Smtp::start();
    smtp.stop();
    let data = TempDir::new();
    let mut command = dev(&data);
    command.env("HRMS_SMTP_URL", smtp.url());
    let dev = Dev::dev(command, &data).await;
    let admin = dev.token(Role::Admin);
    let new_user = employee_account("mary@example.com", "Mary", "Jackson");
    let answer = dev.api.post("/users", Some(&admin), Some(&new_user)).await;
    assert_eq!(answer.status, 201, "{answer}");
    let retried = r#"hrms_notifications_total{channel="email",outcome="retried"}"#;
    let sent = r#"hrms_notifications_total{channel="email",outcome="sent"}"#;
    let at_least_one = async |metric: &str| {
        let value = dev.api.metric(metric).await;
        if value >= 1.0 { Ok(()) } else { Err(format!("{metric} {value}")) }
    };
    wait::until("a failed attempt", Duration::from_secs(30), async || at_least_one(retried).await).await;
    assert_eq!(dev.api.metric(sent).await, 0.0);
    smtp.restart();
    wait::until("delivered once the server is back", Duration::from_secs(60), async || {
        at_least_one(sent).await
    })
    .await;
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "one welcome, once");
    let mail = std::fs::read_to_string(&mails[0]).expect("readable");
    assert!(mail.contains("mary@example.com") && mail.contains("Welcome to HRMS"), "{mail}");
    assert!(dev.terminate().await.success());
}
