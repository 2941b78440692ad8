//! The `hrms` command as a user runs it: `topics create` against a real
//! broker, and `dev` serving health and logging the events on the topics,
//! stopping cleanly on SIGTERM, on SQLite or on DynamoDB (moto); its OpenAPI document read by an independent
//! validator (Python, `tests/python/validate_openapi.py`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hrms_e2e::{Broker, Collect, Moto, Smtp, TempDir, consumer_settings, eventually};
use hrms_events::{EventType, fixtures};
use hrms_kafka::{KafkaConsumer, KafkaPublisher};
use hrms_platform::EventPublisher;

fn hrms() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hrms"));
    command
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .env_remove("HRMS_EVENT_SINK")
        .env_remove("HRMS_JWT_SECRET")
        .env_remove("HRMS_JWKS_URL")
        .env_remove("HRMS_JWT_ISSUER")
        .env_remove("HRMS_JWT_AUDIENCE")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    command
}

#[test]
fn topics_create_creates_the_table_once() {
    let broker = Broker::start();
    let run = || {
        let out = hrms()
            .args(["topics", "create"])
            .env("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap())
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = run();
    for topic in ["notification-queue", "audit-queue", "notification-queue.dlq", "audit-queue.dlq"] {
        assert!(first.lines().any(|l| l.starts_with("created") && l.contains(topic)), "{first}");
    }
    let again = run();
    assert_eq!(again.lines().filter(|l| l.starts_with("exists")).count(), 4, "{again}");
}

#[test]
fn topics_create_without_a_broker_says_what_is_missing() {
    let out = hrms().args(["topics", "create"]).output().expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("KAFKA_BOOTSTRAP_SERVERS"));
}

#[test]
fn serve_without_a_broker_says_what_is_missing_and_stores_nothing() {
    let data = TempDir::new();
    let out = hrms().args(["serve", "employee", "--data-dir"]).arg(&data.0).output().expect("runs");
    assert!(!out.status.success(), "a function alone would lose its events in-process");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("KAFKA_BOOTSTRAP_SERVERS") && said.contains("HRMS_EVENT_SINK"), "{said}");
    assert!(!data.0.join("employee.db").exists(), "it stopped before opening a store");
}

/// A running `hrms dev` or `hrms serve`, its address and its log lines.
struct Dev {
    child: Child,
    address: String,
    log: mpsc::Receiver<String>,
}

impl Dev {
    fn start(kafka: Option<&str>, data: &TempDir) -> Self {
        let mut command = hrms();
        command.args(["dev", "--listen", "127.0.0.1:0", "--data-dir"]).arg(&data.0);
        Self::spawn(command, kafka, None)
    }

    /// `hrms serve <function>` on `port`, JSON logs.
    fn serve(function: &str, port: u16, data: &TempDir) -> Self {
        Self::serve_with(function, port, data, &[])
    }

    /// `hrms serve <function>` with more environment (events in-process
    /// unless it names a broker).
    fn serve_with(function: &str, port: u16, data: &TempDir, env: &[(&str, &str)]) -> Self {
        let mut command = hrms();
        command
            .args(["serve", function, "--data-dir"])
            .arg(&data.0)
            .env("PORT", port.to_string())
            .env("HRMS_LOG_JSON", "true")
            .env("HRMS_EVENT_SINK", "inprocess")
            .envs(env.iter().copied());
        Self::spawn(command, None, Some(format!("127.0.0.1:{port}")))
    }

    fn spawn(mut command: Command, kafka: Option<&str>, address: Option<String>) -> Self {
        if let Some(servers) = kafka {
            // Join the consumer group in seconds on the test broker.
            command
                .env("KAFKA_BOOTSTRAP_SERVERS", servers)
                .env("KAFKA_SESSION_TIMEOUT_MS", "6000")
                .env("KAFKA_MAX_POLL_INTERVAL_MS", "10000")
                .env("KAFKA_MESSAGE_TIMEOUT_MS", "5000");
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("dev starts");
        let (tx, log) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            // Drain the pipe to the end, whatever the bytes: a child whose
            // pipe fills up blocks on its next log line.
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut line = Vec::new();
                while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                    let _ = tx.send(String::from_utf8_lossy(&line).trim_end().to_owned());
                    line.clear();
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let address = match address {
            Some(address) => {
                while TcpStream::connect(&address).is_err() {
                    assert!(Instant::now() < deadline, "nothing listens on {address}");
                    std::thread::sleep(Duration::from_millis(20));
                }
                address
            }
            None => {
                // Only the readers send from here on: a process that exits
                // at start ends the wait at once.
                drop(tx);
                let mut said = Vec::new();
                loop {
                    match log.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                        Ok(line) => match line.split("http://").nth(1) {
                            Some(rest) => {
                                break rest.split_whitespace().next().unwrap_or_default().to_owned();
                            }
                            None => said.push(line),
                        },
                        Err(e) => {
                            panic!("dev did not say where it listens ({e}); it said:\n{}", said.join("\n"))
                        }
                    }
                }
            }
        };
        Self { child, address, log }
    }

    fn get(&self, path: &str) -> String {
        self.get_as(path, None)
    }

    fn get_as(&self, path: &str, token: Option<&str>) -> String {
        self.request("GET", path, token, None)
    }

    fn request(&self, method: &str, path: &str, token: Option<&str>, json: Option<&str>) -> String {
        let mut stream = TcpStream::connect(&self.address).expect("connects");
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let body = json
            .map(|b| format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}", b.len()))
            .unwrap_or_else(|| "\r\n".into());
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Connection: close\r\n{body}",
            self.address
        )
        .expect("request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response");
        response
    }

    /// Waits until every one of `needles` has appeared in some log line;
    /// returns the matching lines in the order of `needles`.
    fn wait_for_logs(&self, needles: &[String], limit: Duration) -> Vec<String> {
        let deadline = Instant::now() + limit;
        let mut found: Vec<Option<String>> = vec![None; needles.len()];
        let mut seen = Vec::new();
        while found.iter().any(Option::is_none) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = self.log.recv_timeout(left) else {
                let tail = seen[seen.len().saturating_sub(40)..].join("\n");
                panic!("not all of {needles:?} logged within {limit:?}; the last lines:\n{tail}");
            };
            seen.push(line.clone());
            for (slot, needle) in found.iter_mut().zip(needles) {
                if slot.is_none() && line.contains(needle.as_str()) {
                    *slot = Some(line.clone());
                }
            }
        }
        found.into_iter().flatten().collect()
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let said: Vec<String> = self.log.try_iter().collect();
                panic!("dev did not stop within 30 s of SIGTERM; it said:\n{}", said.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A process a test did not terminate (it failed, or kept a service it
/// needed to the end) is killed, not left running after the tests.
impl Drop for Dev {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn tokens_from_hrms_token_are_accepted_by_dev_and_nothing_else_is() {
    let data = TempDir::new();
    let dev = Dev::start(None, &data);
    let user = uuid::Uuid::now_v7();
    let out = hrms()
        .args(["token", "--role", "hr", "--sub", &user.to_string(), "--data-dir"])
        .arg(&data.0)
        .env_remove("HRMS_JWT_SECRET")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();

    let known = dev.get_as("/whoami", Some(&token));
    assert!(known.starts_with("HTTP/1.1 200"), "{known}");
    assert!(known.contains(&user.to_string()) && known.contains("\"hr\""), "{known}");
    let anonymous = dev.get("/whoami");
    assert!(
        anonymous.starts_with("HTTP/1.1 401") && anonymous.contains("application/problem+json"),
        "{anonymous}"
    );
    let forged = dev.get_as("/whoami", Some(&format!("{token}x")));
    assert!(forged.starts_with("HTTP/1.1 401"), "{forged}");

    let bad_role =
        hrms().args(["token", "--role", "owner", "--sub", &user.to_string()]).output().expect("runs");
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("admin, hr, manager, employee"));
    assert!(dev.terminate().success());
}

fn mint(data: &TempDir, role: &str) -> String {
    mint_with(data, role, &uuid::Uuid::now_v7().to_string(), None)
}

/// Mints a token for user `sub` with `role`, and their employee record if any.
fn mint_with(data: &TempDir, role: &str, sub: &str, employee: Option<&str>) -> String {
    let mut command = hrms();
    command.args(["token", "--role", role, "--sub", sub, "--data-dir"]).arg(&data.0);
    if let Some(id) = employee {
        command.args(["--employee", id]);
    }
    let out = command.output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn with_a_jwks_url_dev_takes_no_hs256_token_and_hrms_token_mints_none() {
    let data = TempDir::new();
    let hs256 = mint(&data, "admin");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address");
    let jwks_url = format!("http://{closed}/jwks");

    let mut command = hrms();
    command
        .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data.0)
        .env("HRMS_JWKS_URL", &jwks_url);
    let dev = Dev::spawn(command, None, None);
    assert!(dev.get("/healthz").starts_with("HTTP/1.1 200"));
    let refused = dev.get_as("/whoami", Some(&hs256));
    assert!(refused.starts_with("HTTP/1.1 401") && refused.contains("application/problem+json"), "{refused}");
    assert!(dev.terminate().success());

    let fresh = TempDir::new();
    let out = hrms()
        .args(["token", "--role", "hr", "--sub", &uuid::Uuid::now_v7().to_string(), "--data-dir"])
        .arg(&fresh.0)
        .env("HRMS_JWKS_URL", &jwks_url)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("HRMS_JWKS_URL") && said.contains("identity provider"), "{said}");
    assert!(!fresh.0.join("jwt-secret").exists(), "no secret is made for RS256");
}

#[test]
fn a_refused_compliance_check_answers_and_its_events_flow() {
    let data = TempDir::new();
    let dev = Dev::start(None, &data);
    let hr = mint(&data, "hr");
    let subject = serde_json::json!({ "employee": {
        "employee_id": uuid::Uuid::now_v7(), "first_name": "Ada", "last_name": "Lovelace",
        "email": "ada@example.com", "department": "Engineering", "job_title": "Analyst", "country": "GB",
        "date_of_birth": "1990-01-01", "hire_date": "2026-12-01", "weekly_hours": 60, "manager_id": null
    }});
    let answer = dev.request("POST", "/compliance/validate", Some(&hr), Some(&subject.to_string()));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"allowed\":false") && answer.contains("weekly_hours_max"), "{answer}");
    let lines = dev.wait_for_logs(
        &["type=\"compliance.violation\"".into(), "type=\"audit.compliance.violation\"".into()],
        Duration::from_secs(30),
    );
    assert_eq!(lines.len(), 2);
    let metrics = dev.get("/metrics");
    assert!(
        metrics.lines().any(|l| l.starts_with("hrms_http_requests_total")
            && l.contains("route=\"/compliance/validate\"")
            && l.contains("status=\"200\"")),
        "{metrics}"
    );
    assert!(metrics.contains("hrms_events_published_total"), "the relay published: {metrics}");
    assert!(dev.terminate().success());
}

/// Creates a user with their employee record (201, no password in the
/// answer), waits for their events in the event log, and tries the same
/// e-mail again, in capitals (409).
fn a_user_is_created_once_and_their_events_flow(dev: &Dev, data: &TempDir) {
    let admin = mint(data, "admin");
    let new_user = serde_json::json!({
        "email": "grace@example.com", "full_name": "Grace Hopper", "role": "manager",
        "password": "a long enough passphrase",
        "employee": {
            "first_name": "Grace", "last_name": "Hopper", "department": "Engineering", "job_title": "Engineer",
            "country": "US", "weekly_hours": 40, "hire_date": "2026-12-01"
        }
    });
    let answer = dev.request("POST", "/users", Some(&admin), Some(&new_user.to_string()));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(!answer.contains("passphrase") && !answer.contains("argon2"), "{answer}");
    let types = ["user.created", "audit.user.created", "employee.created", "audit.employee.created"];
    let needles: Vec<String> = types.iter().map(|t| format!("type=\"{t}\"")).collect();
    let lines = dev.wait_for_logs(&needles, Duration::from_secs(30));
    assert_eq!(lines.len(), 4);
    let mut again = new_user.clone();
    again["email"] = "GRACE@example.com".into();
    let again = dev.request("POST", "/users", Some(&admin), Some(&again.to_string()));
    assert!(again.starts_with("HTTP/1.1 409") && again.contains("application/problem+json"), "{again}");
}

#[test]
fn dev_creates_a_user_with_their_employee_record_and_their_events_flow() {
    let data = TempDir::new();
    let dev = Dev::start(None, &data);
    a_user_is_created_once_and_their_events_flow(&dev, &data);
    assert!(dev.terminate().success());
}

/// The environment of `hrms` on the DynamoDB at `endpoint` (moto), with
/// test credentials; each test chooses the store, by flag or environment.
/// moto cannot take concurrent transactions on one table: the audit log
/// writes one subject at a time, the Notification function one write.
fn on_dynamodb(endpoint: &str) -> [(&str, &str); 8] {
    [
        ("HRMS_DYNAMODB_ENDPOINT", endpoint),
        ("HRMS_DYNAMODB_AUDIT_WRITERS", "1"),
        ("HRMS_DYNAMODB_NOTIFICATION_WRITERS", "1"),
        ("HRMS_DYNAMODB_TABLE_PREFIX", "cli-"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
}

/// `hrms dev` on the DynamoDB of `moto`, with its files under `data`.
fn dev_on_dynamodb(moto: &Moto, data: &TempDir) -> Dev {
    let mut command = hrms();
    command
        .args(["dev", "--store", "dynamodb", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data.0)
        .envs(on_dynamodb(&moto.endpoint()));
    Dev::spawn(command, None, None)
}

#[test]
fn dev_on_dynamodb_keeps_its_data_there_and_is_ready_only_while_it_answers() {
    let mut moto = Moto::start();
    let data = TempDir::new();
    let dev = dev_on_dynamodb(&moto, &data);
    a_user_is_created_once_and_their_events_flow(&dev, &data);
    assert!(dev.get("/readyz").starts_with("HTTP/1.1 200"));
    for file in ["user.db", "employee.db", "compliance.db"] {
        assert!(!data.0.join(file).exists(), "{file}: the data is in DynamoDB");
    }

    moto.stop();
    let unready = dev.get("/readyz");
    assert!(unready.starts_with("HTTP/1.1 503") && unready.contains("store unavailable"), "{unready}");
    assert!(dev.terminate().success(), "graceful stop");
}

#[test]
fn serve_runs_one_function_on_port_with_json_logs() {
    let data = TempDir::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let knative = [("K_SERVICE", "compliance"), ("K_REVISION", "compliance-00001")];
    let function = Dev::serve_with("compliance", port, &data, &knative);
    assert!(function.get("/readyz").starts_with("HTTP/1.1 200"));
    let hr = mint(&data, "hr");
    let subject = serde_json::json!({ "user": {
        "user_id": uuid::Uuid::now_v7(), "email": "not-an-address", "full_name": "Ada", "role": "employee",
        "employee_id": null
    }});
    let answer = function.request("POST", "/compliance/validate", Some(&hr), Some(&subject.to_string()));
    assert!(answer.contains("\"allowed\":false") && answer.contains("email_format"), "{answer}");
    let line = function.wait_for_logs(&["\"serving\"".into()], Duration::from_secs(10)).remove(0);
    let logged: serde_json::Value = serde_json::from_str(&line).expect("JSON logs");
    assert_eq!(
        (logged["k_service"].as_str(), logged["k_revision"].as_str()),
        (Some("compliance"), Some("compliance-00001"))
    );
    let metrics = function.get("/metrics");
    assert!(
        metrics.contains("k_revision=\"compliance-00001\"") && metrics.contains("k_service=\"compliance\""),
        "{metrics}"
    );
    assert!(function.terminate().success());
}

#[test]
fn serve_publishes_through_kafkasinks_in_binary_mode_keyed_by_the_partition_key() {
    use axum::extract::Path;
    use axum::http::{HeaderMap, StatusCode};
    type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let received = Received::default();
    let kept = received.clone();
    let sink = move |Path(topic): Path<String>, headers: HeaderMap| {
        let kept = kept.clone();
        async move {
            let header =
                |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            kept.lock().expect("lock").push((topic, header("ce-type"), header("ce-partitionkey")));
            StatusCode::ACCEPTED
        }
    };
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bound");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = axum::Router::new().route("/{topic}", axum::routing::post(sink));
    runtime.spawn(async move { axum::serve(listener, app).await });

    let data = TempDir::new();
    let urls: Vec<(String, String)> =
        ["notification-queue", "audit-queue", "notification-queue.dlq", "audit-queue.dlq"]
            .iter()
            .map(|t| {
                (
                    format!("HRMS_KAFKASINK_{}_URL", t.to_uppercase().replace(['-', '.'], "_")),
                    format!("{base}/{t}"),
                )
            })
            .collect();
    let mut env: Vec<(&str, &str)> = urls.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("HRMS_EVENT_SINK", "kafkasink"));
    let port = free_port();
    let function = Dev::serve_with("compliance", port, &data, &env);
    let hr = mint(&data, "hr");
    let subject = serde_json::json!({ "user": {
        "user_id": uuid::Uuid::now_v7(), "email": "not-an-address", "full_name": "Ada", "role": "employee",
        "employee_id": null
    }});
    let answer = function.request("POST", "/compliance/validate", Some(&hr), Some(&subject.to_string()));
    assert!(answer.contains("\"allowed\":false"), "{answer}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().expect("lock").len() < 2 {
        assert!(Instant::now() < deadline, "both events at their sinks within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = received.lock().expect("lock").clone();
    let user_id = subject["user"]["user_id"].as_str().expect("id");
    let at = |topic: &str| got.iter().find(|(t, ..)| t == topic).cloned().expect(topic);
    assert_eq!(at("notification-queue").1, "compliance.violation");
    assert_eq!(at("audit-queue").1, "audit.compliance.violation");
    assert!(got.iter().all(|(_, _, key)| key == user_id), "keyed by the subject: {got:?}");
    assert!(function.terminate().success());

    let out = hrms()
        .args(["serve", "compliance", "--data-dir"])
        .arg(&data.0)
        .env("HRMS_EVENT_SINK", "kafkasink")
        .env("PORT", free_port().to_string())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HRMS_KAFKASINK_NOTIFICATION_QUEUE_URL"));
}

#[test]
fn serve_runs_one_function_on_dynamodb() {
    let moto = Moto::start();
    let data = TempDir::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let endpoint = moto.endpoint();
    let env = [on_dynamodb(&endpoint).as_slice(), &[("HRMS_STORE", "dynamodb")]].concat();
    let function = Dev::serve_with("compliance", port, &data, &env);
    assert!(function.get("/readyz").starts_with("HTTP/1.1 200"));
    let hr = mint(&data, "hr");
    let subject = serde_json::json!({ "user": {
        "user_id": uuid::Uuid::now_v7(), "email": "not-an-address", "full_name": "Ada", "role": "employee",
        "employee_id": null
    }});
    let answer = function.request("POST", "/compliance/validate", Some(&hr), Some(&subject.to_string()));
    assert!(answer.contains("\"allowed\":false") && answer.contains("email_format"), "{answer}");
    let findings = function.get_as("/compliance/violations", Some(&hr));
    assert!(findings.starts_with("HTTP/1.1 200") && findings.contains("email_format"), "{findings}");
    assert!(!data.0.join("compliance.db").exists(), "the check is in DynamoDB");
    assert!(function.terminate().success());
}

#[test]
fn dev_runs_on_embedded_defaults() {
    let data = TempDir::new();
    let dev = Dev::start(None, &data);
    assert!(dev.get("/healthz").starts_with("HTTP/1.1 200"));
    assert!(dev.get("/readyz").starts_with("HTTP/1.1 200"));
    assert!(dev.get("/metrics").starts_with("HTTP/1.1 200"));
    assert!(dev.terminate().success(), "graceful stop");
}

#[test]
fn dev_serves_an_openapi_document_that_an_independent_validator_accepts() {
    let data = TempDir::new();
    let dev = Dev::start(None, &data);
    let answer = dev.get("/openapi.json");
    assert!(answer.starts_with("HTTP/1.1 200"), "public, no token: {answer}");
    let file = data.0.join("openapi.json");
    std::fs::write(&file, body(&answer).to_string()).expect("written");
    let out = Command::new(hrms_e2e::python())
        .arg(hrms_e2e::python_script("validate_openapi.py"))
        .arg(&file)
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("valid OpenAPI 3.1.0"));
    assert!(dev.terminate().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_on_kafka_creates_the_topics_and_logs_every_event() {
    let broker = Broker::start();
    let data = TempDir::new();
    let dev = Dev::start(Some(&broker.bootstrap()), &data);
    assert!(dev.get("/readyz").starts_with("HTTP/1.1 200"));

    let events =
        [fixtures::sample(EventType::LeaveRequested), fixtures::sample(EventType::AuditLeaveRequested)];
    KafkaPublisher::new(&broker.config()).expect("producer").publish_all(&events).await.expect("published");
    let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
    let lines = dev.wait_for_logs(&ids, Duration::from_secs(60));
    for (event, line) in events.iter().zip(&lines) {
        assert!(line.contains(event.event_type().as_str()), "{line}");
    }
    drop(broker);
    assert!(dev.get("/readyz").starts_with("HTTP/1.1 503"), "not ready without its broker");
    assert!(dev.terminate().success(), "graceful stop");
}

/// The body of an HTTP response, as JSON.
fn body(response: &str) -> serde_json::Value {
    let json = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {response}"))
}

#[test]
fn an_employee_created_while_the_broker_is_down_reaches_the_topics_after_both_restart() {
    let mut broker = Broker::start_persistent();
    let data = TempDir::new();
    let dev = Dev::start(Some(&broker.bootstrap()), &data);
    let hr = mint(&data, "hr");
    broker.stop();
    let new_employee = serde_json::json!({
        "first_name": "Katherine", "last_name": "Johnson", "email": "katherine@example.com",
        "department": "Flight Research", "job_title": "Mathematician", "country": "US",
        "weekly_hours": 40, "hire_date": "2026-12-01"
    });
    let answer = dev.request("POST", "/employees", Some(&hr), Some(&new_employee.to_string()));
    assert!(answer.starts_with("HTTP/1.1 201"), "the request succeeds without a broker: {answer}");
    let id = body(&answer)["employee_id"].as_str().expect("an id").to_owned();
    assert!(dev.terminate().success(), "stops with events still in its outbox");

    broker.restart();
    let dev = Dev::start(Some(&broker.bootstrap()), &data);
    // Read the topics with a group of our own: dev's event-log group may
    // still hold the first process's member, which tansu does not expire
    // after its own restart.
    let arrived = tokio::runtime::Runtime::new().expect("runtime").block_on(async {
        let handler = Collect::default();
        let group = format!("check-{}", uuid::Uuid::now_v7());
        let consumer = KafkaConsumer::new(
            &broker.config(),
            consumer_settings(&group),
            &["notification-queue", "audit-queue"],
        )
        .expect("consumer");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let run = consumer.run(&handler, async move {
            let _ = stopped.await;
        });
        let types = |h: &Collect| -> Vec<EventType> {
            h.deliveries().iter().filter(|d| d.event.subject() == id).map(|d| d.event.event_type()).collect()
        };
        let watch = async {
            eventually("both events on the topics", Duration::from_secs(60), || types(&handler).len() >= 2)
                .await;
            let _ = stop.send(());
        };
        let (result, ()) = tokio::join!(run, watch);
        result.expect("consumer stopped");
        consumer.close(Duration::from_secs(5)).await;
        let mut seen = types(&handler);
        seen.sort_by_key(|t| t.as_str());
        seen
    });
    assert_eq!(arrived, [EventType::AuditEmployeeCreated, EventType::EmployeeCreated], "each once");
    assert!(dev.terminate().success());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port()
}

#[test]
fn functions_apart_call_each_other_with_the_callers_token_and_a_callee_down_is_503() {
    let data = TempDir::new();
    let (compliance_port, employee_port, user_port) = (free_port(), free_port(), free_port());
    let compliance_url = format!("http://127.0.0.1:{compliance_port}");
    let employee_url = format!("http://127.0.0.1:{employee_port}");
    let compliance = Dev::serve("compliance", compliance_port, &data);
    let employee =
        Dev::serve_with("employee", employee_port, &data, &[("HRMS_COMPLIANCE_URL", &compliance_url)]);
    let user = Dev::serve_with(
        "user",
        user_port,
        &data,
        &[("HRMS_COMPLIANCE_URL", &compliance_url), ("HRMS_EMPLOYEE_URL", &employee_url)],
    );
    let admin = mint(&data, "admin");
    let new_user = |email: &str| employee_account(email, "Dorothy", "Vaughan");
    let answer = user.request("POST", "/users", Some(&admin), Some(&new_user("dorothy@example.com")));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let created = body(&answer);
    let employee_id = created["employee_id"].as_str().expect("an employee record");
    let record = employee.request("GET", &format!("/employees/{employee_id}"), Some(&admin), None);
    assert!(record.starts_with("HTTP/1.1 200"), "{record}");
    assert_eq!(body(&record)["user_id"], created["user_id"], "linked to the account");

    let user_id = created["user_id"].as_str().expect("an id");
    let out = hrms()
        .args(["token", "--role", "employee", "--sub", user_id, "--employee", employee_id, "--data-dir"])
        .arg(&data.0)
        .output()
        .expect("runs");
    let own = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let rename = serde_json::json!({ "full_name": "Dorothy Johnson Vaughan" }).to_string();
    let renamed = user.request("PATCH", &format!("/users/{user_id}"), Some(&own), Some(&rename));
    assert!(renamed.starts_with("HTTP/1.1 200"), "a user renames themselves across services: {renamed}");

    let employee_token = mint(&data, "employee");
    let refused = user.request("POST", "/users", Some(&employee_token), Some(&new_user("eve@example.com")));
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");

    assert!(compliance.terminate().success());
    let down = user.request("POST", "/users", Some(&admin), Some(&new_user("mary@example.com")));
    assert!(down.starts_with("HTTP/1.1 503") && down.contains("application/problem+json"), "{down}");
    let down = employee.request("POST", "/employees", Some(&admin), Some(&serde_json::json!({
        "first_name": "Mary", "last_name": "Jackson", "email": "mary@example.com", "department": "Engineering",
        "job_title": "Engineer", "country": "US", "weekly_hours": 40, "hire_date": "2026-12-01"
    }).to_string()));
    assert!(down.starts_with("HTTP/1.1 503"), "{down}");
    let _compliance = Dev::serve("compliance", compliance_port, &data);
    let again = user.request("POST", "/users", Some(&admin), Some(&new_user("mary@example.com")));
    assert!(again.starts_with("HTTP/1.1 201"), "nothing was half-written by the failed attempt: {again}");
    assert!(user.terminate().success() && employee.terminate().success());
}

/// POSTs `event` to `path` the way a KafkaSource delivers (binary mode),
/// with `id` and `ty` in place of its own; the raw answer.
fn push(function: &Dev, path: &str, event: &hrms_events::HrmsEvent, id: &str, ty: &str) -> String {
    use hrms_events::cloudevents::AttributesReader;
    let ce = event.to_cloudevent();
    let payload = serde_json::to_string(&event.payload.to_json()).expect("json");
    let mut stream = TcpStream::connect(&function.address).expect("connects");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nce-specversion: 1.0\r\n\
         ce-id: {id}\r\nce-source: {}\r\nce-type: {ty}\r\nce-subject: {}\r\nce-time: {}\r\n\
         ce-dataschema: {}\r\nce-partitionkey: {}\r\nce-actor: {}\r\nknativekafkapartition: 2\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
        ce.source(),
        ce.subject().unwrap_or_default(),
        ce.time().map(|t| t.to_rfc3339()).unwrap_or_default(),
        ce.dataschema().map(|s| s.to_string()).unwrap_or_default(),
        event.partition_key(),
        event.actor,
        payload.len()
    )
    .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}

#[test]
fn serve_notification_takes_kafkasource_pushes_and_asks_employee_about_people_it_does_not_know() {
    let data = TempDir::new();
    let (compliance_port, employee_port, notification_port) = (free_port(), free_port(), free_port());
    let compliance = Dev::serve("compliance", compliance_port, &data);
    let compliance_url = format!("http://127.0.0.1:{compliance_port}");
    let employee =
        Dev::serve_with("employee", employee_port, &data, &[("HRMS_COMPLIANCE_URL", &compliance_url)]);
    let employee_url = format!("http://127.0.0.1:{employee_port}");
    let notification =
        Dev::serve_with("notification", notification_port, &data, &[("HRMS_EMPLOYEE_URL", &employee_url)]);
    let admin = mint(&data, "admin");
    let record = serde_json::json!({
        "first_name": "Annie", "last_name": "Easley", "email": "annie@example.com", "department": "Engineering",
        "job_title": "Engineer", "country": "US", "weekly_hours": 40, "hire_date": "2026-12-01"
    });
    let created = employee.request("POST", "/employees", Some(&admin), Some(&record.to_string()));
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    let employee_id: uuid::Uuid = body(&created)["employee_id"].as_str().expect("id").parse().expect("uuid");

    // Her leave is approved; no event has told the Notification function about her.
    let mut event = fixtures::sample(EventType::LeaveApproved);
    if let hrms_events::Payload::LeaveApproved(p) = &mut event.payload {
        p.employee_id = employee_id;
    }
    let id = event.id.to_string();
    let answer = push(&notification, "/deliveries/notification", &event, &id, "leave.approved");
    assert!(answer.starts_with("HTTP/1.1 202"), "recorded: {answer}");
    let again = push(&notification, "/deliveries/notification", &event, &id, "leave.approved");
    assert!(again.starts_with("HTTP/1.1 202"), "a redelivery is harmless: {again}");
    let invalid = push(&notification, "/deliveries/notification", &event, &id, "leave.postponed");
    assert!(invalid.starts_with("HTTP/1.1 400") && invalid.contains("type"), "{invalid}");

    let outbox = data.0.join("outbox");
    let mails = || -> Vec<String> {
        std::fs::read_dir(&outbox)
            .map(|dir| dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect())
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while mails().is_empty() {
        assert!(Instant::now() < deadline, "a mail within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mail = mails().remove(0);
    assert!(mail.contains("annie@example.com") && mail.contains("approved"), "{mail}");
    assert!(notification.terminate().success());
    assert_eq!(mails().len(), 1, "one mail for one event delivered twice");
    assert!(employee.terminate().success() && compliance.terminate().success());
}

/// Creates an account with `role` (and, for employees and managers, its
/// employee record in Berlin, managed by `manager_id`); answers the user id
/// and the employee id.
fn create_account(dev: &Dev, admin: &str, role: &str, manager_id: Option<&str>) -> (String, Option<String>) {
    let name = format!("{role}.{}", uuid::Uuid::now_v7().simple());
    let mut new_user = serde_json::json!({
        "email": format!("{name}@example.com"), "full_name": name, "role": role,
        "password": "a long enough passphrase",
    });
    if role != "hr" {
        new_user["employee"] = serde_json::json!({
            "first_name": "Ada", "last_name": name, "department": "Engineering", "job_title": "Engineer",
            "country": "DE", "time_zone": "Europe/Berlin", "weekly_hours": 40, "hire_date": "2026-01-05",
            "manager_id": manager_id
        });
    }
    let answer = dev.request("POST", "/users", Some(admin), Some(&new_user.to_string()));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let created = body(&answer);
    let id = |field: &str| created[field].as_str().map(str::to_owned);
    (id("user_id").expect("a user id"), id("employee_id"))
}

/// A token for `user_id` with `role` and, if any, their employee record.
fn token_of(data: &TempDir, role: &str, user_id: &str, employee_id: Option<&str>) -> String {
    let mut command = hrms();
    command.args(["token", "--role", role, "--sub", user_id, "--data-dir"]).arg(&data.0);
    if let Some(employee_id) = employee_id {
        command.args(["--employee", employee_id]);
    }
    let out = command.output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Polls `GET path` with `token` until `found` holds of its body.
fn poll(
    dev: &Dev,
    path: &str,
    token: &str,
    what: &str,
    found: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = dev.get_as(path, Some(token));
        if answer.starts_with("HTTP/1.1 200") && found(&body(&answer)) {
            return body(&answer);
        }
        assert!(Instant::now() < deadline, "{what} within 30 s: {answer}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn dev_marks_attendance_and_tells_the_manager_and_hr_of_a_rest_breach() {
    let data = TempDir::new();
    let dev = Dev::start(None, &data);
    let admin = mint(&data, "admin");
    let (hr_user, _) = create_account(&dev, &admin, "hr", None);
    let (manager_user, manager) = create_account(&dev, &admin, "manager", None);
    let (ada_user, ada) = create_account(&dev, &admin, "employee", manager.as_deref());
    let ada = ada.expect("an employee record");
    let me = token_of(&data, "employee", &ada_user, Some(&ada));
    let boss = token_of(&data, "manager", &manager_user, manager.as_deref());
    let hr = token_of(&data, "hr", &hr_user, None);

    let mut records = Vec::new();
    for _ in 0..2 {
        let checked_in = dev.request("POST", "/attendance/check-in", Some(&me), None);
        assert!(checked_in.starts_with("HTTP/1.1 201"), "{checked_in}");
        assert_eq!(body(&checked_in)["time_zone"], "Europe/Berlin");
        let twice = dev.request("POST", "/attendance/check-in", Some(&me), None);
        assert!(twice.starts_with("HTTP/1.1 409") && twice.contains("application/problem+json"), "{twice}");
        let checked_out = dev.request("POST", "/attendance/check-out", Some(&me), None);
        assert!(checked_out.starts_with("HTTP/1.1 200"), "{checked_out}");
        records.push(body(&checked_out)["record_id"].as_str().expect("an id").to_owned());
    }
    let out = dev.request("POST", "/attendance/check-out", Some(&me), None);
    assert!(out.starts_with("HTTP/1.1 409"), "not checked in: {out}");

    // The manager corrects both: 08:00 to 20:00 UTC three days ago (12 h),
    // then 02:00 to 06:00 the next night: 6 hours of rest.
    let day = (chrono::Utc::now() - chrono::Duration::days(3)).date_naive();
    let at = |d: chrono::NaiveDate, h: u32| format!("{d}T{h:02}:00:00Z");
    let next = day.succ_opt().expect("a day");
    let fixes = [(&records[0], at(day, 8), at(day, 20)), (&records[1], at(next, 2), at(next, 6))];
    let fix = |from: &str, to: &str| {
        serde_json::json!({ "check_in": from, "check_out": to, "reason": "badge reader was down" })
            .to_string()
    };
    let (id, from, to) = &fixes[0];
    let refused = dev.request("PATCH", &format!("/attendance/{id}"), Some(&me), Some(&fix(from, to)));
    assert!(refused.starts_with("HTTP/1.1 403"), "not by the employee: {refused}");
    for (id, from, to) in &fixes {
        let fixed = dev.request("PATCH", &format!("/attendance/{id}"), Some(&boss), Some(&fix(from, to)));
        assert!(fixed.starts_with("HTTP/1.1 200"), "{fixed}");
    }
    dev.wait_for_logs(
        &["type=\"attendance.updated\"".into(), "type=\"compliance.violation\"".into()],
        Duration::from_secs(30),
    );

    // Worked hours in Ada's own days (Berlin: 09:00 to 21:00, then 03:00 to 07:00).
    let listed = body(&dev.get_as(&format!("/attendance?from={day}&to={next}"), Some(&me)));
    let days: Vec<(String, i64)> = listed["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| {
            (d["date"].as_str().unwrap_or_default().to_owned(), d["worked_minutes"].as_i64().unwrap_or(0))
        })
        .collect();
    assert_eq!(days, [(day.to_string(), 720), (next.to_string(), 240)], "{listed}");

    // What was found in the attendance (the account's own check found its
    // missing date of birth).
    let rules = |checks: &serde_json::Value| -> Vec<String> {
        let attendance =
            checks.as_array().into_iter().flatten().filter(|c| c["subject_kind"] == "attendance");
        attendance.filter_map(|c| c["findings"][0]["rule_id"].as_str().map(str::to_owned)).collect()
    };
    let path = format!("/compliance/violations?employee_id={ada}");
    let findings = poll(&dev, &path, &hr, "the rest breach", |v| rules(v).iter().any(|r| r == "rest_period"));
    assert_eq!(rules(&findings), ["rest_period", "daily_hours"], "newest first: {findings}");
    for (who, token) in [("the manager", &boss), ("hr", &hr)] {
        poll(&dev, "/notifications", token, &format!("{who}'s notice"), |inbox| {
            inbox.as_array().into_iter().flatten().any(|n| n["event_type"] == "compliance.violation")
        });
    }
    let stranger = mint(&data, "employee");
    assert!(dev.get_as("/compliance/violations", Some(&stranger)).starts_with("HTTP/1.1 403"));
    assert!(dev.terminate().success());
}

#[test]
fn serve_attendance_on_dynamodb_asks_employee_and_stores_nothing_while_it_is_down() {
    let moto = Moto::start();
    let data = TempDir::new();
    let (compliance_port, employee_port, attendance_port) = (free_port(), free_port(), free_port());
    let endpoint = moto.endpoint();
    let dynamo = [on_dynamodb(&endpoint).as_slice(), &[("HRMS_STORE", "dynamodb")]].concat();
    let (compliance_url, employee_url) =
        (format!("http://127.0.0.1:{compliance_port}"), format!("http://127.0.0.1:{employee_port}"));
    let employee_env = [dynamo.as_slice(), &[("HRMS_COMPLIANCE_URL", compliance_url.as_str())]].concat();
    let attendance_env = [dynamo.as_slice(), &[("HRMS_EMPLOYEE_URL", employee_url.as_str())]].concat();
    let _compliance = Dev::serve_with("compliance", compliance_port, &data, &dynamo);
    let employee = Dev::serve_with("employee", employee_port, &data, &employee_env);
    let attendance = Dev::serve_with("attendance", attendance_port, &data, &attendance_env);
    assert!(attendance.get("/readyz").starts_with("HTTP/1.1 200"));

    let hr = mint(&data, "hr");
    let new_employee = serde_json::json!({
        "first_name": "Mary", "last_name": "Jackson", "email": "mary@example.com", "department": "Engineering",
        "job_title": "Engineer", "country": "US", "time_zone": "America/New_York", "weekly_hours": 40,
        "hire_date": "2026-01-05"
    });
    let created = employee.request("POST", "/employees", Some(&hr), Some(&new_employee.to_string()));
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    let mary = body(&created)["employee_id"].as_str().expect("an id").to_owned();
    let me = token_of(&data, "employee", &uuid::Uuid::now_v7().to_string(), Some(&mary));
    let stranger = token_of(
        &data,
        "employee",
        &uuid::Uuid::now_v7().to_string(),
        Some(&uuid::Uuid::now_v7().to_string()),
    );
    let unknown = attendance.request("POST", "/attendance/check-in", Some(&stranger), None);
    assert!(unknown.starts_with("HTTP/1.1 404"), "no such employee: {unknown}");

    let checked_in = attendance.request("POST", "/attendance/check-in", Some(&me), None);
    assert!(checked_in.starts_with("HTTP/1.1 201"), "{checked_in}");
    assert_eq!(body(&checked_in)["time_zone"], "America/New_York");
    assert!(employee.terminate().success());
    let down = attendance.request("POST", "/attendance/check-out", Some(&me), None);
    assert!(down.starts_with("HTTP/1.1 503") && down.contains("application/problem+json"), "{down}");
    let listed = body(&attendance.get_as("/attendance", Some(&me)));
    assert_eq!(listed["records"].as_array().map(Vec::len), Some(1), "{listed}");
    assert!(listed["records"][0]["check_out"].is_null(), "still checked in: {listed}");

    let employee = Dev::serve_with("employee", employee_port, &data, &employee_env);
    let checked_out = attendance.request("POST", "/attendance/check-out", Some(&me), None);
    assert!(checked_out.starts_with("HTTP/1.1 200"), "{checked_out}");
    assert!(!data.0.join("attendance.db").exists(), "the records are in DynamoDB");
    assert!(attendance.terminate().success() && employee.terminate().success());
}

/// Runs `hrms audit <args>` on the data directory: success, and stdout.
fn audit(data: &TempDir, args: &[&str]) -> (bool, String) {
    let out = hrms().arg("audit").args(args).arg("--data-dir").arg(&data.0).output().expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn dev_keeps_an_audit_trail_that_hrms_audit_verifies_exports_and_finds_tampered() {
    let data = TempDir::new();
    let dev = Dev::start(None, &data);
    let hr = mint(&data, "hr");
    let mut ids = Vec::new();
    for (first, email) in [("Katherine", "katherine@example.com"), ("Dorothy", "dorothy@example.com")] {
        let employee = serde_json::json!({
            "first_name": first, "last_name": "Johnson", "email": email, "department": "Flight Research",
            "job_title": "Mathematician", "country": "US", "weekly_hours": 40, "hire_date": "2026-12-01"
        });
        let answer = dev.request("POST", "/employees", Some(&hr), Some(&employee.to_string()));
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        ids.push(body(&answer)["employee_id"].as_str().expect("an id").to_owned());
    }
    // Each creation: audit.compliance.validated and audit.employee.created.
    let deadline = Instant::now() + Duration::from_secs(30);
    let listed = loop {
        let page = body(&dev.get_as("/audit?limit=100", Some(&hr)));
        let rows = page["entries"].as_array().cloned().unwrap_or_default();
        if rows.len() >= 4 {
            break rows;
        }
        assert!(Instant::now() < deadline, "audit rows within 30 s: {page}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(listed.len(), 4, "each event once");
    let employee = dev.get_as(&format!("/audit/subjects/{}/state", ids[0]), Some(&hr));
    assert!(employee.starts_with("HTTP/1.1 200"), "{employee}");
    assert_eq!(body(&employee)["state"]["first_name"], "Katherine");
    let stranger = mint(&data, "employee");
    assert!(dev.get_as("/audit", Some(&stranger)).starts_with("HTTP/1.1 403"));
    assert!(dev.terminate().success());

    let (ok, said) = audit(&data, &["verify"]);
    assert!(ok && said.contains("4 rows") && said.contains("intact"), "{said}");
    let export = data.0.join("audit.jsonl");
    let (ok, said) = audit(&data, &["export", "--out", export.to_str().expect("path")]);
    assert!(ok, "{said}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&export)
        .expect("exported")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert!(lines.windows(2).all(|w| w[0]["time"].as_str() <= w[1]["time"].as_str()), "oldest first");
    let (ok, said) = audit(&data, &["replay"]);
    assert!(ok && said.contains("rebuilt the state of 4 subjects"), "{said}");

    // Someone with the sqlite3 shell rewrites history.
    let db = hrms_sqlite::outbox::connect(data.0.join("audit.db")).expect("db");
    db.execute_batch(&format!(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET event = replace(event, 'Katherine', 'Kathy') WHERE subject = '{}'",
        ids[0]
    ))
    .expect("tampered");
    let (ok, said) = audit(&data, &["verify"]);
    assert!(!ok, "verification fails: {said}");
    assert!(said.contains("Altered") && said.contains(&ids[0]), "names the row: {said}");
}

#[test]
fn serve_audit_takes_events_the_way_a_kafkasource_delivers_them() {
    let data = TempDir::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let function = Dev::serve("audit", port, &data);
    let event = fixtures::sample(EventType::AuditEmployeeCreated);
    let post = |id: &str, ty: &str| push(&function, "/deliveries/audit", &event, id, ty);
    let id = event.id.to_string();
    for _ in 0..2 {
        let answer = post(&id, event.event_type().as_str());
        assert!(answer.starts_with("HTTP/1.1 202"), "stored (and a redelivery is harmless): {answer}");
    }
    let refused = post(&id, "audit.employee.promoted");
    assert!(
        refused.starts_with("HTTP/1.1 400") && refused.contains("type"),
        "dead-lettered by the source: {refused}"
    );
    assert!(function.terminate().success());
    let (ok, said) = audit(&data, &["verify"]);
    assert!(ok && said.contains("1 rows") && said.contains("intact"), "{said}");
}

/// The body of `POST /users` for an employee account with its employee record.
fn employee_account(email: &str, first: &str, last: &str) -> String {
    account(email, first, last, "employee", None)
}

/// The body of `POST /users` for an account of `role` with its employee
/// record (in the US, hired on 2026-12-01), managed by `manager`.
fn account(email: &str, first: &str, last: &str, role: &str, manager: Option<&str>) -> String {
    serde_json::json!({
        "email": email, "full_name": format!("{first} {last}"), "role": role,
        "password": "a long enough passphrase",
        "employee": {
            "first_name": first, "last_name": last, "department": "Engineering",
            "job_title": "Engineer", "country": "US", "weekly_hours": 40, "hire_date": "2026-12-01",
            "manager_id": manager
        }
    })
    .to_string()
}

/// Mints a token for `sub` with `role`.
fn mint_for(data: &TempDir, role: &str, sub: &str) -> String {
    mint_with(data, role, sub, None)
}

#[test]
fn dev_welcomes_a_new_user_by_mail_and_in_their_inbox() {
    let data = TempDir::new();
    let dev = Dev::start(None, &data);
    a_new_user_is_welcomed_by_mail_and_in_their_inbox(&dev, &data);
    assert!(dev.terminate().success());
}

#[test]
fn dev_on_dynamodb_welcomes_a_new_user_from_its_notification_table() {
    let moto = Moto::start();
    let data = TempDir::new();
    let dev = dev_on_dynamodb(&moto, &data);
    a_new_user_is_welcomed_by_mail_and_in_their_inbox(&dev, &data);
    assert!(!data.0.join("notification.db").exists(), "the deliveries are in DynamoDB");
    assert!(dev.terminate().success());
}

/// A new user's welcome: a mail (a file under the data directory, with no
/// SMTP configured) and an inbox entry that only they and admins read.
fn a_new_user_is_welcomed_by_mail_and_in_their_inbox(dev: &Dev, data: &TempDir) {
    let admin = mint(data, "admin");
    let new_user = employee_account("katherine@example.com", "Katherine", "Johnson");
    let answer = dev.request("POST", "/users", Some(&admin), Some(&new_user));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let user_id = body(&answer)["user_id"].as_str().expect("an id").to_owned();

    let mail = wait_for_mail(data, "Welcome to HRMS");
    assert!(mail.contains("katherine@example.com"), "{mail}");
    assert!(!mail.contains("passphrase"), "no secret in a mail");

    let mine = mint_for(data, "employee", &user_id);
    let inbox = body(&dev.get_as("/notifications", Some(&mine)));
    let first = &inbox.as_array().expect("a list")[0];
    assert_eq!(
        (first["event_type"].as_str(), first["status"].as_str()),
        (Some("user.created"), Some("sent"))
    );
    let id = first["id"].as_str().expect("an id");
    assert!(
        dev.request("POST", &format!("/notifications/{id}/read"), Some(&mine), None)
            .starts_with("HTTP/1.1 204")
    );
    let read = body(&dev.get_as(&format!("/notifications/{id}"), Some(&mine)));
    assert!(read["read_at"].is_string(), "read: {read}");
    let other = mint(data, "employee");
    assert!(
        dev.get_as(&format!("/notifications/{id}"), Some(&other)).starts_with("HTTP/1.1 403"),
        "not theirs"
    );
    assert!(dev.get_as(&format!("/notifications/{id}"), Some(&admin)).starts_with("HTTP/1.1 200"));
}

#[test]
fn a_mail_refused_for_good_goes_to_the_dead_letters_and_a_redrive_delivers_it() {
    let broker = Broker::start();
    let smtp = Smtp::start();
    smtp.refuse("grace@example.com");
    let data = TempDir::new();
    let mut command = hrms();
    command
        .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data.0)
        .env("HRMS_SMTP_URL", smtp.url());
    let dev = Dev::spawn(command, Some(&broker.bootstrap()), None);
    let admin = mint(&data, "admin");
    let new_user = employee_account("grace@example.com", "Grace", "Hopper");
    let answer = dev.request("POST", "/users", Some(&admin), Some(&new_user));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");

    let dlq = |verb: &str| {
        let out = hrms()
            .args(["dlq", verb, "notification-queue"])
            .env("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap())
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let listed = loop {
        let listed = dlq("list");
        if listed.contains("user.created") {
            break listed;
        }
        assert!(Instant::now() < deadline, "no dead letter within 60 s: {listed}");
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(
        listed.contains("550") && listed.contains("1 dead letters in notification-queue.dlq"),
        "{listed}"
    );
    assert!(smtp.messages().is_empty(), "refused, so not delivered");
    let dead = r#"hrms_notifications_total{channel="email",outcome="dead"}"#;
    let failed = r#"hrms_notifications_total{channel="email",outcome="failed"}"#;
    assert_eq!((metric(&dev, failed), metric(&dev, dead)), (1.0, 1.0), "refused once, for good");
    assert_eq!(metric(&dev, r#"hrms_dead_letters_total{topic="notification-queue.dlq"}"#), 1.0);

    smtp.accept_all();
    assert!(dlq("redrive").contains("redrove 1 dead letters"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while smtp.messages().is_empty() {
        assert!(Instant::now() < deadline, "the redriven welcome arrives within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mail = std::fs::read_to_string(&smtp.messages()[0]).expect("readable");
    assert!(mail.contains("grace@example.com") && mail.contains("Welcome to HRMS"), "{mail}");
    assert!(dev.terminate().success());
    assert_eq!(smtp.messages().len(), 1, "delivered once");
}

#[test]
fn a_webhook_subscriber_gets_the_events_it_names_signed_and_once() {
    const SECRET: &str = "a-webhook-secret-of-at-least-32-characters";
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (base, receiver) = runtime.block_on(hrms_e2e::serve_webhooks(SECRET.as_bytes()));
    let data = TempDir::new();
    let subscriptions = data.0.join("webhooks.toml");
    let file = format!(
        "[[webhook]]\nname = \"payroll\"\nurl = \"{base}/hook\"\nevents = [\"user.*\"]\nsecret_env = \"PAYROLL_SECRET\"\n"
    );
    std::fs::write(&subscriptions, file).expect("written");
    let mut command = hrms();
    command
        .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data.0)
        .env("HRMS_WEBHOOKS", &subscriptions)
        .env("PAYROLL_SECRET", SECRET);
    let dev = Dev::spawn(command, None, None);
    let admin = mint(&data, "admin");
    let account = employee_account("kat@example.com", "Katherine", "Johnson");
    let answer = dev.request("POST", "/users", Some(&admin), Some(&account));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");

    let accepted = || receiver.accepted.lock().expect("lock").clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    while accepted().is_empty() {
        assert!(Instant::now() < deadline, "the webhook arrives within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let event = accepted().remove(0);
    assert_eq!((event["type"].as_str(), event["specversion"].as_str()), (Some("user.created"), Some("1.0")));
    assert!(!event.to_string().contains("password"), "{event}");
    let (headers, _) = receiver.requests.lock().expect("lock")[0].clone();
    let delivery = headers.get("hrms-delivery").and_then(|v| v.to_str().ok()).expect("HRMS-Delivery");
    // Recorded sent once the answer is back (a moment after the receiver took it).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = dev.get_as(&format!("/notifications/{delivery}"), Some(&admin));
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        if status.contains("\"status\":\"sent\"") {
            break;
        }
        assert!(Instant::now() < deadline, "recorded sent within 30 s: {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(dev.terminate().success());
    assert_eq!(accepted().len(), 1, "only user.* events, each once");
}

/// The value of the metric line that starts with `prefix`, 0 if absent.
fn metric(dev: &Dev, prefix: &str) -> f64 {
    let text = dev.get("/metrics");
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn a_mail_that_finds_the_smtp_server_down_is_retried_and_delivered_once_it_is_back() {
    let mut smtp = Smtp::start();
    smtp.stop();
    let data = TempDir::new();
    let mut command = hrms();
    command
        .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data.0)
        .env("HRMS_SMTP_URL", smtp.url());
    let dev = Dev::spawn(command, None, None);
    let admin = mint(&data, "admin");
    let new_user = employee_account("mary@example.com", "Mary", "Jackson");
    let answer = dev.request("POST", "/users", Some(&admin), Some(&new_user));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let retried = r#"hrms_notifications_total{channel="email",outcome="retried"}"#;
    let sent = r#"hrms_notifications_total{channel="email",outcome="sent"}"#;
    let deadline = Instant::now() + Duration::from_secs(30);
    while metric(&dev, retried) < 1.0 {
        assert!(Instant::now() < deadline, "a failed attempt within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(metric(&dev, sent), 0.0);
    smtp.restart();
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(&dev, sent) < 1.0 {
        assert!(Instant::now() < deadline, "delivered within 60 s of the server's return");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "one welcome, once");
    let mail = std::fs::read_to_string(&mails[0]).expect("readable");
    assert!(mail.contains("mary@example.com") && mail.contains("Welcome to HRMS"), "{mail}");
    assert!(dev.terminate().success());
}

/// Monday to Friday of the week `weeks` from now, within one year.
fn week(weeks: i64) -> (chrono::NaiveDate, chrono::NaiveDate) {
    use chrono::Datelike;
    let mut monday = chrono::Utc::now().date_naive() + chrono::Duration::weeks(weeks);
    while monday.weekday() != chrono::Weekday::Mon {
        monday = monday.pred_opt().expect("a date");
    }
    if (monday + chrono::Days::new(4)).year() != monday.year() {
        monday = monday + chrono::Days::new(7);
    }
    (monday, monday + chrono::Days::new(4))
}

/// The body of `POST /leaves`: annual leave from `start` to `end`.
fn annual_leave(start: chrono::NaiveDate, end: chrono::NaiveDate) -> String {
    serde_json::json!({ "leave_type": "annual", "start_date": start, "end_date": end, "reason": "Family visit" })
        .to_string()
}

/// The first `.eml` under the data directory's outbox containing `needle`.
fn wait_for_mail(data: &TempDir, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mails = std::fs::read_dir(data.0.join("outbox"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok());
        if let Some(mail) = mails.into_iter().find(|m| m.contains(needle)) {
            return mail;
        }
        assert!(Instant::now() < deadline, "a mail with {needle:?} within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `path` as `token` until its JSON `field` is `want` (30 s at most).
fn wait_for_field(dev: &Dev, path: &str, token: &str, field: &str, want: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = body(&dev.get_as(path, Some(token)));
        if answer[field] == want {
            return answer;
        }
        assert!(Instant::now() < deadline, "{path}: {field} {want} within 30 s: {answer}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Grace manages Ada; Ada asks for a week off, which Grace (told by mail and
/// in her inbox) approves; Ada's employment ends, and the
/// Leave function's consumer cancels the week and credits it back.
fn leave_is_approved_and_cancelled_when_the_employment_ends(dev: &Dev, data: &TempDir) {
    let admin = mint(data, "admin");
    let create = |account: String| {
        let answer = dev.request("POST", "/users", Some(&admin), Some(&account));
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        let created = body(&answer);
        let id = |name: &str| created[name].as_str().expect("an id").to_owned();
        (id("user_id"), id("employee_id"))
    };
    let (boss_user, boss) = create(account("grace@example.com", "Grace", "Hopper", "manager", None));
    let (ada_user, ada) = create(account("ada@example.com", "Ada", "Lovelace", "employee", Some(&boss)));
    let (boss_token, ada_token) = (
        mint_with(data, "manager", &boss_user, Some(&boss)),
        mint_with(data, "employee", &ada_user, Some(&ada)),
    );

    let (start, end) = week(8);
    let answer = dev.request("POST", "/leaves", Some(&ada_token), Some(&annual_leave(start, end)));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let leave = body(&answer);
    let id = leave["leave_id"].as_str().expect("an id").to_owned();
    assert_eq!(leave["approver_id"], boss.as_str(), "her manager decides");

    // The manager is told, by mail and in the inbox.
    let mail = wait_for_mail(data, "Leave request to approve");
    assert!(mail.contains("grace@example.com") && mail.contains("Ada Lovelace"), "{mail}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dev.get_as("/notifications", Some(&boss_token)).contains("leave.requested") {
        assert!(Instant::now() < deadline, "leave.requested in the manager's inbox within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let own = dev.request("POST", &format!("/leaves/{id}/approve"), Some(&ada_token), None);
    assert!(own.starts_with("HTTP/1.1 403"), "{own}");
    let approved = dev.request("POST", &format!("/leaves/{id}/approve"), Some(&boss_token), None);
    assert!(approved.starts_with("HTTP/1.1 200") && approved.contains("\"approved\""), "{approved}");
    let balances = format!("/leave-balances/{ada}?year={}", chrono::Datelike::year(&start));
    let annual = |report: serde_json::Value| {
        report["balances"].as_array().expect("a list").iter().find(|b| b["leave_type"] == "annual").cloned()
    };
    let taken = annual(body(&dev.get_as(&balances, Some(&ada_token)))).expect("annual");
    assert_eq!(taken["taken"], leave["days"]);

    // Her employment ends: the Leave function's consumer cancels what lies ahead.
    let hr = mint(data, "hr");
    let ends =
        chrono::Utc::now().date_naive().max(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"));
    let termination = serde_json::json!({ "termination_date": ends, "reason": "Moved abroad" }).to_string();
    let answer = dev.request("POST", &format!("/employees/{ada}/terminate"), Some(&hr), Some(&termination));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let cancelled = wait_for_field(dev, &format!("/leaves/{id}"), &hr, "status", "cancelled");
    assert_eq!(cancelled["version"], 3, "approved, then cancelled once");
    let credited = annual(body(&dev.get_as(&balances, Some(&hr)))).expect("annual");
    assert_eq!(credited["taken"], 0.0, "credited back");
    dev.wait_for_logs(
        &["type=\"leave.cancelled\"".into(), "type=\"audit.leave.cancelled\"".into()],
        Duration::from_secs(30),
    );
    let refused =
        dev.request("POST", "/leaves", Some(&ada_token), Some(&annual_leave(week(12).0, week(12).1)));
    assert!(refused.starts_with("HTTP/1.1 409") && refused.contains("employee_id"), "{refused}");
}

#[test]
fn dev_asks_the_manager_to_approve_leave_and_a_termination_cancels_the_leave_ahead() {
    let data = TempDir::new();
    let dev = Dev::start(None, &data);
    leave_is_approved_and_cancelled_when_the_employment_ends(&dev, &data);
    assert!(dev.terminate().success());
}

#[test]
fn dev_on_dynamodb_keeps_leave_and_balances_there() {
    let moto = Moto::start();
    let data = TempDir::new();
    let dev = dev_on_dynamodb(&moto, &data);
    leave_is_approved_and_cancelled_when_the_employment_ends(&dev, &data);
    assert!(!data.0.join("leave.db").exists(), "the requests are in DynamoDB");
    assert!(dev.terminate().success());
}

#[test]
fn serve_leave_calls_employee_apart_and_takes_terminations_the_way_a_kafkasource_delivers_them() {
    use hrms_events::employee::EmployeeTerminated;
    use hrms_events::{HrmsEvent, Payload};

    let data = TempDir::new();
    let (compliance_port, employee_port, leave_port) = (free_port(), free_port(), free_port());
    let compliance_url = format!("http://127.0.0.1:{compliance_port}");
    let employee_url = format!("http://127.0.0.1:{employee_port}");
    let _compliance = Dev::serve("compliance", compliance_port, &data);
    let employee =
        Dev::serve_with("employee", employee_port, &data, &[("HRMS_COMPLIANCE_URL", &compliance_url)]);
    let leave = Dev::serve_with("leave", leave_port, &data, &[("HRMS_EMPLOYEE_URL", &employee_url)]);
    let admin = mint(&data, "admin");
    let new_employee = serde_json::json!({
        "first_name": "Mary", "last_name": "Jackson", "email": "mary@example.com", "department": "Engineering",
        "job_title": "Engineer", "country": "US", "weekly_hours": 40, "hire_date": "2026-12-01"
    });
    let answer = employee.request("POST", "/employees", Some(&admin), Some(&new_employee.to_string()));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let mary = body(&answer)["employee_id"].as_str().expect("an id").to_owned();
    let me = mint_with(&data, "employee", &uuid::Uuid::now_v7().to_string(), Some(&mary));

    // Employee is asked over HTTP, with Mary's own token.
    let (start, end) = week(6);
    let answer = leave.request("POST", "/leaves", Some(&me), Some(&annual_leave(start, end)));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let id = body(&answer)["leave_id"].as_str().expect("an id").to_owned();

    let terminated = EmployeeTerminated {
        employee_id: mary.parse().expect("a uuid"),
        email: "mary@example.com".into(),
        first_name: "Mary".into(),
        last_name: "Jackson".into(),
        manager_id: None,
        termination_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"),
        reason: "Retired".into(),
    };
    let event = HrmsEvent::new(Payload::EmployeeTerminated(terminated), &fixtures::hr_actor());
    for _ in 0..2 {
        let answer = push(&leave, "/deliveries/leave", &event, &event.id.to_string(), "employee.terminated");
        assert!(answer.starts_with("HTTP/1.1 202"), "handled (and a redelivery is harmless): {answer}");
    }
    let cancelled = body(&leave.get_as(&format!("/leaves/{id}"), Some(&admin)));
    assert_eq!((cancelled["status"].as_str(), cancelled["version"].as_u64()), (Some("cancelled"), Some(2)));
    let other = fixtures::sample(EventType::UserCreated);
    let answer = push(&leave, "/deliveries/leave", &other, &other.id.to_string(), "user.created");
    assert!(answer.starts_with("HTTP/1.1 202"), "other events are passed over: {answer}");

    assert!(employee.terminate().success());
    let (start, end) = week(10);
    let down = leave.request("POST", "/leaves", Some(&me), Some(&annual_leave(start, end)));
    assert!(down.starts_with("HTTP/1.1 503") && down.contains("application/problem+json"), "{down}");
    let listed = body(&leave.get_as(&format!("/leaves?employee_id={mary}"), Some(&admin)));
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "nothing stored by the refused request: {listed}");
    assert!(leave.terminate().success());
}

#[test]
fn bench_mixed_runs_a_working_day_and_prints_its_table_with_no_server_errors() {
    let args =
        ["--seconds", "1", "--concurrency", "2", "--employees", "4", "--team", "2", "--bare-requests", "50"];
    let out = hrms().args(["bench", "mixed"]).args(args).output().expect("runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("events: in-process"), "says how events travel: {stdout}");
    assert!(stdout.contains("population: 2 managers and 4 employees"), "{stdout}");
    let row = |name: &str| stdout.lines().find(|l| l.starts_with(name)).map(str::to_owned);
    for name in ["bare axum", "overlapping", "approval", "check-in", "check-out", "balance", "all"] {
        assert!(row(name).is_some(), "a row for {name}: {stdout}");
    }
    let requests = row("leave request").unwrap_or_default();
    assert!(requests.contains("201 x "), "every connection asks for leave first: {stdout}");
    assert!(stdout.contains("answers other than expected: 0; 5xx: 0"), "{stdout}");
    let ratio = stdout.lines().find_map(|l| l.strip_prefix("ratio to bare: ")?.parse::<f64>().ok());
    assert!(ratio.is_some_and(|r| r > 0.0), "{stdout}");
}
