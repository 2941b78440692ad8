//! Timelines on DynamoDB: the item `TIMELINE#<employee id>`, put on its
//! version (absent for version 1) in one transaction with the check its
//! change found (and that check's copies) and their events.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use hrms_compliance::{StoreError, Timeline};
use hrms_events::HrmsEvent;
use hrms_events::compliance::ComplianceCheck;
use uuid::Uuid;

use super::DynamoComplianceStore;
use hrms_dynamodb::{Failure, item_key, s, string};
use hrms_platform::store::StoreContext;

fn key(employee_id: Uuid) -> hrms_dynamodb::Item {
    item_key(format!("TIMELINE#{employee_id}"), "TIMELINE")
}

/// A failed condition is a timeline moved on by another writer.
fn error(failure: Failure) -> StoreError {
    match failure {
        Failure::Conflict(why) => StoreError::Conflict(why),
        failure @ Failure::Unavailable { .. } => StoreError::Unavailable(failure.into()),
    }
}

impl DynamoComplianceStore {
    pub(super) async fn read_timeline(&self, employee_id: Uuid) -> Result<Option<Timeline>, StoreError> {
        let read = self.table.get(key(employee_id), "read timeline").await;
        let Some(item) = read.map_err(error)? else {
            return Ok(None);
        };
        let json = string(&item, "record").map_err(error)?;
        serde_json::from_str(json)
            .map(Some)
            .with_context(|| format!("unreadable timeline of {employee_id}"))
            .map_err(error)
    }

    pub(super) async fn write_timeline(
        &self,
        timeline: &Timeline,
        check: Option<&ComplianceCheck>,
        events: &[HrmsEvent],
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(timeline).context("encoding a timeline").map_err(error)?;
        let mut item = key(timeline.employee_id);
        item.insert("record".into(), s(json));
        item.insert("version".into(), AttributeValue::N(timeline.version.to_string()));
        let put = Put::builder().table_name(&self.table.name).set_item(Some(item));
        let put = match timeline.version {
            1 => put.condition_expression("attribute_not_exists(pk)"),
            version => put
                .condition_expression("version = :previous")
                .expression_attribute_values(":previous", AttributeValue::N((version - 1).to_string())),
        };
        let mut items = vec![
            TransactWriteItem::builder()
                .put(put.build().map_err(|e| error(hrms_dynamodb::error::build(e)))?)
                .build(),
        ];
        if let Some(check) = check {
            items.extend(self.items(check).map_err(error)?);
        }
        let stale = format!("the timeline of {} changed since it was read", timeline.employee_id);
        let taken = check.map(|c| format!("check {} is already recorded", c.check_id)).unwrap_or_default();
        self.table.commit(items, events, &[&stale, &taken, &taken, &taken]).await.map_err(error)
    }
}
