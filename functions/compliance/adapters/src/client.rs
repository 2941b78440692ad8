//! Compliance over HTTP: `POST /compliance/validate` with the subject, the
//! verdict back (allowed or not, both 200). A 4xx (401/403 for the caller's
//! token) is [`CallError::Refused`]; no answer is [`CallError::Unavailable`].
//! Not retried but on connect errors: every validation is recorded.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_compliance::{CallError, ComplianceClient, Subject, Verdict};
use hrms_events::Actor;
use url::Url;

use hrms_http::client::Forward;
use hrms_http::client::service::{Call, ServiceClient};
use hrms_http::client::settings::ClientSettings;
use hrms_http::{Bearer, Callee};

/// Compliance, called over HTTP; shared by all requests.
#[derive(Debug, Clone)]
pub struct HttpCompliance {
    service: Arc<ServiceClient>,
}

impl HttpCompliance {
    pub const CALLEE: &str = "compliance";

    pub fn new(base: Url, http: reqwest::Client, settings: &ClientSettings) -> Self {
        Self { service: Arc::new(ServiceClient::new(Self::CALLEE, base, http, settings)) }
    }

    /// The client `HRMS_COMPLIANCE_URL` names, if it is set.
    pub fn from_settings(settings: &ClientSettings, http: &reqwest::Client) -> Option<Self> {
        let base = settings.compliance_url.clone()?;
        Some(Self::new(base, http.clone(), settings))
    }

    /// The callee for a router's state: binds each request's token.
    pub fn callee(&self) -> Callee<dyn ComplianceClient> {
        let this = self.clone();
        Callee::per_token(move |bearer: &Bearer| {
            this.bind(Forward { bearer: bearer.token.clone(), traceparent: bearer.traceparent.clone() })
        })
    }

    /// The client for one request, calling with `bearer`.
    pub fn for_token(&self, bearer: impl Into<String>) -> Arc<dyn ComplianceClient> {
        self.bind(Forward::token(bearer))
    }

    /// The client for one request, with its token and trace.
    pub fn bind(&self, forward: Forward) -> Arc<dyn ComplianceClient> {
        Arc::new(Bound { service: self.service.clone(), forward })
    }

    pub fn service(&self) -> &ServiceClient {
        &self.service
    }
}

/// [`HttpCompliance`] bound to one caller.
struct Bound {
    service: Arc<ServiceClient>,
    forward: Forward,
}

impl ComplianceClient for Bound {
    /// The callee takes the actor from the forwarded token, not from `_actor`.
    fn validate<'a>(
        &'a self,
        subject: &'a Subject,
        _actor: &'a Actor,
    ) -> BoxFuture<'a, Result<Verdict, CallError>> {
        Box::pin(async move {
            let call = Call::json(reqwest::Method::POST, "compliance/validate", subject)
                .map_err(|e| CallError::unavailable(HttpCompliance::CALLEE, "cannot encode", e))?;
            Ok(self.service.send(&self.forward, &call).await?)
        })
    }
}
