//! How other functions call Compliance synchronously (User and Employee
//! validate before they store anything): [`ComplianceClient`], implemented
//! in-process by [`Local`] here and over HTTP by the adapters.

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_events::Actor;
pub use hrms_platform::CallError;

use crate::commands::Context;
use crate::commands::validate::{Validate, handle};
use crate::policy::Policy;
use crate::store::ComplianceStore;
use crate::subject::Subject;

pub use hrms_events::compliance::Verdict;

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
            let validated = handle(command, &Context { policy: &self.policy, store: self.store.as_ref() })
                .await
                .map_err(|e| CallError::unavailable("compliance", "cannot validate", e))?;
            Ok(validated.verdict())
        })
    }
}
