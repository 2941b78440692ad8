//! The functions' stores on DynamoDB (feature `dynamodb`), the AWS
//! deployment's counterpart of [`crate::sqlite`]: one table per service,
//! holding the service's entities and its outbox, each change written with
//! its events in one `TransactWriteItems`.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use hrms_dynamodb::{DynamoConfig, ensure_tables, employee::DynamoEmployeeStore, outbox::DynamoOutbox};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = DynamoConfig::from_env(); // HRMS_DYNAMODB_TABLE_PREFIX, HRMS_DYNAMODB_ENDPOINT, AWS_*
//! let client = config.connect().await;
//! ensure_tables(&client, &config).await?;
//! let store = DynamoEmployeeStore::new(client.clone(), config.table("employee"));
//! let outbox = Arc::new(DynamoOutbox::new(client, config.table("employee"))); // for the relay
//! # Ok(()) }
//! ```
//!
//! # Key design
//! Each service has one table, `<prefix><service>` (e.g. `hrms-employee`),
//! with a string partition key `pk` and a string sort key `sk` and
//! on-demand billing. Every access is a `GetItem`, a strongly consistent
//! `Query` of one partition, a transaction, a conditional delete, or a batch
//! of them; only the audit table has secondary indexes (its [`Layout`], see
//! [`audit`]), to list the whole log by time without a scan.
//!
//! | table | item | `pk` | `sk` | attributes |
//! | --- | --- | --- | --- | --- |
//! | employee | employee | `EMPLOYEE#<employee id>` | `EMPLOYEE` | `record` (JSON), `version` (N), `email` (lower-cased) |
//! | employee | e-mail taken | `EMAIL#<lower-cased e-mail>` | `EMAIL` | `employee_id` |
//! | user | account | `USER#<user id>` | `USER` | `record` (JSON, with the password hash), `version` (N), `email` (lower-cased) |
//! | user | e-mail taken | `EMAIL#<lower-cased e-mail>` | `EMAIL` | `user_id` |
//! | compliance | compliance check | `CHECK#<check id>` | `CHECK` | `record` (JSON), `employee_id` |
//! | compliance | check with findings | `FINDINGS` | `<check id>` | `record` (JSON) |
//! | compliance | … about one employee | `FINDINGS#EMPLOYEE#<employee id>` | `<check id>` | `record` (JSON) |
//! | compliance | an employee's timeline | `TIMELINE#<employee id>` | `TIMELINE` | `record` (JSON), `version` (N) |
//! | attendance | record | `RECORD#<record id>` | `RECORD` | `record` (JSON), `version` (N) |
//! | attendance | checked in | `OPEN#<employee id>` | `OPEN` | `record_id` |
//! | attendance | … by employee | `EMPLOYEE#<employee id>` | `<check-in>#<record id>` | `record` (JSON) |
//! | attendance | … by UTC day | `DAY#<YYYY-MM-DD>` | `<check-in>#<record id>` | `record` (JSON) |
//! | leave | request | `LEAVE#<leave id>` | `LEAVE` | `record` (JSON), `version` (N) |
//! | leave | … listed by employee, approver, or among all | `EMPLOYEE#<employee id>`, `APPROVER#<approver id>`, `LEAVES` | `LEAVE#<start date>#<leave id>` | `record` (JSON) |
//! | leave | balance | `EMPLOYEE#<employee id>` | `BALANCE#<year>#<type>` | `leave_type`, `year` (N), `taken` (N), `version` (N) |
//! | leave | requests written | `EMPLOYEE#<employee id>` | `REQUESTS` | `version` (N) |
//! | audit | log row | `SUBJECT#<subject>` | `SEQ#<seq, 20 digits>` | the entry (`event_id`, `seq` N, `event_type`, `actor`, `time`, `event`, `prev_hash`, `hash`, ...), `day_key` `DAY#<date>`, `time_key` `<time>#<event id>` |
//! | audit | chain head | `SUBJECT#<subject>` | `HEAD` | `subject`, `seq` N, `hash` |
//! | audit | current state | `SUBJECT#<subject>` | `STATE` | `seq` N, `record` (JSON) |
//! | audit | event logged | `EVENT#<event id>` | `EVENT` | `subject`, `seq` N |
//! | audit | subject with rows | `SUBJECTS` | `<subject>` | |
//! | audit | day with rows | `DAYS` | `<YYYY-MM-DD>` | |
//! | notification | contact, by account or employee record | `USER#<user id>`, `EMPLOYEE#<employee id>` | `CONTACT` | `record` (JSON), `version` (N) |
//! | notification | active hr contact | `HR` | `<user id>` | `record` (JSON) |
//! | notification | preferences | `USER#<user id>` | `PREFERENCES` | `record` (JSON) |
//! | notification | delivery | `DELIVERY#<delivery id>` | `DELIVERY` | `record` (JSON), `version` (N) |
//! | notification | … due, dead, in the inbox | `DUE`, `DEAD`, `INBOX#<user id>` | `<next attempt, failed, created>#<delivery id>` | `record` (JSON), `event_id` |
//! | notification | event kept for its deliveries | `EVENT#<event id>` | `EVENT` | `event` (structured CloudEvent JSON), `waiting` (SS) |
//! | each | pending event | `OUTBOX` | `<event id>` | `event` (structured CloudEvent JSON) |
//! | each | dead event | `OUTBOX#DEAD` | `<event id>` | `event`, `reason`, `failed_at` |
//!
//! - Uniqueness: the e-mail item is put with `attribute_not_exists(pk)` in
//!   the transaction that puts or renames the employee or account, and
//!   deleted in the one that renames it; a taken id or e-mail cancels the
//!   transaction (conflict). A deleted account is a record with status
//!   `deleted`, so its e-mail stays taken. `find_email` reads the e-mail item.
//! - Secrets: an account's password hash is in its `record` and nowhere
//!   else (not in the e-mail item, its events, or an error message).
//! - Optimistic concurrency: an update is conditioned on
//!   `version = <new version - 1>`.
//! - Findings are listed newest first by querying one partition backwards
//!   (`FINDINGS`, or the employee's); check ids are UUIDv7, so their text
//!   sorts by creation time (and a time range is a range of ids). The
//!   copies are written in the check's transaction, so a listing never lags
//!   a record (a GSI would be eventually consistent). A timeline is put on
//!   its version, with the check its change found.
//! - Attendance: the `OPEN` item, put with `attribute_not_exists(pk)` at
//!   check-in and deleted (on its record id) when the record is closed, holds
//!   an employee to one open record. Each record has a copy in its
//!   employee's partition and in the partition of its check-in's UTC day,
//!   sorted by check-in (RFC 3339 to the second), moved in the transaction
//!   of a correction that changes the check-in: a range of days is a few
//!   `Query`s, for one employee or everyone.
//! - Leave: an insert is conditioned on the employee's `REQUESTS` counter
//!   as read before its overlap check, so two overlapping requests cannot
//!   both commit; a balance moves with its request, conditioned on its
//!   version. See [`leave`].
//! - Notification: a delivery's copies (due, dead, inbox) move with it in
//!   the transaction of its change, conditioned on its version, so the
//!   dispatcher's poll is one strongly consistent `Query` of `DUE`; an event
//!   is kept while a delivery may still need it. See [`notification`].
//! - The outbox: see [`outbox`] for its ordering guarantee and its limit.
//! - The audit log: rows are chained per subject; a transaction puts rows
//!   with their `EVENT` items if absent (a redelivered event is skipped)
//!   and the head if unchanged (two writers of a chain cannot both win).
//!   Indexes on `time_key`: local `by_time` (a subject's rows), global
//!   `by_day` (every row, day by day), `by_actor`, `by_type`. See [`audit`].
//!
//! Errors map onto the traits' `StoreError` in [`error`]: a failed condition
//! is a conflict, anything else (throttling, network, a missing table) makes
//! the store unavailable, and nothing was written.
//!
//! # Layout
//! - [`config`]: [`DynamoConfig`] (table prefix, endpoint override) and the client.
//! - [`error`]: SDK errors sorted into conflict or unavailable.
//! - [`outbox`]: the outbox items ([`outbox::outbox_puts`]) and [`outbox::DynamoOutbox`].
//! - `versioned`: a versioned record with a unique e-mail (Employee, User).
//! - `batch`: `BatchGetItem`/`BatchWriteItem` retrying unprocessed items.
//! - [`attendance`], [`audit`], [`compliance`], [`employee`], [`leave`], [`notification`], [`user`]: the
//!   stores of the functions.

pub mod batch;
pub mod config;
pub mod error;
pub mod outbox;
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
    items.extend(outbox::outbox_puts(table, events)?);
    if items.len() > MAX_TRANSACTION_ITEMS {
        return Err(Failure::Unavailable(format!(
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
                return Err(Failure::Unavailable(format!("table {table} not active in time: {status:?}")));
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
        Some(missing) => Err(Failure::Unavailable(format!(
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
        None => Err(Failure::Unavailable(format!("table {table} does not exist"))),
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
        _ => Err(Failure::Unavailable(format!("item without string attribute {name}"))),
    }
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;
