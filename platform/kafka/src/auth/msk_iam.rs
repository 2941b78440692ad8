//! MSK IAM tokens (crate `aws-msk-iam-sasl-signer`): the base64url of a
//! presigned `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster:Connect`,
//! valid 15 minutes.
//!
//! librdkafka asks for a token on whichever thread serves its queue: the
//! producer's polling thread, or a consumer's caller, possibly a Tokio
//! worker. Getting AWS credentials is async (the container or instance
//! endpoints are HTTP; Lambda's environment variables answer at once), so a
//! [`Signer`] owns a thread with a current-thread runtime and the default
//! credentials chain (which caches what it fetched); the asking thread waits
//! for its answer at most [`WAIT`], inside `block_in_place` on a
//! multi-threaded runtime's worker so that its other tasks move elsewhere.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak, mpsc};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use super::AuthError;

/// The longest a token may take: credentials from the container or instance
/// endpoints, then signing.
pub const WAIT: Duration = Duration::from_secs(10);

/// A token and when it expires (ms since the Unix epoch).
pub struct Token {
    pub value: String,
    pub expires_ms: i64,
}

/// Why no token was made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no AWS credentials provider configured")]
    NoCredentials,
    #[error("signing the token (AWS credentials)")]
    Signing(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("no token within {0:?}")]
    Timeout(Duration),
    #[error("the token signer stopped")]
    Stopped,
}

type Reply = mpsc::Sender<Result<Token, TokenError>>;

/// Makes tokens for the region's cluster on a thread of its own.
pub struct Signer {
    region: String,
    requests: mpsc::Sender<Reply>,
    issued: AtomicU64,
}

/// The signers in use, one per region: the process's clients share one
/// credentials cache.
static SHARED: Mutex<Vec<Weak<Signer>>> = Mutex::new(Vec::new());

impl Signer {
    /// The process's signer for `region`, with the default credentials chain
    /// (environment, profile, web identity, container, instance).
    pub fn shared(region: &str) -> Result<Arc<Self>, AuthError> {
        let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        shared.retain(|s| s.strong_count() > 0);
        if let Some(signer) = shared.iter().filter_map(Weak::upgrade).find(|s| s.region == region) {
            return Ok(signer);
        }
        let signer = Arc::new(Self::start(region, None)?);
        shared.push(Arc::downgrade(&signer));
        Ok(signer)
    }

    /// A signer of its own for `region` with these credentials.
    pub fn with_credentials(region: &str, credentials: SharedCredentialsProvider) -> Result<Self, AuthError> {
        Self::start(region, Some(credentials))
    }

    fn start(region: &str, credentials: Option<SharedCredentialsProvider>) -> Result<Self, AuthError> {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(AuthError::Signer)?;
        let (requests, incoming) = mpsc::channel();
        let region_name = Region::new(region.to_owned());
        std::thread::Builder::new()
            .name("msk-iam-signer".into())
            .spawn(move || serve(runtime, region_name, credentials, incoming))
            .map_err(AuthError::Signer)?;
        Ok(Self { region: region.to_owned(), requests, issued: AtomicU64::new(0) })
    }

    /// A fresh token; blocks the calling thread (see the module's doc).
    pub fn token(&self) -> Result<Token, TokenError> {
        let (reply, answer) = mpsc::channel();
        self.requests.send(reply).map_err(|_| TokenError::Stopped)?;
        let wait = || match answer.recv_timeout(WAIT + Duration::from_secs(1)) {
            Ok(token) => token,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(TokenError::Timeout(WAIT)),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(TokenError::Stopped),
        };
        let token = match Handle::try_current() {
            Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(wait),
            _ => wait(),
        }?;
        self.issued.fetch_add(1, Ordering::Relaxed);
        Ok(token)
    }

    /// How many tokens it made.
    pub fn issued(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }
}

/// The signer's thread: answers requests until the [`Signer`] is dropped.
fn serve(
    runtime: Runtime,
    region: Region,
    credentials: Option<SharedCredentialsProvider>,
    requests: mpsc::Receiver<Reply>,
) {
    let credentials = credentials.or_else(|| {
        runtime
            .block_on(aws_config::defaults(BehaviorVersion::latest()).region(region.clone()).load())
            .credentials_provider()
    });
    for reply in requests {
        let token = match &credentials {
            None => Err(TokenError::NoCredentials),
            Some(provider) => runtime
                .block_on(async {
                    let signed = aws_msk_iam_sasl_signer::generate_auth_token_from_credentials_provider(
                        region.clone(),
                        provider.clone(),
                    );
                    tokio::time::timeout(WAIT, signed).await
                })
                .map_err(|_| TokenError::Timeout(WAIT))
                .and_then(|signed| signed.map_err(|e| TokenError::Signing(Box::new(e)))),
        };
        let _ = reply.send(token.map(|(value, expires_ms)| Token { value, expires_ms }));
    }
}

#[cfg(test)]
mod tests;
