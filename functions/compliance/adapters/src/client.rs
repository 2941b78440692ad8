//! Compliance over HTTP: `POST /compliance/validate` with the subject, the
//! verdict back (allowed or not, both 200). A 4xx (401/403 for the caller's
//! token) is [`CallError::Refused`]; no answer is [`CallError::Unavailable`].
//! Not retried but on connect errors: every validation is recorded.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_compliance::{CallError, ComplianceClient, Subject, Verdict};
use hrms_events::Actor;

use hrms_http::client::service::{Call, ServiceClient};
use hrms_http::client::{Bind, Forward, FunctionClient};

/// Compliance, called over HTTP; shared by all requests.
pub type HttpCompliance = FunctionClient<BoundCompliance>;

/// [`HttpCompliance`] bound to one caller.
pub struct BoundCompliance {
    service: Arc<ServiceClient>,
    forward: Forward,
}

impl Bind for BoundCompliance {
    type Client = dyn ComplianceClient;
    const CALLEE: &'static str = "compliance";

    fn bind(service: Arc<ServiceClient>, forward: Forward) -> Arc<dyn ComplianceClient> {
        Arc::new(Self { service, forward })
    }
}

impl ComplianceClient for BoundCompliance {
    /// The callee takes the actor from the forwarded token, not from `_actor`.
    fn validate<'a>(
        &'a self,
        subject: &'a Subject,
        _actor: &'a Actor,
    ) -> BoxFuture<'a, Result<Verdict, CallError>> {
        Box::pin(async move {
            let call = Call::json(reqwest::Method::POST, "compliance/validate", subject)
                .map_err(|e| CallError::unavailable(Self::CALLEE, "cannot encode", e))?;
            Ok(self.service.send(&self.forward, &call).await?)
        })
    }
}
