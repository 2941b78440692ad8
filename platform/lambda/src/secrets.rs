//! Secrets by ARN, as AWS users keep them: for every variable
//! `<NAME>_SECRET_ARN` (Secrets Manager) or `<NAME>_PARAMETER_ARN` (SSM
//! Parameter Store, decrypted), the value of `<NAME>` is read at init from
//! the AWS Parameters and Secrets Lambda Extension (a layer, on
//! `localhost:$PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, default 2773), so
//! that no secret is in the function's configuration. Plain HTTP on the
//! loopback, authenticated by the function's session token: std only, read
//! before the process starts any thread. Secrets that change while a
//! sandbox lives are kept in files and read again when due
//! ([`SecretFiles`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

mod refresh;
pub use refresh::{LEAST_GAP, MARGIN, SecretFiles};

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "{variable}: cannot reach the Parameters and Secrets extension on port {port} (is its layer added?)"
    )]
    Unreachable {
        variable: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("{variable}: the extension answered {status}: {body}")]
    Refused { variable: String, status: u16, body: String },
    #[error("{variable}: the extension's answer holds no value")]
    NoValue { variable: String },
    #[error("{variable}: cannot write the secret's file")]
    File {
        variable: String,
        #[source]
        source: std::io::Error,
    },
}

/// Where a variable's value is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Secret(String),
    Parameter(String),
}

/// The variables to resolve in `environment`: (NAME, where its value is).
pub fn wanted(environment: impl IntoIterator<Item = (String, String)>) -> Vec<(String, Source)> {
    let mut wanted: Vec<(String, Source)> = environment
        .into_iter()
        .filter(|(_, arn)| !arn.trim().is_empty())
        .filter_map(|(name, arn)| {
            if let Some(target) = name.strip_suffix("_SECRET_ARN") {
                Some((target.to_owned(), Source::Secret(arn.trim().to_owned())))
            } else {
                name.strip_suffix("_PARAMETER_ARN")
                    .map(|t| (t.to_owned(), Source::Parameter(arn.trim().to_owned())))
            }
        })
        .collect();
    wanted.sort_by(|a, b| a.0.cmp(&b.0));
    wanted
}

/// Reads the value of each of `wanted` from the extension on `port`.
pub fn fetch(
    wanted: &[(String, Source)],
    port: u16,
    token: &str,
) -> Result<Vec<(String, String)>, SecretError> {
    wanted.iter().map(|(name, source)| Ok((name.clone(), fetch_one(name, source, port, token)?))).collect()
}

fn fetch_one(variable: &str, source: &Source, port: u16, token: &str) -> Result<String, SecretError> {
    let path = match source {
        Source::Secret(arn) => format!("/secretsmanager/get?secretId={}", encode(arn)),
        Source::Parameter(arn) => {
            format!("/systemsmanager/parameters/get?name={}&withDecryption=true", encode(arn))
        }
    };
    let unreachable = |source| SecretError::Unreachable { variable: variable.to_owned(), port, source };
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(unreachable)?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(unreachable)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nX-Aws-Parameters-Secrets-Token: {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).map_err(unreachable)?;
    let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(unreachable)? == 0 || line.trim().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        chunked |= lower.starts_with("transfer-encoding:") && lower.contains("chunked");
    }
    let mut body = Vec::new();
    reader.read_to_end(&mut body).map_err(unreachable)?;
    let body = if chunked { dechunk(&body) } else { body };
    let body = String::from_utf8_lossy(&body).into_owned();
    if status != 200 {
        return Err(SecretError::Refused { variable: variable.to_owned(), status, body });
    }
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let value = match source {
        Source::Secret(_) => answer["SecretString"].as_str(),
        Source::Parameter(_) => answer["Parameter"]["Value"].as_str(),
    };
    value.map(str::to_owned).ok_or_else(|| SecretError::NoValue { variable: variable.to_owned() })
}

/// A chunked body's data.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size =
            std::str::from_utf8(&body[..end]).ok().and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let Some(size) = size.filter(|s| *s > 0) else { break };
        let start = end + 2;
        let Some(chunk) = body.get(start..start + size) else { break };
        data.extend_from_slice(chunk);
        body = body.get(start + size + 2..).unwrap_or_default();
    }
    data
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_variables_name_the_variable_they_fill() {
        let env = [
            ("HRMS_JWT_SECRET_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:1:secret:jwt-AbC"),
            ("KAFKA_SASL_PASSWORD_PARAMETER_ARN", "arn:aws:ssm:eu-west-1:1:parameter/kafka"),
            ("HRMS_STORE", "dynamodb"),
            ("EMPTY_SECRET_ARN", " "),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(
            wanted(env),
            vec![
                (
                    "HRMS_JWT_SECRET".to_owned(),
                    Source::Secret("arn:aws:secretsmanager:eu-west-1:1:secret:jwt-AbC".into())
                ),
                (
                    "KAFKA_SASL_PASSWORD".to_owned(),
                    Source::Parameter("arn:aws:ssm:eu-west-1:1:parameter/kafka".into())
                ),
            ]
        );
    }

    #[test]
    fn query_values_are_encoded_and_chunks_joined() {
        assert_eq!(encode("arn:aws:ssm:r:1:parameter/a b"), "arn%3Aaws%3Assm%3Ar%3A1%3Aparameter%2Fa%20b");
        assert_eq!(dechunk(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), b"hello world");
    }
}
