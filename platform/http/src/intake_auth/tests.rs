use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::json;

use super::issuer::{Issuer, SOURCE};
use super::*;

const TOKEN: &str = "a-delivery-token-of-32-characters";
const AUDIENCE: &str = "https://audit-events.hrms.svc.cluster.local";

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, format!("Bearer {token}").parse().expect("header"));
    headers
}

fn from(vars: &[(&str, &str)]) -> Result<IntakeAuth, IntakeConfigError> {
    let vars: HashMap<String, String> =
        vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    IntakeAuth::from_vars(|name| vars.get(name).cloned())
}

#[test]
fn a_short_token_is_refused() {
    assert!(DeliveryToken::new("short").is_err());
    assert!(DeliveryToken::new(TOKEN).is_ok_and(|t| t.admits(TOKEN) && !t.admits(&TOKEN[1..])));
}

#[test]
fn the_variables_configure_oidc_all_or_none_and_the_token() {
    let nothing = from(&[("HRMS_DELIVERY_TOKEN", " ")]).expect("empty is unset");
    assert!(!nothing.is_configured());
    assert_eq!(nothing.describe(), "no caller (no credential configured)");
    assert!(from(&[("HRMS_DELIVERY_TOKEN", TOKEN)]).expect("token").is_configured());
    assert!(matches!(from(&[("HRMS_DELIVERY_TOKEN", "short")]), Err(IntakeConfigError::WeakToken(_))));

    let oidc = [
        ("HRMS_INTAKE_ISSUER", "https://kubernetes.default.svc"),
        ("HRMS_INTAKE_JWKS_URL", "https://kubernetes.default.svc/openid/v1/jwks"),
        ("HRMS_INTAKE_AUDIENCE", AUDIENCE),
        ("HRMS_INTAKE_SUBJECTS", "system:serviceaccount:hrms:a, system:serviceaccount:hrms:b"),
    ];
    let auth = from(&oidc).expect("OIDC");
    assert!(auth.is_configured() && !auth.is_open());
    assert!(auth.describe().contains("system:serviceaccount:hrms:a, system:serviceaccount:hrms:b"));
    for missing in 0..oidc.len() {
        let mut partial = oidc.to_vec();
        let (name, _) = partial.remove(missing);
        let error = from(&partial).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains(name), "{error}");
    }
    let mut none = oidc.to_vec();
    none[3].1 = " , ";
    assert!(matches!(from(&none), Err(IntakeConfigError::NoSubject)));
    let mut not_http = oidc.to_vec();
    not_http[1].1 = "file:///etc/jwks";
    assert!(matches!(from(&not_http), Err(IntakeConfigError::Jwks(_))));
}

#[tokio::test]
async fn unconfigured_admits_nobody_and_open_admits_anybody() {
    let closed = IntakeAuth::default();
    for headers in [HeaderMap::new(), bearer(TOKEN)] {
        let refused = closed.admit(&headers).await.expect_err("closed");
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    }
    let open = IntakeAuth::insecure_open();
    assert!(open.is_configured() && open.is_open());
    assert_eq!(open.admit(&HeaderMap::new()).await.expect("open"), Sender::Anyone);
}

#[tokio::test]
async fn either_credential_is_accepted_when_both_are_configured() {
    let issuer = Issuer::start().await;
    let auth = IntakeAuth::default()
        .with_oidc(issuer.settings(AUDIENCE))
        .expect("settings")
        .with_token(DeliveryToken::new(TOKEN).expect("token"));
    assert_eq!(auth.admit(&bearer(TOKEN)).await.expect("token"), Sender::DeliveryToken);
    let token = issuer.token(AUDIENCE, json!({}));
    assert_eq!(auth.admit(&bearer(&token)).await.expect("OIDC"), Sender::Oidc(SOURCE.into()));
}

#[tokio::test]
async fn tokens_wait_for_an_unreachable_issuer_and_the_delivery_token_still_works() {
    let issuer = Issuer::start().await;
    let token = issuer.token(AUDIENCE, json!({}));
    let settings = issuer.settings(AUDIENCE);
    drop(issuer);
    let auth = IntakeAuth::default()
        .with_oidc(settings)
        .expect("settings")
        .with_token(DeliveryToken::new(TOKEN).expect("token"));
    let refused = auth.admit(&bearer(&token)).await.expect_err("no keys");
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE, "retried by the source, not dead-lettered");
    assert_eq!(auth.admit(&bearer(TOKEN)).await.expect("token"), Sender::DeliveryToken);
}
