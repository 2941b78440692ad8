//! Who may push events to a function: the authentication of every event
//! intake (`/deliveries/*`, the routes Knative's KafkaSource and sinks
//! deliver to). Two credentials, in `Authorization: Bearer`:
//!
//! - **Knative Eventing OIDC** (`HRMS_INTAKE_ISSUER`, `HRMS_INTAKE_JWKS_URL`,
//!   `HRMS_INTAKE_AUDIENCE`, `HRMS_INTAKE_SUBJECTS`, all four or none): with
//!   the `authentication-oidc` feature on, a source sends a Kubernetes
//!   service-account token whose `aud` is the sink's audience. It must be
//!   signed RS256 by a key of the cluster issuer's JWKS (fetched and cached
//!   by the verifier of [`crate::auth`]: refreshed every 10 minutes or on an
//!   unknown `kid`), name the issuer and the audience, be unexpired (`exp`,
//!   and `nbf` when present, 30 s of leeway), and its `sub` (e.g.
//!   `system:serviceaccount:hrms:audit-oidc-sources.knative.dev-kafkasource`)
//!   must be one of the
//!   comma-separated `HRMS_INTAKE_SUBJECTS`: any pod can get a token for
//!   any audience, only the sources' service accounts are let in.
//!   The keys are fetched as [`JwksAccess`] says: a cluster's API server
//!   serves them with its own CA and, unless a binding of
//!   `system:service-account-issuer-discovery` lets anyone in, to
//!   authenticated callers only (`HRMS_INTAKE_CA_FILE`,
//!   `HRMS_INTAKE_JWKS_TOKEN_FILE`, defaulting to the pod's service-account
//!   files for `kubernetes.default.svc`).
//! - **A shared delivery token** (`HRMS_DELIVERY_TOKEN`, at least 32
//!   characters), compared in constant time: where OIDC is off, and for
//!   senders that can add a header (a replay tool, tests).
//!
//! With both configured either is accepted. A missing or invalid credential
//! gets 401; a valid token of a subject not let in gets 403; a token whose
//! key is not among the cached ones while no key set was fetched in the
//! last 10 minutes (never, or the issuer down that long) gets 503, which
//! the source retries (cached keys keep verifying the tokens they sign
//! while the issuer is down). With neither
//! configured, [`IntakeAuth::default`] admits no caller at all;
//! [`IntakeAuth::insecure_open`] admits every caller and exists only for
//! `hrms serve --insecure-open-intake` (development). The command intake
//! `POST /` ([`crate::commands`]) takes a person's token instead: a
//! command acts for someone.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

pub use self::access::JwksAccess;
use crate::auth::AuthError;
use crate::auth::jwks::{Jwks, Refresh};
use crate::problem::Problem;

mod access;
#[cfg(test)]
mod access_tests;
#[cfg(any(test, feature = "testing"))]
pub mod issuer;
#[cfg(test)]
mod tests;

/// The shared secret a caller may present as `Authorization: Bearer`.
#[derive(Clone)]
pub struct DeliveryToken(Arc<str>);

/// A delivery token too short to be a secret.
#[derive(Debug, thiserror::Error)]
#[error("HRMS_DELIVERY_TOKEN must be at least 32 characters")]
pub struct WeakToken;

impl DeliveryToken {
    /// A token of at least 32 characters.
    pub fn new(token: &str) -> Result<Self, WeakToken> {
        if token.chars().count() < 32 { Err(WeakToken) } else { Ok(Self(token.into())) }
    }

    /// Whether `presented` is the token, in time independent of where they differ.
    fn admits(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for DeliveryToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeliveryToken(..)")
    }
}

/// What an OIDC sender token must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// `HRMS_INTAKE_ISSUER`: the cluster's service-account issuer (`iss`).
    pub issuer: String,
    /// `HRMS_INTAKE_JWKS_URL`: where the issuer publishes its keys.
    pub jwks_url: String,
    /// `HRMS_INTAKE_AUDIENCE`: this function's audience (`aud`).
    pub audience: String,
    /// `HRMS_INTAKE_SUBJECTS`: the `sub` claims let in.
    pub subjects: Vec<String>,
}

/// Why intake authentication cannot be configured.
#[derive(Debug, thiserror::Error)]
pub enum IntakeConfigError {
    #[error(transparent)]
    WeakToken(#[from] WeakToken),
    #[error("OIDC intake authentication needs {missing} too (set all of {VARIABLES:?}, or none)")]
    Incomplete { missing: &'static str },
    #[error("HRMS_INTAKE_SUBJECTS names no subject")]
    NoSubject,
    #[error("HRMS_INTAKE_JWKS_URL")]
    Jwks(#[source] AuthError),
    #[error("HRMS_INTAKE_CA_FILE: cannot read {}", file.display())]
    CaFile {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("HRMS_INTAKE_CA_FILE: {} holds no PEM certificate", file.display())]
    CaNotPem {
        file: PathBuf,
        #[source]
        source: Option<reqwest::Error>,
    },
}

/// The OIDC variables.
const VARIABLES: [&str; 4] =
    ["HRMS_INTAKE_ISSUER", "HRMS_INTAKE_JWKS_URL", "HRMS_INTAKE_AUDIENCE", "HRMS_INTAKE_SUBJECTS"];

struct Oidc {
    jwks: Jwks,
    validation: Validation,
    settings: OidcSettings,
    access: JwksAccess,
}

/// Who an intake lets in (see the module docs).
#[derive(Default)]
pub struct IntakeAuth {
    oidc: Option<Oidc>,
    token: Option<DeliveryToken>,
    open: bool,
}

/// Who was let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// A holder of the delivery token.
    DeliveryToken,
    /// A service account with a valid OIDC token: its `sub`.
    Oidc(String),
    /// Anyone: the intake is open.
    Anyone,
}

/// The claims read from a sender token (the others are checked by the
/// validation).
#[derive(Deserialize)]
struct SenderClaims {
    sub: String,
}

impl IntakeAuth {
    /// Configured from `HRMS_INTAKE_*` and `HRMS_DELIVERY_TOKEN` (unset and
    /// empty alike); neither set admits no caller.
    pub fn from_env() -> Result<Self, IntakeConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`IntakeAuth::from_env`] over any source of variables.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, IntakeConfigError> {
        let var = |name| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut auth = Self::default();
        let values = VARIABLES.map(var);
        if values.iter().any(Option::is_some) {
            let get =
                |i: usize| values[i].clone().ok_or(IntakeConfigError::Incomplete { missing: VARIABLES[i] });
            let subjects =
                get(3)?.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
            let jwks_url = get(1)?;
            let access = JwksAccess::resolve(
                &jwks_url,
                var("HRMS_INTAKE_CA_FILE").map(PathBuf::from),
                var("HRMS_INTAKE_JWKS_TOKEN_FILE").map(PathBuf::from),
                Path::exists,
            );
            let settings = OidcSettings { issuer: get(0)?, jwks_url, audience: get(2)?, subjects };
            auth = auth.with_oidc_access(settings, access)?;
        }
        match var("HRMS_DELIVERY_TOKEN") {
            Some(token) => Ok(auth.with_token(DeliveryToken::new(&token)?)),
            None => Ok(auth),
        }
    }

    /// Every caller let in: for development only.
    pub fn insecure_open() -> Self {
        Self { open: true, ..Self::default() }
    }

    /// Also admits OIDC sender tokens as `settings` say, fetching the keys
    /// with the [default access](JwksAccess::resolve) for their URL.
    pub fn with_oidc(self, settings: OidcSettings) -> Result<Self, IntakeConfigError> {
        let access = JwksAccess::resolve(&settings.jwks_url, None, None, Path::exists);
        self.with_oidc_access(settings, access)
    }

    /// [`IntakeAuth::with_oidc`], fetching the keys as `access` says.
    pub fn with_oidc_access(
        mut self,
        settings: OidcSettings,
        access: JwksAccess,
    ) -> Result<Self, IntakeConfigError> {
        if settings.subjects.is_empty() {
            return Err(IntakeConfigError::NoSubject);
        }
        let jwks = Jwks::with_access(&settings.jwks_url, Refresh::default(), access.load()?)
            .map_err(IntakeConfigError::Jwks)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        self.oidc = Some(Oidc { jwks, validation, settings, access });
        Ok(self)
    }

    /// Also admits holders of `token`.
    pub fn with_token(mut self, token: DeliveryToken) -> Self {
        self.token = Some(token);
        self
    }

    /// Whether a credential is configured, or the intake is explicitly open:
    /// `hrms serve` refuses to mount an intake without either.
    pub fn is_configured(&self) -> bool {
        self.oidc.is_some() || self.token.is_some() || self.open
    }

    /// Whether every caller is let in.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// What is accepted, for logs and people.
    pub fn describe(&self) -> String {
        let mut accepted = Vec::new();
        if let Some(oidc) = &self.oidc {
            let (s, a) = (&oidc.settings, &oidc.access);
            let mut fetched = String::new();
            if let Some(file) = &a.ca_file {
                fetched.push_str(&format!(", its keys trusted with the CA of {}", file.display()));
            }
            if let Some(file) = &a.token_file {
                fetched.push_str(&format!(", fetched with the token of {}", file.display()));
            }
            accepted.push(format!(
                "OIDC tokens of {} for audience {} from {}{fetched}",
                s.subjects.join(", "),
                s.audience,
                s.issuer
            ));
        }
        if self.token.is_some() {
            accepted.push("the delivery token".to_owned());
        }
        match (self.open, accepted.is_empty()) {
            (true, _) => "every caller (insecure: open intake)".to_owned(),
            (false, true) => "no caller (no credential configured)".to_owned(),
            (false, false) => accepted.join(" or "),
        }
    }

    /// Who sent a request with these headers: 401 without a valid
    /// credential, 403 for a valid token of a subject not let in, 503 for a
    /// token of a key not cached while no key set was fetched in the last
    /// 10 minutes (never, or the issuer down that long; the sender retries).
    pub async fn admit(&self, headers: &HeaderMap) -> Result<Sender, Problem> {
        if self.open {
            return Ok(Sender::Anyone);
        }
        let presented = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| Problem::unauthorized("an Authorization: Bearer credential is required"))?;
        if self.token.as_ref().is_some_and(|t| t.admits(presented)) {
            return Ok(Sender::DeliveryToken);
        }
        let Some(oidc) = &self.oidc else {
            return Err(Problem::unauthorized("the credential is not the delivery token"));
        };
        let subject = oidc.verify(presented).await.map_err(|e| match e {
            // No fresh key set (never fetched, or the issuer unreachable
            // for longer than its max age): the sender retries
            // 5xx, and dead-letters 401.
            AuthError::UnknownKey(_) if oidc.jwks.generation().is_none() => {
                tracing::warn!("the issuer's keys cannot be fetched: sender tokens cannot be verified");
                Problem::unavailable("the issuer's keys cannot be fetched yet; retry")
            }
            e => {
                tracing::info!(error = %hrms_platform::Chain(&e), "sender token refused");
                Problem::unauthorized(
                    "the sender token is invalid, expired, or not for this audience and issuer",
                )
            }
        })?;
        if oidc.settings.subjects.contains(&subject) {
            Ok(Sender::Oidc(subject))
        } else {
            tracing::warn!(%subject, "a sender not let in");
            Err(Problem::forbidden(format!("{subject} may not deliver events here")))
        }
    }
}

impl Oidc {
    /// The `sub` of a token whose signature, issuer, audience and times hold.
    async fn verify(&self, token: &str) -> Result<String, AuthError> {
        let (key, _) = self.jwks.key_for(token).await?;
        Ok(jsonwebtoken::decode::<SenderClaims>(token, &key, &self.validation)?.claims.sub)
    }
}

impl std::fmt::Debug for IntakeAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}
