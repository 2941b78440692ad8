//! Webhook subscriptions: which systems (payroll, an identity provider, a
//! chat bridge) receive which notification events as signed JSON POSTs.
//!
//! ```toml
//! [[webhook]]
//! name = "payroll"                            # names its deliveries; unique
//! url = "https://payroll.example.com/hrms"    # https (http only with allow_http)
//! events = ["employee.*", "leave.approved"]   # types, `<service>.*`, or `*`
//! secret_env = "HRMS_WEBHOOK_PAYROLL_SECRET"  # the variable holding its signing secret
//! allow_http = false                          # true lets `url` be plain http:// (a local receiver)
//! ```
//!
//! The secret itself never sits in the file: the adapter reads the variable
//! `secret_env` names. Preferences do not apply to webhooks; the body is the
//! event as a structured CloudEvent (`application/cloudevents+json`).

use hrms_events::EventType;
use serde::Deserialize;

/// One subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret_env: String,
    /// Whether `url` may be plain `http://`: off unless set, since the body
    /// (names, e-mail addresses) and the signature would cross in clear.
    #[serde(default)]
    pub allow_http: bool,
}

impl Subscription {
    /// Whether events of type `ty` go to this subscriber.
    pub fn wants(&self, ty: EventType) -> bool {
        let ty = ty.as_str();
        self.events.iter().any(|pattern| match pattern.strip_suffix(".*") {
            Some(service) => ty.strip_prefix(service).is_some_and(|rest| rest.starts_with('.')),
            None => pattern == "*" || pattern == ty,
        })
    }
}

/// The subscriptions of the file at `HRMS_WEBHOOKS` (none without it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhooks {
    #[serde(default, rename = "webhook")]
    pub subscriptions: Vec<Subscription>,
}

/// Why a subscriptions file was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhooksError {
    #[error("webhooks: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("webhook {name:?}: {problem}")]
    Invalid { name: String, problem: String },
}

impl Webhooks {
    /// Parses and checks a subscriptions file.
    pub fn from_toml(text: &str) -> Result<Self, WebhooksError> {
        let webhooks: Webhooks = toml::from_str(text)?;
        let mut names = std::collections::BTreeSet::new();
        for s in &webhooks.subscriptions {
            let invalid = |problem: String| WebhooksError::Invalid { name: s.name.clone(), problem };
            if s.name.trim().is_empty() || !names.insert(s.name.as_str()) {
                return Err(invalid("the name must be set and unique".into()));
            }
            let http = s.url.starts_with("http://");
            if !(s.url.starts_with("https://") || http) {
                return Err(invalid(format!("url {:?} is not http(s)", s.url)));
            }
            if http && !s.allow_http {
                return Err(invalid(format!(
                    "url {:?} is plain http: use https, or set allow_http = true",
                    s.url
                )));
            }
            if s.secret_env.trim().is_empty() {
                return Err(invalid("secret_env must name the variable holding the secret".into()));
            }
            if s.events.is_empty() {
                return Err(invalid("events is empty".into()));
            }
            for pattern in &s.events {
                let known = pattern == "*"
                    || EventType::ALL.iter().any(|t| {
                        t.as_str() == pattern
                            || pattern
                                .strip_suffix(".*")
                                .is_some_and(|p| t.as_str().starts_with(&format!("{p}.")))
                    });
                if !known || pattern.starts_with("audit.") {
                    return Err(invalid(format!("{pattern:?} matches no notification event type")));
                }
            }
        }
        Ok(webhooks)
    }

    /// The subscribers of events of type `ty`.
    pub fn wanting(&self, ty: EventType) -> impl Iterator<Item = &Subscription> {
        self.subscriptions.iter().filter(move |s| s.wants(ty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
        [[webhook]]
        name = "payroll"
        url = "https://payroll.example.com/hrms"
        events = ["employee.*", "leave.approved"]
        secret_env = "HRMS_WEBHOOK_PAYROLL_SECRET"

        [[webhook]]
        name = "everything"
        url = "http://127.0.0.1:9000/"
        events = ["*"]
        secret_env = "HRMS_WEBHOOK_ALL_SECRET"
        allow_http = true
    "#;

    #[test]
    fn subscribers_get_the_types_they_name() {
        let hooks = Webhooks::from_toml(FILE).expect("valid");
        let names = |ty| hooks.wanting(ty).map(|s| s.name.as_str()).collect::<Vec<_>>();
        assert_eq!(names(EventType::EmployeeTerminated), ["payroll", "everything"]);
        assert_eq!(names(EventType::LeaveApproved), ["payroll", "everything"]);
        assert_eq!(names(EventType::LeaveRequested), ["everything"]);
    }

    #[test]
    fn a_file_with_a_mistake_is_refused_naming_it() {
        let refused = |text: &str| Webhooks::from_toml(text).expect_err("refused").to_string();
        let hook = |events: &str, url: &str| {
            format!("[[webhook]]\nname = \"a\"\nurl = \"{url}\"\nevents = {events}\nsecret_env = \"S\"\n")
        };
        assert!(refused(&hook(r#"["employee.fired"]"#, "https://x")).contains("employee.fired"));
        assert!(refused(&hook(r#"["audit.*"]"#, "https://x")).contains("audit.*"));
        assert!(refused(&hook(r#"["*"]"#, "ftp://x")).contains("ftp://x"));
        assert!(refused(&hook(r#"["*"]"#, "http://x")).contains("allow_http"));
        assert!(refused(&format!("{0}{0}", hook(r#"["*"]"#, "https://x"))).contains("unique"));
        assert!(refused("[[webhook]]\nname = \"a\"\nsecret = \"x\"\n").contains("secret"));
    }
}
