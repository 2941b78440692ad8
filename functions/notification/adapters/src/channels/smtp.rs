//! [`SmtpMailer`]: e-mail over SMTP with lettre (pooled connections,
//! STARTTLS or implicit TLS on rustls), configured by [`SmtpConfig`]
//! (`HRMS_SMTP_*`, see [`super`]). Credentials never reach logs, `Debug`
//! output or error texts, and are never sent unencrypted: with a username
//! and password the URL must be `smtps://` or `smtp://…?tls=required`.

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;

use super::{Email, Mailer, SendError};
use hrms_platform::error::BoxError;
use pool::Security;

mod pool;

/// The sender mailbox when `HRMS_SMTP_FROM` is unset.
pub const DEFAULT_FROM: &str = "HRMS <hrms@localhost>";

/// How to reach the SMTP server. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// `HRMS_SMTP_URL`: `smtp://host:port`, `smtp://host:port?tls=required`
    /// (STARTTLS) or `smtps://host:port` (implicit TLS), without credentials.
    pub url: String,
    /// `HRMS_SMTP_USERNAME`.
    pub username: Option<String>,
    /// `HRMS_SMTP_PASSWORD`.
    pub password: Option<String>,
    /// `HRMS_SMTP_FROM`: the sender mailbox (default `HRMS <hrms@localhost>`).
    pub from: String,
    /// `HRMS_SMTP_TIMEOUT_MS`: limit on one send, waiting for a pooled
    /// connection and connecting included (default 10 s).
    pub timeout: Duration,
    /// `HRMS_SMTP_POOL_SIZE`: most connections open at once (default 4).
    pub pool_size: u32,
}

/// A configuration that cannot work: why, and the parse error, if any
/// (never the URL, which may carry a password).
#[derive(Debug, thiserror::Error)]
#[error("invalid SMTP configuration: {reason}")]
pub struct SmtpConfigError {
    reason: String,
    #[source]
    cause: Option<BoxError>,
}

impl SmtpConfigError {
    fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into(), cause: None }
    }

    fn caused(reason: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self { reason: reason.into(), cause: Some(cause.into()) }
    }
}

impl SmtpConfig {
    /// A configuration for `url` with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            username: None,
            password: None,
            from: DEFAULT_FROM.into(),
            timeout: Duration::from_secs(10),
            pool_size: 4,
        }
    }

    /// Reads `HRMS_SMTP_*`; `None` when `HRMS_SMTP_URL` is unset or empty.
    pub fn from_env() -> Result<Option<Self>, SmtpConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let Some(url) = var("HRMS_SMTP_URL") else { return Ok(None) };
        let mut config = Self::new(url);
        config.username = var("HRMS_SMTP_USERNAME");
        config.password = var("HRMS_SMTP_PASSWORD");
        if let Some(from) = var("HRMS_SMTP_FROM") {
            config.from = from;
        }
        let number = |name: &str| -> Result<Option<u64>, SmtpConfigError> {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse()
                        .map_err(|e| SmtpConfigError::caused(format!("{name} must be a whole number"), e))
                })
                .transpose()
        };
        if let Some(ms) = number("HRMS_SMTP_TIMEOUT_MS")? {
            config.timeout = Duration::from_millis(ms);
        }
        if let Some(size) = number("HRMS_SMTP_POOL_SIZE")? {
            config.pool_size = u32::try_from(size.max(1)).unwrap_or(u32::MAX);
        }
        Ok(Some(config))
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// Sends e-mails through one SMTP server over a connection pool (module
/// `pool`: at most `HRMS_SMTP_POOL_SIZE` connections, `TCP_NODELAY`).
pub struct SmtpMailer {
    pool: pool::Pool,
    server: String,
    timeout: Duration,
}

impl SmtpMailer {
    /// Builds the pool (connections are opened on first use). Call it
    /// inside a Tokio runtime, where the sends run.
    pub fn new(config: &SmtpConfig) -> Result<Self, SmtpConfigError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(SmtpConfigError::new("the SMTP pool needs a Tokio runtime"));
        }
        // Parsed first so that no error text can echo a password in the URL.
        let url = url::Url::parse(&config.url).map_err(|e| SmtpConfigError::caused("HRMS_SMTP_URL", e))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(SmtpConfigError::new(
                "HRMS_SMTP_URL must not carry credentials: use HRMS_SMTP_USERNAME and HRMS_SMTP_PASSWORD",
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| SmtpConfigError::new("HRMS_SMTP_URL names no host"))?;
        // The host without the brackets of an IPv6 literal, to connect to and check certificates for.
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| SmtpConfigError::caused("HRMS_SMTP_URL (TLS)", e))
        };
        // As lettre's `from_url`: the first `tls` pair counts; the ports of SMTP, submission and submissions.
        let mode = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let (security, port) = match (url.scheme(), mode.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => {
                (Security::StartTls { parameters: tls(&host)?, required: true }, 587)
            }
            ("smtp", Some("opportunistic")) => {
                (Security::StartTls { parameters: tls(&host)?, required: false }, 587)
            }
            ("smtps", _) => (Security::Implicit(tls(&host)?), 465),
            _ => {
                return Err(SmtpConfigError::new(
                    "HRMS_SMTP_URL must be smtp://host:port, smtp://host:port?tls=required|opportunistic \
                     or smtps://host:port",
                ));
            }
        };
        let port = url.port().unwrap_or(port);
        let server = format!("{}:{}", url.host_str().unwrap_or_default(), port);
        let credentials = match (&config.username, &config.password) {
            (Some(_), Some(_)) if !encrypted(&url) => {
                return Err(SmtpConfigError::new(
                    "SMTP credentials are sent over TLS only: use smtps://host:port or \
                     smtp://host:port?tls=required with HRMS_SMTP_USERNAME and HRMS_SMTP_PASSWORD",
                ));
            }
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password.clone())),
            (None, None) => None,
            _ => {
                return Err(SmtpConfigError::new(
                    "set both HRMS_SMTP_USERNAME and HRMS_SMTP_PASSWORD, or neither",
                ));
            }
        };
        let pool = pool::Pool::new(host, port, security, credentials, config.pool_size);
        Ok(Self { pool, server, timeout: config.timeout })
    }
}

/// Whether every connection to `url` is encrypted before anything else is
/// said: implicit TLS (`smtps`), or STARTTLS required (`tls=required`; an
/// opportunistic STARTTLS may fall back to plain text). Like lettre's
/// `from_url`, only the first `tls` pair counts.
fn encrypted(url: &url::Url) -> bool {
    url.scheme() == "smtps"
        || url.query_pairs().find(|(k, _)| k == "tls").is_some_and(|(_, v)| v == "required")
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer").field("server", &self.server).field("timeout", &self.timeout).finish()
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>> {
        let span = hrms_platform::traces::outgoing("smtp", "send", &self.server);
        Box::pin(tracing::Instrument::instrument(
            async move {
                let message = email.to_message()?;
                let formatted = message.formatted();
                let sent = self.pool.send(message.envelope(), &formatted);
                match tokio::time::timeout(self.timeout, sent).await {
                    Ok(sent) => sent,
                    Err(_) => Err(SendError::Transient {
                        reason: format!(
                            "not sent to {} within {:?} (waiting for a pooled connection included)",
                            self.server, self.timeout
                        ),
                        cause: None,
                    }),
                }
            },
            span,
        ))
    }
}

/// 5xx replies and client-side refusals are permanent; 4xx replies,
/// connection, TLS and timeout errors are transient.
fn classify(error: lettre::transport::smtp::Error) -> SendError {
    if error.is_permanent() || error.is_client() {
        SendError::permanent("the SMTP server refused the message", error)
    } else {
        SendError::transient("the SMTP exchange failed", error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_select_plain_starttls_or_implicit_tls() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.example.com:587?tls=required",
            "smtps://mail.example.com:465",
        ] {
            assert!(SmtpMailer::new(&SmtpConfig::new(url)).is_ok(), "{url}");
        }
        assert!(SmtpMailer::new(&SmtpConfig::new("http://example.com")).is_err());
    }

    #[tokio::test]
    async fn credentials_stay_out_of_urls_errors_and_debug() {
        let err = SmtpMailer::new(&SmtpConfig::new("smtp://me:hunter2@example.com:25")).err();
        assert!(err.is_some_and(|e| !hrms_platform::Chain(&e).to_string().contains("hunter2")));
        let config = SmtpConfig {
            username: Some("me".into()),
            password: Some("hunter2".into()),
            ..SmtpConfig::new("smtp://example.com:587?tls=required")
        };
        assert!(!format!("{config:?}").contains("hunter2"));
        let mailer = SmtpMailer::new(&config).map(|m| format!("{m:?}")).unwrap_or_default();
        assert!(mailer.contains("example.com") && !mailer.contains("hunter2"), "{mailer}");
        let half = SmtpConfig { password: None, ..config };
        assert!(SmtpMailer::new(&half).is_err());
    }

    #[tokio::test]
    async fn credentials_are_refused_on_a_connection_that_may_be_plain() {
        let with = |url: &str| SmtpConfig {
            username: Some("me".into()),
            password: Some("hunter2".into()),
            ..SmtpConfig::new(url)
        };
        // lettre heeds the first `tls` pair only: a later `required` changes nothing.
        for plain in [
            "smtp://example.com:25",
            "smtp://example.com:587?tls=opportunistic",
            "smtp://example.com:587?tls=opportunistic&tls=required",
        ] {
            let refused = SmtpMailer::new(&with(plain)).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(refused.contains("TLS") && !refused.contains("hunter2"), "{plain}: {refused}");
        }
        for encrypted in ["smtps://example.com:465", "smtp://example.com:587?tls=required"] {
            assert!(SmtpMailer::new(&with(encrypted)).is_ok(), "{encrypted}");
        }
    }

    /// A server that greets every connection with `greeting` and hangs up.
    async fn greeter(greeting: &'static str) -> SmtpMailer {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let _ = socket.write_all(greeting.as_bytes()).await;
            }
        });
        SmtpMailer::new(&SmtpConfig::new(format!("smtp://127.0.0.1:{port}"))).expect("config")
    }

    #[tokio::test]
    async fn a_4xx_reply_is_transient_and_a_5xx_reply_permanent() {
        let sample = crate::channels::email::tests::sample();
        let busy = greeter("421 busy, try later\r\n").await.send(&sample).await;
        assert!(matches!(busy, Err(SendError::Transient { .. })), "{busy:?}");
        let refused = greeter("554 no service here\r\n").await.send(&sample).await;
        assert!(matches!(refused, Err(SendError::Permanent { .. })), "{refused:?}");
    }

    #[tokio::test]
    async fn a_refused_connection_is_transient() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port());
        let config = SmtpConfig {
            timeout: Duration::from_secs(5),
            ..SmtpConfig::new(format!("smtp://127.0.0.1:{}", port.unwrap_or(1)))
        };
        let mailer = SmtpMailer::new(&config).expect("config");
        let result = mailer.send(&crate::channels::email::tests::sample()).await;
        assert!(matches!(result, Err(SendError::Transient { .. })), "{result:?}");
    }
}
