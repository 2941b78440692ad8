//! The configured webhook subscribers, ready to send to. `HRMS_WEBHOOKS`
//! names the subscriptions file ([`hrms_notification::webhooks`]); each
//! subscriber's signing secret comes from the variable its `secret_env`
//! names, never from the file.

use std::collections::HashMap;
use std::time::Duration;

use hrms_notification::Webhooks;

use super::SendError;
use super::webhook::{Webhook, WebhookSecret, WebhookSender};

/// The shortest signing secret taken.
pub const MIN_SECRET_LEN: usize = 32;

/// The media type of a webhook's body: the event as a structured CloudEvent.
pub const CONTENT_TYPE: &str = "application/cloudevents+json";

/// Why the subscribers could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SubscribersError {
    #[error("reading HRMS_WEBHOOKS file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error(transparent)]
    Invalid(#[from] hrms_notification::WebhooksError),
    #[error(
        "webhook {name:?}: {variable} must hold its signing secret, at least {MIN_SECRET_LEN} characters"
    )]
    Secret { name: String, variable: String },
    #[error("webhook {name:?}: its url is plain http; use https, or set allow_http = true for it")]
    PlainHttp { name: String },
    #[error("webhook {name:?}: its url is not an http(s) URL")]
    Url { name: String },
    #[error("webhook client")]
    Client(#[source] SendError),
}

/// Subscriptions and their endpoints.
pub struct Subscribers {
    pub webhooks: Webhooks,
    hooks: HashMap<String, Webhook>,
    sender: WebhookSender,
}

impl Subscribers {
    /// The subscribers of the file at `HRMS_WEBHOOKS`, secrets from the
    /// environment; none when it is unset or empty.
    pub fn from_env() -> Result<Self, SubscribersError> {
        let webhooks = match std::env::var_os("HRMS_WEBHOOKS").filter(|p| !p.is_empty()) {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| SubscribersError::Read {
                    path: path.to_string_lossy().into_owned(),
                    source,
                })?;
                Webhooks::from_toml(&text)?
            }
            None => Webhooks::default(),
        };
        Self::new(webhooks, |variable| std::env::var(variable).ok())
    }

    /// The limit on one webhook call, connecting included.
    pub const TIMEOUT: Duration = Duration::from_secs(10);

    /// The subscribers of `webhooks`, each secret looked up by its variable's name.
    pub fn new(
        webhooks: Webhooks,
        secret: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SubscribersError> {
        let mut hooks = HashMap::new();
        for s in &webhooks.subscriptions {
            // Parsed, so that `HTTP://` is plain http too.
            match url::Url::parse(&s.url).as_ref().map(url::Url::scheme) {
                Ok("https") => {}
                Ok("http") if s.allow_http => {}
                Ok("http") => return Err(SubscribersError::PlainHttp { name: s.name.clone() }),
                _ => return Err(SubscribersError::Url { name: s.name.clone() }),
            }
            let value = secret(&s.secret_env).filter(|v| v.len() >= MIN_SECRET_LEN).ok_or_else(|| {
                SubscribersError::Secret { name: s.name.clone(), variable: s.secret_env.clone() }
            })?;
            hooks.insert(s.name.clone(), Webhook { url: s.url.clone(), secret: WebhookSecret::new(value) });
        }
        let sender = WebhookSender::new(Self::TIMEOUT).map_err(SubscribersError::Client)?;
        Ok(Self { webhooks, hooks, sender })
    }

    /// POSTs `body` to subscriber `name`, signed; a subscriber no longer
    /// configured is a permanent failure.
    pub async fn send(&self, name: &str, delivery_id: &str, body: &str) -> Result<(), SendError> {
        let hook = self.hooks.get(name).ok_or_else(|| SendError::Permanent {
            reason: format!("no webhook subscriber {name:?} is configured"),
            cause: None,
        })?;
        self.sender.send(hook, delivery_id, CONTENT_TYPE, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subscriber_needs_a_long_enough_secret_from_its_variable() {
        let file = "[[webhook]]\nname = \"payroll\"\nurl = \"https://p.example.com\"\nevents = [\"*\"]\nsecret_env = \"PAYROLL\"\n";
        let webhooks = Webhooks::from_toml(file).expect("valid");
        let short = Subscribers::new(webhooks.clone(), |_| Some("too short".into()));
        let named = short.err().expect("refused").to_string();
        assert!(
            named.contains("payroll") && named.contains("PAYROLL") && !named.contains("too short"),
            "{named}"
        );
        assert!(Subscribers::new(webhooks, |_| Some("s".repeat(MIN_SECRET_LEN))).is_ok());
    }

    #[test]
    fn a_plain_http_subscriber_needs_allow_http() {
        let file = |allow: bool| {
            format!(
                "[[webhook]]\nname = \"bridge\"\nurl = \"http://127.0.0.1:9000/hook\"\nevents = [\"*\"]\n\
                 secret_env = \"S\"\nallow_http = {allow}\n"
            )
        };
        let secret = |_: &str| Some("s".repeat(MIN_SECRET_LEN));
        assert!(Webhooks::from_toml(&file(false)).is_err(), "refused when the file is read");
        let mut webhooks = Webhooks::from_toml(&file(true)).expect("allowed");
        assert!(Subscribers::new(webhooks.clone(), secret).is_ok());
        webhooks.subscriptions[0].allow_http = false;
        let refused =
            Subscribers::new(webhooks.clone(), secret).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains("bridge") && refused.contains("allow_http"), "{refused}");
        // Schemes are case-insensitive: an upper-case one is plain http all the same.
        webhooks.subscriptions[0].url = "HTTP://127.0.0.1:9000/hook".into();
        let refused = Subscribers::new(webhooks.clone(), secret).err();
        assert!(matches!(refused, Some(SubscribersError::PlainHttp { .. })), "{refused:?}");
        for other in ["ftp://127.0.0.1/hook", "not a url"] {
            webhooks.subscriptions[0].url = other.into();
            let refused = Subscribers::new(webhooks.clone(), secret).err();
            assert!(matches!(refused, Some(SubscribersError::Url { .. })), "{other}: {refused:?}");
        }
    }
}
