//! What a process can tell of its own service token without verifying it
//! (it is configuration, not a caller's claim): the subject the account
//! check must not ask about, and when it expires.

use serde::Deserialize;
use uuid::Uuid;

/// The claims of a service token read without checking its signature.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Unverified {
    pub sub: Option<String>,
    /// Unix seconds.
    pub exp: Option<i64>,
}

impl Unverified {
    /// The claims of `token`; `None` when it is not a JWT.
    pub fn read(token: &str) -> Option<Self> {
        jsonwebtoken::dangerous::insecure_decode_claims(token).ok()
    }

    /// The subject as a user id, if it is one.
    pub fn user_id(&self) -> Option<Uuid> {
        self.sub.as_deref().and_then(|s| s.parse().ok())
    }
}
