//! Tokens verified a moment ago: a client sends the same token with every
//! request of a session, and a token's signature and claims cannot change,
//! so its verdict is kept (keyed by the whole token, never a hash of it)
//! for at most [`KEPT_FOR`], while the token is unexpired and the keys that
//! verified it are the ones in use (a JWKS fetched again, e.g. without a
//! withdrawn key, drops every verdict). Only accepted tokens are kept.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Caller;

/// How long a verdict is kept at most.
pub(super) const KEPT_FOR: Duration = Duration::from_secs(60);

/// Most tokens kept; past them the stale ones go, or all of them.
const CAPACITY: usize = 10_000;

/// A verdict: who the token names, its `iat` and `exp`, when it was
/// verified, and with which key set.
struct Entry {
    caller: Caller,
    iat: i64,
    exp: i64,
    verified: Instant,
    keys: u64,
}

#[derive(Default)]
pub(super) struct Verified {
    entries: Mutex<HashMap<Box<str>, Entry>>,
}

impl Verified {
    /// The caller `token` names and its `iat`, if it was verified with the key set `keys`
    /// less than [`KEPT_FOR`] ago and is still unexpired at `now` (Unix
    /// seconds) give or take `leeway`.
    pub(super) fn get(&self, token: &str, keys: u64, now: i64, leeway: i64) -> Option<(Caller, i64)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(token)?;
        let fresh = entry.keys == keys
            && entry.verified.elapsed() < KEPT_FOR
            && entry.exp >= now.saturating_sub(leeway);
        fresh.then_some((entry.caller, entry.iat))
    }

    /// Keeps the verdict on a token that the key set `keys` just verified.
    pub(super) fn put(&self, token: &str, keys: u64, caller: Caller, iat: i64, exp: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY {
            entries.retain(|_, e| e.verified.elapsed() < KEPT_FOR);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(token.into(), Entry { caller, iat, exp, verified: Instant::now(), keys });
    }

    #[cfg(test)]
    pub(super) fn age(&self, token: &str, by: Duration) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = entries.get_mut(token) {
            e.verified = e.verified.checked_sub(by).unwrap_or(e.verified);
        }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use hrms_events::Role;
    use uuid::Uuid;

    use super::*;

    fn caller() -> Caller {
        Caller { user_id: Uuid::now_v7(), role: Role::Hr, employee_id: None }
    }

    #[test]
    fn a_verdict_lasts_until_the_token_expires_or_it_is_a_minute_old() {
        let verified = Verified::default();
        let ada = caller();
        verified.put("token-a", 1, ada, 900, 1_000);
        assert_eq!(verified.get("token-a", 1, 990, 30), Some((ada, 900)));
        assert_eq!(verified.get("token-a", 1, 1_030, 30), Some((ada, 900)), "within the leeway");
        assert_eq!(verified.get("token-a", 1, 1_031, 30), None, "expired");
        assert_eq!(verified.get("token-b", 1, 990, 30), None, "another token");
        assert_eq!(verified.get("token-a", 2, 990, 30), None, "other keys");
        verified.age("token-a", KEPT_FOR);
        assert_eq!(verified.get("token-a", 1, 990, 30), None, "verified too long ago");
    }

    #[test]
    fn it_keeps_a_bounded_number_of_verdicts() {
        let verified = Verified::default();
        for i in 0..CAPACITY + 10 {
            verified.put(&format!("token-{i}"), 0, caller(), 0, i64::MAX);
        }
        assert!(verified.len() <= CAPACITY);
        assert!(verified.get(&format!("token-{}", CAPACITY + 9), 0, 0, 30).is_some(), "the latest is kept");
    }
}
