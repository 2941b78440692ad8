//! The HS256 authenticator and the extractors.

use super::*;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use jsonwebtoken::{EncodingKey, Header};
use tower::ServiceExt;

fn auth() -> Arc<Authenticator> {
    Arc::new(Authenticator::hs256(b"0123456789abcdef0123456789abcdef").expect("key"))
}

#[tokio::test]
async fn a_minted_token_verifies_to_its_caller() {
    let auth = auth();
    let (user, employee) = (Uuid::now_v7(), Uuid::now_v7());
    let token = auth.mint(user, Role::Manager, Some(employee), Duration::from_secs(60)).expect("minted");
    let caller = auth.verify(&token).await.expect("valid");
    assert_eq!(caller, Caller { user_id: user, role: Role::Manager, employee_id: Some(employee) });
    assert_eq!(caller.actor(), Actor::User { user_id: user, role: Role::Manager });
}

#[tokio::test]
async fn a_token_verified_again_names_the_same_caller_and_a_refused_one_stays_refused() {
    let auth = auth();
    let token = auth.mint(Uuid::now_v7(), Role::Hr, None, Duration::from_secs(60)).expect("minted");
    let first = auth.verify(&token).await.expect("valid");
    assert_eq!(auth.verify(&token).await.expect("still valid"), first);

    // One signature symbol changed (not the last, whose low bits are padding).
    let at = token.len() - 10;
    let swapped = if &token[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{swapped}{}", &token[..at], &token[at + 1..]);
    for _ in 0..2 {
        assert!(auth.verify(&tampered).await.is_err(), "a bad signature, however often");
    }
    assert_eq!(auth.verified.len(), 1, "only the accepted token is kept");
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let auth = auth();
    let token = auth.mint(Uuid::now_v7(), Role::Employee, None, Duration::from_secs(60)).expect("minted");
    let other = Authenticator::hs256(&[9u8; 32]).expect("key");
    assert!(other.verify(&token).await.is_err(), "signed with another secret");

    let (head, rest) = token.split_once('.').expect("a JWT");
    let (_, signature) = rest.split_once('.').expect("a JWT");
    let admin_claims = Claims {
        sub: Uuid::now_v7(),
        role: Role::Admin,
        employee_id: None,
        iss: ISSUER.into(),
        iat: 0,
        nbf: None,
        exp: i64::MAX / 2,
    };
    let forged_body = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &admin_claims,
        &EncodingKey::from_secret(&[1u8; 32]),
    )
    .expect("encoded");
    let forged_payload = forged_body.split('.').nth(1).expect("payload");
    assert!(auth.verify(&format!("{head}.{forged_payload}.{signature}")).await.is_err(), "payload swapped");

    let expired = Claims { iat: 0, exp: 1_000, ..admin_claims.clone() };
    let expired = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &expired,
        &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
    )
    .expect("encoded");
    assert!(auth.verify(&expired).await.is_err(), "expired");

    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{forged_payload}.");
    assert!(auth.verify(&unsigned).await.is_err(), "alg none");
    assert!(matches!(Authenticator::hs256(b"short"), Err(AuthError::WeakSecret)));
}

/// `claims` signed with the test secret.
fn signed(claims: &Claims) -> String {
    let key = EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef");
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).expect("encoded")
}

#[tokio::test]
async fn lifetime_iat_nbf_and_issuer_are_checked() {
    let auth = auth();
    let now = chrono::Utc::now().timestamp();
    let hours = |h: i64| h * 3600;
    let claims = Claims {
        sub: Uuid::now_v7(),
        role: Role::Hr,
        employee_id: None,
        iss: ISSUER.into(),
        iat: now - 60,
        nbf: None,
        exp: now - 60 + hours(12),
    };
    assert!(auth.verify(&signed(&claims)).await.is_ok(), "12 hours");
    assert!(auth.verify(&signed(&Claims { nbf: Some(now), ..claims.clone() })).await.is_ok(), "nbf now");
    let refused = [
        ("12 hours and a minute", Claims { exp: now + hours(12), ..claims.clone() }),
        ("a year", Claims { exp: now + hours(24 * 365), ..claims.clone() }),
        ("iat in the future", Claims { iat: now + 120, exp: now + 600, ..claims.clone() }),
        ("nbf in the future", Claims { nbf: Some(now + 120), ..claims.clone() }),
        ("another issuer", Claims { iss: "https://elsewhere.example".into(), ..claims.clone() }),
    ];
    for (what, claims) in refused {
        assert!(auth.verify(&signed(&claims)).await.is_err(), "{what}");
    }
    let no_iat = serde_json::json!({"sub": Uuid::now_v7(), "role": "hr", "iss": ISSUER, "exp": now + 60});
    let no_iat = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &no_iat,
        &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
    )
    .expect("encoded");
    assert!(auth.verify(&no_iat).await.is_err(), "no iat");
}

#[test]
fn tokens_are_minted_for_at_most_12_hours() {
    let auth = auth();
    assert!(auth.mint(Uuid::now_v7(), Role::Hr, None, MAX_LIFETIME).is_ok());
    let longer = MAX_LIFETIME + Duration::from_secs(1);
    assert!(matches!(auth.mint(Uuid::now_v7(), Role::Hr, None, longer), Err(AuthError::TooLong)));
}

#[tokio::test]
async fn issuer_and_audience_are_minted_and_required() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let settings = |issuer: &str, audience: Option<&str>| AuthSettings {
        issuer: issuer.to_owned(),
        audience: audience.map(str::to_owned),
    };
    let auth =
        Authenticator::hs256_with(secret, settings("https://id.example", Some("hrms-api"))).expect("key");
    let token = auth.mint(Uuid::now_v7(), Role::Hr, None, Duration::from_secs(60)).expect("minted");
    assert!(auth.verify(&token).await.is_ok());
    for (issuer, audience) in
        [("hrms", Some("hrms-api")), ("https://id.example", Some("other")), ("https://id.example", None)]
    {
        let other = Authenticator::hs256_with(secret, settings(issuer, audience)).expect("key");
        assert!(other.verify(&token).await.is_err(), "{issuer} {audience:?}");
    }
    let no_audience =
        self::auth().mint(Uuid::now_v7(), Role::Hr, None, Duration::from_secs(60)).expect("minted");
    assert!(auth.verify(&no_audience).await.is_err(), "aud is required when configured");
}

async fn call(header: Option<String>) -> (StatusCode, String, Option<String>) {
    let app = Router::new()
        .route("/me", get(|caller: Caller| async move { format!("{:?}", caller.role) }))
        .with_state(auth());
    let mut request = Request::get("/me");
    if let Some(h) = header {
        request = request.header(AUTHORIZATION, h);
    }
    let response = app.oneshot(request.body(Body::empty()).expect("request")).await.expect("response");
    let status = response.status();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
    (status, String::from_utf8_lossy(&body).into_owned(), content_type)
}

#[tokio::test]
async fn routes_answer_401_with_a_problem_unless_the_caller_is_known() {
    for header in [None, Some("Basic abc".to_owned()), Some("Bearer not.a.token".to_owned())] {
        let (status, body, content_type) = call(header.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
        let problem: serde_json::Value = serde_json::from_str(&body).expect("problem JSON");
        assert_eq!(problem["status"], 401);
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let token = auth().mint(Uuid::now_v7(), Role::Hr, None, Duration::from_secs(60)).expect("minted");
    let (status, body, _) = call(Some(format!("Bearer {token}"))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "Hr"));
}

#[test]
fn roles_are_required_explicitly() {
    let caller = Caller { user_id: Uuid::now_v7(), role: Role::Employee, employee_id: None };
    assert!(caller.require(&[Role::Employee, Role::Hr]).is_ok());
    assert_eq!(caller.require(&[Role::Hr, Role::Admin]).map_err(|p| p.status), Err(403));
}

#[tokio::test]
async fn the_bearer_carries_a_well_formed_traceparent_only() {
    let app = Router::new().route(
        "/trace",
        get(|bearer: Bearer| async move { bearer.traceparent.unwrap_or_else(|| "none".into()) }),
    );
    let call = |trace: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::get("/trace")
                .header(AUTHORIZATION, "Bearer t")
                .header("traceparent", trace)
                .body(Body::empty())
                .expect("request");
            let response = app.oneshot(request).await.expect("response");
            let body = axum::body::to_bytes(response.into_body(), 1024).await.expect("body");
            String::from_utf8_lossy(&body).into_owned()
        }
    };
    let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    assert_eq!(call(good).await, good);
    assert_eq!(call("00-not-a-trace-01").await, "none");
    assert_eq!(call("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra").await, "none");
}
