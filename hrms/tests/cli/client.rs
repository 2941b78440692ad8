//! HTTP to a running HRMS, as a user sends it: [`Api`] on a base URL, and
//! the [`Answer`]s it gets.

use std::fmt;
use std::time::Duration;

use hrms_events::HrmsEvent;
use reqwest::Method;
use serde_json::Value;

use crate::wait;

/// The delivery token of the intakes the tests start (`hrms serve` and
/// `spawn_functions`): what a sender let in presents.
pub const DELIVERY_TOKEN: &str = "hrms-cli-tests-delivery-token-of-40-chars";

/// A client of the HRMS at one base URL (`http://127.0.0.1:<port>`).
#[derive(Clone)]
pub struct Api {
    pub base: String,
    client: reqwest::Client,
}

/// An answer: its status, content type and body.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Answer {
    /// The body as JSON; panics with the answer if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {self}"))
    }

    /// Whether the body is an RFC 9457 problem.
    pub fn is_problem(&self) -> bool {
        self.content_type == "application/problem+json"
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}) {}", self.status, self.content_type, self.text)
    }
}

impl Api {
    pub fn new(base: String) -> Self {
        Self { base, client: reqwest::Client::new() }
    }

    /// `GET path`, with `token` if any.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Method::GET, path, token, None).await
    }

    /// `POST path` with `body` (JSON) if any.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        self.send(Method::POST, path, token, body).await
    }

    /// `POST /users` with `account` as `token`, which must answer 201: the
    /// new account's user id and employee id.
    pub async fn create_account(&self, token: &str, account: &Value) -> (String, String) {
        let answer = self.post("/users", Some(token), Some(account)).await;
        assert_eq!(answer.status, 201, "{answer}");
        let created = answer.json();
        let id =
            |name: &str| created[name].as_str().unwrap_or_else(|| panic!("no {name}: {created}")).to_owned();
        (id("user_id"), id("employee_id"))
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    /// `PATCH path` with `body` (JSON).
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.send(Method::PATCH, path, Some(token), Some(body)).await
    }

    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        answer(request).await
    }

    /// POSTs `event` to `path` the way a KafkaSource delivers it (binary
    /// mode), with `id` and `ty` in place of its own, and [`DELIVERY_TOKEN`].
    pub async fn push(&self, path: &str, event: &HrmsEvent, id: &str, ty: &str) -> Answer {
        self.push_as(Some(DELIVERY_TOKEN), path, event, id, ty).await
    }

    /// [`Api::push`] with `token` as the sender's bearer token, if any.
    pub async fn push_as(
        &self,
        token: Option<&str>,
        path: &str,
        event: &HrmsEvent,
        id: &str,
        ty: &str,
    ) -> Answer {
        use hrms_events::cloudevents::AttributesReader;
        let ce = event.to_cloudevent();
        let attributes = [
            ("ce-specversion", "1.0".to_owned()),
            ("ce-id", id.to_owned()),
            ("ce-source", ce.source().to_string()),
            ("ce-type", ty.to_owned()),
            ("ce-subject", ce.subject().unwrap_or_default().to_owned()),
            ("ce-time", ce.time().map(|t| t.to_rfc3339()).unwrap_or_default()),
            ("ce-dataschema", ce.dataschema().map(|s| s.to_string()).unwrap_or_default()),
            ("ce-partitionkey", event.partition_key().to_string()),
            ("ce-actor", event.actor.to_string()),
            ("knativekafkapartition", "2".to_owned()),
        ];
        let mut request = self.client.post(format!("{}{path}", self.base)).json(&event.payload.to_json());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in attributes {
            request = request.header(name, value);
        }
        answer(request).await
    }

    /// Polls `GET path` as `token` until it answers 200 with a body that
    /// `found` accepts (30 s at most); that body.
    pub async fn poll(&self, path: &str, token: &str, what: &str, found: impl Fn(&Value) -> bool) -> Value {
        wait::until(what, Duration::from_secs(30), async || {
            let answer = self.get(path, Some(token)).await;
            match answer.status {
                200 if found(&answer.json()) => Ok(answer.json()),
                _ => Err(answer.to_string()),
            }
        })
        .await
    }

    /// The value of the metric line that starts with `prefix`, 0 if absent.
    pub async fn metric(&self, prefix: &str) -> f64 {
        let text = self.get("/metrics", None).await.text;
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("a body");
    Answer { status, content_type, text }
}
