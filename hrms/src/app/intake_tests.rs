//! A forged CloudEvent posted to any function's intake is refused, in each
//! configuration the deployments run: OIDC on (sender tokens of the
//! cluster's issuer, a stand-in serving its JWKS on 127.0.0.1), and the
//! delivery token where OIDC is off. Every function runs as `serve` runs it
//! (Kafka-triggered ones take their events on `/deliveries/<function>`);
//! the command intake `POST /` takes a person's token in both.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeDelta, Utc};
use hrms_events::cloudevents::AttributesReader;
use hrms_events::{EventType, HrmsEvent, Role, fixtures};
use hrms_http::intake_auth::issuer::Issuer;
use hrms_http::intake_auth::{DeliveryToken, IntakeAuth};
use hrms_platform::inprocess::InProcessBus;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use super::consumers::CONSUMERS;
use super::{App, Function, Options, Stores, Transport};

const AUDIENCE: &str = "https://hrms-events.hrms.svc.cluster.local";
const TOKEN: &str = "an-intake-test-delivery-token-of-40-chars";

/// `event` in binary mode as a KafkaSource sends it, with `authorization`.
fn pushed(path: &str, event: &HrmsEvent, authorization: Option<&str>) -> Request<Body> {
    let ce = event.to_cloudevent();
    let mut request = Request::post(path)
        .header("ce-specversion", "1.0")
        .header("ce-id", ce.id())
        .header("ce-source", ce.source().to_string())
        .header("ce-type", ce.ty())
        .header("ce-subject", ce.subject().unwrap_or_default())
        .header("ce-time", ce.time().map(|t| t.to_rfc3339()).unwrap_or_default())
        .header("ce-dataschema", ce.dataschema().map(ToString::to_string).unwrap_or_default())
        .header("ce-partitionkey", event.partition_key())
        .header("ce-actor", event.actor.clone())
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    request.body(Body::from(event.payload.to_bytes())).expect("request")
}

async fn status(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Every function as `serve` runs it, its intake admitting whom `intake` admits.
async fn functions(intake: IntakeAuth) -> (Router, std::path::PathBuf) {
    let data_dir = std::env::temp_dir().join(format!("hrms-intake-{}", Uuid::now_v7()));
    let options = Options {
        stores: Stores::sqlite(data_dir.clone()),
        functions: Function::all(),
        event_log: false,
        consume: false,
        intake: Arc::new(intake),
    };
    let app = App::build_on(options, Transport::InProcess(InProcessBus::default())).await.expect("builds");
    (app.router, data_dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_cloudevent_is_refused_at_every_intake_in_every_configuration() {
    let issuer = Issuer::start().await;
    let source_token = format!("Bearer {}", issuer.token(AUDIENCE, json!({})));
    let oidc = IntakeAuth::default().with_oidc(issuer.settings(AUDIENCE)).expect("settings");
    let token = IntakeAuth::default().with_token(DeliveryToken::new(TOKEN).expect("token"));
    let stranger = Issuer::stranger_key();
    let forged = |claims: Value| format!("Bearer {}", issuer.sign("sa-key", &claims, &stranger));
    let configurations =
        [("OIDC on", oidc, source_token.clone()), ("the delivery token", token, format!("Bearer {TOKEN}"))];
    // Every event a consumer could act on, so each intake sees its own kind.
    let event = fixtures::sample(EventType::AttendanceMarked);
    let audit_event = fixtures::sample(EventType::AuditAttendanceMarked);

    for (configuration, intake, admitted) in configurations {
        let (app, data_dir) = functions(intake).await;
        let auth = crate::auth::authenticator(&data_dir).expect("the app's own key");
        let person =
            auth.mint(Uuid::now_v7(), Role::Admin, None, std::time::Duration::from_secs(60)).expect("token");
        let refusals = [
            ("no credential", None, StatusCode::UNAUTHORIZED),
            ("a person's token", Some(format!("Bearer {person}")), StatusCode::UNAUTHORIZED),
            (
                "a token signed by another key",
                Some(forged(issuer.claims(AUDIENCE, json!({})))),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "another audience",
                Some(format!("Bearer {}", issuer.token("https://elsewhere", json!({})))),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "an expired token",
                Some(format!(
                    "Bearer {}",
                    issuer.token(AUDIENCE, json!({"exp": Utc::now().timestamp() - 120}))
                )),
                StatusCode::UNAUTHORIZED,
            ),
            ("another delivery token", Some(format!("Bearer {}x", &TOKEN[1..])), StatusCode::UNAUTHORIZED),
        ];
        for consumer in CONSUMERS {
            let path = consumer.route();
            let event = if consumer.function == "audit" { &audit_event } else { &event };
            for (case, authorization, expected) in &refusals {
                let (got, problem) = status(&app, pushed(&path, event, authorization.as_deref())).await;
                assert_eq!(got, *expected, "{configuration}: {path} with {case}: {problem}");
                assert_eq!(problem["status"], expected.as_u16(), "{configuration}: {path} with {case}");
            }
            if configuration == "OIDC on" {
                let other = format!(
                    "Bearer {}",
                    issuer.token(AUDIENCE, json!({"sub": "system:serviceaccount:hrms:default"}))
                );
                let (got, _) = status(&app, pushed(&path, event, Some(&other))).await;
                assert_eq!(
                    got,
                    StatusCode::FORBIDDEN,
                    "{configuration}: {path} from another service account"
                );
            }
            // Let in, a forged event is still refused by its checks.
            let mut future = event.clone();
            future.time = Utc::now() + TimeDelta::days(2);
            let (got, problem) = status(&app, pushed(&path, &future, Some(&admitted))).await;
            assert_eq!(
                (got, problem["field"].clone()),
                (StatusCode::BAD_REQUEST, json!("time")),
                "{configuration}: {path}"
            );
            let mut elsewhere = pushed(&path, event, Some(&admitted));
            elsewhere.headers_mut().insert("ce-source", "/hrms/notification".parse().expect("header"));
            let (got, problem) = status(&app, elsewhere).await;
            assert_eq!(
                (got, problem["field"].clone()),
                (StatusCode::BAD_REQUEST, json!("source")),
                "{configuration}: {path}"
            );
        }
        // The command intake takes a person's token, never a sender's.
        for authorization in [None, Some(admitted.clone())] {
            let mut command = pushed("/", &event, authorization.as_deref());
            command.headers_mut().insert("ce-type", "hrms.command.employee.create".parse().expect("header"));
            let (got, _) = status(&app, command).await;
            assert_eq!(got, StatusCode::UNAUTHORIZED, "{configuration}: POST / with {authorization:?}");
        }
        let _ = std::fs::remove_dir_all(&data_dir);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn functions_with_consumers_do_not_start_without_intake_authentication() {
    let data_dir = std::env::temp_dir().join(format!("hrms-intake-{}", Uuid::now_v7()));
    let options = |functions, intake| Options {
        stores: Stores::sqlite(data_dir.clone()),
        functions,
        event_log: false,
        consume: false,
        intake: Arc::new(intake),
    };
    let refused = App::build_on(
        options(Function::all(), IntakeAuth::default()),
        Transport::InProcess(InProcessBus::default()),
    )
    .await
    .err()
    .map(|e| format!("{e:#}"))
    .unwrap_or_default();
    for named in ["/deliveries", "HRMS_INTAKE_ISSUER", "HRMS_DELIVERY_TOKEN", "--insecure-open-intake"] {
        assert!(refused.contains(named), "{named}: {refused}");
    }
    let open = App::build_on(
        options(Function::all(), IntakeAuth::insecure_open()),
        Transport::InProcess(InProcessBus::default()),
    )
    .await;
    assert!(open.is_ok(), "explicitly open");
    let _ = std::fs::remove_dir_all(&data_dir);
}
