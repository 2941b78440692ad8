//! Against a stand-in for the Parameters and Secrets extension whose secret
//! can be rotated.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

use super::*;

const ARN: &str = "arn:aws:secretsmanager:eu-west-1:1:secret:service-token";
const SESSION: &str = "session-token";

/// The extension: answers `GET /secretsmanager/get` with the current value
/// to the session token, and counts the reads.
struct Extension {
    port: u16,
    value: Arc<Mutex<String>>,
    reads: Arc<Mutex<u32>>,
}

impl Extension {
    fn start(value: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let (value, reads) = (Arc::new(Mutex::new(value.to_owned())), Arc::new(Mutex::new(0)));
        let (current, count) = (value.clone(), reads.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("a stream"));
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    headers.push(line.to_ascii_lowercase());
                }
                let authorised =
                    headers.iter().any(|h| h.trim() == format!("x-aws-parameters-secrets-token: {SESSION}"));
                let asked =
                    headers.first().is_some_and(|l| l.contains(&super::super::encode(ARN).to_lowercase()));
                let (status, body) = if authorised && asked {
                    *count.lock().unwrap() += 1;
                    ("200 OK", serde_json::json!({"SecretString": *current.lock().unwrap()}).to_string())
                } else {
                    ("400 Bad Request", "{}".to_owned())
                };
                let answer = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Self { port, value, reads }
    }

    fn rotate(&self, value: &str) {
        *self.value.lock().unwrap() = value.to_owned();
    }

    fn reads(&self) -> u32 {
        *self.reads.lock().unwrap()
    }
}

fn dir() -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("hrms-secrets-{}-{nanos}", std::process::id()))
}

fn wanted() -> Vec<(String, Source)> {
    vec![("HRMS_SERVICE_TOKEN".to_owned(), Source::Secret(ARN.to_owned()))]
}

/// A JWT (unsigned: only its claims are read) expiring at `exp`.
fn jwt(exp: SystemTime) -> String {
    let exp = exp.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let claims = URL_SAFE_NO_PAD.encode(serde_json::json!({"sub": "svc", "exp": exp}).to_string());
    format!("eyJhbGciOiJIUzI1NiJ9.{claims}.c2ln")
}

fn file_of(files: &SecretFiles) -> PathBuf {
    let (name, path) = files.files().next().expect("a file");
    assert_eq!(name, "HRMS_SERVICE_TOKEN");
    path.to_owned()
}

#[test]
fn a_secret_is_read_again_once_its_time_has_passed_and_its_file_rewritten() {
    let extension = Extension::start("token-one");
    let hour = Duration::from_secs(3600);
    let files = SecretFiles::load(wanted(), &dir(), extension.port, SESSION, hour).expect("read");
    let path = file_of(&files);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "token-one");

    extension.rotate("token-two");
    let now = SystemTime::now();
    assert!(!files.due(now + hour - Duration::from_secs(1)));
    assert_eq!(files.refresh(now + hour - Duration::from_secs(1)).expect("nothing due"), 0);
    assert_eq!((std::fs::read_to_string(&path).unwrap().as_str(), extension.reads()), ("token-one", 1));

    assert!(files.due(now + hour));
    assert_eq!(files.refresh(now + hour).expect("read again"), 1);
    assert_eq!((std::fs::read_to_string(&path).unwrap().as_str(), extension.reads()), ("token-two", 2));
    assert!(!files.due(now + hour + Duration::from_secs(60)), "read again from then on");
}

#[test]
fn a_token_near_its_expiry_is_read_again_before_the_time_has_passed() {
    let now = SystemTime::now();
    let expiring = jwt(now + MARGIN + Duration::from_secs(60));
    let extension = Extension::start(&expiring);
    let files = SecretFiles::load(wanted(), &dir(), extension.port, SESSION, Duration::from_secs(12 * 3600))
        .expect("read");
    let path = file_of(&files);

    let fresh = jwt(now + Duration::from_secs(12 * 3600));
    extension.rotate(&fresh);
    assert!(!files.due(now + Duration::from_secs(30)), "not yet within the margin");
    let near = now + Duration::from_secs(61);
    assert!(files.due(near));
    assert_eq!(files.refresh(near).expect("read again"), 1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), fresh);
    assert!(!files.due(near + Duration::from_secs(3600)), "the new token is far from its expiry");
}

#[test]
fn a_token_not_yet_rotated_is_asked_for_at_most_every_least_gap() {
    let now = SystemTime::now();
    let extension = Extension::start(&jwt(now + Duration::from_secs(60)));
    let files = SecretFiles::load(wanted(), &dir(), extension.port, SESSION, Duration::from_secs(3600))
        .expect("read");
    let read = SystemTime::now();
    assert!(!files.due(read + LEAST_GAP - Duration::from_millis(500)));
    assert_eq!(files.refresh(read + LEAST_GAP).expect("asked again"), 1);
    assert!(!files.due(read + LEAST_GAP + Duration::from_secs(1)));
    assert_eq!(extension.reads(), 2);
}

#[test]
fn a_secret_that_cannot_be_read_again_keeps_its_file() {
    let extension = Extension::start("token-one");
    let files =
        SecretFiles::load(wanted(), &dir(), extension.port, SESSION, Duration::from_secs(60)).expect("read");
    let path = file_of(&files);
    let broken = SecretFiles { port: free_port(), ..files };
    let later = SystemTime::now() + Duration::from_secs(120);
    let error = broken.refresh(later).expect_err("the extension is gone");
    assert!(matches!(error, SecretError::Unreachable { .. }), "{error}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "token-one");
    assert!(broken.due(later), "still due: tried again at the next invocation");
}

/// A loopback port nothing listens on.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port()
}
