//! A function's table as its store holds it ([`Table`]: the client, the
//! table's name and the relay its commits wake), and [`Store`], what every
//! store on one table gets once: `new`, `with_relay`, `ping`.

use std::future::Future;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::TransactWriteItem;
use hrms_events::HrmsEvent;
use hrms_platform::outbox::RelayWaker;

use crate::{Failure, Item, get_item, write_with_events};

/// A function's table and the relay its commits wake.
#[derive(Clone)]
pub struct Table {
    pub client: Client,
    pub name: String,
    relay: Option<RelayWaker>,
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self { client, name: name.into(), relay: None }
    }

    /// Wakes `relay` after each commit, so that events go out at once.
    pub fn with_relay(mut self, relay: RelayWaker) -> Self {
        self.relay = Some(relay);
        self
    }

    /// Whether the table answers (readiness).
    pub async fn ping(&self) -> Result<(), Failure> {
        crate::ping(&self.client, &self.name).await
    }

    /// The item at `key`, read strongly consistently (`what` names the read
    /// in errors).
    pub async fn get(&self, key: Item, what: &str) -> Result<Option<Item>, Failure> {
        get_item(&self.client, &self.name, key, what).await
    }

    /// [`write_with_events`] on this table, then wakes the relay.
    pub async fn commit(
        &self,
        items: Vec<TransactWriteItem>,
        events: &[HrmsEvent],
        conditions: &[&str],
    ) -> Result<(), Failure> {
        write_with_events(&self.client, &self.name, items, events, conditions).await?;
        if let Some(relay) = &self.relay {
            relay.wake();
        }
        Ok(())
    }
}

/// A function's store on its [`Table`].
pub trait Store: Sized {
    /// The function's store error.
    type Error: From<Failure>;

    /// The store on `table`.
    fn from_table(table: Table) -> Self;

    /// The store's table.
    fn table(&self) -> &Table;

    /// The store in table `name` (see [`crate::ensure_table`]).
    fn new(client: Client, name: impl Into<String>) -> Self {
        Self::from_table(Table::new(client, name))
    }

    /// Wakes `relay` after each commit, so that events go out at once.
    fn with_relay(self, relay: RelayWaker) -> Self {
        Self::from_table(self.table().clone().with_relay(relay))
    }

    /// Whether the table answers (readiness).
    fn ping(&self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let table = self.table().clone();
        async move { Ok(table.ping().await?) }
    }
}
