//! The notification channels on real parts: `SmtpMailer` against aiosmtpd
//! (its Maildir read back by Python's email package), `FileMailer`'s `.eml`
//! files, and signed webhooks to a local axum receiver that verifies them.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use axum::body::Bytes;
use hrms_e2e::{Smtp, TempDir, eventually, python, python_script, serve_webhooks};
use hrms_notification_adapters::channels::signature::{DELIVERY_HEADER, SIGNATURE_HEADER};
use hrms_notification_adapters::channels::{
    Email, FileMailer, Mailer, SendError, SmtpConfig, SmtpMailer, Webhook, WebhookSecret, WebhookSender,
    message_id,
};
use serde_json::{Value, json};

fn email(to: &str) -> Email {
    Email {
        from: "HRMS <hrms@localhost>".into(),
        to: to.into(),
        subject: "Leave approved".into(),
        text: "Your leave from 1 to 5 June was approved.".into(),
        html: Some("<p>Your leave from 1 to 5 June was <b>approved</b>.</p>".into()),
        message_id: message_id(uuid::Uuid::now_v7(), "email", to),
    }
}

/// Parses mail files with Python's email package (tests/python/read_mail.py).
async fn read_mail(paths: Vec<PathBuf>) -> Vec<Value> {
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python()).arg(python_script("read_mail.py")).args(&paths).output()
    })
    .await
    .expect("joined")
    .expect("python runs");
    assert!(output.status.success(), "read_mail.py: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("a JSON list of mails")
}

fn assert_mail(mail: &Value, sent: &Email) {
    assert_eq!(mail["subject"], "Leave approved");
    assert_eq!(mail["to"], sent.to);
    assert_eq!(mail["message_id"], format!("<{}>", sent.message_id));
    assert_eq!(mail["content_type"], "multipart/alternative");
    let parts = mail["parts"].as_array().expect("parts");
    let part = |kind: &str| parts.iter().find(|p| p["type"] == kind).and_then(|p| p["body"].as_str());
    assert!(part("text/plain").is_some_and(|b| b.contains("was approved.")), "{mail}");
    assert!(part("text/html").is_some_and(|b| b.contains("<b>approved</b>")), "{mail}");
}

fn mailer(smtp: &Smtp) -> SmtpMailer {
    let config = SmtpConfig { timeout: Duration::from_secs(5), ..SmtpConfig::new(smtp.url()) };
    SmtpMailer::new(&config).expect("SMTP configuration")
}

#[tokio::test(flavor = "multi_thread")]
async fn smtp_delivers_subject_both_parts_and_the_message_id() {
    let smtp = Smtp::start();
    let sent = email("ada@example.com");
    mailer(&smtp).send(&sent).await.expect("sent");
    eventually("the mail in the Maildir", Duration::from_secs(10), || smtp.messages().len() == 1).await;
    let mails = read_mail(smtp.messages()).await;
    assert_mail(&mails[0], &sent);
}

#[tokio::test(flavor = "multi_thread")]
async fn smtp_down_is_transient_and_the_same_send_succeeds_once_it_is_back() {
    let mut smtp = Smtp::start();
    let mailer = mailer(&smtp);
    mailer.send(&email("grace@example.com")).await.expect("first mail, pooling a connection");
    smtp.stop();
    let sent = email("ada@example.com");
    let down = mailer.send(&sent).await;
    assert!(matches!(down, Err(SendError::Transient { .. })), "{down:?}");
    smtp.restart();
    mailer.send(&sent).await.expect("sent once the server is back");
    eventually("both mails in the Maildir", Duration::from_secs(10), || smtp.messages().len() == 2).await;
    let mails = read_mail(smtp.messages()).await;
    assert!(mails.iter().any(|m| m["message_id"] == format!("<{}>", sent.message_id)), "{mails:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn file_mailer_writes_a_parseable_eml_named_by_the_message_id() {
    let dir = TempDir::new();
    let mailer = FileMailer::new(dir.0.join("outbox"));
    let sent = email("ada@example.com");
    mailer.send(&sent).await.expect("written");
    let path = mailer.path_for(&sent.message_id);
    assert!(path.exists(), "{}", path.display());
    let mails = read_mail(vec![path]).await;
    assert_mail(&mails[0], &sent);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_webhook_is_accepted_once_and_its_replay_refused() {
    let (base, receiver) = serve_webhooks(b"whsec-e2e").await;
    let sender = WebhookSender::new(Duration::from_secs(5)).expect("client");
    let hook = Webhook { url: format!("{base}/hook"), secret: WebhookSecret::new("whsec-e2e") };
    let body = json!({"type": "leave.approved", "employee_id": "0190aaaa-0000-7000-8000-000000000002"});
    sender
        .send(&hook, "0190aaaa-0000-7000-8000-0000000000d1", "application/json", &body.to_string())
        .await
        .expect("accepted");
    assert_eq!(receiver.accepted.lock().expect("lock").clone(), vec![body.clone()]);

    // The exact same request again, as an attacker who recorded it would send it.
    let (headers, bytes) = receiver.requests.lock().expect("lock")[0].clone();
    let client = reqwest::Client::new();
    let replay_as = |body: Bytes, delivery: Option<&str>| {
        let mut request = client.post(&hook.url).body(body);
        for name in [SIGNATURE_HEADER, DELIVERY_HEADER, "content-type"] {
            if let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) {
                let value = if name == DELIVERY_HEADER { delivery.unwrap_or(value) } else { value };
                request = request.header(name, value);
            }
        }
        request.send()
    };
    let replay = |body: Bytes| replay_as(body, None);
    assert_eq!(replay(bytes.clone()).await.expect("answered").status().as_u16(), 409);
    // Under another delivery id, to slip past the receiver's memory of ids: the signature covers the id.
    let renamed = replay_as(bytes, Some("0190aaaa-0000-7000-8000-0000000000d3")).await.expect("answered");
    assert_eq!(renamed.status().as_u16(), 401);
    let tampered = Bytes::from(serde_json::to_vec(&json!({"type": "leave.rejected"})).expect("json"));
    assert_eq!(replay(tampered).await.expect("answered").status().as_u16(), 401);
    assert_eq!(receiver.accepted.lock().expect("lock").len(), 1);

    // A sender with the wrong secret is refused for good.
    let forged = Webhook { url: hook.url.clone(), secret: WebhookSecret::new("guessed") };
    let result = sender
        .send(&forged, "0190aaaa-0000-7000-8000-0000000000d2", "application/json", &body.to_string())
        .await;
    assert!(matches!(result, Err(SendError::Permanent { .. })), "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_answers_503_are_transient_and_400_permanent() {
    let (base, _receiver) = serve_webhooks(b"s").await;
    let sender = WebhookSender::new(Duration::from_secs(5)).expect("client");
    let send = |status: u16| {
        let hook = Webhook { url: format!("{base}/status/{status}"), secret: WebhookSecret::new("s") };
        let sender = sender.clone();
        async move { sender.send(&hook, "0190aaaa-0000-7000-8000-0000000000d1", "application/json", "{}").await }
    };
    assert!(matches!(send(503).await, Err(SendError::Transient { .. })));
    assert!(matches!(send(429).await, Err(SendError::Transient { .. })));
    assert!(matches!(send(400).await, Err(SendError::Permanent { .. })));
    assert_eq!(send(202).await, Ok(()));
}
