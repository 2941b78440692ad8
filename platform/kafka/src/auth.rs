//! Authentication that takes code in the client, not only settings:
//! `KAFKA_SASL_MECHANISM=AWS_MSK_IAM`, Amazon MSK's IAM access control (the
//! name MSK's own clients give it). librdkafka speaks it as SASL/OAUTHBEARER
//! over TLS; the token is a SigV4-presigned `kafka-cluster:Connect` request
//! signed with the process's AWS credentials (on Lambda, its role's), which
//! [`KafkaContext`] makes whenever librdkafka asks (at start, then before each
//! token expires). Builds without the `msk-iam` feature refuse the mechanism.

use std::error::Error;

use rdkafka::client::{Client, ClientContext, OAuthToken};
use rdkafka::consumer::ConsumerContext;

use super::config::Security;

#[cfg(feature = "msk-iam")]
pub mod msk_iam;

/// The `KAFKA_SASL_MECHANISM` of MSK's IAM access control.
pub const AWS_MSK_IAM: &str = "AWS_MSK_IAM";

/// Why a client's authentication cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(
        "KAFKA_SASL_MECHANISM={AWS_MSK_IAM} needs a build with the msk-iam feature of hrms-kafka \
         (the hrms crate's lambda feature)"
    )]
    NotBuilt,
    #[error("KAFKA_SASL_MECHANISM={AWS_MSK_IAM} needs the cluster's region: set AWS_REGION")]
    NoRegion,
    #[cfg(feature = "msk-iam")]
    #[error("cannot start the MSK IAM token signer")]
    Signer(#[source] std::io::Error),
    #[cfg(feature = "msk-iam")]
    #[error("no MSK IAM token")]
    Token(#[source] msk_iam::TokenError),
    #[error("librdkafka refused the token: {0}")]
    Refused(String),
}

impl Security {
    /// Whether `KAFKA_SASL_MECHANISM` selects MSK's IAM access control.
    pub fn msk_iam(&self) -> bool {
        self.sasl_mechanism.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(AWS_MSK_IAM))
    }

    /// Whether this build can authenticate as these settings say.
    pub fn check(&self) -> Result<(), AuthError> {
        if !self.msk_iam() {
            return Ok(());
        }
        if !cfg!(feature = "msk-iam") {
            return Err(AuthError::NotBuilt);
        }
        if self.aws_region.is_none() {
            return Err(AuthError::NoRegion);
        }
        Ok(())
    }
}

/// The rdkafka context of every client the platform makes: with
/// `AWS_MSK_IAM`, it hands librdkafka MSK IAM tokens. The consumer's
/// context (statistics, commits) wraps it.
#[derive(Clone, Default)]
pub struct KafkaContext {
    #[cfg(feature = "msk-iam")]
    signer: Option<std::sync::Arc<msk_iam::Signer>>,
}

impl KafkaContext {
    /// The context for clients with these settings (a signer of this
    /// process's, shared by the clients of its region, when they select
    /// `AWS_MSK_IAM`).
    pub fn new(security: &Security) -> Result<Self, AuthError> {
        security.check()?;
        #[cfg(feature = "msk-iam")]
        if let (true, Some(region)) = (security.msk_iam(), &security.aws_region) {
            return Ok(Self::with_signer(msk_iam::Signer::shared(region)?));
        }
        Ok(Self::default())
    }

    /// A context whose tokens `signer` makes.
    #[cfg(feature = "msk-iam")]
    pub fn with_signer(signer: std::sync::Arc<msk_iam::Signer>) -> Self {
        Self { signer: Some(signer) }
    }

    /// Sets a fresh token on `client` now, if it authenticates with one.
    /// librdkafka asks for tokens on its main queue, which producers and
    /// consumers serve when polled, but rdkafka's `AdminClient` never
    /// (rust-rdkafka#757), nor a consumer asked for metadata before its first
    /// poll: those get their token here. The admin client is short-lived;
    /// this token lasts 15 minutes.
    pub fn prime<C: ClientContext>(&self, client: &Client<C>) -> Result<(), AuthError> {
        #[cfg(feature = "msk-iam")]
        if let Some(signer) = &self.signer {
            let token = signer.token().map_err(AuthError::Token)?;
            return set_token(client, &token.value, token.expires_ms);
        }
        let _ = client;
        Ok(())
    }
}

/// `rd_kafka_oauthbearer_set_token` on `client`.
#[cfg(feature = "msk-iam")]
fn set_token<C: ClientContext>(client: &Client<C>, token: &str, lifetime_ms: i64) -> Result<(), AuthError> {
    use std::ffi::{CStr, CString};
    use std::os::raw::c_char;

    let token = CString::new(token).map_err(|_| AuthError::Refused("a NUL in the token".into()))?;
    let principal = c"";
    let mut errstr = [0 as c_char; 512];
    // SAFETY: the client pointer is live while `client` is borrowed;
    // librdkafka copies the strings; no extensions; errstr is as long as said.
    let code = unsafe {
        rdkafka::bindings::rd_kafka_oauthbearer_set_token(
            client.native_ptr(),
            token.as_ptr(),
            lifetime_ms,
            principal.as_ptr(),
            std::ptr::null_mut(),
            0,
            errstr.as_mut_ptr(),
            errstr.len(),
        )
    };
    if code == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    // SAFETY: librdkafka wrote a NUL-terminated message into errstr.
    let reason = unsafe { CStr::from_ptr(errstr.as_ptr()) }.to_string_lossy().into_owned();
    Err(AuthError::Refused(reason))
}

/// Client creation fails with librdkafka's error type; the message keeps
/// the causes.
impl From<AuthError> for rdkafka::error::KafkaError {
    fn from(e: AuthError) -> Self {
        Self::ClientCreation(hrms_platform::Chain(&e).to_string())
    }
}

impl ClientContext for KafkaContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = cfg!(feature = "msk-iam");

    fn generate_oauth_token(&self, _config: Option<&str>) -> Result<OAuthToken, Box<dyn Error>> {
        #[cfg(feature = "msk-iam")]
        if let Some(signer) = &self.signer {
            return match signer.token() {
                Ok(token) => Ok(OAuthToken {
                    token: token.value,
                    principal_name: String::new(),
                    lifetime_ms: token.expires_ms,
                }),
                Err(e) => {
                    let reason = hrms_platform::Chain(&e).to_string();
                    tracing::warn!(error = %reason, "no MSK IAM token for Kafka");
                    Err(reason.into())
                }
            };
        }
        Err(format!("OAUTHBEARER tokens are made for KAFKA_SASL_MECHANISM={AWS_MSK_IAM} only").into())
    }
}

impl ConsumerContext for KafkaContext {}
