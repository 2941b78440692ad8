//! `hrms dlq list` and `redrive`: a mail refused for good is dead-lettered
//! on Kafka, listed with why, and delivered once redriven.

use std::time::Duration;

use hrms_e2e::{Broker, Smtp, TempDir, eventually};
use hrms_events::Role;

use crate::binary::{Dev, dev, hrms, on_kafka};
use crate::fixtures::employee_account;
use crate::running::Running;
use crate::wait;

/// `hrms dlq <verb> notification-queue` on `broker`: its output.
fn dlq(broker: &Broker, verb: &str) -> String {
    let out = hrms()
        .args(["dlq", verb, "notification-queue"])
        .env("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mail_refused_for_good_goes_to_the_dead_letters_and_a_redrive_delivers_it() {
    let broker = Broker::start();
    let smtp = Smtp::start();
    smtp.refuse("grace@example.com");
    let data = TempDir::new();
    let mut command = on_kafka(dev(&data), &broker.bootstrap());
    command.env("HRMS_SMTP_URL", smtp.url());
    let dev = Dev::dev(command, &data).await;
    let admin = dev.token(Role::Admin);
    let new_user = employee_account("grace@example.com", "Grace", "Hopper");
    let answer = dev.api.post("/users", Some(&admin), Some(&new_user)).await;
    assert_eq!(answer.status, 201, "{answer}");

    let listed = wait::until("a dead letter", Duration::from_secs(60), async || {
        let listed = dlq(&broker, "list");
        if listed.contains("user.created") { Ok(listed) } else { Err(listed) }
    })
    .await;
    assert!(
        listed.contains("550") && listed.contains("1 dead letters in notification-queue.dlq"),
        "{listed}"
    );
    assert!(smtp.messages().is_empty(), "refused, so not delivered");
    let dead = r#"hrms_notifications_total{channel="email",outcome="dead"}"#;
    let failed = r#"hrms_notifications_total{channel="email",outcome="failed"}"#;
    assert_eq!(
        (dev.api.metric(failed).await, dev.api.metric(dead).await),
        (1.0, 1.0),
        "refused once, for good"
    );
    let dead_letters = r#"hrms_dead_letters_total{topic="notification-queue.dlq"}"#;
    assert_eq!(dev.api.metric(dead_letters).await, 1.0);

    smtp.accept_all();
    assert!(dlq(&broker, "redrive").contains("redrove 1 dead letters"));
    eventually("the redriven welcome", Duration::from_secs(60), || !smtp.messages().is_empty()).await;
    let mail = std::fs::read_to_string(&smtp.messages()[0]).expect("readable");
    assert!(mail.contains("grace@example.com") && mail.contains("Welcome to HRMS"), "{mail}");
    assert!(dev.terminate().await.success());
    assert_eq!(smtp.messages().len(), 1, "delivered once");
}
