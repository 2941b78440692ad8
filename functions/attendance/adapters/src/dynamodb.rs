//! The Attendance store on DynamoDB (table `<prefix>attendance`): the
//! record, the `OPEN` item that holds an employee to one open record, the
//! record's copies in its employee's and its day's partitions, the
//! employee's next version that keeps their records apart ([`overlap`]),
//! and each write's events, in one transaction (see the key design in
//! [`super`]).

mod overlap;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use hrms_attendance::{AttendanceRecord, AttendanceStore, RecordsQuery, StoreError};
use hrms_events::HrmsEvent;
use uuid::Uuid;

use hrms_attendance::store::sortable;
use hrms_dynamodb::{Failure, Item, Store, Table, item_key, query_between, s, string};
use hrms_platform::store::StoreContext;

/// Attendance records and their events in the service's table.
#[derive(Clone)]
pub struct DynamoAttendanceStore {
    table: Table,
}

fn record_key(record_id: Uuid) -> Item {
    item_key(format!("RECORD#{record_id}"), "RECORD")
}

fn open_key(employee_id: Uuid) -> Item {
    item_key(format!("OPEN#{employee_id}"), "OPEN")
}

/// The keys of a record's copies: by employee, and by the UTC day of its check-in.
fn copy_keys(r: &AttendanceRecord) -> [Item; 2] {
    let sk = format!("{}#{}", sortable(r.check_in), r.record_id);
    [
        item_key(format!("EMPLOYEE#{}", r.employee_id), sk.clone()),
        item_key(format!("DAY#{}", r.check_in.date_naive()), sk),
    ]
}

fn json(r: &AttendanceRecord) -> Result<String, Failure> {
    serde_json::to_string(r).context("encoding an attendance record")
}

fn read(item: &Item) -> Result<AttendanceRecord, Failure> {
    serde_json::from_str(string(item, "record")?).context("unreadable attendance record")
}

impl Store for DynamoAttendanceStore {
    type Error = StoreError;

    fn from_table(table: Table) -> Self {
        Self { table }
    }

    fn table(&self) -> &Table {
        &self.table
    }
}

impl DynamoAttendanceStore {
    /// A put of `item`, if `condition` (with its `:value`) holds.
    fn put(
        &self,
        item: Item,
        condition: Option<(&str, Option<AttributeValue>)>,
    ) -> Result<TransactWriteItem, Failure> {
        let mut put = Put::builder().table_name(&self.table.name).set_item(Some(item));
        if let Some((expression, value)) = condition {
            put = put.condition_expression(expression).set_expression_attribute_values(
                value.map(|v| std::collections::HashMap::from([(":value".to_owned(), v)])),
            );
        }
        Ok(TransactWriteItem::builder().put(put.build().map_err(hrms_dynamodb::error::build)?).build())
    }

    /// A delete of `key`, if `condition` (with its `:value`) holds.
    fn delete(
        &self,
        key: Item,
        condition: Option<(&str, AttributeValue)>,
    ) -> Result<TransactWriteItem, Failure> {
        let mut delete = Delete::builder().table_name(&self.table.name).set_key(Some(key));
        if let Some((expression, value)) = condition {
            delete = delete.condition_expression(expression).expression_attribute_values(":value", value);
        }
        Ok(TransactWriteItem::builder().delete(delete.build().map_err(hrms_dynamodb::error::build)?).build())
    }

    /// The record item, and its copies put.
    fn record_items(
        &self,
        r: &AttendanceRecord,
        previous: Option<u64>,
    ) -> Result<Vec<TransactWriteItem>, Failure> {
        let body = json(r)?;
        let mut item = record_key(r.record_id);
        item.insert("record".into(), s(&body));
        item.insert("version".into(), AttributeValue::N(r.version.to_string()));
        item.insert("employee_id".into(), s(r.employee_id.to_string()));
        let condition = match previous {
            None => ("attribute_not_exists(pk)", None),
            Some(v) => ("version = :value", Some(AttributeValue::N(v.to_string()))),
        };
        let mut items = vec![self.put(item, Some(condition))?];
        for mut copy in copy_keys(r) {
            copy.insert("record".into(), s(&body));
            items.push(self.put(copy, None)?);
        }
        Ok(items)
    }

    async fn get_item(&self, key: Item) -> Result<Option<Item>, Failure> {
        self.table.get(key, "read attendance").await
    }

    /// The records of one partition checked in within `[from, to)`.
    async fn range(
        &self,
        pk: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AttendanceRecord>, Failure> {
        let (low, high) = (sortable(from), sortable(to));
        let items =
            query_between(&self.table.client, &self.table.name, pk, Some((&low, &high)), true, limit).await?;
        items.iter().map(read).collect()
    }
}

impl AttendanceStore for DynamoAttendanceStore {
    fn insert<'a>(
        &'a self,
        record: &'a AttendanceRecord,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut items = self.record_items(record, None)?;
            if record.is_open() {
                let mut open = open_key(record.employee_id);
                open.insert("record_id".into(), s(record.record_id.to_string()));
                // After the record item, so that its condition's message comes second.
                items.insert(1, self.put(open, Some(("attribute_not_exists(pk)", None)))?);
            }
            let exists = format!("attendance record {} exists", record.record_id);
            self.commit_alone(record, items, &[&exists, "checked in already: check out first"], events).await
        })
    }

    fn update<'a>(
        &'a self,
        before: &'a AttendanceRecord,
        after: &'a AttendanceRecord,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let id = before.record_id;
            if after.version != before.version + 1 || (after.is_open() && !before.is_open()) {
                return Err(StoreError::Conflict(format!(
                    "attendance record {id} cannot go from version {} to {}, or be reopened",
                    before.version, after.version
                )));
            }
            let stale = format!("attendance record {id} changed since it was read");
            let mut items = self.record_items(after, Some(before.version))?;
            let mut conditions = vec![stale.as_str()];
            if before.is_open() && !after.is_open() {
                let condition = ("record_id = :value", s(id.to_string()));
                items.insert(1, self.delete(open_key(before.employee_id), Some(condition))?);
                conditions.push(&stale);
            }
            if before.check_in != after.check_in {
                for key in copy_keys(before) {
                    items.push(self.delete(key, None)?);
                }
            }
            self.commit_alone(after, items, &conditions, events).await
        })
    }

    fn get(&self, record_id: Uuid) -> BoxFuture<'_, Result<Option<AttendanceRecord>, StoreError>> {
        Box::pin(async move {
            let item = self.get_item(record_key(record_id)).await?;
            Ok(item.as_ref().map(read).transpose()?)
        })
    }

    fn open(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<AttendanceRecord>, StoreError>> {
        Box::pin(async move {
            let Some(open) = self.get_item(open_key(employee_id)).await? else {
                return Ok(None);
            };
            let id = string(&open, "record_id")?;
            let id: Uuid = id.parse().with_context(|| format!("unreadable record id {id:?}"))?;
            Ok(self.get(id).await?.filter(AttendanceRecord::is_open))
        })
    }

    fn list<'a>(
        &'a self,
        query: &'a RecordsQuery,
    ) -> BoxFuture<'a, Result<Vec<AttendanceRecord>, StoreError>> {
        Box::pin(async move {
            if query.to <= query.from {
                return Ok(Vec::new());
            }
            if let Some(employee_id) = query.employee_id {
                let pk = format!("EMPLOYEE#{employee_id}");
                return Ok(self.range(&pk, query.from, query.to, query.limit).await?);
            }
            let mut records = Vec::new();
            let mut day = query.from.date_naive();
            let last = (query.to - Duration::seconds(1)).date_naive();
            while day <= last && records.len() < query.limit {
                let pk = format!("DAY#{day}");
                records.extend(self.range(&pk, query.from, query.to, query.limit - records.len()).await?);
                day = day.succ_opt().unwrap_or(last + Duration::days(1));
            }
            Ok(records)
        })
    }
}
