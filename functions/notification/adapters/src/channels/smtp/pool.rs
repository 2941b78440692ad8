//! The connections of [`super::SmtpMailer`]: at most `size` open, each
//! carrying one mail at a time; a send waits for a free one rather than
//! opening one more (lettre's own pool opens a connection for every send
//! beyond its size, then closes it with `QUIT`: a connection per mail under
//! load).
//!
//! Plain and STARTTLS connections are opened with `TCP_NODELAY`. lettre
//! writes a mail's body and its closing `.` apart, and with Nagle's
//! algorithm the second write waits for the server's ACK of the first,
//! which the server delays (40 ms on Linux) as it has nothing to answer
//! yet: 40 ms a mail on every connection whatever the server's speed.
//! Implicit TLS (`smtps://`) connections are lettre's, without it.
//! (lettre 0.11.23, the newest release, sets `TCP_NODELAY` nowhere and its
//! pool takes no connector; lettre's pull request 1159, merged after that
//! release, sets it on every connection.)
//!
//! A connection idle for over [`IDLE_CHECK`] is checked with `NOOP` before
//! it is used (lettre's pool does so before every use).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::Semaphore;

use super::classify;
use crate::channels::SendError;

/// A parked connection idle longer than this is checked before its next mail.
pub const IDLE_CHECK: Duration = Duration::from_secs(1);

/// How connections are secured.
pub enum Security {
    Plain,
    /// STARTTLS after the greeting; `required`: or fail, else when offered.
    StartTls {
        parameters: TlsParameters,
        required: bool,
    },
    /// TLS from the first byte (`smtps://`).
    Implicit(TlsParameters),
}

/// Up to `size` connections to one server.
pub struct Pool {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// Parked connections, with when each was parked.
    idle: std::sync::Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    /// One permit per connection that may be open.
    slots: Semaphore,
}

impl Pool {
    pub fn new(
        host: String,
        port: u16,
        security: Security,
        credentials: Option<Credentials>,
        size: u32,
    ) -> Self {
        Self {
            host,
            port,
            security,
            credentials,
            hello: ClientId::default(),
            idle: std::sync::Mutex::new(Vec::new()),
            slots: Semaphore::new(size.max(1) as usize),
        }
    }

    /// Sends `message` to `envelope` on a free connection (opened if none
    /// is parked), and parks the connection again unless it broke.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), SendError> {
        let _slot =
            self.slots.acquire().await.map_err(|e| SendError::transient("the SMTP pool is closed", e))?;
        let mut conn = match self.parked().await {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        let sent = conn.send(envelope, message).await;
        // lettre aborts the connection on any error: such a one is dropped.
        if !conn.has_broken() {
            self.lock().push((conn, Instant::now()));
        }
        sent.map(|_| ()).map_err(classify)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(AsyncSmtpConnection, Instant)>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The most recently parked connection that still answers, if any.
    async fn parked(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.lock().pop()?;
            if since.elapsed() <= IDLE_CHECK || conn.test_connected().await {
                return Some(conn);
            }
            conn.abort().await;
        }
    }

    /// A new connection: greeted, EHLO said, secured and logged in as configured.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let mut conn = match &self.security {
            Security::Implicit(parameters) => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                None,
                &self.hello,
                Some(parameters.clone()),
                None::<IpAddr>,
            )
            .await
            .map_err(classify)?,
            Security::Plain | Security::StartTls { .. } => {
                let unreachable = |e| SendError::transient("cannot connect to the SMTP server", e);
                let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(unreachable)?;
                tcp.set_nodelay(true).map_err(unreachable)?;
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                    .await
                    .map_err(classify)?
            }
        };
        if let Security::StartTls { parameters, required } = &self.security
            && (*required || conn.can_starttls())
        {
            conn.starttls(parameters.clone(), &self.hello).await.map_err(classify)?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await.map_err(classify)?;
        }
        Ok(conn)
    }
}

#[cfg(test)]
mod tests;
