//! RS256 keys from an identity provider's JWKS URL: fetched on first use,
//! cached by `kid`, refreshed when older than [`Refresh::max_age`] or when a
//! token names an unknown `kid`, never more than once per
//! [`Refresh::min_interval`]. A fetch that fails keeps the cached keys; a
//! successful one replaces them, so keys the provider retired stop working.
//! Only RSA signing keys fit for RS256 are kept. A key set served by a
//! cluster's API server is fetched with [`Access`]: its CA trusted, the
//! pod's service-account token presented.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use hrms_platform::Chain;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use reqwest::Url;

use super::AuthError;

/// The largest JWKS document read.
const MAX_BODY: usize = 1 << 20;

/// When the key set is fetched again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refresh {
    /// Fetches are at least this far apart, whatever tokens arrive.
    pub min_interval: Duration,
    /// Cached keys older than this are fetched again on use.
    pub max_age: Duration,
    /// Timeout of one fetch.
    pub timeout: Duration,
}

impl Default for Refresh {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(30),
            max_age: Duration::from_secs(600),
            timeout: Duration::from_secs(5),
        }
    }
}

/// How the key set is reached beyond its URL: what a Kubernetes API server
/// asks of a pod fetching its `/openid/v1/jwks`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Access {
    /// CA certificates trusted besides the built-in roots (the cluster's CA).
    pub extra_roots: Vec<reqwest::Certificate>,
    /// A file whose content is sent as `Authorization: Bearer`: read on
    /// every fetch, as a projected service-account token rotates.
    pub token_file: Option<PathBuf>,
}

/// The time source of the refresh schedule (replaceable in tests).
pub(super) type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

#[derive(Default)]
struct Cache {
    keys: HashMap<String, DecodingKey>,
    /// The last successful fetch.
    fetched: Option<Instant>,
    /// The last fetch attempt, successful or not.
    tried: Option<Instant>,
    /// Successful fetches so far: which key set verified a token.
    generation: u64,
}

/// The key set of one JWKS URL.
pub(crate) struct Jwks {
    url: Url,
    client: reqwest::Client,
    token_file: Option<PathBuf>,
    refresh: Refresh,
    clock: Clock,
    cache: RwLock<Cache>,
    /// Held while fetching, so concurrent requests fetch once.
    fetching: tokio::sync::Mutex<()>,
}

impl Jwks {
    pub(crate) fn new(url: &str, refresh: Refresh) -> Result<Self, AuthError> {
        Self::with_access(url, refresh, Access::default())
    }

    /// [`Jwks::new`], fetching as `access` says.
    pub(crate) fn with_access(url: &str, refresh: Refresh, access: Access) -> Result<Self, AuthError> {
        let parsed = Url::parse(url).map_err(|_| AuthError::JwksUrl(url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(AuthError::JwksUrl(url.to_owned()));
        }
        if access.token_file.is_some() && parsed.scheme() != "https" {
            return Err(AuthError::TokenOverHttp(url.to_owned()));
        }
        let client = reqwest::Client::builder()
            .timeout(refresh.timeout)
            .connect_timeout(refresh.timeout)
            .tls_certs_merge(access.extra_roots)
            .build()
            .map_err(AuthError::Client)?;
        Ok(Self {
            url: parsed,
            client,
            token_file: access.token_file,
            refresh,
            clock: Arc::new(Instant::now),
            cache: RwLock::default(),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The key that must have signed `token`: RS256 only, chosen by `kid`;
    /// and the [`generation`](Self::generation) of the key set it is from.
    pub(crate) async fn key_for(&self, token: &str) -> Result<(DecodingKey, u64), AuthError> {
        let header = jsonwebtoken::decode_header(token)?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Algorithm(header.alg));
        }
        let kid = header.kid.ok_or(AuthError::NoKeyId)?;
        match self.cached(&kid) {
            (Some(key), true) => return Ok(key),
            // Stale: refresh unless a request is already at it; meanwhile the
            // cached key serves.
            (Some(key), false) => match self.fetching.try_lock() {
                Ok(_fetching) => self.refresh_if_due().await,
                Err(_) => return Ok(key),
            },
            (None, _) => {
                let _fetching = self.fetching.lock().await;
                // Whoever held the lock may have fetched it.
                if let (Some(key), _) = self.cached(&kid) {
                    return Ok(key);
                }
                self.refresh_if_due().await;
            }
        }
        self.cached(&kid).0.ok_or(AuthError::UnknownKey(kid))
    }

    /// Which key set is cached, while it is fresh: verdicts on tokens are
    /// good only with the key set that gave them.
    pub(crate) fn generation(&self) -> Option<u64> {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let fresh = cache.fetched.is_some_and(|t| (self.clock)().duration_since(t) < self.refresh.max_age);
        fresh.then_some(cache.generation)
    }

    /// The cached key for `kid` with the key set's generation, and whether
    /// the cache is fresh.
    fn cached(&self, kid: &str) -> (Option<(DecodingKey, u64)>, bool) {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let now = (self.clock)();
        let fresh = cache.fetched.is_some_and(|t| now.duration_since(t) < self.refresh.max_age);
        (cache.keys.get(kid).map(|key| (key.clone(), cache.generation)), fresh)
    }

    /// Fetches the key set unless the last attempt is too recent. Called
    /// with `fetching` held.
    async fn refresh_if_due(&self) {
        let now = (self.clock)();
        {
            let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
            if cache.tried.is_some_and(|t| now.duration_since(t) < self.refresh.min_interval) {
                return;
            }
            cache.tried = Some(now);
        }
        match self.fetch().await {
            Ok(keys) => {
                tracing::debug!(url = %self.url, keys = keys.len(), "fetched the JWKS");
                let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
                cache.keys = keys;
                cache.fetched = Some(now);
                cache.generation += 1;
            }
            Err(error) => {
                tracing::warn!(url = %self.url, error = %Chain(&error), "fetching the JWKS failed; keeping the cached keys")
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, FetchError> {
        let mut request = self.client.get(self.url.clone());
        if let Some(file) = &self.token_file {
            let token = std::fs::read_to_string(file)
                .map_err(|source| FetchError::Token { file: file.clone(), source })?;
            request = request.bearer_auth(token.trim());
        }
        let mut response = request.send().await.and_then(|r| r.error_for_status())?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY {
                return Err(FetchError::TooLarge);
            }
        }
        let set: JwkSet = serde_json::from_slice(&body).map_err(FetchError::NotJwks)?;
        Ok(set.keys.iter().filter_map(rs256_key).collect())
    }
}

/// Why the JWKS could not be fetched.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("the JWKS cannot be fetched")]
    Http(#[from] reqwest::Error),
    #[error("cannot read the token for the JWKS from {}", file.display())]
    Token {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the JWKS is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("not a JWKS")]
    NotJwks(#[source] serde_json::Error),
}

/// `jwk` as an RS256 verification key with its `kid`, if it is one.
fn rs256_key(jwk: &Jwk) -> Option<(String, DecodingKey)> {
    let kid = jwk.common.key_id.clone()?;
    let for_rs256 = matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256));
    let for_signing = matches!(jwk.common.public_key_use, None | Some(PublicKeyUse::Signature));
    let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else { return None };
    if !(for_rs256 && for_signing) {
        return None;
    }
    DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok().map(|key| (kid, key))
}

#[cfg(test)]
#[path = "jwks_access_tests.rs"]
pub(crate) mod access_tests;
#[cfg(test)]
#[path = "jwks_tests.rs"]
mod tests;
