//! The Leave store on DynamoDB (table `<prefix>leave`): each request with
//! its copies in the partitions that list it, the balances, and the events
//! of each write, in one transaction (see the key design in [`super`]).
//!
//! - Listing: a request is copied (sort key `LEAVE#<start date>#<id>`)
//!   into its employee's partition, its approver's and `LEAVES`, each
//!   rewritten with the request (the former approver's copy deleted when
//!   it moves to another); a listing queries one of them backwards.
//! - Overlaps: an insert reads the employee's `REQUESTS` item (a counter),
//!   then their requests starting by the new one's end date, checks them,
//!   and writes with the counter moved on, conditioned on the value read: a
//!   request of the same employee written in between cancels the
//!   transaction (a conflict), so two overlapping requests cannot both
//!   pass. Updates only decide or cancel: they free days, never take them.
//! - Balances: one item per employee, year and type in the employee's
//!   partition, written with the request that moves it, conditioned on
//!   its version.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_leave::{Balance, Leave, LeaveQuery, LeaveStore, StoreError};
use uuid::Uuid;

use hrms_dynamodb::{Failure, Item, Store, Table, item_key, s, string};
use hrms_platform::error::BoxError;
use hrms_platform::store::StoreContext;

/// The partition listing every request.
const ALL_PK: &str = "LEAVES";
/// The sort key of an employee's counter of written requests.
const REQUESTS_SK: &str = "REQUESTS";
/// Sorts after every date and id: the end of a range of sort keys.
const HIGH: char = '~';

fn leave_pk(id: Uuid) -> String {
    format!("LEAVE#{id}")
}

fn employee_pk(id: Uuid) -> String {
    format!("EMPLOYEE#{id}")
}

fn approver_pk(id: Uuid) -> String {
    format!("APPROVER#{id}")
}

/// The sort key of a request's copies: newest start first when read backwards.
fn listed_sk(leave: &Leave) -> String {
    format!("LEAVE#{}#{}", leave.start_date, leave.leave_id)
}

fn balance_sk(year: i32, leave_type: &str) -> String {
    format!("BALANCE#{year}#{leave_type}")
}

fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn put(p: Put) -> TransactWriteItem {
    TransactWriteItem::builder().put(p).build()
}

/// Requests, balances and their events in the service's table.
#[derive(Clone)]
pub struct DynamoLeaveStore {
    table: Table,
}

/// Items of a transaction, each with what its failed condition means.
#[derive(Default)]
struct Writes {
    items: Vec<TransactWriteItem>,
    conditions: Vec<String>,
}

impl Writes {
    fn push(&mut self, item: TransactWriteItem, condition: &str) {
        self.items.push(item);
        self.conditions.push(condition.to_owned());
    }
}

impl Store for DynamoLeaveStore {
    type Error = StoreError;

    fn from_table(table: Table) -> Self {
        Self { table }
    }

    fn table(&self) -> &Table {
        &self.table
    }
}

impl DynamoLeaveStore {
    fn put_item(&self, item: Item) -> aws_sdk_dynamodb::types::builders::PutBuilder {
        Put::builder().table_name(&self.table.name).set_item(Some(item))
    }

    /// `item` at `version`, put if the stored one has the version before
    /// (version 1: if there is none).
    fn put_versioned(&self, mut item: Item, version: u64) -> Result<TransactWriteItem, Failure> {
        item.insert("version".into(), number(version));
        let put = match version {
            1 => self.put_item(item).condition_expression("attribute_not_exists(pk)"),
            _ => self
                .put_item(item)
                .condition_expression("version = :previous")
                .expression_attribute_values(":previous", number(version.saturating_sub(1))),
        };
        Ok(self::put(put.build().map_err(hrms_dynamodb::error::build)?))
    }

    /// The request and its copies; the request conditioned on its version.
    fn request_items(&self, leave: &Leave, writes: &mut Writes) -> Result<(), Failure> {
        let record = serde_json::to_string(leave).context("encoding a leave request")?;
        let mut main = item_key(leave_pk(leave.leave_id), "LEAVE");
        main.insert("record".into(), s(&record));
        let condition = match leave.version {
            1 => format!("leave request {} exists", leave.leave_id),
            _ => format!("leave request {} changed since it was read", leave.leave_id),
        };
        writes.push(self.put_versioned(main, leave.version)?, &condition);
        let mut partitions = vec![employee_pk(leave.employee_id), ALL_PK.to_owned()];
        partitions.extend(leave.approver_id.map(approver_pk));
        for pk in partitions {
            let mut copy = item_key(pk, listed_sk(leave));
            copy.insert("record".into(), s(&record));
            writes.push(put(self.put_item(copy).build().map_err(hrms_dynamodb::error::build)?), "");
        }
        Ok(())
    }

    /// The deletion of the copy in the partition of the approver the
    /// stored request (the version before `leave`) awaits, when `leave`
    /// awaits another one: listed by its new approver only. A stored
    /// version other than the one before fails the write anyway.
    async fn former_approver_copy(&self, leave: &Leave, writes: &mut Writes) -> Result<(), Failure> {
        let stored =
            self.table.get(item_key(leave_pk(leave.leave_id), "LEAVE"), "read leave request").await?;
        let Some(stored) = stored.as_ref().map(record).transpose()? else { return Ok(()) };
        let Some(former) = stored.approver_id.filter(|_| stored.version + 1 == leave.version) else {
            return Ok(());
        };
        if leave.approver_id != Some(former) {
            let delete = Delete::builder()
                .table_name(&self.table.name)
                .set_key(Some(item_key(approver_pk(former), listed_sk(&stored))))
                .build()
                .map_err(hrms_dynamodb::error::build)?;
            writes.push(TransactWriteItem::builder().delete(delete).build(), "");
        }
        Ok(())
    }

    /// The balance, if its stored version is the one before it.
    fn balance_item(&self, b: &Balance, writes: &mut Writes) -> Result<(), Failure> {
        let mut item = item_key(employee_pk(b.employee_id), balance_sk(b.year, &b.leave_type));
        item.insert("leave_type".into(), s(&b.leave_type));
        item.insert("year".into(), number(b.year));
        item.insert("taken".into(), number(b.taken));
        let condition = format!("the {} balance of {} changed since it was read", b.leave_type, b.year);
        writes.push(self.put_versioned(item, b.version)?, &condition);
        Ok(())
    }

    /// The employee's counter moved on from `read` (none: absent).
    fn requests_item(
        &self,
        employee_id: Uuid,
        read: Option<u64>,
        writes: &mut Writes,
    ) -> Result<(), Failure> {
        let mut item = item_key(employee_pk(employee_id), REQUESTS_SK);
        item.insert("version".into(), number(read.unwrap_or(0) + 1));
        let item = match read {
            None => self.put_item(item).condition_expression("attribute_not_exists(pk)"),
            Some(v) => self
                .put_item(item)
                .condition_expression("version = :read")
                .expression_attribute_values(":read", number(v)),
        };
        let condition = "another request of the employee was written at the same time";
        writes.push(put(item.build().map_err(hrms_dynamodb::error::build)?), condition);
        Ok(())
    }

    /// Writes new `leave`, found free of overlaps while the employee's
    /// counter read `read`.
    async fn insert_checked(
        &self,
        leave: &Leave,
        read: Option<u64>,
        balances: &[Balance],
        events: &[HrmsEvent],
    ) -> Result<(), Failure> {
        let mut writes = Writes::default();
        self.request_items(leave, &mut writes)?;
        self.requests_item(leave.employee_id, read, &mut writes)?;
        for b in balances {
            self.balance_item(b, &mut writes)?;
        }
        self.commit(writes, events).await
    }

    async fn commit(&self, writes: Writes, events: &[HrmsEvent]) -> Result<(), Failure> {
        let conditions: Vec<&str> = writes.conditions.iter().map(String::as_str).collect();
        self.table.commit(writes.items, events, &conditions).await
    }

    /// The employee's counter of written requests, read consistently.
    async fn requests_read(&self, employee_id: Uuid) -> Result<Option<u64>, Failure> {
        let key = item_key(employee_pk(employee_id), REQUESTS_SK);
        let item = self.table.get(key, "read the requests counter").await?;
        item.map(|item| read_number(&item, "version")).transpose()
    }

    /// The items of partition `pk` with sort keys from `low` to `high`,
    /// backwards, page by page, until `keep` has taken `limit` of them.
    async fn query(
        &self,
        pk: &str,
        low: &str,
        high: &str,
        limit: usize,
        mut keep: impl FnMut(&Item) -> Result<bool, Failure>,
    ) -> Result<Vec<Item>, Failure> {
        let (mut kept, mut start) = (Vec::new(), None);
        loop {
            let page = self
                .table
                .client
                .query()
                .table_name(&self.table.name)
                .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":low", s(low))
                .expression_attribute_values(":high", s(high))
                .consistent_read(true)
                .scan_index_forward(false)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| hrms_dynamodb::error::from_sdk("query leave", e))?;
            for item in page.items.unwrap_or_default() {
                if keep(&item)? {
                    kept.push(item);
                    if kept.len() >= limit {
                        return Ok(kept);
                    }
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(kept);
            }
        }
    }

    /// The requests of `employee_id` starting on or before `end`.
    async fn starting_by(&self, employee_id: Uuid, end: chrono::NaiveDate) -> Result<Vec<Leave>, Failure> {
        let high = format!("LEAVE#{end}#{HIGH}");
        let items = self.query(&employee_pk(employee_id), "LEAVE#", &high, usize::MAX, |_| Ok(true)).await?;
        items.iter().map(record).collect()
    }
}

fn record(item: &Item) -> Result<Leave, Failure> {
    serde_json::from_str(string(item, "record")?).context("unreadable leave request")
}

/// The number attribute `name` of `item`.
fn read_number<T: std::str::FromStr<Err: Into<BoxError>>>(item: &Item, name: &str) -> Result<T, Failure> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().with_context(|| format!("{name} {n:?}")),
        _ => Err(Failure::unusable(format!("item without number {name}"))),
    }
}

impl LeaveStore for DynamoLeaveStore {
    fn insert<'a>(
        &'a self,
        leave: &'a Leave,
        balances: &'a [Balance],
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            // The counter first: a request written after this read moves it,
            // and then the transaction below fails.
            let read = self.requests_read(leave.employee_id).await?;
            let existing = self.starting_by(leave.employee_id, leave.end_date).await?;
            if let Some(other) = existing.iter().find(|other| leave.overlaps(other)) {
                return Err(StoreError::Overlap(other.leave_id));
            }
            Ok(self.insert_checked(leave, read, balances, events).await?)
        })
    }

    fn get(&self, leave_id: Uuid) -> BoxFuture<'_, Result<Option<Leave>, StoreError>> {
        Box::pin(async move {
            let item = self.table.get(item_key(leave_pk(leave_id), "LEAVE"), "read leave request").await?;
            Ok(item.as_ref().map(record).transpose()?)
        })
    }

    fn update<'a>(
        &'a self,
        leave: &'a Leave,
        balances: &'a [Balance],
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if leave.version < 2 {
                return Err(StoreError::Conflict(format!(
                    "leave request {} has no version before",
                    leave.leave_id
                )));
            }
            let mut writes = Writes::default();
            self.request_items(leave, &mut writes)?;
            self.former_approver_copy(leave, &mut writes).await?;
            for b in balances {
                self.balance_item(b, &mut writes)?;
            }
            Ok(self.commit(writes, events).await?)
        })
    }

    fn list<'a>(&'a self, query: &'a LeaveQuery) -> BoxFuture<'a, Result<Vec<Leave>, StoreError>> {
        Box::pin(async move {
            let pk = match (query.employee_id, query.approver_id) {
                (Some(id), _) => employee_pk(id),
                (None, Some(id)) => approver_pk(id),
                (None, None) => ALL_PK.to_owned(),
            };
            let high = match query.to {
                Some(to) => format!("LEAVE#{to}#{HIGH}"),
                None => format!("LEAVE#{HIGH}"),
            };
            let mut found = Vec::new();
            self.query(&pk, "LEAVE#", &high, query.limit, |item| {
                let leave = record(item)?;
                let wanted = query.matches(&leave);
                if wanted {
                    found.push(leave);
                }
                Ok(wanted)
            })
            .await?;
            Ok(found)
        })
    }

    fn balances(&self, employee_id: Uuid, year: i32) -> BoxFuture<'_, Result<Vec<Balance>, StoreError>> {
        Box::pin(async move {
            let (low, high) = (balance_sk(year, ""), balance_sk(year, &HIGH.to_string()));
            let items = self.query(&employee_pk(employee_id), &low, &high, usize::MAX, |_| Ok(true)).await?;
            let mut balances = items
                .iter()
                .map(|item| {
                    Ok(Balance {
                        employee_id,
                        leave_type: string(item, "leave_type")?.to_owned(),
                        year,
                        taken: read_number(item, "taken")?,
                        version: read_number(item, "version")?,
                    })
                })
                .collect::<Result<Vec<_>, Failure>>()?;
            balances.sort_by(|a, b| a.leave_type.cmp(&b.leave_type));
            Ok(balances)
        })
    }
}

#[cfg(test)]
mod tests {
    use hrms_leave::fixtures::{date, leave};

    use super::*;
    use hrms_dynamodb::testing::tables;

    #[tokio::test]
    async fn a_request_written_between_the_check_and_the_write_cancels_the_write() {
        let tables = tables(&["leave"]).await;
        let store = DynamoLeaveStore::new(tables.client.clone(), tables.table("leave"));
        let employee = Uuid::now_v7();
        // A writer reads the counter and finds no overlap; then another
        // request of the employee is written, overlapping its dates.
        let read = store.requests_read(employee).await.expect("read");
        let first = leave(employee, date(2027, 3, 1), date(2027, 3, 3));
        store.insert(&first, &[], &[]).await.expect("inserted");
        let late = leave(employee, date(2027, 3, 3), date(2027, 3, 5));
        match store.insert_checked(&late, read, &[], &[]).await {
            Err(Failure::Conflict(why)) => assert!(why.contains("same time"), "{why}"),
            other => panic!("want a conflict, got {other:?}"),
        }
        assert_eq!(store.get(late.leave_id).await.expect("read"), None);
        assert!(
            matches!(store.insert(&late, &[], &[]).await, Err(StoreError::Overlap(id)) if id == first.leave_id)
        );
        let later = leave(employee, date(2027, 3, 8), date(2027, 3, 9));
        store.insert(&later, &[], &[]).await.expect("the counter moves on with each insert");
    }
}
