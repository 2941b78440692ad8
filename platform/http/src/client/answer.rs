//! What a callee answered instead of success: [`Failure`], either no usable
//! answer or a 4xx problem body ([`RemoteProblem`]), which each client maps
//! to its trait's error.

use hrms_events::compliance::RuleFinding;
use hrms_events::compliance::Verdict;
use hrms_platform::{CallError, Cause};
use serde::Deserialize;
use uuid::Uuid;

/// Why a call gave no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Failure {
    /// No usable answer: connection refused, timeout, 5xx, an answer that
    /// is not what the route promises, or the callee's circuit is open.
    /// `cause`: the error beneath, if any.
    #[error("{callee} unavailable: {reason}")]
    Unavailable {
        callee: &'static str,
        reason: String,
        #[source]
        cause: Option<Cause>,
    },
    /// The callee answered with a 4xx problem (boxed: failures stay small).
    #[error("{callee} answered {}: {}", problem.status, problem.detail)]
    Problem { callee: &'static str, problem: Box<RemoteProblem> },
}

impl From<Failure> for CallError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Unavailable { callee, reason, cause } => {
                CallError::Unavailable { service: callee, reason, cause }
            }
            Failure::Problem { callee, problem } => {
                let RemoteProblem { status, detail, .. } = *problem;
                CallError::Refused { service: callee, status, detail }
            }
        }
    }
}

/// An RFC 9457 problem as our routes write it (`http::problem`), with the
/// members a compliance refusal adds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RemoteProblem {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// The HTTP status of the answer (whatever the body says).
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub detail: String,
    /// The request field at fault.
    #[serde(default)]
    pub field: Option<String>,
    /// The blocking findings of a compliance refusal.
    #[serde(default)]
    pub violations: Option<Vec<RuleFinding>>,
    #[serde(default)]
    pub check_id: Option<Uuid>,
    #[serde(default)]
    pub policy_version: Option<String>,
}

impl RemoteProblem {
    /// The problem an answer with `status` carries: its JSON body, or the
    /// body's text (at most 200 characters) as the detail.
    pub fn decode(status: u16, body: &[u8]) -> Self {
        let mut problem = serde_json::from_slice::<Self>(body).unwrap_or_else(|_| Self {
            detail: String::from_utf8_lossy(body).chars().take(200).collect(),
            ..Self::default()
        });
        problem.status = status;
        if problem.detail.is_empty() {
            problem.detail = format!("status {status}");
        }
        problem
    }

    /// The refusal's verdict, if this is a compliance refusal.
    pub fn verdict(&self) -> Option<Verdict> {
        let findings = self.violations.clone()?;
        Some(Verdict {
            allowed: false,
            check_id: self.check_id.unwrap_or_default(),
            policy_version: self.policy_version.clone().unwrap_or_default(),
            findings,
        })
    }
}

#[cfg(test)]
mod tests {
    use hrms_events::compliance::Severity;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_refusal_rebuilds_its_verdict() {
        let check_id = Uuid::now_v7();
        let body = json!({
            "type": "about:blank", "title": "Unprocessable Entity", "status": 422,
            "detail": "refused by compliance policy", "check_id": check_id, "policy_version": "2026-1",
            "violations": [{ "rule_id": "weekly_hours_max", "field": "weekly_hours",
                             "message": "too many", "severity": "block" }]
        });
        let problem = RemoteProblem::decode(422, body.to_string().as_bytes());
        let verdict = problem.verdict().expect("a verdict");
        assert_eq!(
            (verdict.allowed, verdict.check_id, verdict.policy_version.as_str()),
            (false, check_id, "2026-1")
        );
        assert_eq!(verdict.findings[0].severity, Severity::Block);
    }

    #[test]
    fn a_body_that_is_no_problem_keeps_its_text_and_the_status() {
        let problem = RemoteProblem::decode(418, b"teapot");
        assert_eq!((problem.status, problem.detail.as_str(), problem.verdict()), (418, "teapot", None));
        assert_eq!(RemoteProblem::decode(400, b"").detail, "status 400");
        let failure =
            Failure::Problem { callee: "employee", problem: Box::new(RemoteProblem::decode(401, b"no")) };
        assert_eq!(
            CallError::from(failure),
            CallError::Refused { service: "employee", status: 401, detail: "no".into() }
        );
    }
}
