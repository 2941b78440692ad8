//! Which records of a mapping's batches were dead-lettered already: the
//! mapping delivers a failed batch again as a whole, and its poison records
//! are to reach `<topic>.dlq` once. A mark is recorded once the dead letter
//! is acknowledged and before the invocation answers; a record with a mark
//! is not written again (a crash between the two writes it twice: at least
//! once, never lost).
//!
//! [`DynamoMarks`] keeps them in the function's own table (see
//! `docs/dynamodb.md`): `pk` `DEAD_LETTER#<group>#<topic>#<partition>`, `sk`
//! the offset (20 digits), with `expires_at` (Unix seconds, 14 days on: a
//! mapping gives up on a record once it leaves the topic's retention) for
//! the table's TTL.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::BoxFuture;
use hrms_dynamodb::{Client, DynamoConfig, get_item, item_key, s};
use hrms_platform::StoreFailure;
use tokio::sync::OnceCell;

/// How long a mark is kept.
pub const KEPT: Duration = Duration::from_secs(14 * 24 * 3600);

/// Where a record came from: what its dead letter's `dlq_original_*` and
/// `dlq_group` headers say.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

impl Origin {
    /// The mark's key: (`pk`, `sk`).
    pub fn key(&self) -> (String, String) {
        (
            format!("DEAD_LETTER#{}#{}#{}", self.group, self.topic, self.partition),
            format!("{:020}", self.offset.max(0)),
        )
    }
}

/// Marks of the records dead-lettered already.
pub trait DeadLetterMarks: Send + Sync {
    /// Whether `origin`'s record was dead-lettered already.
    fn marked<'a>(&'a self, origin: &'a Origin) -> BoxFuture<'a, Result<bool, StoreFailure>>;
    /// Records that `origin`'s record is dead-lettered.
    fn mark<'a>(&'a self, origin: &'a Origin) -> BoxFuture<'a, Result<(), StoreFailure>>;
}

/// Marks in a function's DynamoDB table, connected at the first dead letter
/// (most invocations have none).
pub struct DynamoMarks {
    config: DynamoConfig,
    table: String,
    client: OnceCell<Client>,
}

impl DynamoMarks {
    /// Marks in `table`, reached as `config` says.
    pub fn new(config: DynamoConfig, table: String) -> Self {
        Self { config, table, client: OnceCell::new() }
    }

    async fn client(&self) -> &Client {
        self.client.get_or_init(|| self.config.connect()).await
    }
}

impl DeadLetterMarks for DynamoMarks {
    fn marked<'a>(&'a self, origin: &'a Origin) -> BoxFuture<'a, Result<bool, StoreFailure>> {
        Box::pin(async move {
            let (pk, sk) = origin.key();
            let item =
                get_item(self.client().await, &self.table, item_key(pk, sk), "reading a dead letter's mark")
                    .await?;
            Ok(item.is_some())
        })
    }

    fn mark<'a>(&'a self, origin: &'a Origin) -> BoxFuture<'a, Result<(), StoreFailure>> {
        Box::pin(async move {
            let (pk, sk) = origin.key();
            let now = SystemTime::now();
            let expires = (now + KEPT).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let mut item = item_key(pk, sk);
            item.insert("dlq_topic".into(), s(hrms_events::topics::dlq_name(&origin.topic)));
            item.insert("failed_at".into(), s(chrono::Utc::now().to_rfc3339()));
            item.insert("expires_at".into(), AttributeValue::N(expires.to_string()));
            self.client()
                .await
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(|e| hrms_dynamodb::error::from_sdk("recording a dead letter's mark", e))?;
            Ok(())
        })
    }
}

/// Marks in memory, for tests and for a process that is its own only
/// sandbox.
#[derive(Default)]
pub struct MemoryMarks {
    marked: Mutex<std::collections::HashSet<Origin>>,
}

impl DeadLetterMarks for MemoryMarks {
    fn marked<'a>(&'a self, origin: &'a Origin) -> BoxFuture<'a, Result<bool, StoreFailure>> {
        let marked = self.marked.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(origin);
        Box::pin(async move { Ok(marked) })
    }

    fn mark<'a>(&'a self, origin: &'a Origin) -> BoxFuture<'a, Result<(), StoreFailure>> {
        self.marked.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(origin.clone());
        Box::pin(async { Ok(()) })
    }
}
