//! HS256 with a shared secret: the key source that can also mint tokens
//! (`hrms dev`, `hrms token`).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;

use super::{AuthError, Claims};

/// A shared secret of at least 32 bytes.
pub(super) struct Hs256 {
    pub(super) decoding: DecodingKey,
    encoding: EncodingKey,
}

/// The claims a minted token carries: ours, plus the audience when one is required.
#[derive(Serialize)]
struct Minted<'a> {
    #[serde(flatten)]
    claims: &'a Claims,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

impl Hs256 {
    pub(super) fn new(secret: &[u8]) -> Result<Self, AuthError> {
        if secret.len() < 32 {
            return Err(AuthError::WeakSecret);
        }
        Ok(Self { decoding: DecodingKey::from_secret(secret), encoding: EncodingKey::from_secret(secret) })
    }

    pub(super) fn mint(&self, claims: &Claims, aud: Option<&str>) -> Result<String, AuthError> {
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &Minted { claims, aud }, &self.encoding)?)
    }
}
