//! [`WebhookSender`]: a notification as a JSON POST to a subscriber's URL,
//! signed with its secret (headers in [`super::signature`]). The receiver's
//! side is [`super::verify`] and [`super::ReplayGuard`].

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;

use super::SendError;
use super::signature::{DELIVERY_HEADER, SIGNATURE_HEADER, sign};

/// A shared secret; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self(secret.into())
    }

    /// The secret bytes, for signing and verifying only.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Where to POST, and the secret to sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub secret: WebhookSecret,
}

/// Sends signed webhooks over one pooled HTTP client.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
}

impl WebhookSender {
    /// A sender whose requests give up after `timeout` (connecting included)
    /// and follow no redirect (a 3xx is a permanent failure: the signed body
    /// goes only where the subscription says).
    pub fn new(timeout: Duration) -> Result<Self, SendError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| SendError::permanent("cannot build the HTTP client", e))?;
        Ok(Self { client })
    }

    /// POSTs the JSON `body` (of media type `content_type`, e.g.
    /// `application/cloudevents+json`) to the hook with `HRMS-Signature`
    /// (now) and `HRMS-Delivery: delivery_id`; use the same id on every retry.
    /// An id that is not a UUID cannot be signed: a permanent failure.
    pub async fn send(
        &self,
        hook: &Webhook,
        delivery_id: &str,
        content_type: &str,
        body: &str,
    ) -> Result<(), SendError> {
        let bytes = body.as_bytes().to_vec();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let signature = sign(hook.secret.expose(), now, delivery_id, &bytes)
            .map_err(|e| SendError::permanent("cannot sign the webhook", e))?;
        let span = hrms_platform::traces::outgoing("webhook", "POST", &host(&hook.url));
        let mut request = self
            .client
            .post(&hook.url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(SIGNATURE_HEADER, signature)
            .header(DELIVERY_HEADER, delivery_id);
        if let Some(traceparent) = hrms_platform::traces::traceparent_of(&span) {
            request = request.header("traceparent", traceparent);
        }
        let sent = tracing::Instrument::instrument(request.body(bytes).send(), span.clone());
        let response = sent.await.map_err(request_error)?;
        hrms_platform::traces::http_status(&span, response.status().as_u16());
        match classify(response.status()) {
            Ok(()) => Ok(()),
            Err(kind) => Err(kind(format!("{} answered {}", host(&hook.url), response.status()))),
        }
    }
}

/// 2xx is delivered; 408, 429 and 5xx are worth retrying; any other answer is final.
pub fn classify(status: StatusCode) -> Result<(), fn(String) -> SendError> {
    if status.is_success() {
        Ok(())
    } else if status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
    {
        Err(|reason| SendError::Transient { reason, cause: None })
    } else {
        Err(|reason| SendError::Permanent { reason, cause: None })
    }
}

/// Timeouts and connection failures are transient; a URL or request that
/// cannot be built is permanent. The text names the host only, and the
/// cause is kept without the URL (a URL may carry a token).
fn request_error(error: reqwest::Error) -> SendError {
    let host = error.url().map(|u| host(u.as_str())).unwrap_or_default();
    let (builder, timeout, connect) = (error.is_builder(), error.is_timeout(), error.is_connect());
    let error = error.without_url();
    if builder {
        SendError::permanent(format!("invalid webhook request to {host}"), error)
    } else if timeout {
        SendError::transient(format!("{host} did not answer in time"), error)
    } else if connect {
        SendError::transient(format!("cannot connect to {host}"), error)
    } else {
        SendError::transient(format!("request to {host} failed"), error)
    }
}

fn host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0))))
        .unwrap_or_else(|| "the webhook".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELIVERY: &str = "0193a4a0-0000-7000-8000-00000000d001";

    fn kind(status: u16) -> &'static str {
        match classify(StatusCode::from_u16(status).expect("status")) {
            Ok(()) => "ok",
            Err(make) => match make(String::new()) {
                SendError::Transient { .. } => "transient",
                SendError::Permanent { .. } => "permanent",
            },
        }
    }

    #[test]
    fn statuses_are_classified() {
        for (status, expected) in [
            (200, "ok"),
            (202, "ok"),
            (204, "ok"),
            (408, "transient"),
            (429, "transient"),
            (500, "transient"),
            (503, "transient"),
            (400, "permanent"),
            (401, "permanent"),
            (404, "permanent"),
            (410, "permanent"),
            (301, "permanent"),
        ] {
            assert_eq!(kind(status), expected, "{status}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let hook =
            Webhook { url: "https://example.com/hook".into(), secret: WebhookSecret::new("whsec-hunter2") };
        assert!(!format!("{hook:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed_and_is_permanent() -> Result<(), SendError> {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let elsewhere = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let target = format!("http://{}/stolen", elsewhere.local_addr().expect("address"));
        let reached = Arc::new(AtomicUsize::new(0));
        let counter = reached.clone();
        tokio::spawn(async move {
            while let Ok((_socket, _)) = elsewhere.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let redirector = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let hook_url = format!("http://{}/hook", redirector.local_addr().expect("address"));
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = redirector.accept().await {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let answer = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n"
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        let sender = WebhookSender::new(Duration::from_secs(5))?;
        let hook = Webhook { url: hook_url, secret: WebhookSecret::new("s") };
        let result = sender.send(&hook, DELIVERY, "application/json", "{}").await;
        assert!(
            matches!(&result, Err(SendError::Permanent { reason, .. }) if reason.contains("307")),
            "{result:?}"
        );
        assert_eq!(reached.load(Ordering::SeqCst), 0, "the redirect target was never contacted");
        Ok(())
    }

    #[tokio::test]
    async fn a_refused_connection_is_transient_and_a_bad_url_permanent() -> Result<(), SendError> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(1);
        let sender = WebhookSender::new(Duration::from_secs(5))?;
        let secret = WebhookSecret::new("s");
        let down = Webhook { url: format!("http://127.0.0.1:{port}/hook"), secret: secret.clone() };
        let result = sender.send(&down, DELIVERY, "application/json", "{}").await;
        assert!(matches!(result, Err(SendError::Transient { .. })), "{result:?}");
        let result = sender.send(&down, "d.1", "application/json", "{}").await;
        assert!(matches!(result, Err(SendError::Permanent { .. })), "not a UUID: {result:?}");
        let bad = Webhook { url: "not a url".into(), secret };
        let result = sender.send(&bad, DELIVERY, "application/json", "{}").await;
        assert!(matches!(result, Err(SendError::Permanent { .. })), "{result:?}");
        Ok(())
    }
}
