//! Who is calling: bearer JWTs, checked by an [`Authenticator`] whose keys
//! come from one of two sources:
//! - HS256 with a shared secret (`hrms dev`, `hrms token`): it verifies and
//!   mints (`hs256.rs`);
//! - RS256 with the public keys of an identity provider's JWKS URL
//!   (production): it only verifies (`jwks.rs`).
//!
//! Every business route takes a [`Caller`], so a request without a valid
//! token never reaches a function: it gets 401 with a problem body. Tokens
//! must carry `sub` (a UUID), `role`, `iss`, `exp`, `aud` when one is
//! configured, and optionally `employee_id` ([`Claims`]): an identity
//! provider must issue `role` and `employee_id` as custom claims.

mod hs256;
mod jwks;
#[cfg(test)]
mod tests;
mod verified;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use hrms_events::{Actor, Role};
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::problem::Problem;
use hs256::Hs256;
use jwks::Jwks;
use verified::Verified;

/// The issuer our tokens carry and require.
pub const ISSUER: &str = "hrms";

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    pub role: Role,
    /// The caller's own employee record, if they have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<Uuid>,
    pub iss: String,
    #[serde(default)]
    pub iat: i64,
    pub exp: i64,
}

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
    pub employee_id: Option<Uuid>,
}

impl Caller {
    /// The actor events record.
    pub fn actor(&self) -> Actor {
        Actor::User { user_id: self.user_id, role: self.role }
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), Problem> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!("this needs one of the roles {roles:?}")))
        }
    }
}

/// What a token must name besides being signed and unexpired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// The required `iss` ([`ISSUER`] unless configured).
    pub issuer: String,
    /// The required `aud`, if any. Without one, a token naming an audience
    /// is refused (RFC 7519: a recipient must find itself in `aud`).
    pub audience: Option<String>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self { issuer: ISSUER.to_owned(), audience: None }
    }
}

/// Why a token was refused, or an authenticator could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the secret must be at least 32 bytes")]
    WeakSecret,
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("tokens come from the identity provider: an RS256 (JWKS) authenticator cannot mint them")]
    CannotMint,
    #[error("the JWKS URL {0:?} is not an http(s) URL")]
    JwksUrl(String),
    #[error("cannot build the JWKS client")]
    Client(#[source] reqwest::Error),
    #[error("the token is signed with {0:?}; only RS256 is accepted")]
    Algorithm(Algorithm),
    #[error("the token names no key (`kid`)")]
    NoKeyId,
    #[error("no key {0:?} in the JWKS")]
    UnknownKey(String),
}

enum Keys {
    Secret(Hs256),
    Jwks(Box<Jwks>),
}

/// Verifies tokens; with a shared secret, mints them too.
pub struct Authenticator {
    keys: Keys,
    settings: AuthSettings,
    validation: Validation,
    verified: Verified,
}

impl Authenticator {
    /// HS256 with a shared secret of at least 32 bytes, issuer [`ISSUER`].
    pub fn hs256(secret: &[u8]) -> Result<Self, AuthError> {
        Self::hs256_with(secret, AuthSettings::default())
    }

    /// HS256 with a shared secret of at least 32 bytes.
    pub fn hs256_with(secret: &[u8], settings: AuthSettings) -> Result<Self, AuthError> {
        Ok(Self::new(Keys::Secret(Hs256::new(secret)?), settings))
    }

    /// RS256 with the keys published at `url` (fetched on first use, cached,
    /// refreshed every 10 minutes or on an unknown `kid`, at most every 30 s).
    pub fn jwks(url: &str, settings: AuthSettings) -> Result<Self, AuthError> {
        Ok(Self::new(Keys::Jwks(Box::new(Jwks::new(url, jwks::Refresh::default())?)), settings))
    }

    fn new(keys: Keys, settings: AuthSettings) -> Self {
        let algorithm = match keys {
            Keys::Secret(_) => Algorithm::HS256,
            Keys::Jwks(_) => Algorithm::RS256,
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&settings.issuer]);
        let mut required = vec!["exp", "iss", "sub"];
        if let Some(audience) = &settings.audience {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        validation.leeway = 30;
        Self { keys, settings, validation, verified: Verified::default() }
    }

    /// Whether [`mint`](Self::mint) can make tokens (HS256, a shared secret).
    pub fn can_mint(&self) -> bool {
        matches!(self.keys, Keys::Secret(_))
    }

    /// A token for `user_id` acting as `role`, valid for `ttl`
    /// ([`AuthError::CannotMint`] for RS256).
    pub fn mint(
        &self,
        user_id: Uuid,
        role: Role,
        employee_id: Option<Uuid>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let Keys::Secret(key) = &self.keys else { return Err(AuthError::CannotMint) };
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: user_id,
            role,
            employee_id,
            iss: self.settings.issuer.clone(),
            iat: now,
            exp: now.saturating_add(ttl),
        };
        key.mint(&claims, self.settings.audience.as_deref())
    }

    /// The caller a token names, if its signature, issuer, audience and
    /// expiry hold. A token these keys accepted less than a minute ago is
    /// not verified again while unexpired (`verified.rs`).
    pub async fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let (now, leeway) = (chrono::Utc::now().timestamp(), self.validation.leeway as i64);
        let keys = match &self.keys {
            Keys::Secret(_) => Some(0),
            Keys::Jwks(jwks) => jwks.generation(),
        };
        if let Some(caller) = keys.and_then(|keys| self.verified.get(token, keys, now, leeway)) {
            return Ok(caller);
        }
        let (claims, keys) = match &self.keys {
            Keys::Secret(key) => (jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation)?, 0),
            Keys::Jwks(jwks) => {
                let (key, keys) = jwks.key_for(token).await?;
                (jsonwebtoken::decode::<Claims>(token, &key, &self.validation)?, keys)
            }
        };
        let claims = claims.claims;
        let caller = Caller { user_id: claims.sub, role: claims.role, employee_id: claims.employee_id };
        self.verified.put(token, keys, caller, claims.exp);
        Ok(caller)
    }
}

/// The caller as the functions see it.
pub fn requester(caller: &Caller) -> hrms_platform::Requester {
    hrms_platform::Requester { user_id: caller.user_id, role: caller.role, employee_id: caller.employee_id }
}

/// The raw bearer token of a request whose [`Caller`] was verified, and its
/// W3C `traceparent` if it came with one: what a function forwards when it
/// calls another one on the caller's behalf.
#[derive(Clone)]
pub struct Bearer {
    pub token: String,
    pub traceparent: Option<String>,
}

impl Bearer {
    /// A token without trace context.
    pub fn new(token: impl Into<String>) -> Self {
        Self { token: token.into(), traceparent: None }
    }
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bearer").field("token", &"..").field("traceparent", &self.traceparent).finish()
    }
}

/// The request's `traceparent`, if it has the W3C shape
/// (`version-traceid-parentid-flags`, hex).
fn traceparent(parts: &Parts) -> Option<String> {
    let value = parts.headers.get("traceparent")?.to_str().ok()?;
    let fields: Vec<&str> = value.split('-').collect();
    let shape = [2, 32, 16, 2];
    let valid = fields.len() == 4
        && fields.iter().zip(shape).all(|(f, n)| f.len() == n && f.bytes().all(|b| b.is_ascii_hexdigit()));
    valid.then(|| value.to_owned())
}

fn bearer(parts: &Parts) -> Result<&str, Problem> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| Problem::unauthorized("an Authorization: Bearer token is required"))?;
    header
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| Problem::unauthorized("the Authorization header must be `Bearer <token>`"))
}

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        bearer(parts).map(|t| Bearer { token: t.to_owned(), traceparent: traceparent(parts) })
    }
}

impl<S> FromRequestParts<S> for Caller
where
    Arc<Authenticator>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        Arc::<Authenticator>::from_ref(state).verify(token).await.map_err(|e| {
            tracing::debug!(error = %hrms_platform::Chain(&e), "token refused");
            Problem::unauthorized("the token is invalid or expired")
        })
    }
}
