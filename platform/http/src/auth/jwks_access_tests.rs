//! Fetching a key set as from a cluster's API server: over TLS with a
//! certificate of a CA made here (by `openssl`, at test time: no key is kept
//! in the repository), answering only requests that present the expected
//! service-account token. The refresh schedule runs on a test clock.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hrms_platform::testing::TempDir;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{Access, Jwks, Refresh};
use crate::auth::AuthError;

/// A CA and a certificate it signed for `127.0.0.1`, as PEM files in `dir`:
/// `ca.crt`, `server.crt`, `server.key`.
pub(crate) fn make_cluster_ca(dir: &Path) {
    let openssl = |args: &str| {
        let out =
            Command::new("openssl").args(args.split(' ')).current_dir(dir).output().expect("run openssl");
        assert!(out.status.success(), "openssl {args}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    openssl(&format!(
        "req -x509 {ec} -days 1 -subj /CN=cluster-ca -keyout ca.key -out ca.crt \
         -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
    ));
    openssl(&format!("req {ec} -subj /CN=kubernetes -keyout server.key -out server.csr"));
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write the extensions");
    openssl(
        "x509 -req -days 1 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
         -extfile server.ext -out server.crt",
    );
}

/// A signing key and its public JWK (`kid` "sa"), made once per test binary.
fn key() -> &'static (EncodingKey, Jwk) {
    static KEY: OnceLock<(EncodingKey, Jwk)> = OnceLock::new();
    KEY.get_or_init(|| {
        let rsa = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key");
        let private = EncodingKey::from_rsa_der(rsa.to_pkcs1_der().expect("DER").as_bytes());
        let mut public = Jwk::from_encoding_key(&private, Algorithm::RS256).expect("JWK");
        public.common.key_id = Some("sa".into());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        (private, public)
    })
}

/// A token naming `kid` "sa" (the fetch is what is tested, not the claims).
fn token() -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("sa".into());
    jsonwebtoken::encode(&header, &serde_json::json!({"sub": "x"}), &key().0).expect("signed")
}

/// The API-server stand-in: `GET /openid/v1/jwks` over TLS, 200 with the key
/// set for `Authorization: Bearer <expected>`, 401 otherwise.
struct ClusterApi {
    url: String,
    expected: Arc<Mutex<String>>,
    /// The `Authorization` header of each request, in order.
    seen: Arc<Mutex<Vec<Option<String>>>>,
    server: tokio::task::JoinHandle<()>,
}

impl ClusterApi {
    async fn start(dir: &Path, expected: &str) -> Self {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.crt"))
            .expect("certificate")
            .collect::<Result<_, _>>()
            .expect("certificate");
        let tls_key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("key");
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, tls_key)
            .expect("TLS config");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("https://{}/openid/v1/jwks", listener.local_addr().expect("address"));
        let body = serde_json::to_string(&JwkSet { keys: vec![key().1.clone()] }).expect("JWKS");
        let expected = Arc::new(Mutex::new(expected.to_owned()));
        let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let (wanted, log) = (expected.clone(), Arc::clone(&seen));
        let server = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, wanted, log, body) =
                    (acceptor.clone(), wanted.clone(), log.clone(), body.clone());
                tokio::spawn(async move {
                    // A client that does not trust the CA ends here.
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    let authorization = read_authorization(&mut tls).await;
                    let admitted = authorization.as_deref()
                        == Some(format!("Bearer {}", wanted.lock().expect("lock")).as_str());
                    log.lock().expect("lock").push(authorization);
                    let response = if admitted {
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    } else {
                        "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .to_owned()
                    };
                    let _ = tls.write_all(response.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Self { url, expected, seen, server }
    }

    fn seen(&self) -> Vec<Option<String>> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Drop for ClusterApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The `Authorization` header of the request head read from `stream`.
async fn read_authorization(stream: &mut (impl AsyncReadExt + Unpin)) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&head).lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("authorization").then(|| value.trim().to_owned())
    })
}

/// A key set for `url` fetched with `ca_file` trusted and `token_file`
/// presented, and the handle of its clock.
fn jwks(url: &str, ca_file: Option<&Path>, token_file: Option<PathBuf>) -> (Jwks, Arc<Mutex<Instant>>) {
    let extra_roots = ca_file
        .map(|f| reqwest::Certificate::from_pem_bundle(&std::fs::read(f).expect("CA")).expect("PEM"))
        .unwrap_or_default();
    let mut jwks =
        Jwks::with_access(url, Refresh::default(), Access { extra_roots, token_file }).expect("JWKS URL");
    let now = Arc::new(Mutex::new(Instant::now()));
    let clock = now.clone();
    jwks.clock = Arc::new(move || *clock.lock().expect("clock"));
    (jwks, now)
}

#[tokio::test]
async fn the_keys_are_fetched_only_with_the_cluster_ca_and_the_token() {
    let dir = TempDir::new("jwks-tls");
    make_cluster_ca(&dir.0);
    let api = ClusterApi::start(&dir.0, "token-1").await;
    let token_file = dir.0.join("token");
    std::fs::write(&token_file, "token-1\n").expect("write the token");

    let (untrusted, _) = jwks(&api.url, None, Some(token_file.clone()));
    assert!(matches!(untrusted.key_for(&token()).await, Err(AuthError::UnknownKey(_))));
    assert_eq!(api.seen(), Vec::<Option<String>>::new(), "the CA unknown, no request is made");

    let (anonymous, _) = jwks(&api.url, Some(&dir.0.join("ca.crt")), None);
    assert!(matches!(anonymous.key_for(&token()).await, Err(AuthError::UnknownKey(_))));
    assert_eq!(api.seen(), [None], "without the token the server refuses");

    let (cluster, _) = jwks(&api.url, Some(&dir.0.join("ca.crt")), Some(token_file));
    let (_, generation) = cluster.key_for(&token()).await.expect("the key, fetched with CA and token");
    assert_eq!(generation, 1);
    assert_eq!(api.seen().last(), Some(&Some("Bearer token-1".to_owned())));
}

#[tokio::test]
async fn a_rotated_token_file_is_read_again_on_the_next_fetch() {
    let dir = TempDir::new("jwks-rotate");
    make_cluster_ca(&dir.0);
    let api = ClusterApi::start(&dir.0, "token-1").await;
    let token_file = dir.0.join("token");
    std::fs::write(&token_file, "token-1").expect("write the token");
    let (jwks, clock) = jwks(&api.url, Some(&dir.0.join("ca.crt")), Some(token_file.clone()));
    assert_eq!(jwks.key_for(&token()).await.expect("first fetch").1, 1);

    // The kubelet replaces the token; the old one is no longer accepted.
    std::fs::write(&token_file, "token-2").expect("rotate the token");
    *api.expected.lock().expect("lock") = "token-2".to_owned();
    *clock.lock().expect("clock") += Refresh::default().max_age + Duration::from_secs(1);
    assert_eq!(jwks.key_for(&token()).await.expect("the cached key serves").1, 2, "refetched");
    assert_eq!(api.seen(), [Some("Bearer token-1".to_owned()), Some("Bearer token-2".to_owned())]);
    assert_eq!(jwks.generation(), Some(2));
}
