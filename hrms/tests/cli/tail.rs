//! `hrms events tail`: on a tansu broker, it follows a topic from its end
//! (or its start), decodes the CloudEvents, keeps what `--type` and `--key`
//! ask for, prints lines or JSON, and shows a dead letter's `dlq_*` reason.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::time::Duration;

use hrms_e2e::{Broker, Smtp, TempDir};
use hrms_events::Role;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout_at};

use crate::binary::{Dev, dev, hrms, on_kafka};
use crate::fixtures::employee_account;
use crate::running::Running;

/// A running `hrms events tail`, its output lines (stdout and stderr).
struct Tail {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Tail {
    fn start(broker: &Broker, args: &[&str]) -> Self {
        let mut child = hrms()
            .args(["events", "tail"])
            .args(args)
            .env("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("hrms events tail starts");
        let (tx, lines) = mpsc::unbounded_channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Self { child, lines }
    }

    /// The lines up to and with the first that `done` accepts (30 s at most).
    async fn until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            match timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => {
                    let last = done(&line);
                    seen.push(line);
                    if last {
                        return seen;
                    }
                }
                Ok(None) | Err(_) => panic!("tail: no {what} within 30 s; it said:\n{}", seen.join("\n")),
            }
        }
    }

    /// Everything it says until it exits (after its `--limit`; 30 s at most),
    /// and how it exited.
    async fn output_until_exit(&mut self) -> (std::process::ExitStatus, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            match timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => seen.push(line),
                // Both pipes closed: it exited.
                Ok(None) => return (self.child.wait().expect("wait"), seen),
                Err(_) => panic!("tail did not stop after its --limit; it said:\n{}", seen.join("\n")),
            }
        }
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The JSON objects among `lines`.
fn objects(lines: &[String]) -> Vec<Value> {
    lines.iter().filter_map(|l| serde_json::from_str::<Value>(l).ok()).filter(Value::is_object).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_follows_a_topic_filters_and_shows_why_a_dead_letter_failed() {
    let broker = Broker::start();
    let smtp = Smtp::start();
    smtp.refuse("grace@example.com");
    let data = TempDir::new();
    let mut command = on_kafka(dev(&data), &broker.bootstrap());
    command.env("HRMS_SMTP_URL", smtp.url());
    let dev = Dev::dev(command, &data).await;

    // From the end: started before the users, it sees them come.
    let mut following = Tail::start(&broker, &["notification-queue", "--type", "user.created"]);
    following.until("\"following\"", |l| l.starts_with("following notification-queue")).await;
    let admin = dev.token(Role::Admin);
    // (user id, employee id): the subject and the key of their user.created.
    let mut users = Vec::new();
    for (email, first) in [("grace@example.com", "Grace"), ("bob@example.com", "Bob")] {
        let answer = dev.api.post("/users", Some(&admin), Some(&employee_account(email, first, "Doe"))).await;
        assert_eq!(answer.status, 201, "{answer}");
        let id = |name: &str| answer.json()[name].as_str().expect("an id").to_owned();
        users.push((id("user_id"), id("employee_id")));
    }
    let mut lines = Vec::new();
    for (user, _) in &users {
        let subject = format!("subject={user}");
        if !lines.iter().any(|l: &String| l.contains(&subject)) {
            lines.extend(following.until("a user.created", |l| l.contains(&subject)).await);
        }
    }
    let events: Vec<&String> = lines.iter().filter(|l| l.starts_with("notification-queue/")).collect();
    assert_eq!(events.len(), 2, "grace's and bob's user.created, nothing else: {lines:#?}");
    for (user, employee) in &users {
        let line = events.iter().find(|l| l.contains(&format!("subject={user}"))).expect("their line");
        assert!(line.contains(" user.created ") && line.contains(&format!("key={employee} ")), "{line}");
    }

    // From the beginning, by key and type, as JSON: the CloudEvent itself.
    let (bob, bob_employee) = users[1].clone();
    let mut by_key = Tail::start(
        &broker,
        &[
            "notification-queue",
            "--from-beginning",
            "--key",
            &bob_employee,
            "--type",
            "user.created",
            "--json",
            "--limit",
            "1",
        ],
    );
    let (status, lines) = by_key.output_until_exit().await;
    assert!(status.success(), "{lines:#?}");
    let found = objects(&lines);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0]["key"].as_str(), found[0]["subject"].as_str()),
        (Some(bob_employee.as_str()), Some(bob.as_str()))
    );
    assert_eq!(found[0]["event"]["type"], "user.created", "{}", found[0]);
    assert_eq!(found[0]["event"]["data"]["email"], "bob@example.com", "{}", found[0]);

    // The refused welcome mail is a dead letter: tail says why.
    let mut letters = Tail::start(&broker, &["notification-queue.dlq", "--from-beginning"]);
    let lines = letters.until("the dead letter", |l| l.contains("dlq_reason=")).await;
    let letter = lines.last().expect("a line");
    assert!(
        letter.contains(" user.created ") && letter.contains(&format!("subject={}", users[0].0)),
        "{letter}"
    );
    assert!(letter.contains("550") && letter.contains("dlq_attempts="), "{letter}");
    let mut as_json =
        Tail::start(&broker, &["notification-queue.dlq", "--from-beginning", "--json", "--limit", "1"]);
    let lines = as_json.until("the dead letter as JSON", |l| l.contains("dlq_reason")).await;
    let letter = &objects(&lines)[0];
    assert!(letter["dlq"]["dlq_reason"].as_str().is_some_and(|r| r.contains("550")), "{letter}");
    assert_eq!(letter["dlq"]["dlq_original_topic"], "notification-queue", "{letter}");
    assert!(dev.terminate().await.success());
}
