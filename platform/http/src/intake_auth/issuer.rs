//! A stand-in for a cluster's service-account issuer, for tests of event
//! intakes: an RSA key made here, its public half served as a JWKS by an
//! axum server on 127.0.0.1, and sender tokens signed with it.

use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::OidcSettings;

/// The issuer every stand-in names.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// The subject the stand-in's settings let in: a KafkaSource's service account.
pub const SOURCE: &str = "system:serviceaccount:hrms:kafkasource-oidc";

/// The issuer: its JWKS URL, and the key that signs its tokens.
pub struct Issuer {
    pub jwks_url: String,
    key: EncodingKey,
    server: JoinHandle<()>,
}

impl Issuer {
    /// Serves a fresh key's JWKS on a loopback port (RSA key generation
    /// takes a while unoptimised: make one per test).
    pub async fn start() -> Self {
        let rsa = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key");
        let key = EncodingKey::from_rsa_der(rsa.to_pkcs1_der().expect("DER").as_bytes());
        let mut public = Jwk::from_encoding_key(&key, Algorithm::RS256).expect("JWK");
        public.common.key_id = Some("sa-key".into());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        let set = JwkSet { keys: vec![public] };
        let app = Router::new().route("/openid/v1/jwks", get(move || async move { Json(set.clone()) }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let jwks_url = format!("http://{}/openid/v1/jwks", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { jwks_url, key, server }
    }

    /// Settings that let [`SOURCE`] deliver to `audience`.
    pub fn settings(&self, audience: &str) -> OidcSettings {
        OidcSettings {
            issuer: ISSUER.into(),
            jwks_url: self.jwks_url.clone(),
            audience: audience.into(),
            subjects: vec![SOURCE.into()],
        }
    }

    /// A token of [`SOURCE`] for `audience`, valid for five minutes, with
    /// `changes` applied to its claims (null removes one).
    pub fn token(&self, audience: &str, changes: Value) -> String {
        self.sign("sa-key", &self.claims(audience, changes), &self.key)
    }

    /// Claims as the Kubernetes TokenRequest API issues them.
    pub fn claims(&self, audience: &str, changes: Value) -> Value {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "iss": ISSUER, "sub": SOURCE, "aud": [audience],
            "iat": now, "nbf": now, "exp": now + 300,
            "kubernetes.io": { "namespace": "hrms", "serviceaccount": { "name": "kafkasource-oidc" } },
        });
        if let (Some(claims), Value::Object(changes)) = (claims.as_object_mut(), changes) {
            for (name, value) in changes {
                match value {
                    Value::Null => claims.remove(&name),
                    value => claims.insert(name, value),
                };
            }
        }
        claims
    }

    /// `claims` signed RS256 by `key`, naming `kid`.
    pub fn sign(&self, kid: &str, claims: &Value, key: &EncodingKey) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, key).expect("signed")
    }

    /// A key the issuer does not publish, for forged tokens.
    pub fn stranger_key() -> EncodingKey {
        let rsa = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key");
        EncodingKey::from_rsa_der(rsa.to_pkcs1_der().expect("DER").as_bytes())
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}
