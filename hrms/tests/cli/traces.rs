//! OpenTelemetry: `hrms dev` with `OTEL_EXPORTER_OTLP_ENDPOINT` exports its
//! spans by OTLP/HTTP (protobuf, decoded by the OpenTelemetry project's own
//! definitions in `tests/python/otlp_receiver.py`), and one leave request is
//! one trace: the HTTP request, the publish of its events, the audit's and
//! the notification's handling, the mail sent over SMTP (in process and over
//! Kafka); functions apart (`hrms serve`) continue a caller's trace in a sync
//! call.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hrms_e2e::{Broker, Smtp, TempDir, python, python_script};
use hrms_events::Role;
use serde_json::Value;

use crate::binary::{Dev, dev, free_port, on_kafka};
use crate::fixtures::{account, annual_leave, week};
use crate::running::Running;
use crate::wait;

/// The receiver, and the spans it printed so far.
pub(crate) struct Receiver {
    child: Child,
    port: u16,
    spans: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let port = free_port();
        let mut child = Command::new(python())
            .arg(python_script("otlp_receiver.py"))
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the receiver starts");
        let stdout = child.stdout.take().expect("stdout");
        let spans = Arc::new(Mutex::new(Vec::new()));
        let listening = Arc::new(Mutex::new(false));
        let (seen, up) = (spans.clone(), listening.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                match serde_json::from_str::<Value>(&line) {
                    Ok(span) => seen.lock().expect("spans").push(span),
                    Err(_) => *up.lock().expect("up") |= line == "listening",
                }
            }
        });
        wait::until("the OTLP receiver listening", Duration::from_secs(30), async || {
            if *listening.lock().expect("up") { Ok(()) } else { Err("not yet".into()) }
        })
        .await;
        Self { child, port, spans }
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn spans(&self) -> Vec<Value> {
        self.spans.lock().expect("spans").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `command` exporting to `receiver` and mailing through `smtp`, quickly.
fn traced(mut command: Command, receiver: &Receiver, smtp: &Smtp) -> Command {
    command
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        .env("OTEL_SERVICE_NAME", "hrms-under-test")
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .env("HRMS_SMTP_URL", smtp.url());
    command
}

/// A leave request in `dev`: its trace holds the HTTP span, the publish, the
/// audit's handling, the notification's and the mail sent; the names of the
/// trace's spans.
async fn one_leave_request_is_one_trace(dev: &Dev, receiver: &Receiver, smtp: &Smtp) -> Vec<String> {
    let admin = dev.token(Role::Admin);
    let create = async |account: Value| {
        let answer = dev.api.post("/users", Some(&admin), Some(&account)).await;
        assert_eq!(answer.status, 201, "{answer}");
        let created = answer.json();
        let id = |name: &str| created[name].as_str().expect("an id").to_owned();
        (id("user_id"), id("employee_id"))
    };
    let (_, boss) = create(account("grace@example.com", "Grace", "Hopper", "manager", None)).await;
    let (ada_user, ada) =
        create(account("ada@example.com", "Ada", "Lovelace", "employee", Some(&boss))).await;
    let ada_token = dev.token_for(Role::Employee, &ada_user, Some(&ada));
    let answer = dev.api.post("/leaves", Some(&ada_token), Some(&annual_leave(week(8)))).await;
    assert_eq!(answer.status, 201, "{answer}");

    let wanted = [
        ("server", "POST /leaves"),
        ("producer", "publish audit-queue"),
        ("consumer", "audit process audit-queue"),
        ("producer", "publish notification-queue"),
        ("consumer", "notification process notification-queue"),
        ("internal", "send email"),
        ("client", "smtp send"),
    ];
    let trace = wait::until("the leave request's trace, whole", Duration::from_secs(60), async || {
        let spans = receiver.spans();
        let request = spans.iter().find(|s| s["name"] == "POST /leaves").ok_or("no POST /leaves span")?;
        let trace: Vec<&Value> = spans.iter().filter(|s| s["trace_id"] == request["trace_id"]).collect();
        let missing: Vec<_> = wanted
            .iter()
            .filter(|(kind, name)| !trace.iter().any(|s| s["kind"] == *kind && s["name"] == *name))
            .collect();
        if missing.is_empty() {
            Ok(trace.into_iter().cloned().collect::<Vec<_>>())
        } else {
            Err(format!(
                "missing {missing:?}; the trace has {:?}",
                trace.iter().map(|s| &s["name"]).collect::<Vec<_>>()
            ))
        }
    })
    .await;
    // One tree: every span but the request's has its parent in the trace.
    let ids: Vec<&Value> = trace.iter().map(|s| &s["span_id"]).collect();
    for span in &trace {
        if span["name"] != "POST /leaves" {
            assert!(ids.contains(&&span["parent_span_id"]), "{span} has no parent in the trace");
        }
        assert_eq!(span["service"], "hrms-under-test", "{span}");
    }
    let mail = wait::until("the manager's mail", Duration::from_secs(30), async || {
        let mails = smtp.messages().into_iter().filter_map(|m| std::fs::read_to_string(m).ok());
        mails
            .into_iter()
            .find(|m| m.contains("Leave request to approve"))
            .ok_or_else(|| "none yet".to_owned())
    })
    .await;
    assert!(mail.contains("grace@example.com"), "{mail}");
    trace.iter().map(|s| s["name"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leave_request_is_one_trace_from_http_to_the_mail_in_process() {
    let (receiver, smtp, data) = (Receiver::start().await, Smtp::start(), TempDir::new());
    let dev = Dev::dev(traced(dev(&data), &receiver, &smtp), &data).await;
    one_leave_request_is_one_trace(&dev, &receiver, &smtp).await;
    assert!(dev.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leave_request_is_one_trace_from_http_to_the_mail_over_kafka() {
    let (receiver, smtp, data) = (Receiver::start().await, Smtp::start(), TempDir::new());
    let broker = Broker::start();
    let dev = Dev::dev(traced(on_kafka(dev(&data), &broker.bootstrap()), &receiver, &smtp), &data).await;
    one_leave_request_is_one_trace(&dev, &receiver, &smtp).await;
    assert!(dev.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_call_between_functions_apart_continues_the_callers_trace() {
    let (receiver, data) = (Receiver::start().await, TempDir::new());
    let (compliance_port, employee_port) = (free_port(), free_port());
    let (endpoint, compliance_url) = (receiver.endpoint(), format!("http://127.0.0.1:{compliance_port}"));
    let otlp = ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str());
    let compliance_env = [otlp, ("OTEL_SERVICE_NAME", "compliance-apart")];
    let compliance = Dev::serve_with("compliance", compliance_port, &data, &compliance_env).await;
    let employee_env =
        [otlp, ("OTEL_SERVICE_NAME", "employee-apart"), ("HRMS_COMPLIANCE_URL", compliance_url.as_str())];
    let employee = Dev::serve_with("employee", employee_port, &data, &employee_env).await;

    let admin = employee.token(Role::Admin);
    let mary = crate::fixtures::engineer("Mary", "Jackson", "mary@example.com");
    let answer = employee.api.post("/employees", Some(&admin), Some(&mary)).await;
    assert_eq!(answer.status, 201, "{answer}");

    // The employee's request, its call to compliance, and compliance's
    // request as the child of that call: one trace across two processes.
    let (call, served) =
        wait::until("compliance's span under employee's call", Duration::from_secs(30), async || {
            let spans = receiver.spans();
            let request = spans
                .iter()
                .find(|s| s["name"] == "POST /employees" && s["service"] == "employee-apart")
                .ok_or("no POST /employees span")?;
            let call = spans
                .iter()
                .find(|s| {
                    s["kind"] == "client"
                        && s["attributes"]["server.address"] == "compliance"
                        && s["trace_id"] == request["trace_id"]
                })
                .ok_or("no call to compliance in the request's trace")?;
            let served = spans
                .iter()
                .find(|s| {
                    s["kind"] == "server"
                        && s["service"] == "compliance-apart"
                        && s["parent_span_id"] == call["span_id"]
                })
                .ok_or_else(|| format!("no compliance span under {call}"))?;
            Ok((call.clone(), served.clone()))
        })
        .await;
    assert_eq!(served["trace_id"], call["trace_id"]);
    assert!(employee.terminate().await.success() && compliance.terminate().await.success());
}
