//! Waiting on a condition with a deadline.

use std::time::{Duration, Instant};

/// Probes until `probe` answers `Ok`; panics after `limit` with `what` and
/// what the last probe saw.
pub async fn until<T>(what: &str, limit: Duration, mut probe: impl AsyncFnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        let seen = match probe().await {
            Ok(found) => return found,
            Err(seen) => seen,
        };
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}; last seen: {seen}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
