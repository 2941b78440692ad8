//! The JWKS authenticator against a stand-in identity provider: a real axum
//! server on 127.0.0.1 publishing the public halves of RSA keys made here,
//! counting its fetches. The refresh schedule runs on a test clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use hrms_events::Role;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::RsaPrivateKey;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tower::ServiceExt;
use uuid::Uuid;

use super::super::{AuthError, AuthSettings, Authenticator, Caller, Keys};
use super::{Jwks, Refresh, rs256_key};

const ISSUER: &str = "https://id.example";
const AUDIENCE: &str = "hrms-api";

/// An RSA key pair and its public JWK (`kid` and `alg` set).
struct Key {
    private: EncodingKey,
    public: Jwk,
    public_der: Vec<u8>,
}

/// Keys `a`, `b` and `c`, made once per test binary: RSA key generation is
/// slow unoptimised.
fn keys() -> &'static [Key; 3] {
    static KEYS: OnceLock<[Key; 3]> = OnceLock::new();
    KEYS.get_or_init(|| ["a", "b", "c"].map(Key::new))
}

impl Key {
    fn new(kid: &str) -> Self {
        let rsa = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key");
        let private = EncodingKey::from_rsa_der(rsa.to_pkcs1_der().expect("DER").as_bytes());
        let mut public = Jwk::from_encoding_key(&private, Algorithm::RS256).expect("JWK");
        public.common.key_id = Some(kid.to_owned());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        let public_der = rsa.to_public_key().to_pkcs1_der().expect("DER").into_vec();
        Self { private, public, public_der }
    }

    /// `claims` signed RS256 by this key, naming `kid`.
    fn sign(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.private).expect("signed")
    }
}

/// Valid claims for `user`, with `changes` applied (null removes a claim).
fn claims(user: Uuid, changes: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "sub": user, "role": "hr", "employee_id": user,
        "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300,
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

type Published = (Arc<AtomicUsize>, Arc<Mutex<JwkSet>>);

/// The identity provider stand-in: `GET /jwks` answers the published keys.
struct Idp {
    url: String,
    published: Published,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl Idp {
    async fn start(keys: &[&Key]) -> Self {
        let published: Published = (Arc::default(), Arc::default());
        let app = Router::new().route("/jwks", get(serve_jwks)).with_state(published.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/jwks", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let stopped = async { stopped.await.unwrap_or_default() };
            axum::serve(listener, app).with_graceful_shutdown(stopped).await.expect("serve");
        });
        let idp = Self { url, published, stop, server };
        idp.publish(keys);
        idp
    }

    /// Replaces the published key set.
    fn publish(&self, keys: &[&Key]) {
        let set = JwkSet { keys: keys.iter().map(|k| k.public.clone()).collect() };
        *self.published.1.lock().expect("lock") = set;
    }

    fn fetches(&self) -> usize {
        self.published.0.load(Ordering::SeqCst)
    }

    /// Stops the server and closes its connections: its port refuses from now on.
    async fn stop(self) {
        let _ = self.stop.send(());
        self.server.await.expect("server stopped");
    }
}

async fn serve_jwks(State((fetches, set)): State<Published>) -> Json<JwkSet> {
    fetches.fetch_add(1, Ordering::SeqCst);
    Json(set.lock().expect("lock").clone())
}

/// Moved by hand: the refresh schedule's time.
#[derive(Clone)]
struct TestClock(Arc<Mutex<Instant>>);

impl TestClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().expect("clock") += by;
    }
}

/// An RS256 authenticator for `url` requiring [`ISSUER`] and [`AUDIENCE`], on a test clock.
fn authenticator(url: &str) -> (Authenticator, TestClock) {
    let clock = TestClock(Arc::new(Mutex::new(Instant::now())));
    let mut jwks = Jwks::new(url, Refresh::default()).expect("JWKS URL");
    let now = clock.0.clone();
    jwks.clock = Arc::new(move || *now.lock().expect("clock"));
    let settings = AuthSettings { issuer: ISSUER.to_owned(), audience: Some(AUDIENCE.to_owned()) };
    (Authenticator::new(Keys::Jwks(Box::new(jwks)), settings), clock)
}

#[tokio::test]
async fn a_token_signed_by_a_published_key_verifies_to_its_caller() {
    let [a, ..] = keys();
    let idp = Idp::start(&[a]).await;
    let (auth, _) = authenticator(&idp.url);
    let user = Uuid::now_v7();
    let token = a.sign("a", &claims(user, json!({})));
    for _ in 0..3 {
        let caller = auth.verify(&token).await.expect("valid");
        assert_eq!(caller, Caller { user_id: user, role: Role::Hr, employee_id: Some(user) });
    }
    assert_eq!(idp.fetches(), 1, "the keys are cached");
    let minted = auth.mint(user, Role::Hr, None, Duration::from_secs(60));
    assert!(matches!(minted, Err(AuthError::CannotMint)));
    for url in ["not a URL", "ftp://id.example/jwks"] {
        assert!(matches!(Authenticator::jwks(url, AuthSettings::default()), Err(AuthError::JwksUrl(_))));
    }
    idp.stop().await;
}

#[tokio::test]
async fn an_unknown_kid_refetches_at_most_once_per_interval_and_finds_a_rotated_key() {
    let [a, b, _] = keys();
    let idp = Idp::start(&[a]).await;
    let (auth, clock) = authenticator(&idp.url);
    let user = Uuid::now_v7();
    let (by_a, by_b) = (a.sign("a", &claims(user, json!({}))), b.sign("b", &claims(user, json!({}))));
    auth.verify(&by_a).await.expect("a is published");

    idp.publish(&[b]);
    for _ in 0..5 {
        assert!(matches!(auth.verify(&by_b).await, Err(AuthError::UnknownKey(kid)) if kid == "b"));
    }
    assert_eq!(idp.fetches(), 1, "no fetch within 30 s of the last");
    auth.verify(&by_a).await.expect("a is still cached");

    clock.advance(Duration::from_secs(31));
    auth.verify(&by_b).await.expect("the unknown kid fetched the rotated set");
    assert_eq!(idp.fetches(), 2);
    assert!(auth.verify(&by_a).await.is_err(), "a retired key goes with the fetch");
    assert_eq!(idp.fetches(), 2, "still no fetch within 30 s of the last");

    clock.advance(Duration::from_secs(601));
    auth.verify(&by_b).await.expect("valid");
    assert_eq!(idp.fetches(), 3, "keys older than 10 minutes are fetched again");
    idp.stop().await;
}

#[tokio::test]
async fn foreign_keys_other_algorithms_and_wrong_claims_are_refused() {
    let [a, _, c] = keys();
    let idp = Idp::start(&[a]).await;
    let (auth, _) = authenticator(&idp.url);
    let user = Uuid::now_v7();
    let good = claims(user, json!({}));
    auth.verify(&a.sign("a", &good)).await.expect("valid");
    let now = chrono::Utc::now().timestamp();
    let lifetime = |seconds: i64| json!({"iat": now - 60, "exp": now - 60 + seconds});
    for (what, changes) in [
        ("valid for 12 h", lifetime(12 * 3600)),
        ("nbf now", json!({"nbf": now})),
        ("iat a little ahead of this clock", json!({"iat": now + 10})),
    ] {
        auth.verify(&a.sign("a", &claims(user, changes))).await.expect(what);
    }

    let with_header = |header: Header, secret: &[u8]| {
        jsonwebtoken::encode(&header, &good, &EncodingKey::from_secret(secret)).expect("signed")
    };
    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.kid = Some("a".to_owned());
    let confused = with_header(hs256.clone(), &a.public_der);
    let mut no_kid = Header::new(Algorithm::RS256);
    no_kid.kid = None;
    let mut rs384 = Header::new(Algorithm::RS384);
    rs384.kid = Some("a".to_owned());
    let payload = a.sign("a", &good).split('.').nth(1).expect("payload").to_owned();
    let refused = [
        ("signed by an unpublished key", c.sign("a", &good)),
        ("HS256 keyed with the RSA public key", confused.clone()),
        ("alg none", format!("eyJhbGciOiJub25lIiwia2lkIjoiYSJ9.{payload}.")),
        ("RS384", jsonwebtoken::encode(&rs384, &good, &a.private).expect("signed")),
        ("no kid", jsonwebtoken::encode(&no_kid, &good, &a.private).expect("signed")),
        ("expired", a.sign("a", &claims(user, json!({"iat": 0, "exp": 1_000})))),
        ("another issuer", a.sign("a", &claims(user, json!({"iss": "hrms"})))),
        ("another audience", a.sign("a", &claims(user, json!({"aud": "payroll"})))),
        ("no audience", a.sign("a", &claims(user, json!({"aud": null})))),
        ("no role", a.sign("a", &claims(user, json!({"role": null})))),
        ("a sub that is no UUID", a.sign("a", &claims(user, json!({"sub": "idp|42"})))),
        ("no iat", a.sign("a", &claims(user, json!({"iat": null})))),
        ("valid for 12 h and a minute", a.sign("a", &claims(user, lifetime(12 * 3600 + 60)))),
        ("iat in the future", a.sign("a", &claims(user, json!({"iat": now + 120, "exp": now + 300})))),
        ("nbf in the future", a.sign("a", &claims(user, json!({"nbf": now + 120})))),
    ];
    for (what, token) in refused {
        assert!(auth.verify(&token).await.is_err(), "{what}");
    }
    assert!(matches!(auth.verify(&confused).await, Err(AuthError::Algorithm(Algorithm::HS256))));
    idp.stop().await;
}

#[tokio::test]
async fn cached_keys_outlive_the_identity_provider() {
    let [a, b, _] = keys();
    let idp = Idp::start(&[a]).await;
    let (auth, clock) = authenticator(&idp.url);
    let token = a.sign("a", &claims(Uuid::now_v7(), json!({})));
    auth.verify(&token).await.expect("valid");
    idp.stop().await;

    clock.advance(Duration::from_secs(3600));
    auth.verify(&token).await.expect("the refetch fails, the cached key serves");
    let unknown = b.sign("b", &claims(Uuid::now_v7(), json!({})));
    assert!(matches!(auth.verify(&unknown).await, Err(AuthError::UnknownKey(_))));
}

#[tokio::test]
async fn with_no_keys_at_all_a_request_gets_401() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address");
    let (auth, _) = authenticator(&format!("http://{port}/jwks"));
    let token = keys()[0].sign("a", &claims(Uuid::now_v7(), json!({})));
    assert!(matches!(auth.verify(&token).await, Err(AuthError::UnknownKey(_))));

    let app = Router::new()
        .route("/me", get(|caller: Caller| async move { caller.user_id.to_string() }))
        .with_state(Arc::new(auth));
    let request = Request::get("/me").header(AUTHORIZATION, format!("Bearer {token}"));
    let response = app.oneshot(request.body(Body::empty()).expect("request")).await.expect("response");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    assert_eq!(content_type, Some("application/problem+json"));
}

#[test]
fn only_rsa_signing_keys_for_rs256_are_kept() {
    let public = &keys()[0].public;
    assert!(rs256_key(public).is_some());
    let mut other = public.clone();
    other.common.key_algorithm = Some(KeyAlgorithm::RS384);
    assert!(rs256_key(&other).is_none(), "alg RS384");
    let mut other = public.clone();
    other.common.public_key_use = Some(PublicKeyUse::Encryption);
    assert!(rs256_key(&other).is_none(), "use enc");
    let mut other = public.clone();
    other.common.key_id = None;
    assert!(rs256_key(&other).is_none(), "no kid");
    let secret = Jwk::from_encoding_key(&EncodingKey::from_secret(&[1; 32]), Algorithm::HS256).expect("JWK");
    let secret = Jwk { common: public.common.clone(), ..secret };
    assert!(rs256_key(&secret).is_none(), "a symmetric key");
}
