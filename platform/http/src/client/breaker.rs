//! A circuit breaker per callee. Closed, it counts consecutive failures (no
//! answer, a timeout, a 5xx; never a 4xx, which is an answer); at the
//! threshold it opens and calls fail fast for the cool-down; then it is
//! half-open and lets one probe through: the probe's success closes it, its
//! failure opens it again. A probe dropped unreported (its call cancelled)
//! lets the next call probe. `hrms_circuit_open{callee}` is 1 unless closed.
//!
//! Time is tokio's, so tests drive it with paused time.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// When a breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failures that open the circuit (at least 1).
    pub failures: u32,
    /// How long an open circuit fails fast before it lets a probe through.
    pub cool_down: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self { failures: 5, cool_down: Duration::from_secs(10) }
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Calls go through; `failures` consecutive ones failed.
    Closed { failures: u32 },
    /// Calls fail fast until `until`.
    Open { until: Instant },
    /// The cool-down is over: the next call (or the one in flight) probes.
    HalfOpen { probing: bool },
}

/// The circuit refused the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("circuit open")]
pub struct Open;

/// One callee's breaker.
#[derive(Debug)]
pub struct Breaker {
    callee: &'static str,
    settings: BreakerSettings,
    state: Mutex<State>,
}

impl Breaker {
    pub fn new(callee: &'static str, settings: BreakerSettings) -> Self {
        let settings = BreakerSettings { failures: settings.failures.max(1), ..settings };
        metrics::gauge!("hrms_circuit_open", "callee" => callee).set(0.0);
        Self { callee, settings, state: Mutex::new(State::Closed { failures: 0 }) }
    }

    /// Where it stands now (an open circuit whose cool-down is over reads
    /// as open until a call comes).
    pub fn state(&self) -> State {
        *self.lock()
    }

    /// Leave to make one call, or [`Open`].
    pub fn admit(&self) -> Result<Permit<'_>, Open> {
        let mut state = self.lock();
        let probe = match *state {
            State::Closed { .. } => false,
            State::Open { until } if Instant::now() < until => return Err(Open),
            State::Open { .. } | State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                true
            }
            State::HalfOpen { probing: true } => return Err(Open),
        };
        Ok(Permit { breaker: self, probe, reported: false })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn report(&self, probe: bool, success: bool) {
        let mut state = self.lock();
        let next = match (*state, probe, success) {
            (State::Closed { .. }, _, true) | (State::HalfOpen { .. }, true, true) => {
                State::Closed { failures: 0 }
            }
            (State::Closed { failures }, _, false) if failures + 1 < self.settings.failures => {
                State::Closed { failures: failures + 1 }
            }
            (State::Closed { .. }, _, false) | (State::HalfOpen { .. }, true, false) => {
                State::Open { until: Instant::now() + self.settings.cool_down }
            }
            // A call admitted before the circuit opened: its outcome is stale.
            (current, _, _) => current,
        };
        let was_closed = matches!(*state, State::Closed { .. });
        let is_closed = matches!(next, State::Closed { .. });
        *state = next;
        drop(state);
        if was_closed != is_closed {
            if is_closed {
                tracing::info!(callee = self.callee, "circuit closed");
            } else {
                tracing::warn!(callee = self.callee, cool_down = ?self.settings.cool_down, "circuit open");
            }
            metrics::gauge!("hrms_circuit_open", "callee" => self.callee).set(if is_closed {
                0.0
            } else {
                1.0
            });
        }
    }
}

/// Leave to make one call; report how it went.
#[must_use = "report the outcome with succeeded() or failed()"]
pub struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl Permit<'_> {
    /// The callee answered (any status below 500).
    pub fn succeeded(mut self) {
        self.reported = true;
        self.breaker.report(self.probe, true);
    }

    /// No answer, a timeout or a 5xx.
    pub fn failed(mut self) {
        self.reported = true;
        self.breaker.report(self.probe, false);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.probe && !self.reported {
            let mut state = self.breaker.lock();
            if *state == (State::HalfOpen { probing: true }) {
                *state = State::HalfOpen { probing: false };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOL_DOWN: Duration = Duration::from_secs(10);

    fn breaker() -> Breaker {
        Breaker::new("test", BreakerSettings { failures: 3, cool_down: COOL_DOWN })
    }

    fn fail(b: &Breaker, n: usize) {
        for _ in 0..n {
            b.admit().expect("admitted").failed();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_consecutive_failures_only() {
        let b = breaker();
        fail(&b, 2);
        b.admit().expect("admitted").succeeded();
        fail(&b, 2);
        assert_eq!(b.state(), State::Closed { failures: 2 }, "a success resets the count");
        fail(&b, 1);
        assert!(matches!(b.state(), State::Open { .. }));
        assert_eq!(b.admit().err(), Some(Open));
    }

    #[tokio::test(start_paused = true)]
    async fn fails_fast_for_the_cool_down_then_one_probe_closes_it() {
        let b = breaker();
        fail(&b, 3);
        tokio::time::advance(COOL_DOWN - Duration::from_millis(1)).await;
        assert_eq!(b.admit().err(), Some(Open), "still cooling down");
        tokio::time::advance(Duration::from_millis(1)).await;
        let probe = b.admit().expect("the probe");
        assert_eq!(b.admit().err(), Some(Open), "one probe at a time");
        probe.succeeded();
        assert_eq!(b.state(), State::Closed { failures: 0 });
        b.admit().expect("closed").succeeded();
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_opens_it_for_another_cool_down() {
        let b = breaker();
        fail(&b, 3);
        tokio::time::advance(COOL_DOWN).await;
        b.admit().expect("the probe").failed();
        assert_eq!(b.state(), State::Open { until: Instant::now() + COOL_DOWN });
        assert_eq!(b.admit().err(), Some(Open));
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_probe_lets_the_next_call_probe() {
        let b = breaker();
        fail(&b, 3);
        tokio::time::advance(COOL_DOWN).await;
        drop(b.admit().expect("the probe"));
        assert_eq!(b.state(), State::HalfOpen { probing: false });
        b.admit().expect("another probe").succeeded();
        assert_eq!(b.state(), State::Closed { failures: 0 });
    }

    #[tokio::test(start_paused = true)]
    async fn outcomes_of_calls_admitted_before_it_opened_change_nothing() {
        let b = breaker();
        let late = b.admit().expect("admitted");
        fail(&b, 3);
        let open = b.state();
        late.succeeded();
        assert_eq!(b.state(), open);
    }
}
