//! The transactional outbox: a service writes its entity change and the
//! events it emits in one store transaction, so that an event exists if and
//! only if its change was committed. The [`Relay`] then publishes what is
//! pending and removes each event once the transport acknowledged it: the
//! events a commit hands over at once, as they are (the embedded stores, in
//! commit order); what the store holds at start-up, after a failure, when
//! woken without a hand-over (DynamoDB), and on a timer.
//!
//! ```ignore
//! # use std::sync::Arc;
//! # use hrms_platform::outbox::{Relay, RelaySettings};
//! # use hrms_sqlite::outbox::SqliteOutbox;
//! # async fn demo(bus: hrms_platform::inprocess::InProcessBus) -> Result<(), Box<dyn std::error::Error>> {
//! let outbox = Arc::new(SqliteOutbox::open("data/employee.db")?);
//! let relay = Relay::new(outbox, Arc::new(bus), RelaySettings::default());
//! let wake = relay.waker(); // a store calls wake.wake() or wake.hand_over(..) after each commit
//! relay.run(std::future::pending()).await;
//! # Ok(()) }
//! ```
//!
//! Delivery is at least once: an event published but not yet removed when
//! the process dies is published again, with the same id, and consumers
//! dedupe on it. Events of one partition key are published in the order they
//! were written; after a failure the key's later events wait for it.
//!
//! - [`relay`]: [`Relay`], store-agnostic; `feed.rs`: [`RelayWaker`], what
//!   commits hand over to it.
//! - The outboxes themselves live with their stores: `hrms_sqlite::outbox`
//!   (the embedded stores' table) and `hrms_dynamodb::outbox` (items in each
//!   store's table).

mod feed;
pub mod relay;

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;

pub use feed::RelayWaker;
pub use relay::{Relay, RelaySettings};

/// One pending event and its place in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// Write order; events are published in this order.
    pub seq: i64,
    pub event: HrmsEvent,
}

/// Why the outbox could not be read or updated.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// Its store failed: what was being done, and the error beneath.
    #[error("outbox store")]
    Store(#[from] crate::StoreFailure),
}

/// A store's outbox, as the relay sees it.
pub trait OutboxStore: Send + Sync {
    /// Up to `limit` pending events, oldest first. Entries that cannot be
    /// read back as events are reported in the second list with why.
    fn pending(&self, limit: usize) -> BoxFuture<'_, Result<Pending, OutboxError>>;

    /// Removes the published entries and sets aside the dead ones (events
    /// the transport can never take), keeping them with their reason.
    fn settle<'a>(
        &'a self,
        published: &'a [i64],
        dead: &'a [(i64, String)],
    ) -> BoxFuture<'a, Result<(), OutboxError>>;

    /// How many events wait to be published.
    fn backlog(&self) -> BoxFuture<'_, Result<u64, OutboxError>>;
}

/// What [`OutboxStore::pending`] found.
#[derive(Debug, Default)]
pub struct Pending {
    pub entries: Vec<OutboxEntry>,
    /// Entries that are not readable events: (seq, reason).
    pub unreadable: Vec<(i64, String)>,
}
