//! How the issuer's keys are reached: `HRMS_INTAKE_CA_FILE`,
//! `HRMS_INTAKE_JWKS_TOKEN_FILE` and their in-cluster defaults.

use std::collections::HashMap;
use std::path::PathBuf;

use hrms_platform::testing::TempDir;

use super::*;
use crate::auth::jwks::access_tests::make_cluster_ca;

const IN_CLUSTER: &str = "https://kubernetes.default.svc/openid/v1/jwks";

fn oidc_vars(jwks_url: &str, extra: &[(&str, &str)]) -> Result<IntakeAuth, IntakeConfigError> {
    let mut vars: HashMap<String, String> = [
        ("HRMS_INTAKE_ISSUER", "https://kubernetes.default.svc"),
        ("HRMS_INTAKE_JWKS_URL", jwks_url),
        ("HRMS_INTAKE_AUDIENCE", "hrms-intake-audit"),
        ("HRMS_INTAKE_SUBJECTS", "system:serviceaccount:hrms:a"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    IntakeAuth::from_vars(|name| vars.get(name).cloned())
}

#[test]
fn the_cluster_api_defaults_to_the_pods_service_account_files_where_they_exist() {
    let pod = JwksAccess {
        ca_file: Some("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt".into()),
        token_file: Some("/var/run/secrets/kubernetes.io/serviceaccount/token".into()),
    };
    for url in [IN_CLUSTER, "https://kubernetes.default.svc.cluster.local:443/openid/v1/jwks"] {
        assert_eq!(JwksAccess::resolve(url, None, None, |_| true), pod, "{url}");
        assert_eq!(JwksAccess::resolve(url, None, None, |_| false), JwksAccess::default(), "{url}");
    }
    let elsewhere = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/keys";
    assert_eq!(JwksAccess::resolve(elsewhere, None, None, |_| true), JwksAccess::default());
    let given = JwksAccess { ca_file: Some("/etc/ca.pem".into()), token_file: Some("/etc/token".into()) };
    let (ca, token) = (given.ca_file.clone(), given.token_file.clone());
    assert_eq!(JwksAccess::resolve(IN_CLUSTER, ca.clone(), token.clone(), |_| true), given);
    assert_eq!(JwksAccess::resolve(elsewhere, ca, token, |_| false), given);
}

#[test]
fn the_ca_file_must_hold_pem_certificates() {
    let dir = TempDir::new("intake-ca");
    let missing = dir.0.join("missing.crt");
    let error = oidc_vars(IN_CLUSTER, &[("HRMS_INTAKE_CA_FILE", &missing.to_string_lossy())]).err();
    assert!(matches!(&error, Some(IntakeConfigError::CaFile { file, .. }) if *file == missing), "{error:?}");

    let not_pem = dir.0.join("not.crt");
    std::fs::write(&not_pem, "not a certificate").expect("write");
    let error = oidc_vars(IN_CLUSTER, &[("HRMS_INTAKE_CA_FILE", &not_pem.to_string_lossy())]).err();
    assert!(matches!(error, Some(IntakeConfigError::CaNotPem { .. })), "{error:?}");

    make_cluster_ca(&dir.0);
    let ca = dir.0.join("ca.crt");
    let token = PathBuf::from("/run/hrms/jwks-token");
    let auth = oidc_vars(
        "https://127.0.0.1:6443/openid/v1/jwks",
        &[
            ("HRMS_INTAKE_CA_FILE", &ca.to_string_lossy()),
            ("HRMS_INTAKE_JWKS_TOKEN_FILE", "/run/hrms/jwks-token"),
        ],
    )
    .expect("configured");
    let described = auth.describe();
    assert!(described.contains(&format!("the CA of {}", ca.display())), "{described}");
    assert!(described.contains(&format!("the token of {}", token.display())), "{described}");
}

#[test]
fn a_token_goes_to_the_issuer_over_https_only() {
    let http = "http://kubernetes.default.svc/openid/v1/jwks";
    assert_eq!(JwksAccess::resolve(http, None, None, |_| true), JwksAccess::default(), "no pod files");

    let dir = TempDir::new("intake-token-http");
    let token = dir.0.join("token");
    std::fs::write(&token, "a-token").expect("write");
    let error =
        oidc_vars("http://issuer.example/keys", &[("HRMS_INTAKE_JWKS_TOKEN_FILE", &token.to_string_lossy())])
            .err();
    assert!(matches!(&error, Some(IntakeConfigError::Jwks(AuthError::TokenOverHttp(_)))), "{error:?}");
    assert!(oidc_vars("http://issuer.example/keys", &[]).is_ok(), "no token: http allowed");
}
