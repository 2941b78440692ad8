//! Which authenticator this environment uses: RS256 with the identity
//! provider's keys at `HRMS_JWKS_URL` (production), or else HS256 with the
//! secret of [`crate::secret`]. Either way tokens must name the issuer
//! `HRMS_JWT_ISSUER` (default `hrms`) and, when set, the audience
//! `HRMS_JWT_AUDIENCE`. Unset and empty variables are alike.
//!
//! Revocation ([`account_settings`], [`service_bearer`]): how long account
//! answers are kept (`HRMS_ACCOUNT_CACHE_TTL_MS`, `HRMS_ACCOUNT_STALE_MS`)
//! and the token account lookups carry (`HRMS_SERVICE_TOKEN_FILE`,
//! `HRMS_SERVICE_TOKEN`, or minted).

use std::env::VarError;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hrms_events::Role;
use hrms_http::auth::ISSUER;
use hrms_http::auth::account::{CheckSettings, lookup_identity};
use hrms_http::auth::account_remote::ServiceBearer;
use hrms_http::auth::service_token::Unverified;
use hrms_http::token_file::TokenFile;
use hrms_http::{AuthError, AuthSettings, Authenticator};
use uuid::Uuid;

use crate::secret::jwt_secret;

/// `HRMS_JWKS_URL`, if tokens come from an identity provider.
pub fn jwks_url() -> anyhow::Result<Option<String>> {
    var("HRMS_JWKS_URL")
}

/// The authenticator of this environment.
pub fn authenticator(data_dir: &Path) -> anyhow::Result<Arc<Authenticator>> {
    let settings = AuthSettings {
        issuer: var("HRMS_JWT_ISSUER")?.unwrap_or_else(|| ISSUER.to_owned()),
        audience: var("HRMS_JWT_AUDIENCE")?,
    };
    let auth = match jwks_url()? {
        Some(url) => Authenticator::jwks(&url, settings).context("HRMS_JWKS_URL")?,
        None => Authenticator::hs256_with(&jwt_secret(data_dir)?, settings)?,
    };
    Ok(Arc::new(auth))
}

/// The longest a change of an account may take to refuse its tokens.
pub const REVOCATION_BOUND: Duration = Duration::from_secs(30);

/// How long account answers are kept: `HRMS_ACCOUNT_CACHE_TTL_MS` (default
/// 10 000) and, while the lookup fails, `HRMS_ACCOUNT_STALE_MS` longer
/// (default 15 000); together at most [`REVOCATION_BOUND`].
pub fn account_settings() -> anyhow::Result<CheckSettings> {
    account_settings_from(var)
}

/// [`account_settings`] from `lookup` (the environment, or a test's).
fn account_settings_from(
    lookup: impl Fn(&str) -> anyhow::Result<Option<String>>,
) -> anyhow::Result<CheckSettings> {
    let millis = |name: &str, default: Duration| -> anyhow::Result<Duration> {
        Ok(match lookup(name)? {
            Some(v) => {
                Duration::from_millis(v.parse().with_context(|| format!("{name}={v:?}: not milliseconds"))?)
            }
            None => default,
        })
    };
    let defaults = CheckSettings::default();
    let settings = CheckSettings {
        ttl: millis("HRMS_ACCOUNT_CACHE_TTL_MS", defaults.ttl)?,
        stale_for: millis("HRMS_ACCOUNT_STALE_MS", defaults.stale_for)?,
        ..defaults
    };
    if settings.ttl + settings.stale_for > REVOCATION_BOUND {
        anyhow::bail!(
            "HRMS_ACCOUNT_CACHE_TTL_MS + HRMS_ACCOUNT_STALE_MS is {:?}: at most {REVOCATION_BOUND:?}, \
             the longest a suspended or re-roled account may keep working",
            settings.ttl + settings.stale_for
        );
    }
    Ok(settings)
}

/// The token account lookups carry: an identity provider's (role hr or
/// admin) in the file `HRMS_SERVICE_TOKEN_FILE` (read again whenever it
/// changes: a Secret mounted as a volume, which the kubelet updates in
/// place) or, fixed, in `HRMS_SERVICE_TOKEN`; else one minted per lookup
/// for five minutes (HS256); `None` without either. Warns when the token
/// expires within the hour.
pub fn service_bearer(auth: &Arc<Authenticator>) -> anyhow::Result<Option<ServiceBearer>> {
    if let Some(token) = service_token()? {
        let current = token.current().context("reading the service token")?;
        if let Some(left) = expires_within_hour(&current, chrono::Utc::now().timestamp()) {
            tracing::warn!(
                seconds_left = left,
                "the service token expires within the hour: renew it (HRMS_SERVICE_TOKEN_FILE is read again \
                 when it changes; HRMS_SERVICE_TOKEN only at start), or account lookups fail"
            );
        }
        return Ok(Some(Arc::new(move || token.current())));
    }
    if !auth.can_mint() {
        return Ok(None);
    }
    // Weak: the authenticator holds the check that holds this.
    let auth = Arc::downgrade(auth);
    Ok(Some(Arc::new(move || {
        let auth = auth.upgrade().ok_or(AuthError::CannotMint)?;
        auth.mint(lookup_identity(), Role::Hr, None, Duration::from_secs(300))
    })))
}

/// The configured service token (`HRMS_SERVICE_TOKEN_FILE`, read again
/// when it changes, or `HRMS_SERVICE_TOKEN`), as a source of the current
/// token; `None` when neither is set.
pub fn configured_service_token() -> anyhow::Result<Option<ServiceBearer>> {
    let Some(token) = service_token()? else { return Ok(None) };
    token.current().context("reading the service token")?;
    Ok(Some(Arc::new(move || token.current())))
}

/// The user id of the service token's subject, which the account check
/// does not ask about (it acts as that identity): `None` without a token
/// or with a subject that is no user id.
pub fn service_subject() -> anyhow::Result<Option<Uuid>> {
    let Some(token) = service_token()? else { return Ok(None) };
    let current = token.current().context("reading the service token")?;
    Ok(Unverified::read(&current).and_then(|claims| claims.user_id()))
}

/// A configured service token.
enum ServiceToken {
    Fixed(String),
    File(TokenFile),
}

impl ServiceToken {
    fn current(&self) -> Result<String, AuthError> {
        match self {
            ServiceToken::Fixed(token) => Ok(token.clone()),
            ServiceToken::File(file) => file
                .token()
                .map_err(|source| AuthError::ServiceToken { file: file.path().to_owned(), source }),
        }
    }
}

/// `HRMS_SERVICE_TOKEN_FILE` (which must be readable now) or
/// `HRMS_SERVICE_TOKEN`; not both.
fn service_token() -> anyhow::Result<Option<ServiceToken>> {
    let fixed = var("HRMS_SERVICE_TOKEN")?;
    let Some(path) = var("HRMS_SERVICE_TOKEN_FILE")? else { return Ok(fixed.map(ServiceToken::Fixed)) };
    if fixed.is_some() {
        anyhow::bail!("set HRMS_SERVICE_TOKEN_FILE or HRMS_SERVICE_TOKEN, not both");
    }
    let file =
        TokenFile::open(Path::new(&path)).with_context(|| format!("HRMS_SERVICE_TOKEN_FILE={path:?}"))?;
    Ok(Some(ServiceToken::File(file)))
}

/// Seconds until `token` expires, if it is a JWT expiring within the hour
/// of `now` (Unix seconds); negative once expired.
fn expires_within_hour(token: &str, now: i64) -> Option<i64> {
    let left = Unverified::read(token)?.exp? - now;
    (left < 3600).then_some(left)
}

fn var(name: &str) -> anyhow::Result<Option<String>> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(VarError::NotPresent) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {name}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> anyhow::Result<CheckSettings> {
        account_settings_from(|name| Ok(vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())))
    }

    #[test]
    fn account_answers_are_kept_for_at_most_30_s_in_all() {
        let defaults = settings(&[]).expect("the defaults");
        assert_eq!((defaults.ttl, defaults.stale_for), (Duration::from_secs(10), Duration::from_secs(15)));
        let short = settings(&[("HRMS_ACCOUNT_CACHE_TTL_MS", "1000"), ("HRMS_ACCOUNT_STALE_MS", "0")])
            .expect("valid");
        assert_eq!((short.ttl, short.stale_for), (Duration::from_secs(1), Duration::ZERO));
        let longest = settings(&[("HRMS_ACCOUNT_CACHE_TTL_MS", "15000"), ("HRMS_ACCOUNT_STALE_MS", "15000")]);
        assert!(longest.is_ok(), "30 s in all");
        for vars in [
            [("HRMS_ACCOUNT_CACHE_TTL_MS", "20000"), ("HRMS_ACCOUNT_STALE_MS", "15000")],
            [("HRMS_ACCOUNT_CACHE_TTL_MS", "ten"), ("HRMS_ACCOUNT_STALE_MS", "0")],
        ] {
            let refused = settings(&vars).expect_err("refused");
            assert!(format!("{refused:#}").contains("HRMS_ACCOUNT_CACHE_TTL_MS"), "{refused:#}");
        }
    }

    fn minted(user_id: Uuid, ttl: Duration) -> String {
        let auth = Authenticator::hs256(&[7; 32]).expect("a secret");
        auth.mint(user_id, Role::Hr, None, ttl).expect("minted")
    }

    #[test]
    fn a_service_token_file_is_read_again_when_it_is_renewed() {
        let path = std::env::temp_dir().join(format!("hrms-service-token-{}", Uuid::new_v4()));
        std::fs::write(&path, "first-token\n").expect("written");
        let token = ServiceToken::File(TokenFile::open(&path).expect("readable"));
        assert_eq!(token.current().expect("read"), "first-token");
        std::fs::write(&path, "the-renewed-token").expect("renewed");
        assert_eq!(token.current().expect("read again"), "the-renewed-token");
        std::fs::remove_file(&path).expect("removed");
        assert!(matches!(token.current(), Err(AuthError::ServiceToken { .. })));
    }

    #[test]
    fn a_token_expiring_within_the_hour_is_told_with_its_subject() {
        let now = chrono::Utc::now().timestamp();
        let subject = Uuid::new_v4();
        let short = minted(subject, Duration::from_secs(600));
        let left = expires_within_hour(&short, now).expect("within the hour");
        assert!((590..=600).contains(&left), "{left}");
        assert_eq!(expires_within_hour(&minted(subject, Duration::from_secs(7200)), now), None);
        assert_eq!(expires_within_hour("not a jwt", now), None);
        assert_eq!(Unverified::read(&short).and_then(|c| c.user_id()), Some(subject));
    }
}
