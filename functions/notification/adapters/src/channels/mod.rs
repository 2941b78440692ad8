//! Notification delivery channels (feature `consumer`): e-mail and signed
//! webhooks. They only move a finished message; which recipients get which
//! message, templates and preferences belong to the Notification function.
//!
//! ```no_run
//! # use hrms_notification_adapters::channels::{Email, Mailer, SmtpConfig, SmtpMailer, message_id};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SmtpConfig::from_env()?.expect("HRMS_SMTP_URL is set");
//! let mailer = SmtpMailer::new(&config)?;
//! let email = Email {
//!     from: config.from.clone(),
//!     to: "ada@example.com".into(),
//!     subject: "Leave approved".into(),
//!     text: "Your leave was approved.".into(),
//!     html: Some("<p>Your leave was approved.</p>".into()),
//!     message_id: message_id(uuid::Uuid::now_v7(), "email", "ada@example.com"),
//! };
//! mailer.send(&email).await?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`email`]: the [`Email`] data type, the [`Mailer`] trait, [`message_id`].
//! - [`smtp`]: [`SmtpMailer`] (lettre over a pool of its own, STARTTLS or implicit TLS).
//! - [`file`](mod@file): [`FileMailer`], each mail an RFC 5322 `.eml` file (`hrms dev`).
//! - [`webhook`]: [`WebhookSender`], a JSON POST signed with HMAC-SHA256;
//!   redirects are not followed.
//! - [`signature`]: signing, [`verify`] and [`ReplayGuard`] for receivers.
//! - [`subscribers`]: the webhook subscribers of `HRMS_WEBHOOKS`, secrets
//!   from the variables the file names.
//!
//! # Environment
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `HRMS_SMTP_URL` | `smtp://host:port` (plain), `smtp://host:port?tls=required` (STARTTLS), `smtps://host:port` (implicit TLS) | unset: no SMTP |
//! | `HRMS_SMTP_USERNAME`, `HRMS_SMTP_PASSWORD` | SMTP credentials (never logged); only with `smtps://` or `tls=required` | unset: no authentication |
//! | `HRMS_SMTP_FROM` | sender mailbox | `HRMS <hrms@localhost>` |
//! | `HRMS_SMTP_TIMEOUT_MS` | limit on one send, connecting included; at most half the dispatcher's lease (`HRMS_DISPATCH_LEASE_MS`; refused at start-up) | 10000 |
//! | `HRMS_DISPATCH_LEASE_MS` | how long a dispatcher's claim on a delivery holds: the deliveries a crashed dispatcher held are sent again this long after their claim (at least twice the SMTP and webhook timeouts) | 30000 |
//! | `HRMS_SMTP_POOL_SIZE` | pooled SMTP connections | 4 |
//! | `HRMS_WEBHOOKS` | the webhook subscriptions file (TOML) | unset: no webhooks |
//!
//! # Errors
//! Every channel answers [`SendError::Transient`] (worth retrying: SMTP 4xx,
//! connection refused, timeouts, HTTP 408/429/5xx) or
//! [`SendError::Permanent`] (retrying cannot help: SMTP 5xx, invalid
//! addresses, other HTTP 4xx). Error texts never carry secrets.

pub mod email;
pub mod file;
pub mod signature;
pub mod smtp;
pub mod subscribers;
pub mod webhook;

pub use email::{Email, Mailer, message_id};
pub use file::FileMailer;
pub use signature::{ReplayGuard, SignatureError, sign, verify};
pub use smtp::{DEFAULT_FROM, SmtpConfig, SmtpMailer};
pub use subscribers::{Subscribers, SubscribersError};
pub use webhook::{Webhook, WebhookSecret, WebhookSender};

use hrms_platform::error::{BoxError, Cause};

/// Why a message was not delivered, and whether to try again: `reason`
/// for people, `cause` the error beneath, if any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// May succeed later (server down or busy, timeout): retry with backoff.
    #[error("transient delivery failure: {reason}")]
    Transient {
        reason: String,
        #[source]
        cause: Option<Cause>,
    },
    /// Will fail again (rejected recipient, invalid message): dead-letter it.
    #[error("permanent delivery failure: {reason}")]
    Permanent {
        reason: String,
        #[source]
        cause: Option<Cause>,
    },
}

impl SendError {
    /// Transient: `reason`, because of `cause`.
    pub fn transient(reason: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::Transient { reason: reason.into(), cause: Some(Cause::new(cause)) }
    }

    /// Permanent: `reason`, because of `cause`.
    pub fn permanent(reason: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::Permanent { reason: reason.into(), cause: Some(Cause::new(cause)) }
    }

    /// Whether a retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }
}
