//! Publishing through Knative's KafkaSink: each event as a binary-mode
//! CloudEvent (`ce-*` headers, the JSON payload as body) POSTed to the
//! KafkaSink of its topic, which stores it as a record keyed by the
//! `partitionkey` extension. 202 means stored; anything else leaves the event
//! in the outbox: 400 and 413 (the sink will never take it) set it aside,
//! every other answer or a failed request is retried by the relay. After a
//! key's event failed so, its later events in the batch are not sent (they
//! are reported failed too): none goes out before it.
//!
//! Chosen with `HRMS_EVENT_SINK=kafkasink`; the sinks' addresses come from
//! `HRMS_KAFKASINK_<TOPIC>_URL`, the topic's name upper-cased with `-` and
//! `.` as `_` (e.g. `HRMS_KAFKASINK_NOTIFICATION_QUEUE_URL`). With Knative
//! Eventing's OIDC on, a KafkaSink admits only callers presenting a token
//! for its audience (each KafkaSink has its own):
//! `HRMS_KAFKASINK_<TOPIC>_TOKEN_FILE` names a projected service-account
//! token with the audience of that topic's sink, `HRMS_KAFKASINK_TOKEN_FILE`
//! one for the topics without their own; it is sent as `Authorization:
//! Bearer`, read again whenever the file changes (it rotates).
//!
//! Dead letters go to the KafkaSink of `<topic>.dlq`, the reason in the
//! extensions `dlqreason`, `dlqattempts`, `dlqgroup`, `dlqoriginaltopic` and
//! `dlqfailedat` (record headers `ce_dlqreason`, ...), which `hrms dlq` reads
//! and a redrive drops, like the `dlq_*` headers of the Kafka transport.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_events::cloudevents::event::SpecVersion;
use hrms_events::cloudevents::message::{self, BinaryDeserializer, BinarySerializer, MessageAttributeValue};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use hrms_platform::publish::{DeadLetter, DeadLetterSink, EventPublisher, PublishError};

/// Why the KafkaSink publisher cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum KafkaSinkError {
    #[error("{variable} must be set to the address of the KafkaSink of {topic}")]
    Missing { variable: String, topic: String },
    #[error("{variable}: not a URL")]
    Invalid {
        variable: String,
        #[source]
        source: url::ParseError,
    },
    #[error("cannot build the KafkaSink client")]
    Client(#[source] reqwest::Error),
    #[error("{variable}: cannot read a token from {}", file.display())]
    Token {
        variable: String,
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The variable holding the address of `topic`'s KafkaSink.
pub fn url_variable(topic: &str) -> String {
    format!("HRMS_KAFKASINK_{}_URL", topic.to_ascii_uppercase().replace(['-', '.'], "_"))
}

/// The variable naming the token file for `topic`'s KafkaSink.
pub fn token_variable(topic: &str) -> String {
    format!("HRMS_KAFKASINK_{}_TOKEN_FILE", topic.to_ascii_uppercase().replace(['-', '.'], "_"))
}

/// POSTs events to the KafkaSink of their topic.
#[derive(Clone)]
pub struct KafkaSinkPublisher {
    client: reqwest::Client,
    sinks: HashMap<String, reqwest::Url>,
    /// Presented as `Authorization: Bearer` (OIDC) to the sink of a topic...
    tokens: HashMap<String, Arc<TokenFile>>,
    /// ... or, for the topics not in `tokens`, this one if set.
    token: Option<Arc<TokenFile>>,
}

impl KafkaSinkPublisher {
    /// One sink per topic in `sinks` (topic, address), requests limited to `timeout`.
    pub fn new(sinks: &[(&str, &str)], timeout: Duration) -> Result<Self, KafkaSinkError> {
        let mut urls = HashMap::new();
        for (topic, url) in sinks {
            let url = reqwest::Url::parse(url)
                .map_err(|source| KafkaSinkError::Invalid { variable: url_variable(topic), source })?;
            urls.insert((*topic).to_owned(), url);
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(KafkaSinkError::Client)?;
        Ok(Self { client, sinks: urls, tokens: HashMap::new(), token: None })
    }

    /// Also presents the token in `file` (read again whenever it changes)
    /// as `Authorization: Bearer` to the sinks of topics without their own
    /// token file; it must be readable now.
    pub fn with_token_file(mut self, file: &Path) -> Result<Self, KafkaSinkError> {
        let variable = "HRMS_KAFKASINK_TOKEN_FILE".to_owned();
        self.token = Some(Arc::new(TokenFile::open(file).map_err(|source| KafkaSinkError::Token {
            variable,
            file: file.to_owned(),
            source,
        })?));
        Ok(self)
    }

    /// [`KafkaSinkPublisher::with_token_file`] for the sink of `topic` only.
    pub fn with_topic_token_file(mut self, topic: &str, file: &Path) -> Result<Self, KafkaSinkError> {
        let token = TokenFile::open(file).map_err(|source| KafkaSinkError::Token {
            variable: token_variable(topic),
            file: file.to_owned(),
            source,
        })?;
        self.tokens.insert(topic.to_owned(), Arc::new(token));
        Ok(self)
    }

    /// The sinks of `topics` from `HRMS_KAFKASINK_<TOPIC>_URL`, each
    /// required; the token files of `HRMS_KAFKASINK_<TOPIC>_TOKEN_FILE` and
    /// `HRMS_KAFKASINK_TOKEN_FILE`, where set.
    pub fn from_env(topics: &[&str]) -> Result<Self, KafkaSinkError> {
        let mut sinks = Vec::new();
        for topic in topics {
            let variable = url_variable(topic);
            let url = std::env::var(&variable)
                .ok()
                .filter(|u| !u.trim().is_empty())
                .ok_or_else(|| KafkaSinkError::Missing { variable, topic: (*topic).to_owned() })?;
            sinks.push((*topic, url));
        }
        let pairs: Vec<(&str, &str)> = sinks.iter().map(|(t, u)| (*t, u.as_str())).collect();
        let mut publisher = Self::new(&pairs, Duration::from_secs(10))?;
        let file = |variable: &str| {
            std::env::var(variable).ok().map(|f| f.trim().to_owned()).filter(|f| !f.is_empty())
        };
        for topic in topics {
            if let Some(path) = file(&token_variable(topic)) {
                publisher = publisher.with_topic_token_file(topic, Path::new(&path))?;
            }
        }
        match file("HRMS_KAFKASINK_TOKEN_FILE") {
            Some(path) => publisher.with_token_file(Path::new(&path)),
            None => Ok(publisher),
        }
    }

    /// POSTs `event` to the sink of `topic`.
    pub async fn send(&self, event: &HrmsEvent, topic: &str) -> Result<(), PublishError> {
        let (headers, body) = encode(event)?;
        self.post(topic, headers, body, event).await
    }

    async fn post(
        &self,
        topic: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        event: &HrmsEvent,
    ) -> Result<(), PublishError> {
        let url = self.sinks.get(topic).ok_or_else(|| PublishError::Fatal {
            reason: format!("no KafkaSink is configured for {topic}"),
            cause: None,
        })?;
        let host = url.host_str().unwrap_or("the KafkaSink").to_owned();
        let mut request = self.client.post(url.clone()).headers(headers).body(body);
        if let Some(file) = self.tokens.get(topic).or(self.token.as_ref()) {
            let token = file.token().map_err(|e| {
                let reason = format!("cannot read the token for {host} from {}", file.path().display());
                PublishError::retryable(reason, e)
            })?;
            request = request.bearer_auth(token);
        }
        let answer = request.send().await;
        match answer {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) if matches!(response.status().as_u16(), 400 | 413) => Err(PublishError::Fatal {
                reason: format!("{host} refused {}: {}", event.id, response.status()),
                cause: None,
            }),
            Ok(response) => Err(PublishError::Retryable {
                reason: format!("{host} answered {}", response.status()),
                cause: None,
            }),
            // The URL left out of the cause: the sink's address is in the reason.
            Err(e) if e.is_timeout() => {
                Err(PublishError::retryable(format!("{host} did not answer in time"), e.without_url()))
            }
            Err(e) => Err(PublishError::retryable(format!("cannot reach {host}"), e.without_url())),
        }
    }
}

impl EventPublisher for KafkaSinkPublisher {
    fn publish<'a>(&'a self, events: &'a [HrmsEvent]) -> BoxFuture<'a, Vec<Result<(), PublishError>>> {
        Box::pin(async move {
            // One request per event, in order: a key's events reach the sink
            // in the order they were written. Once one of a key's events
            // failed (retryably), its later ones are held back, not sent
            // before it: they fail with it and go again after it.
            let mut results = Vec::with_capacity(events.len());
            let mut failed: HashMap<String, uuid::Uuid> = HashMap::new();
            for event in events {
                let key = event.partition_key();
                if let Some(first) = failed.get(&key) {
                    results.push(Err(PublishError::Retryable {
                        reason: format!("held back behind {first}, an earlier event of its key that failed"),
                        cause: None,
                    }));
                    continue;
                }
                let (topic, started) = (event.topic(), Instant::now());
                let result = self.send(event, topic).await;
                hrms_platform::publish::count(topic, started, &result);
                if matches!(result, Err(PublishError::Retryable { .. })) {
                    failed.insert(key, event.id);
                }
                results.push(result);
            }
            results
        })
    }
}

impl DeadLetterSink for KafkaSinkPublisher {
    fn dead_letter<'a>(&'a self, letter: &'a DeadLetter) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(async move {
            let event = &letter.event;
            let (mut headers, body) = encode(event)?;
            let (attempts, now) = (letter.attempts.to_string(), chrono::Utc::now().to_rfc3339());
            for (name, value) in [
                ("ce-dlqreason", letter.reason.as_str()),
                ("ce-dlqattempts", &attempts),
                ("ce-dlqgroup", &letter.group),
                ("ce-dlqoriginaltopic", event.topic()),
                ("ce-dlqfailedat", &now),
            ] {
                if let Ok(value) = HeaderValue::from_str(&percent_encode(value)) {
                    headers.insert(HeaderName::from_static(name), value);
                }
            }
            let topic = hrms_events::topics::dlq_name(event.topic());
            self.post(&topic, headers, body, event).await?;
            metrics::counter!("hrms_dead_letters_total", "topic" => topic).increment(1);
            Ok(())
        })
    }
}

/// `event` in the HTTP binding's binary mode: `ce-*` headers (values
/// percent-encoded where the binding asks), `Content-Type`, the data.
pub fn encode(event: &HrmsEvent) -> Result<(HeaderMap, Vec<u8>), PublishError> {
    let writer = Writer { headers: HeaderMap::new(), body: Vec::new() };
    let written = BinaryDeserializer::deserialize_binary(event, writer)
        .map_err(|e| PublishError::fatal(format!("cannot encode {}", event.id), e))?;
    Ok((written.headers, written.body))
}

struct Writer {
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Writer {
    fn insert(mut self, name: &str, value: &str) -> message::Result<Self> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| message::Error::Other { source: e.into() })?;
        let value = HeaderValue::from_str(&percent_encode(value))
            .map_err(|e| message::Error::Other { source: e.into() })?;
        self.headers.insert(name, value);
        Ok(self)
    }
}

impl BinarySerializer<Writer> for Writer {
    fn set_spec_version(self, spec_version: SpecVersion) -> message::Result<Self> {
        self.insert("ce-specversion", spec_version.as_str())
    }

    fn set_attribute(self, name: &str, value: MessageAttributeValue) -> message::Result<Self> {
        let value = match value {
            MessageAttributeValue::String(s) => s,
            other => other.to_string(),
        };
        match name {
            "datacontenttype" => self.insert(CONTENT_TYPE.as_str(), &value),
            _ => self.insert(&format!("ce-{name}"), &value),
        }
    }

    fn set_extension(self, name: &str, value: MessageAttributeValue) -> message::Result<Self> {
        self.set_attribute(name, value)
    }

    fn end_with_data(mut self, bytes: Vec<u8>) -> message::Result<Writer> {
        self.body = bytes;
        Ok(self)
    }

    fn end(self) -> message::Result<Writer> {
        Ok(self)
    }
}

/// The binding's percent-encoding of a header value: space, `"`, `%` and
/// anything outside printable ASCII.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if (0x21..=0x7e).contains(&b) && b != b'"' && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

use crate::token_file::TokenFile;

#[cfg(test)]
mod tests;
