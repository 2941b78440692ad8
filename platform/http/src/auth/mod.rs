//! Who is calling: bearer JWTs, checked by an [`Authenticator`] whose keys
//! come from one of two sources:
//! - HS256 with a shared secret (`hrms dev`, `hrms token`): it verifies and
//!   mints (`hs256.rs`);
//! - RS256 with the public keys of an identity provider's JWKS URL
//!   (production): it only verifies (`jwks.rs`).
//!
//! Every business route takes a [`Caller`], so a request without a valid
//! token never reaches a function: it gets 401 with a problem body. Tokens
//! must carry `sub` (a UUID), `role`, `iss` (the configured issuer, for
//! either key source), `iat`, `exp` at most [`MAX_LIFETIME`] after `iat`,
//! `aud` when one is configured, and optionally `nbf` and `employee_id`
//! ([`Claims`]): an identity provider must issue `role` and `employee_id`
//! as custom claims. `iat` and `nbf` may not lie in the future, `exp` not
//! in the past, give or take [`LEEWAY`] seconds.
//!
//! With an [`AccountCheck`] ([`Authenticator::check_accounts`]) a verified
//! token is also checked against its account's current standing
//! (`account.rs`): that is how suspension, deletion, a new role or a
//! terminated employee record revoke tokens already issued.

pub mod account;
pub mod account_remote;
mod hs256;
pub(crate) mod jwks;
pub mod service_token;
#[cfg(test)]
mod tests;
mod verified;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use hrms_events::{Actor, Role};
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::problem::Problem;
use account::AccountCheck;
use hs256::Hs256;
use jwks::Jwks;
use verified::Verified;

/// The issuer our tokens carry and require.
pub const ISSUER: &str = "hrms";

/// The longest a token may be valid: `exp - iat`, 12 hours.
pub const MAX_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY: u64 = 30;

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
    /// Issued at (Unix seconds): required.
    pub iat: i64,
    /// Not before (Unix seconds), if the issuer sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
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
    #[error("the JWKS URL {0:?} is not https: a bearer token is sent only over https")]
    TokenOverHttp(String),
    #[error("cannot build the JWKS client")]
    Client(#[source] reqwest::Error),
    #[error("the token is signed with {0:?}; only RS256 is accepted")]
    Algorithm(Algorithm),
    #[error("the token names no key (`kid`)")]
    NoKeyId,
    #[error("no key {0:?} in the JWKS")]
    UnknownKey(String),
    #[error("a token may be valid for at most {} hours", MAX_LIFETIME.as_secs() / 3600)]
    TooLong,
    #[error("the token is issued in the future")]
    IssuedInFuture,
    #[error("cannot read the service token file {file:?}")]
    ServiceToken {
        file: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
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
    accounts: OnceLock<Arc<AccountCheck>>,
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
        validation.validate_nbf = true;
        validation.leeway = LEEWAY;
        Self { keys, settings, validation, verified: Verified::default(), accounts: OnceLock::new() }
    }

    /// From now on, checks every [`Caller`] against its account with
    /// `check` too; `false` (and nothing changes) if a check was set already.
    pub fn check_accounts(&self, check: Arc<AccountCheck>) -> bool {
        self.accounts.set(check).is_ok()
    }

    /// Whether callers are checked against their accounts.
    pub fn checks_accounts(&self) -> bool {
        self.accounts.get().is_some()
    }

    /// Whether [`mint`](Self::mint) can make tokens (HS256, a shared secret).
    pub fn can_mint(&self) -> bool {
        matches!(self.keys, Keys::Secret(_))
    }

    /// A token for `user_id` acting as `role`, valid for `ttl`
    /// ([`AuthError::CannotMint`] for RS256; [`AuthError::TooLong`] past
    /// [`MAX_LIFETIME`]).
    pub fn mint(
        &self,
        user_id: Uuid,
        role: Role,
        employee_id: Option<Uuid>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let Keys::Secret(key) = &self.keys else { return Err(AuthError::CannotMint) };
        if ttl > MAX_LIFETIME {
            return Err(AuthError::TooLong);
        }
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: user_id,
            role,
            employee_id,
            iss: self.settings.issuer.clone(),
            iat: now,
            nbf: None,
            exp: now.saturating_add(ttl),
        };
        key.mint(&claims, self.settings.audience.as_deref())
    }

    /// The caller a token names, if its signature, issuer, audience,
    /// lifetime, `iat`, `nbf` and expiry hold (the account is not checked:
    /// see [`authenticate`](Self::authenticate)).
    pub async fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        self.verify_issued(token).await.map(|(caller, _)| caller)
    }

    /// The caller a token names, if [`verify`](Self::verify) accepts it
    /// and, with an [`AccountCheck`], its account still stands as it says.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, Problem> {
        let (caller, iat) = self.verify_issued(token).await.map_err(|e| {
            tracing::debug!(error = %hrms_platform::Chain(&e), "token refused");
            Problem::unauthorized("the token is invalid or expired")
        })?;
        if let Some(accounts) = self.accounts.get() {
            accounts.check(&caller, iat).await?;
        }
        Ok(caller)
    }

    /// [`verify`](Self::verify), with the token's `iat`. A token these keys
    /// accepted less than a minute ago is not verified again while
    /// unexpired (`verified.rs`).
    async fn verify_issued(&self, token: &str) -> Result<(Caller, i64), AuthError> {
        let (now, leeway) = (chrono::Utc::now().timestamp(), self.validation.leeway as i64);
        let keys = match &self.keys {
            Keys::Secret(_) => Some(0),
            Keys::Jwks(jwks) => jwks.generation(),
        };
        if let Some(verdict) = keys.and_then(|keys| self.verified.get(token, keys, now, leeway)) {
            return Ok(verdict);
        }
        let (claims, keys) = match &self.keys {
            Keys::Secret(key) => (jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation)?, 0),
            Keys::Jwks(jwks) => {
                let (key, keys) = jwks.key_for(token).await?;
                (jsonwebtoken::decode::<Claims>(token, &key, &self.validation)?, keys)
            }
        };
        let claims = claims.claims;
        if claims.iat > now.saturating_add(leeway) {
            return Err(AuthError::IssuedInFuture);
        }
        if claims.exp.saturating_sub(claims.iat) > MAX_LIFETIME.as_secs() as i64 {
            return Err(AuthError::TooLong);
        }
        let caller = Caller { user_id: claims.sub, role: claims.role, employee_id: claims.employee_id };
        self.verified.put(token, keys, caller, claims.iat, claims.exp);
        Ok((caller, claims.iat))
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
        Arc::<Authenticator>::from_ref(state).authenticate(token).await
    }
}
