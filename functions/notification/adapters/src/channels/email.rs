//! The e-mail a channel sends, and the [`Mailer`] trait the SMTP and file
//! channels implement. Building the RFC 5322 message (multipart text + HTML,
//! Message-ID) is here, shared by both; moving it is theirs.

use futures::future::BoxFuture;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::SendError;

/// One finished e-mail to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Sender mailbox, e.g. `HRMS <hrms@example.com>`.
    pub from: String,
    /// Recipient mailbox.
    pub to: String,
    pub subject: String,
    /// The plain-text body (always sent).
    pub text: String,
    /// An HTML alternative; with it the mail is `multipart/alternative`.
    pub html: Option<String>,
    /// Stable `id-left@id-right` for the Message-ID header (angle brackets
    /// added when missing), so a receiver can spot a duplicate; see
    /// [`message_id`].
    pub message_id: String,
}

/// Sends e-mails; implemented by [`super::SmtpMailer`] and [`super::FileMailer`].
pub trait Mailer: Send + Sync {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>>;
}

/// The Message-ID of the notice of `event_id` on `channel` to `recipient`:
/// the same inputs always give the same id, e.g.
/// `0190….email.3f9a1c0b5d2e7f46@hrms`.
pub fn message_id(event_id: Uuid, channel: &str, recipient: &str) -> String {
    let digest = Sha256::new()
        .chain_update(channel.as_bytes())
        .chain_update([0])
        .chain_update(recipient.trim().to_lowercase().as_bytes())
        .finalize();
    let channel: String = channel.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    format!("{event_id}.{channel}.{}@hrms", hex::encode(&digest[..8]))
}

impl Email {
    /// The RFC 5322 message; an invalid mailbox is a permanent failure.
    pub fn to_message(&self) -> Result<Message, SendError> {
        let mailbox = |what: &str, value: &str| {
            value.parse::<Mailbox>().map_err(|e| SendError::permanent(format!("invalid {what} address"), e))
        };
        let id = self.message_id.trim();
        let id = if id.starts_with('<') { id.to_owned() } else { format!("<{id}>") };
        let builder = Message::builder()
            .from(mailbox("sender", &self.from)?)
            .to(mailbox("recipient", &self.to)?)
            .subject(self.subject.as_str())
            .message_id(Some(id));
        let text = SinglePart::plain(self.text.clone());
        let built = match &self.html {
            Some(html) => builder.multipart(
                MultiPart::alternative().singlepart(text).singlepart(SinglePart::html(html.clone())),
            ),
            None => builder.singlepart(text),
        };
        built.map_err(|e| SendError::permanent("cannot build the message", e))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Email {
        Email {
            from: "HRMS <hrms@localhost>".into(),
            to: "Ada <ada@example.com>".into(),
            subject: "Leave approved".into(),
            text: "Your leave was approved.".into(),
            html: Some("<p>Your leave was <b>approved</b>.</p>".into()),
            message_id: "abc.email.1@hrms".into(),
        }
    }

    #[test]
    fn message_id_is_stable_and_distinct_per_channel_and_recipient() {
        let id = Uuid::now_v7();
        let a = message_id(id, "email", "ada@example.com");
        assert_eq!(a, message_id(id, "email", "Ada@Example.com "));
        assert_ne!(a, message_id(id, "webhook", "ada@example.com"));
        assert_ne!(a, message_id(id, "email", "grace@example.com"));
        assert!(a.starts_with(&id.to_string()) && a.ends_with("@hrms"));
    }

    #[test]
    fn html_makes_a_multipart_alternative_with_the_message_id() -> Result<(), SendError> {
        let raw = String::from_utf8_lossy(&sample().to_message()?.formatted()).into_owned();
        assert!(raw.contains("Message-ID: <abc.email.1@hrms>"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert!(raw.contains("Subject: Leave approved"));
        Ok(())
    }

    #[test]
    fn text_only_is_a_single_part() -> Result<(), SendError> {
        let email = Email { html: None, ..sample() };
        let raw = String::from_utf8_lossy(&email.to_message()?.formatted()).into_owned();
        assert!(!raw.contains("multipart") && raw.contains("text/plain"), "{raw}");
        Ok(())
    }

    #[test]
    fn an_invalid_address_is_permanent() {
        let email = Email { to: "not an address".into(), ..sample() };
        assert!(matches!(email.to_message(), Err(SendError::Permanent { .. })));
    }
}
