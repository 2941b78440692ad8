//! The Compliance store on DynamoDB (table `<prefix>compliance`): every
//! check, the copies that list it among the findings, and its events, in one
//! transaction. Findings are read from one partition, newest first (see the
//! key design in [`super`]). Each employee's timeline is one item, put on
//! its version with the check its change found ([`timeline`]). A
//! validation notice is the item `NOTICE#<key>` naming its newest check,
//! put on the condition that it names none made since the notice's period
//! began.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use futures::future::BoxFuture;
use hrms_compliance::{ComplianceStore, FindingsQuery, Notice, StoreError, Timeline};
use hrms_events::HrmsEvent;
use hrms_events::compliance::ComplianceCheck;
use uuid::Uuid;

use hrms_dynamodb::{Failure, Store, Table, item_key, query_between, s, string};
use hrms_platform::store::StoreContext;

mod timeline;

/// The partition listing every check with findings.
const FINDINGS_PK: &str = "FINDINGS";

/// The partition listing the checks with findings about one employee.
fn employee_findings(employee_id: Uuid) -> String {
    format!("FINDINGS#EMPLOYEE#{employee_id}")
}

/// Checks and their events in the service's table.
#[derive(Clone)]
pub struct DynamoComplianceStore {
    table: Table,
}

impl Store for DynamoComplianceStore {
    type Error = StoreError;

    fn from_table(table: Table) -> Self {
        Self { table }
    }

    fn table(&self) -> &Table {
        &self.table
    }
}

impl DynamoComplianceStore {
    fn put(&self, pk: String, sk: String, record: &str, employee: Option<Uuid>) -> Result<Put, Failure> {
        let mut item = item_key(pk, sk);
        item.insert("record".into(), s(record));
        if let Some(id) = employee {
            item.insert("employee_id".into(), s(id.to_string()));
        }
        Put::builder()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(hrms_dynamodb::error::build)
    }

    /// The check and its findings copies.
    fn items(&self, check: &ComplianceCheck) -> Result<Vec<TransactWriteItem>, Failure> {
        let record = serde_json::to_string(check).context("encoding a check")?;
        let id = check.check_id.to_string();
        let mut puts = vec![self.put(format!("CHECK#{id}"), "CHECK".into(), &record, check.employee_id)?];
        if !check.findings.is_empty() {
            puts.push(self.put(FINDINGS_PK.into(), id.clone(), &record, None)?);
            if let Some(employee) = check.employee_id {
                puts.push(self.put(employee_findings(employee), id, &record, None)?);
            }
        }
        Ok(puts.into_iter().map(|p| TransactWriteItem::builder().put(p).build()).collect())
    }
}

impl ComplianceStore for DynamoComplianceStore {
    fn record<'a>(
        &'a self,
        check: &'a ComplianceCheck,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let items = self.items(check)?;
            let taken = format!("check {} is already recorded", check.check_id);
            Ok(self.table.commit(items, events, &[&taken, &taken, &taken]).await?)
        })
    }

    fn record_notice<'a>(
        &'a self,
        check: &'a ComplianceCheck,
        events: &'a [HrmsEvent],
        notice: &'a Notice,
    ) -> BoxFuture<'a, Result<Option<ComplianceCheck>, StoreError>> {
        Box::pin(async move {
            let record = serde_json::to_string(check).context("encoding a check")?;
            let key = item_key(format!("NOTICE#{}", notice.key), "NOTICE");
            let mut item = key.clone();
            item.insert("check_id".into(), s(check.check_id.to_string()));
            item.insert("record".into(), s(record));
            let put = Put::builder()
                .table_name(&self.table.name)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk) OR check_id < :since")
                .expression_attribute_values(":since", AttributeValue::S(notice.since.to_string()))
                .build()
                .map_err(hrms_dynamodb::error::build)?;
            let mut items = vec![TransactWriteItem::builder().put(put).build()];
            items.extend(self.items(check)?);
            let repeated = "the notice was recorded within its period";
            let taken = format!("check {} is already recorded", check.check_id);
            match self.table.commit(items, events, &[repeated, &taken, &taken, &taken]).await {
                Ok(()) => Ok(None),
                // The notice is recorded, or being recorded by a concurrent
                // validation: answer its check once it is there.
                Err(Failure::Conflict(why)) if why != taken => {
                    let since = notice.since.to_string();
                    let earlier = self.table.get(key, "read notice").await?;
                    match earlier.filter(|n| string(n, "check_id").is_ok_and(|id| *id >= *since)) {
                        Some(earlier) => {
                            let record = string(&earlier, "record")?;
                            Ok(Some(serde_json::from_str(record).context("unreadable check")?))
                        }
                        None => Err(StoreError::Conflict(why)),
                    }
                }
                Err(failure) => Err(failure.into()),
            }
        })
    }

    fn findings<'a>(
        &'a self,
        query: &'a FindingsQuery,
    ) -> BoxFuture<'a, Result<Vec<ComplianceCheck>, StoreError>> {
        Box::pin(async move {
            let pk = query.employee_id.map_or_else(|| FINDINGS_PK.to_owned(), employee_findings);
            // Check ids are UUIDv7: a time range is a range of ids ("0" and
            // "g" sort before and after every id).
            let (from, to) = query.id_range();
            let (low, high) =
                (from.map_or("0".into(), |id| id.to_string()), to.map_or("g".into(), |id| id.to_string()));
            let range = (from.is_some() || to.is_some()).then_some((low.as_str(), high.as_str()));
            let items =
                query_between(&self.table.client, &self.table.name, &pk, range, false, query.limit).await?;
            let checks = items
                .iter()
                .map(|item| serde_json::from_str(string(item, "record")?).context("unreadable check"))
                .collect::<Result<_, Failure>>()?;
            Ok(checks)
        })
    }

    fn timeline(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Timeline>, StoreError>> {
        Box::pin(self.read_timeline(employee_id))
    }

    fn save_timeline<'a>(
        &'a self,
        timeline: &'a Timeline,
        check: Option<&'a ComplianceCheck>,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.write_timeline(timeline, check, events))
    }
}

#[cfg(test)]
mod tests;
