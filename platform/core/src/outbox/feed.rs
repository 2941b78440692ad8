//! What wakes the relay: a store's commits hand their events over in commit
//! order (so that the relay publishes them without reading them back), or
//! ask it to look in the store (a commit that hands nothing over, e.g. on
//! DynamoDB, whose writes have no single order).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::OutboxEntry;

/// The relay's inbox.
pub(super) struct Feed {
    state: Mutex<State>,
    /// Most events held; beyond them the feed drops what it holds and the
    /// relay reads the store instead (the events are there too).
    capacity: usize,
    pub(super) notify: Notify,
}

#[derive(Default)]
struct State {
    entries: VecDeque<OutboxEntry>,
    /// Something is in the store that the feed does not hold.
    look_in_store: bool,
}

/// What the relay takes from the feed.
pub(super) enum Next {
    /// Handed-over events, oldest first (possibly none).
    Entries(Vec<OutboxEntry>),
    /// Read the store: the feed does not hold everything pending.
    LookInStore,
}

impl Feed {
    pub(super) fn new(capacity: usize) -> Self {
        Self { state: Mutex::default(), capacity, notify: Notify::new() }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes up to `limit` handed-over events, or says to read the store.
    pub(super) fn next(&self, limit: usize) -> Next {
        let mut state = self.state();
        if std::mem::take(&mut state.look_in_store) {
            state.entries.clear();
            return Next::LookInStore;
        }
        let n = limit.min(state.entries.len());
        Next::Entries(state.entries.drain(..n).collect())
    }

    /// Handed-over events not yet taken.
    pub(super) fn len(&self) -> usize {
        self.state().entries.len()
    }
}

/// Wakes the relay after a commit, so that events go out at once.
#[derive(Clone)]
pub struct RelayWaker(pub(super) Arc<Feed>);

impl RelayWaker {
    /// Events were committed to the store: the relay reads them from there.
    pub fn wake(&self) {
        self.0.state().look_in_store = true;
        self.0.notify.notify_one();
    }

    /// `entries` were committed, and nothing else since the last hand-over:
    /// the relay publishes them as they are. Called in commit order.
    pub fn hand_over(&self, entries: impl IntoIterator<Item = OutboxEntry>) {
        let mut state = self.0.state();
        if !state.look_in_store {
            state.entries.extend(entries);
            if state.entries.len() > self.0.capacity {
                state.entries.clear();
                state.look_in_store = true;
            }
        }
        drop(state);
        self.0.notify.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use hrms_events::{EventType, fixtures};

    use super::*;

    fn entries(seqs: std::ops::Range<i64>) -> Vec<OutboxEntry> {
        seqs.map(|seq| OutboxEntry { seq, event: fixtures::sample(EventType::LeaveRequested) }).collect()
    }

    fn seqs(next: Next) -> Option<Vec<i64>> {
        match next {
            Next::Entries(entries) => Some(entries.iter().map(|e| e.seq).collect()),
            Next::LookInStore => None,
        }
    }

    #[test]
    fn it_holds_hand_overs_in_order_up_to_its_capacity_then_sends_the_relay_to_the_store() {
        let feed = Arc::new(Feed::new(4));
        let waker = RelayWaker(feed.clone());
        waker.hand_over(entries(1..3));
        waker.hand_over(entries(3..4));
        assert_eq!(seqs(feed.next(2)), Some(vec![1, 2]));
        assert_eq!(seqs(feed.next(10)), Some(vec![3]));

        waker.hand_over(entries(4..9));
        assert_eq!(feed.len(), 0, "past its capacity it lets go of what it held");
        waker.hand_over(entries(9..10));
        assert_eq!(feed.len(), 0, "and takes nothing until the relay has read the store");
        assert_eq!(seqs(feed.next(10)), None);
        waker.hand_over(entries(10..11));
        assert_eq!(seqs(feed.next(10)), Some(vec![10]));

        waker.wake();
        assert_eq!(seqs(feed.next(10)), None, "woken without a hand-over: read the store");
        assert_eq!(seqs(feed.next(10)), Some(vec![]));
    }
}
