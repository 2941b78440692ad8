//! How the issuer's keys are reached: the extra CA and the token of a
//! fetch from a cluster's API server (`HRMS_INTAKE_CA_FILE`,
//! `HRMS_INTAKE_JWKS_TOKEN_FILE`), and their in-cluster defaults.

use std::path::{Path, PathBuf};

use super::IntakeConfigError;
use crate::auth::jwks::Access;

/// The pod's service-account CA and token, where Kubernetes mounts them.
const POD_CA: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
const POD_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// How the issuer's keys are fetched, beyond the built-in CA roots and no
/// credential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwksAccess {
    /// `HRMS_INTAKE_CA_FILE`: PEM CA certificates also trusted.
    pub ca_file: Option<PathBuf>,
    /// `HRMS_INTAKE_JWKS_TOKEN_FILE`: sent as `Authorization: Bearer`, read
    /// again on every fetch (a projected token rotates).
    pub token_file: Option<PathBuf>,
}

impl JwksAccess {
    /// `ca_file` and `token_file` as given; for keys served by the cluster's
    /// API server over https (host `kubernetes.default.svc`, or with
    /// `.cluster.local`) each unset one defaults to the pod's
    /// service-account file, if `exists` says it is there.
    pub fn resolve(
        jwks_url: &str,
        ca_file: Option<PathBuf>,
        token_file: Option<PathBuf>,
        exists: impl Fn(&Path) -> bool,
    ) -> Self {
        let in_cluster = url::Url::parse(jwks_url).is_ok_and(|u| {
            u.scheme() == "https"
                && matches!(
                    u.host_str(),
                    Some("kubernetes.default.svc" | "kubernetes.default.svc.cluster.local")
                )
        });
        let default = |given: Option<PathBuf>, pod: &str| {
            given.or_else(|| Some(PathBuf::from(pod)).filter(|p| in_cluster && exists(p)))
        };
        Self { ca_file: default(ca_file, POD_CA), token_file: default(token_file, POD_TOKEN) }
    }

    /// The CA certificates read, and the token file.
    pub(super) fn load(&self) -> Result<Access, IntakeConfigError> {
        let mut extra_roots = Vec::new();
        if let Some(file) = &self.ca_file {
            let pem = std::fs::read(file)
                .map_err(|source| IntakeConfigError::CaFile { file: file.clone(), source })?;
            extra_roots = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| IntakeConfigError::CaNotPem { file: file.clone(), source: Some(e) })?;
            if extra_roots.is_empty() {
                return Err(IntakeConfigError::CaNotPem { file: file.clone(), source: None });
            }
        }
        Ok(Access { extra_roots, token_file: self.token_file.clone() })
    }
}
