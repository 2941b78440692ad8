//! How other functions call Compliance synchronously (User and Employee
//! validate before they store anything): [`ComplianceClient`], implemented
//! in-process by [`Local`] here and over HTTP by the adapters.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_events::Actor;
use hrms_events::compliance::{RuleFinding, Severity};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::commands::validate::{Validate, handle};
use crate::policy::Policy;
use crate::store::ComplianceStore;
use crate::subject::Subject;

/// Compliance's answer to a validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    pub allowed: bool,
    pub check_id: Uuid,
    pub policy_version: String,
    /// Every finding; those with severity `block` are why it was refused.
    pub findings: Vec<RuleFinding>,
}

impl Verdict {
    /// The findings that refused the subject.
    pub fn violations(&self) -> impl Iterator<Item = &RuleFinding> {
        self.findings.iter().filter(|f| f.severity == Severity::Block)
    }
}

/// Why a call to another function gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The callee is down, timed out, or its circuit is open: the caller
    /// answers 503 and stores nothing.
    #[error("{service} unavailable: {reason}")]
    Unavailable { service: &'static str, reason: String },
    /// The callee refused the request itself (e.g. 401/403 for the caller's
    /// token, or 404): the caller passes the status on.
    #[error("{service} answered {status}: {detail}")]
    Refused { service: &'static str, status: u16, detail: String },
}

/// Synchronous validation, as User and Employee see it.
pub trait ComplianceClient: Send + Sync {
    /// Validates `subject` on behalf of `actor`; the check is recorded (and
    /// its events emitted) by Compliance whatever the outcome.
    fn validate<'a>(
        &'a self,
        subject: &'a Subject,
        actor: &'a Actor,
    ) -> BoxFuture<'a, Result<Verdict, CallError>>;
}

/// Compliance in the same process (`hrms dev`): the function itself.
#[derive(Clone)]
pub struct Local {
    pub policy: Arc<Policy>,
    pub store: Arc<dyn ComplianceStore>,
}

impl ComplianceClient for Local {
    fn validate<'a>(
        &'a self,
        subject: &'a Subject,
        actor: &'a Actor,
    ) -> BoxFuture<'a, Result<Verdict, CallError>> {
        Box::pin(async move {
            let command = Validate { subject: subject.clone(), actor: actor.clone() };
            let validated = handle(command, &self.policy, self.store.as_ref())
                .await
                .map_err(|e| CallError::Unavailable { service: "compliance", reason: e.to_string() })?;
            Ok(validated.verdict())
        })
    }
}
