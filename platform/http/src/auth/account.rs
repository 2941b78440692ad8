//! Revocation: a verified token is good only while the account it names
//! still stands as the token says. Every authenticated request's caller is
//! checked against its account's [`Standing`], which an [`AccountLookup`]
//! answers (the function that keeps accounts: in-process, or over HTTP at
//! [`standing_path`]) and an [`AccountCheck`] keeps for a short time.
//!
//! A token is refused when its account is suspended or deleted, its role
//! or employee record is not the account's, its employee record is
//! terminated, or it was issued before the account's access last changed.
//! A subject the lookup does not know (no account: an identity only the
//! token issuer knows, such as a service's) stands on its token alone.
//!
//! Staleness is bounded: an answer is used for [`CheckSettings::ttl`]; when
//! the lookup fails, an answer older than that is still used for at most
//! [`CheckSettings::stale_for`] more, and without one the request is
//! refused with 503 (fail closed). So a change takes effect within
//! `ttl + stale_for` (10 + 15 s by default), and within `ttl` while the
//! lookup answers. Outcomes are counted in `hrms_account_checks_total`.
//!
//! The service identities the lookups act as ([`lookup_identity`], and the
//! subject of a configured service token, [`AccountCheck::exempting`]) are
//! not checked: asking about them would have User and Employee ask each
//! other forever. Concurrent requests of one account share one lookup.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use hrms_events::Role;
use hrms_events::user::UserStatus;
use hrms_platform::error::BoxError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Caller;
use crate::problem::Problem;

/// Where the function keeping accounts answers an account's [`Standing`],
/// relative to its base URL (`GET /users/{id}/standing`; for an unknown
/// subject 404 with the detail [`NO_ACCOUNT`]).
pub fn standing_path(user_id: Uuid) -> String {
    format!("users/{user_id}/standing")
}

/// The detail of the 404 that says there is no such account.
pub const NO_ACCOUNT: &str = "no such account";

/// The user id account lookups act as when they mint their token (a UUIDv5
/// of its name; no account has it).
pub fn lookup_identity() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, b"hrms:account-check")
}

/// What a token is checked against: the account as it stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Standing {
    pub user_id: Uuid,
    pub status: UserStatus,
    pub role: Role,
    pub employee_id: Option<Uuid>,
    /// Whether the linked employee record is terminated (or gone).
    pub employee_terminated: bool,
    /// Unix seconds: tokens issued (`iat`) before then are refused.
    pub tokens_valid_since: i64,
}

/// Answers the standing of an account: `None` when there is no account
/// with that id; an error when it cannot tell.
pub trait AccountLookup: Send + Sync {
    fn standing(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<Standing>, BoxError>>;
}

/// Why a verified token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Revoked {
    #[error("the account is suspended")]
    Suspended,
    #[error("the account is deleted")]
    Deleted,
    #[error("the account's role changed: sign in again")]
    RoleChanged,
    #[error("the account's employee record changed: sign in again")]
    EmployeeChanged,
    #[error("the employee is terminated")]
    Terminated,
    #[error("the token predates a change of the account: sign in again")]
    Predates,
    /// No answer from the lookup, and none recent enough to use.
    #[error("the account cannot be checked now; try again shortly")]
    Unchecked,
}

impl Revoked {
    fn label(self) -> &'static str {
        match self {
            Revoked::Suspended => "suspended",
            Revoked::Deleted => "deleted",
            Revoked::RoleChanged => "role_changed",
            Revoked::EmployeeChanged => "employee_changed",
            Revoked::Terminated => "terminated",
            Revoked::Predates => "predates_change",
            Revoked::Unchecked => "unavailable",
        }
    }
}

impl From<Revoked> for Problem {
    fn from(revoked: Revoked) -> Self {
        match revoked {
            Revoked::Unchecked => Problem::unavailable(revoked.to_string()),
            _ => Problem::unauthorized(revoked.to_string()),
        }
    }
}

/// How long answers are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSettings {
    /// An answer is used this long without asking again.
    pub ttl: Duration,
    /// While the lookup fails, an answer is used this much longer.
    pub stale_for: Duration,
    /// Most accounts kept; past them the oldest answers go.
    pub capacity: usize,
}

impl Default for CheckSettings {
    fn default() -> Self {
        Self { ttl: Duration::from_secs(10), stale_for: Duration::from_secs(15), capacity: 10_000 }
    }
}

/// An answer and when it came.
struct Entry {
    standing: Option<Standing>,
    fetched: Instant,
}

/// A lookup under way, which concurrent requests of its account share.
type Flight = Shared<BoxFuture<'static, Result<Option<Standing>, Arc<BoxError>>>>;

/// Checks callers against their accounts' standing, kept for a short time.
pub struct AccountCheck {
    lookup: Arc<dyn AccountLookup>,
    settings: CheckSettings,
    entries: Mutex<HashMap<Uuid, Entry>>,
    flights: Mutex<HashMap<Uuid, Flight>>,
    /// Service identities, never checked.
    exempt: HashSet<Uuid>,
}

impl AccountCheck {
    pub fn new(lookup: Arc<dyn AccountLookup>, settings: CheckSettings) -> Self {
        Self {
            lookup,
            settings,
            entries: Mutex::default(),
            flights: Mutex::default(),
            exempt: HashSet::from([lookup_identity()]),
        }
    }

    /// Does not check `service` either (the subject of the service token
    /// lookups carry), besides [`lookup_identity`].
    pub fn exempting(mut self, service: impl IntoIterator<Item = Uuid>) -> Self {
        self.exempt.extend(service);
        self
    }

    /// Whether `caller`, from a token issued at `iat` (Unix seconds), is
    /// still who the token says.
    pub async fn check(&self, caller: &Caller, iat: i64) -> Result<(), Revoked> {
        if self.exempt.contains(&caller.user_id) {
            metrics::counter!("hrms_account_checks_total", "outcome" => "service").increment(1);
            return Ok(());
        }
        let outcome = self.standing(caller.user_id).await.and_then(|standing| match standing {
            Some(standing) => judge(caller, iat, &standing),
            None => Ok(()),
        });
        let label = match outcome {
            Ok(()) => "accepted",
            Err(revoked) => revoked.label(),
        };
        metrics::counter!("hrms_account_checks_total", "outcome" => label).increment(1);
        outcome
    }

    /// The account's standing: a fresh kept answer, else the lookup's, else
    /// a kept one still within the stale bound.
    async fn standing(&self, user_id: Uuid) -> Result<Option<Standing>, Revoked> {
        let kept = self.kept(user_id);
        if let Some((standing, age)) = &kept
            && *age < self.settings.ttl
        {
            return Ok(standing.clone());
        }
        match self.lookup_shared(user_id).await {
            Ok(standing) => {
                self.keep(user_id, standing.clone());
                Ok(standing)
            }
            Err(error) => {
                let usable = kept.filter(|(_, age)| *age < self.settings.ttl + self.settings.stale_for);
                let stale = if usable.is_some() { "stale" } else { "none" };
                metrics::counter!("hrms_account_lookup_failures_total", "served" => stale).increment(1);
                tracing::warn!(%user_id, error = %hrms_platform::Chain(&**error), served = stale, "account lookup failed");
                usable.map(|(standing, _)| standing).ok_or(Revoked::Unchecked)
            }
        }
    }

    /// The lookup's answer, asked once for all concurrent callers.
    async fn lookup_shared(&self, user_id: Uuid) -> Result<Option<Standing>, Arc<BoxError>> {
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
            let lookup = self.lookup.clone();
            let flight = flights.entry(user_id).or_insert_with(|| {
                async move { lookup.standing(user_id).await.map_err(Arc::new) }.boxed().shared()
            });
            flight.clone()
        };
        let answer = flight.clone().await;
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        if flights.get(&user_id).is_some_and(|f| f.ptr_eq(&flight)) {
            flights.remove(&user_id);
        }
        answer
    }

    fn kept(&self, user_id: Uuid) -> Option<(Option<Standing>, Duration)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(&user_id).map(|e| (e.standing.clone(), e.fetched.elapsed()))
    }

    fn keep(&self, user_id: Uuid, standing: Option<Standing>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.settings.capacity && !entries.contains_key(&user_id) {
            let usable = self.settings.ttl + self.settings.stale_for;
            entries.retain(|_, e| e.fetched.elapsed() < usable);
            if entries.len() >= self.settings.capacity {
                entries.clear();
            }
        }
        entries.insert(user_id, Entry { standing, fetched: Instant::now() });
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// Whether a token naming `caller`, issued at `iat`, fits `standing`.
fn judge(caller: &Caller, iat: i64, standing: &Standing) -> Result<(), Revoked> {
    match standing.status {
        UserStatus::Suspended => return Err(Revoked::Suspended),
        UserStatus::Deleted => return Err(Revoked::Deleted),
        UserStatus::Active => {}
    }
    if caller.role != standing.role {
        return Err(Revoked::RoleChanged);
    }
    if caller.employee_id.is_some() && caller.employee_id != standing.employee_id {
        return Err(Revoked::EmployeeChanged);
    }
    if standing.employee_terminated {
        return Err(Revoked::Terminated);
    }
    if iat < standing.tokens_valid_since {
        return Err(Revoked::Predates);
    }
    Ok(())
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
