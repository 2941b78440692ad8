//! DynamoDB for the functions' stores, the AWS deployment's counterpart of
//! `hrms-sqlite`: one table per service, holding the service's entities and
//! its outbox, each change written with its events in one
//! `TransactWriteItems`. The stores themselves live with their functions
//! (`functions/<name>/adapters/src/dynamodb.rs`).
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use hrms_dynamodb::{DynamoConfig, ensure_table, outbox::DynamoOutbox};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = DynamoConfig::from_env(); // HRMS_DYNAMODB_TABLE_PREFIX, HRMS_DYNAMODB_ENDPOINT, AWS_*
//! let client = config.connect().await;
//! ensure_table(&client, &config.table("employee")).await?;
//! let outbox = Arc::new(DynamoOutbox::new(client, config.table("employee"))); // for the relay
//! # Ok(()) }
//! ```
//!
//! Each store keeps its entities and its outbox in one table, `<prefix><service>`
//! (e.g. `hrms-employee`), keyed by a string `pk` and `sk`, on-demand; the
//! key design of every function's table is in `docs/dynamodb.md`.
//!
//! Errors are sorted in [`error`] into the [`Failure`] each function's
//! `StoreError` converts from: a failed condition
//! is a conflict, anything else (throttling, network, a missing table) makes
//! the store unavailable, and nothing was written.
//!
//! # Layout
//! - [`config`]: [`DynamoConfig`] (table prefix, endpoint override) and the client.
//! - [`error`]: SDK errors sorted into conflict or unavailable.
//! - [`outbox`]: the outbox items ([`outbox::outbox_puts`]) and [`outbox::DynamoOutbox`].
//! - [`Table`]: a store's table and the relay its commits wake; [`Store`],
//!   what a store on one gets once (`new`, `with_relay`, `ping`).
//! - [`versioned`]: a versioned record with a unique e-mail (Employee, User),
//!   listed through global indexes ([`versioned::list`]).
//! - [`batch`]: `BatchGetItem`/`BatchWriteItem` retrying unprocessed items.
//! - The crate root: [`write_with_events`] (a change and its events in one
//!   transaction), [`ensure_table`] and [`ensure_laid_out_table`] (a table,
//!   with the indexes of its [`Layout`]), queries and item helpers.
//! - `testing` (feature `testing`): a moto server per test binary and fresh
//!   tables on it.

pub mod batch;
pub mod config;
pub mod error;
pub mod outbox;
mod table;
pub mod versioned;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType, Select, TableDescription,
    TableStatus, TransactWriteItem,
};
use hrms_events::HrmsEvent;

/// The SDK's client, which the stores take.
pub use aws_sdk_dynamodb::Client;
pub use config::DynamoConfig;
pub use error::Failure;
pub use table::{Store, Table};

/// An item, as the SDK reads and writes it.
pub type Item = HashMap<String, AttributeValue>;

/// DynamoDB's limit of items in one transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// Writes `items` and `events` (to the outbox of `table`) in one
/// transaction; `conditions[i]` says what it means when the condition of
/// `items[i]` fails.
pub async fn write_with_events(
    client: &Client,
    table: &str,
    mut items: Vec<TransactWriteItem>,
    events: &[HrmsEvent],
    conditions: &[&str],
) -> Result<(), Failure> {
    // The events continue the current trace (the request's), if any.
    items.extend(outbox::outbox_puts(table, &hrms_platform::traces::stamped(events))?);
    if items.len() > MAX_TRANSACTION_ITEMS {
        return Err(Failure::unusable(format!(
            "a write of {} items (with {} events) exceeds DynamoDB's {MAX_TRANSACTION_ITEMS} per transaction",
            items.len(),
            events.len()
        )));
    }
    client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
        .map_err(|e| crate::error::from_transaction(e, conditions))?;
    Ok(())
}

/// Creates `table` (key `pk`, `sk`; on-demand; no index) if missing and
/// waits until it is active. Safe to run again, and from several processes.
pub async fn ensure_table(client: &Client, table: &str) -> Result<(), Failure> {
    ensure_laid_out_table(client, table, &Layout::PLAIN).await
}

/// A table's secondary indexes: every table is keyed by `pk` and `sk`.
#[derive(Debug)]
pub struct Layout {
    /// Local indexes (partition key `pk`), made only with the table.
    pub local: &'static [Index],
    pub global: &'static [Index],
}

/// A secondary index on two string attributes, projecting every attribute.
#[derive(Debug)]
pub struct Index {
    pub name: &'static str,
    pub partition: &'static str,
    pub sort: &'static str,
}

impl Layout {
    /// Key only: the tables of Compliance, Employee and User.
    pub const PLAIN: Self = Self { local: &[], global: &[] };

    fn indexes(&self) -> impl Iterator<Item = &Index> {
        self.local.iter().chain(self.global)
    }
}

/// Creates `table` with `layout` if missing and waits until it is active;
/// an existing table that lacks one of the indexes is an error (a local
/// index cannot be added later: the table must be made again).
/// Creates `table` with the secondary indexes of `layout` if missing, and
/// waits until it is active (an existing table must have them already).
pub async fn ensure_laid_out_table(client: &Client, table: &str, layout: &Layout) -> Result<(), Failure> {
    if describe(client, table).await?.is_none() {
        let created = create_table(client, table, layout)?.send().await;
        match created {
            Ok(_) => tracing::info!(table, "created DynamoDB table"),
            // Another process created it in the meantime.
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => {}
            Err(e) => return Err(crate::error::from_sdk("create table", e)),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let found = describe(client, table).await?;
        match found.as_ref().and_then(|t| t.table_status()) {
            Some(TableStatus::Active) => return found.map_or(Ok(()), |t| has_indexes(table, &t, layout)),
            status if Instant::now() > deadline => {
                return Err(Failure::unusable(format!("table {table} not active in time: {status:?}")));
            }
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

pub fn create_table(
    client: &Client,
    table: &str,
    layout: &Layout,
) -> Result<aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder, Failure> {
    let mut attributes = vec!["pk", "sk"];
    for index in layout.indexes() {
        for name in [index.partition, index.sort] {
            if !attributes.contains(&name) {
                attributes.push(name);
            }
        }
    }
    let key_schema =
        |partition, sort| Ok::<_, Failure>(vec![key(partition, KeyType::Hash)?, key(sort, KeyType::Range)?]);
    let all = || Projection::builder().projection_type(ProjectionType::All).build();
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(
            attributes.into_iter().map(string_attribute).collect::<Result<_, _>>()?,
        ))
        .set_key_schema(Some(key_schema("pk", "sk")?));
    for index in layout.local {
        let local = LocalSecondaryIndex::builder()
            .index_name(index.name)
            .set_key_schema(Some(key_schema("pk", index.sort)?))
            .projection(all())
            .build()
            .map_err(crate::error::build)?;
        request = request.local_secondary_indexes(local);
    }
    for index in layout.global {
        let global = GlobalSecondaryIndex::builder()
            .index_name(index.name)
            .set_key_schema(Some(key_schema(index.partition, index.sort)?))
            .projection(all())
            .build()
            .map_err(crate::error::build)?;
        request = request.global_secondary_indexes(global);
    }
    Ok(request)
}

/// Whether the existing `found` has every index of `layout`.
pub fn has_indexes(table: &str, found: &TableDescription, layout: &Layout) -> Result<(), Failure> {
    let names: Vec<&str> = found
        .local_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .chain(found.global_secondary_indexes().iter().filter_map(|i| i.index_name()))
        .collect();
    match layout.indexes().find(|i| !names.contains(&i.name)) {
        None => Ok(()),
        Some(missing) => Err(Failure::unusable(format!(
            "table {table} exists without index {}: it was made for another store; make it again",
            missing.name
        ))),
    }
}

/// The table's description, `None` if it does not exist.
pub async fn describe(client: &Client, table: &str) -> Result<Option<TableDescription>, Failure> {
    match client.describe_table().table_name(table).send().await {
        Ok(out) => Ok(out.table),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => Ok(None),
        Err(e) => Err(crate::error::from_sdk("describe table", e)),
    }
}

/// The table's status, `None` if it does not exist.
pub async fn table_status(client: &Client, table: &str) -> Result<Option<TableStatus>, Failure> {
    match client.describe_table().table_name(table).send().await {
        Ok(out) => Ok(out.table().and_then(|t| t.table_status().cloned())),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => Ok(None),
        Err(e) => Err(crate::error::from_sdk("describe table", e)),
    }
}

/// Whether `table` answers (readiness).
pub async fn ping(client: &Client, table: &str) -> Result<(), Failure> {
    match table_status(client, table).await? {
        Some(_) => Ok(()),
        None => Err(Failure::unusable(format!("table {table} does not exist"))),
    }
}

pub fn string_attribute(name: &str) -> Result<AttributeDefinition, Failure> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(crate::error::build)
}

pub fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, Failure> {
    KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().map_err(crate::error::build)
}

/// Up to `limit` items of partition `pk`, in sort key order (`forward`) or
/// reverse, read strongly consistently across as many pages as it takes.
pub async fn query_partition(
    client: &Client,
    table: &str,
    pk: &str,
    forward: bool,
    limit: usize,
) -> Result<Vec<Item>, Failure> {
    query_between(client, table, pk, None, forward, limit).await
}

/// [`query_partition`] of the items whose sort key is within `range`
/// (both ends included).
pub async fn query_between(
    client: &Client,
    table: &str,
    pk: &str,
    range: Option<(&str, &str)>,
    forward: bool,
    limit: usize,
) -> Result<Vec<Item>, Failure> {
    let mut items = Vec::new();
    let mut start = None;
    while items.len() < limit {
        let mut query = client
            .query()
            .table_name(table)
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
            .scan_index_forward(forward)
            .limit(i32::try_from(limit - items.len()).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start);
        query = match range {
            None => query.key_condition_expression("pk = :pk"),
            Some((low, high)) => query
                .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                .expression_attribute_values(":low", s(low))
                .expression_attribute_values(":high", s(high)),
        };
        let page = query.send().await.map_err(|e| crate::error::from_sdk("query", e))?;
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    Ok(items)
}

/// The item at `key`, read strongly consistently (`what` names the read in
/// errors).
pub async fn get_item(client: &Client, table: &str, key: Item, what: &str) -> Result<Option<Item>, Failure> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| crate::error::from_sdk(what, e))?;
    Ok(out.item)
}

/// How many items partition `pk` holds.
pub async fn count_partition(client: &Client, table: &str, pk: &str) -> Result<u64, Failure> {
    let (mut count, mut start) = (0u64, None);
    loop {
        let page = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
            .select(Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| crate::error::from_sdk("count", e))?;
        count += u64::try_from(page.count).unwrap_or(0);
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok(count);
        }
    }
}

/// A string attribute.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// The key of an item.
pub fn item_key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// The string attribute `name` of `item`.
pub fn string<'a>(item: &'a Item, name: &str) -> Result<&'a str, Failure> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(Failure::unusable(format!("item without string attribute {name}"))),
    }
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
