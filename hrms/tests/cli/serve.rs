//! `hrms serve <function>`: one function alone, as Knative runs it, with
//! its configuration from the environment: a broker or KafkaSinks for its
//! events (none refused), `PORT`, JSON logs and the revision's labels.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use hrms_e2e::{TempDir, eventually};
use hrms_events::Role;
use serde_json::json;

use crate::binary::{Dev, free_port, hrms};
use crate::running::Running;

#[test]
fn serve_without_a_broker_says_what_is_missing_and_stores_nothing() {
    let data = TempDir::new();
    let out = hrms().args(["serve", "employee", "--data-dir"]).arg(&data.0).output().expect("runs");
    assert!(!out.status.success(), "a function alone would lose its events in-process");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("KAFKA_BOOTSTRAP_SERVERS") && said.contains("HRMS_EVENT_SINK"), "{said}");
    assert!(!data.0.join("employee.db").exists(), "it stopped before opening a store");
}

/// The body of `POST /compliance/validate` for a user whose e-mail is no address.
fn user_with_a_bad_address() -> serde_json::Value {
    json!({ "user": {
        "user_id": uuid::Uuid::now_v7(), "email": "not-an-address", "full_name": "Ada", "role": "employee",
        "employee_id": null
    }})
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_runs_one_function_on_port_with_json_logs() {
    let data = TempDir::new();
    let knative = [("K_SERVICE", "compliance"), ("K_REVISION", "compliance-00001")];
    let function = Dev::serve_with("compliance", free_port(), &data, &knative).await;
    assert_eq!(function.api.get("/readyz", None).await.status, 200);
    let hr = function.token(Role::Hr);
    let answer = function.api.post("/compliance/validate", Some(&hr), Some(&user_with_a_bad_address())).await;
    assert!(answer.text.contains("\"allowed\":false") && answer.text.contains("email_format"), "{answer}");
    let line = function.wait_for_logs(&["\"serving\"".into()], Duration::from_secs(10)).await.remove(0);
    let logged: serde_json::Value = serde_json::from_str(&line).expect("JSON logs");
    assert_eq!(
        (logged["k_service"].as_str(), logged["k_revision"].as_str()),
        (Some("compliance"), Some("compliance-00001"))
    );
    let metrics = function.api.get("/metrics", None).await.text;
    assert!(
        metrics.contains("k_revision=\"compliance-00001\"") && metrics.contains("k_service=\"compliance\""),
        "{metrics}"
    );
    assert!(function.terminate().await.success());
}

/// What a KafkaSink received: its topic, `ce-type` and `ce-partitionkey`.
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

/// KafkaSinks for every topic at `/<topic>`, keeping what they receive; their base URL.
async fn kafkasinks(received: Received) -> String {
    let sink = move |Path(topic): Path<String>, headers: HeaderMap| {
        let received = received.clone();
        async move {
            let header =
                |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            received.lock().expect("lock").push((topic, header("ce-type"), header("ce-partitionkey")));
            StatusCode::ACCEPTED
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = axum::Router::new().route("/{topic}", axum::routing::post(sink));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_publishes_through_kafkasinks_in_binary_mode_keyed_by_the_partition_key() {
    let received = Received::default();
    let base = kafkasinks(received.clone()).await;
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
    let function = Dev::serve_with("compliance", free_port(), &data, &env).await;
    let hr = function.token(Role::Hr);
    let subject = user_with_a_bad_address();
    let answer = function.api.post("/compliance/validate", Some(&hr), Some(&subject)).await;
    assert!(answer.text.contains("\"allowed\":false"), "{answer}");
    let at_sinks = || received.lock().expect("lock").len();
    eventually("both events at their sinks", Duration::from_secs(30), || at_sinks() >= 2).await;
    let got = received.lock().expect("lock").clone();
    let user_id = subject["user"]["user_id"].as_str().expect("id");
    let at = |topic: &str| got.iter().find(|(t, ..)| t == topic).cloned().expect(topic);
    assert_eq!(at("notification-queue").1, "compliance.violation");
    assert_eq!(at("audit-queue").1, "audit.compliance.violation");
    assert!(got.iter().all(|(_, _, key)| key == user_id), "keyed by the subject: {got:?}");
    assert!(function.terminate().await.success());

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

/// `hrms serve audit` (a Kafka-triggered function, its events on
/// `/deliveries/audit`) refuses to start with no intake authentication,
/// and then takes events only from the senders each configuration lets in:
/// the delivery token, OIDC sender tokens of the cluster issuer (a stand-in
/// serving its JWKS), or anyone when explicitly opened.
#[tokio::test(flavor = "multi_thread")]
async fn serve_authenticates_its_event_intake_or_refuses_to_start() {
    use hrms_events::{EventType, fixtures};
    use hrms_http::intake_auth::issuer::{ISSUER, Issuer, SOURCE};

    use crate::client::DELIVERY_TOKEN;

    let data = TempDir::new();
    let out = hrms()
        .args(["serve", "audit", "--data-dir"])
        .arg(&data.0)
        .env("HRMS_EVENT_SINK", "inprocess")
        .env("PORT", free_port().to_string())
        .output()
        .expect("runs");
    assert!(!out.status.success(), "an intake nobody authenticates");
    let said = String::from_utf8_lossy(&out.stderr);
    for named in ["/deliveries", "HRMS_INTAKE_ISSUER", "HRMS_DELIVERY_TOKEN", "--insecure-open-intake"] {
        assert!(said.contains(named), "names {named}: {said}");
    }

    let event = fixtures::sample(EventType::AuditEmployeeCreated);
    let (id, ty) = (event.id.to_string(), event.event_type().as_str());
    let push = async |function: &Dev, token: Option<&str>| {
        function.api.push_as(token, "/deliveries/audit", &event, &id, ty).await.status
    };

    // The delivery token (`serve_with` configures it).
    let function = Dev::serve_with("audit", free_port(), &data, &[]).await;
    assert_eq!(push(&function, None).await, 401);
    assert_eq!(push(&function, Some("a-wrong-token-of-more-than-32-characters")).await, 401);
    assert_eq!(push(&function, Some(DELIVERY_TOKEN)).await, 202);
    assert!(function.terminate().await.success());

    // OIDC on, the delivery token off.
    let issuer = Issuer::start().await;
    let audience = "https://audit-events.hrms.svc.cluster.local";
    let oidc = [
        ("HRMS_DELIVERY_TOKEN", ""),
        ("HRMS_INTAKE_ISSUER", ISSUER),
        ("HRMS_INTAKE_JWKS_URL", issuer.jwks_url.as_str()),
        ("HRMS_INTAKE_AUDIENCE", audience),
        ("HRMS_INTAKE_SUBJECTS", SOURCE),
    ];
    let function = Dev::serve_with("audit", free_port(), &data, &oidc).await;
    assert_eq!(push(&function, Some(DELIVERY_TOKEN)).await, 401, "the token is not configured");
    let elsewhere = issuer.token("https://leave-events.hrms.svc.cluster.local", json!({}));
    assert_eq!(push(&function, Some(&elsewhere)).await, 401, "another audience");
    let other = issuer.token(audience, json!({"sub": "system:serviceaccount:hrms:default"}));
    assert_eq!(push(&function, Some(&other)).await, 403, "another service account");
    assert_eq!(push(&function, Some(&issuer.token(audience, json!({})))).await, 202);
    assert!(function.terminate().await.success());

    // Explicitly open, for development.
    let open = [("HRMS_DELIVERY_TOKEN", ""), ("HRMS_INSECURE_OPEN_INTAKE", "true")];
    let function = Dev::serve_with("audit", free_port(), &data, &open).await;
    assert_eq!(push(&function, None).await, 202);
    assert!(function.terminate().await.success());
}
