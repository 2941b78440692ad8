//! Webhook signatures, both sides: [`sign`] for the sender, [`verify`] and
//! [`ReplayGuard`] for a receiver.
//!
//! The header is `HRMS-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256(secret,
//! "<t>.<delivery id>.<body>")>`, the delivery id being the `HRMS-Delivery`
//! header's value, so that neither the time, the id nor the body can be
//! changed without the secret. The id must be a UUID: having no `.`, it
//! cannot shift the boundary between itself and the body; any other id is
//! refused on both sides. A receiver accepts a `t` within its tolerance
//! of its own clock (older is a replay, newer a forgery or a skewed clock)
//! and, with a [`ReplayGuard`], each delivery id once inside that window.
//! (`v1`, which did not cover the id, is no longer sent nor accepted.)

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the timestamp and the signature.
pub const SIGNATURE_HEADER: &str = "HRMS-Signature";
/// The header carrying the delivery id (the same on every retry).
pub const DELIVERY_HEADER: &str = "HRMS-Delivery";

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("malformed signature header: {0}")]
    Malformed(&'static str),
    #[error("the delivery id is not a UUID")]
    DeliveryId,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the timestamp is outside the tolerance (a replay or a skewed clock)")]
    Expired,
    #[error("this delivery was already received")]
    Replayed,
}

/// The `HRMS-Signature` header value for delivery `delivery_id` (a UUID)
/// of `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: u64, delivery_id: &str, body: &[u8]) -> Result<String, SignatureError> {
    let mac = mac(secret, timestamp, uuid_id(delivery_id)?, body).finalize().into_bytes();
    Ok(format!("t={timestamp},v2={}", hex::encode(mac)))
}

/// `delivery_id` if it is a UUID (which has no `.`, so the signed string
/// reads one way only).
fn uuid_id(delivery_id: &str) -> Result<&str, SignatureError> {
    uuid::Uuid::try_parse(delivery_id).map(|_| delivery_id).map_err(|_| SignatureError::DeliveryId)
}

/// The MAC of `"<timestamp>.<delivery_id>.<body>"`.
fn mac(secret: &[u8], timestamp: u64, delivery_id: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(delivery_id.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks `signature_header` against the `HRMS-Delivery` id `delivery_id`
/// (refused unless a UUID) and `body`: the timestamp must lie within `tolerance` of `now`, and one
/// `v2` signature must match (compared in constant time; several `v2`
/// entries allow rotating the secret).
pub fn verify(
    secret: &[u8],
    signature_header: &str,
    delivery_id: &str,
    body: &[u8],
    now: SystemTime,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let delivery_id = uuid_id(delivery_id)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in signature_header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<u64>().map_err(|_| SignatureError::Malformed("bad t"))?)
            }
            Some(("v2", hexed)) => {
                signatures.push(hex::decode(hexed).map_err(|_| SignatureError::Malformed("bad v2"))?)
            }
            Some(_) => {} // other schemes, for later versions
            None => return Err(SignatureError::Malformed("expected key=value pairs")),
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no t"))?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed("no v2"));
    }
    let sent = UNIX_EPOCH + Duration::from_secs(timestamp);
    let skew = now.duration_since(sent).or_else(|e| Ok::<_, SignatureError>(e.duration()))?;
    if skew > tolerance {
        return Err(SignatureError::Expired);
    }
    let expected = mac(secret, timestamp, delivery_id, body);
    if signatures.iter().any(|s| expected.clone().verify_slice(s).is_ok()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Remembers the delivery ids a receiver accepted, long enough that an
/// exact replay inside [`verify`]'s window is refused; memory is bounded by
/// the deliveries of that window.
#[derive(Debug)]
pub struct ReplayGuard {
    /// Twice the tolerance: a request signed at `t` verifies until `t + tolerance`
    /// and may first arrive as early as `t - tolerance`.
    keep: Duration,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    ids: HashSet<String>,
    order: VecDeque<(SystemTime, String)>,
}

impl ReplayGuard {
    /// A guard for a receiver that verifies with this `tolerance`.
    pub fn new(tolerance: Duration) -> Self {
        Self { keep: tolerance.saturating_mul(2), seen: Mutex::new(Seen::default()) }
    }

    /// Accepts `delivery_id` the first time, refuses it with
    /// [`SignatureError::Replayed`] while it is remembered. Call it after
    /// [`verify`] succeeded, so that forged requests cannot burn ids.
    pub fn check(&self, delivery_id: &str, now: SystemTime) -> Result<(), SignatureError> {
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while let Some((at, _)) = seen.order.front() {
            if now.duration_since(*at).is_ok_and(|age| age > self.keep) {
                if let Some((_, id)) = seen.order.pop_front() {
                    seen.ids.remove(&id);
                }
            } else {
                break;
            }
        }
        if !seen.ids.insert(delivery_id.to_owned()) {
            return Err(SignatureError::Replayed);
        }
        seen.order.push_back((now, delivery_id.to_owned()));
        Ok(())
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.seen.lock().map(|s| s.ids.len()).unwrap_or(0)
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec-test";
    const BODY: &[u8] = br#"{"type":"leave.approved"}"#;
    const WINDOW: Duration = Duration::from_secs(300);
    const ID: &str = "0193a4a0-0000-7000-8000-00000000d001";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn a_valid_signature_verifies() {
        let header = sign(SECRET, 1_700_000_000, ID, BODY).expect("a UUID id");
        assert!(header.starts_with("t=1700000000,v2=") && header.len() == "t=1700000000,v2=".len() + 64);
        assert_eq!(verify(SECRET, &header, ID, BODY, at(1_700_000_010), WINDOW), Ok(()));
    }

    #[test]
    fn a_tampered_body_or_a_wrong_secret_is_a_mismatch() {
        let header = sign(SECRET, 1_700_000_000, ID, BODY).expect("a UUID id");
        let now = at(1_700_000_000);
        assert_eq!(
            verify(SECRET, &header, ID, br#"{"type":"leave.rejected"}"#, now, WINDOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(b"another", &header, ID, BODY, now, WINDOW), Err(SignatureError::Mismatch));
        let moved = header.replace("t=1700000000", "t=1700000001");
        assert_eq!(verify(SECRET, &moved, ID, BODY, now, WINDOW), Err(SignatureError::Mismatch));
        // Another delivery id (to slip a replay past the receiver's guard) breaks it too.
        let other = "0193a4a0-0000-7000-8000-00000000d002";
        assert_eq!(verify(SECRET, &header, other, BODY, now, WINDOW), Err(SignatureError::Mismatch));
    }

    #[test]
    fn timestamps_outside_the_tolerance_are_refused_both_ways() {
        let header = sign(SECRET, 1_700_000_000, ID, BODY).expect("a UUID id");
        assert_eq!(
            verify(SECRET, &header, ID, BODY, at(1_700_000_301), WINDOW),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            verify(SECRET, &header, ID, BODY, at(1_699_999_699), WINDOW),
            Err(SignatureError::Expired)
        );
        assert_eq!(verify(SECRET, &header, ID, BODY, at(1_700_000_300), WINDOW), Ok(()));
    }

    #[test]
    fn a_rotated_secret_verifies_with_either_signature() {
        let old = sign(b"old", 1_700_000_000, ID, BODY).expect("a UUID id");
        let new = sign(SECRET, 1_700_000_000, ID, BODY).expect("a UUID id");
        let both = format!("{new},{}", old.split_once(',').map(|(_, v1)| v1).unwrap_or_default());
        assert_eq!(verify(b"old", &both, ID, BODY, at(1_700_000_000), WINDOW), Ok(()));
        assert_eq!(verify(SECRET, &both, ID, BODY, at(1_700_000_000), WINDOW), Ok(()));
    }

    #[test]
    fn delivery_ids_that_are_not_uuids_are_refused_on_both_sides() {
        // With dotted ids, id "a.b" and body "c" would sign the same string
        // as id "a" and body "b.c".
        assert_eq!(sign(SECRET, 1_700_000_000, "a.b", b"c"), Err(SignatureError::DeliveryId));
        let header = sign(SECRET, 1_700_000_000, ID, BODY).expect("a UUID id");
        let dotted = format!("{ID}.x");
        for id in ["", "d-1", "a", dotted.as_str()] {
            assert_eq!(
                verify(SECRET, &header, id, BODY, at(1_700_000_000), WINDOW),
                Err(SignatureError::DeliveryId),
                "{id:?}"
            );
        }
    }

    #[test]
    fn malformed_headers_are_refused() {
        let now = at(1_700_000_000);
        let v1 = "t=1700000000,v1=00";
        for header in ["", "t=1700000000", "v2=00", "t=soon,v2=00", "t=1700000000,v2=zz", "garbage", v1] {
            assert!(
                matches!(verify(SECRET, header, ID, BODY, now, WINDOW), Err(SignatureError::Malformed(_))),
                "{header:?}"
            );
        }
    }

    #[test]
    fn a_replayed_delivery_id_is_refused_within_the_window_and_forgotten_after() {
        let guard = ReplayGuard::new(WINDOW);
        assert_eq!(guard.check("d-1", at(1_000)), Ok(()));
        assert_eq!(guard.check("d-2", at(1_001)), Ok(()));
        assert_eq!(guard.check("d-1", at(1_500)), Err(SignatureError::Replayed));
        assert_eq!(guard.len(), 2);
        assert_eq!(guard.check("d-3", at(1_602)), Ok(()));
        assert_eq!(guard.len(), 1, "ids older than twice the tolerance are dropped");
        assert_eq!(guard.check("d-1", at(1_603)), Ok(()));
    }
}
