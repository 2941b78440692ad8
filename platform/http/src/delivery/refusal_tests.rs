//! The refusals of the intake, as tables: callers without a valid
//! credential, with OIDC on and with the delivery token, and events the
//! checks refuse. Tokens come from a stand-in issuer whose JWKS is served
//! on 127.0.0.1.

use chrono::{TimeDelta, Utc};
use hrms_events::Payload;
use serde_json::json;

use super::*;
use crate::intake_auth::issuer::{ISSUER, Issuer, SOURCE};

const AUDIENCE: &str = "https://audit-events.hrms.svc.cluster.local";

/// Who may call, in each overlay's configuration.
fn oidc(issuer: &Issuer) -> DeliverySettings {
    let auth = IntakeAuth::default().with_oidc(issuer.settings(AUDIENCE)).expect("settings");
    DeliverySettings { auth: Arc::new(auth), ..quick() }
}

fn token_only() -> DeliverySettings {
    let auth = IntakeAuth::default().with_token(DeliveryToken::new(TOKEN).expect("token"));
    DeliverySettings { auth: Arc::new(auth), ..quick() }
}

/// Sends `event` with `authorization` to an intake of `settings`: its status.
async fn status(settings: &DeliverySettings, event: &HrmsEvent, authorization: Option<&str>) -> StatusCode {
    let handler = Arc::new(Recorder::default());
    let mut request = binary(event);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let answer = send(app(&handler, settings.clone()), with_body(request, event)).await;
    if answer.status != StatusCode::ACCEPTED {
        assert_eq!(answer.problem()["status"], answer.status.as_u16());
        assert_eq!(*handler.calls.lock().unwrap(), 0, "refused before the handler");
    }
    answer.status
}

#[tokio::test]
async fn with_oidc_only_a_valid_token_of_a_source_let_in_is_admitted() {
    let issuer = Issuer::start().await;
    let settings = oidc(&issuer);
    let event = sample();
    let now = Utc::now().timestamp();
    let stranger = Issuer::stranger_key();
    let token = |changes| format!("Bearer {}", issuer.token(AUDIENCE, changes));
    let cases = [
        ("no credential", None, StatusCode::UNAUTHORIZED),
        ("not a JWT", Some("Bearer not-a-token".to_owned()), StatusCode::UNAUTHORIZED),
        ("a user's HS256 token", Some(format!("Bearer {}", user_token())), StatusCode::UNAUTHORIZED),
        ("another audience", Some(token(json!({"aud": ["https://leave.hrms"]}))), StatusCode::UNAUTHORIZED),
        ("no audience", Some(token(json!({"aud": null}))), StatusCode::UNAUTHORIZED),
        ("another issuer", Some(token(json!({"iss": "https://evil.example"}))), StatusCode::UNAUTHORIZED),
        ("expired", Some(token(json!({"exp": now - 120}))), StatusCode::UNAUTHORIZED),
        ("not yet valid", Some(token(json!({"nbf": now + 600}))), StatusCode::UNAUTHORIZED),
        (
            "signed by another key",
            Some(format!("Bearer {}", issuer.sign("sa-key", &issuer.claims(AUDIENCE, json!({})), &stranger))),
            StatusCode::UNAUTHORIZED,
        ),
        ("the delivery token, not configured", Some(format!("Bearer {TOKEN}")), StatusCode::UNAUTHORIZED),
        (
            "another service account",
            Some(token(json!({"sub": "system:serviceaccount:hrms:default"}))),
            StatusCode::FORBIDDEN,
        ),
        ("a KafkaSource let in", Some(token(json!({}))), StatusCode::ACCEPTED),
    ];
    for (case, authorization, expected) in cases {
        assert_eq!(status(&settings, &event, authorization.as_deref()).await, expected, "{case}");
    }
    assert_eq!(issuer.claims(AUDIENCE, json!({}))["sub"], SOURCE);
    assert_eq!(issuer.claims(AUDIENCE, json!({}))["iss"], ISSUER);
}

#[tokio::test]
async fn with_the_delivery_token_only_its_bearer_is_admitted() {
    let issuer = Issuer::start().await;
    let settings = token_only();
    let event = sample();
    let cases = [
        ("no credential", None, StatusCode::UNAUTHORIZED),
        ("another token", Some(format!("Bearer {}x", &TOKEN[1..])), StatusCode::UNAUTHORIZED),
        ("not Bearer", Some(format!("Basic {TOKEN}")), StatusCode::UNAUTHORIZED),
        (
            "an OIDC token, OIDC off",
            Some(format!("Bearer {}", issuer.token(AUDIENCE, json!({})))),
            StatusCode::UNAUTHORIZED,
        ),
        ("the token", Some(format!("Bearer {TOKEN}")), StatusCode::ACCEPTED),
    ];
    for (case, authorization, expected) in cases {
        assert_eq!(status(&settings, &event, authorization.as_deref()).await, expected, "{case}");
    }
}

/// A user's token: bearer JWTs of people do not open the intake.
fn user_token() -> String {
    let auth = crate::Authenticator::hs256(&[7u8; 32]).expect("authenticator");
    auth.mint(uuid::Uuid::now_v7(), hrms_events::Role::Admin, None, Duration::from_secs(60)).expect("token")
}

/// Events a sender let in may still not send, each 400 naming the attribute.
#[tokio::test]
async fn forged_events_are_refused_naming_the_attribute_whoever_sends_them() {
    let issuer = Issuer::start().await;
    let credentials = [
        (oidc(&issuer), format!("Bearer {}", issuer.token(AUDIENCE, json!({})))),
        (token_only(), format!("Bearer {TOKEN}")),
    ];
    let marked = || fixtures::sample(EventType::AttendanceMarked);
    let mut future = marked();
    future.time = Utc::now() + TimeDelta::days(365);
    let mut stale = marked();
    stale.time = Utc::now() - TimeDelta::days(400);
    let mut huge = marked();
    if let Payload::AttendanceMarked(p) = &mut huge.payload {
        p.worked_minutes = Some(i64::MAX);
    }
    let mut negative = fixtures::sample(EventType::LeaveApproved);
    if let Payload::LeaveApproved(p) = &mut negative.payload {
        p.days = -3.0;
    }
    for (settings, authorization) in &credentials {
        for (case, event, attribute) in [
            ("a far-future time", &future, "time"),
            ("a time before the retention", &stale, "time"),
            ("worked_minutes out of range", &huge, "data.worked_minutes"),
            ("negative leave days", &negative, "data.days"),
        ] {
            let handler = Arc::new(Recorder::default());
            let request = binary(event).header("authorization", authorization);
            let answer = send(app(&handler, settings.clone()), with_body(request, event)).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{case}");
            assert_eq!(answer.problem()["field"], attribute, "{case}");
            assert_eq!(*handler.calls.lock().unwrap(), 0, "{case}");
        }
        // attendance.marked from Leave: a source that may not emit the type.
        let event = marked();
        let handler = Arc::new(Recorder::default());
        let mut request = with_body(binary(&event).header("authorization", authorization), &event);
        request.headers_mut().insert("ce-source", HeaderValue::from_static("/hrms/leave"));
        let answer = send(app(&handler, settings.clone()), request).await;
        assert_eq!(
            (answer.status, answer.problem()["field"].clone()),
            (StatusCode::BAD_REQUEST, json!("source"))
        );
    }
}
