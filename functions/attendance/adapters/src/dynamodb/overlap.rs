//! No overlap on DynamoDB, whatever the records' age and however many
//! writers. An employee's records have a version of their own: the item
//! `TIMELINE#<employee id>` (sort key `TIMELINE`, `version` N; absent is 0).
//! Every write of one of their records:
//!
//! 1. reads that version (strongly consistent);
//! 2. reads the employee's records checked in before the written one ends,
//!    latest first, until one decides (see [`hrms_attendance::overlap`]),
//!    and refuses an overlap;
//! 3. puts the version one more, on the condition that it is still the one
//!    read, in the write's own transaction.
//!
//! Two writers of one employee's records that read the same version cannot
//! both commit: the second fails on the version (or DynamoDB cancels it for
//! meeting the first's transaction), reads again and decides again
//! ([`ATTEMPTS`] times at most, then a conflict to retry), now seeing the
//! first one's record. The reads are strongly consistent and the record's
//! copies move in the transaction that moves the version, so what step 2
//! reads is all that was written up to the version read. Writes of
//! different employees never meet; one employee's are serialized (they are
//! a person's check-ins and corrections: rare). Each write costs a
//! `GetItem` and a `Query` (usually of a few items) more.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use hrms_attendance::overlap::{end_key, judge};
use hrms_attendance::{AttendanceRecord, StoreError};
use hrms_dynamodb::{Failure, Item, item_key, query_between};
use hrms_events::HrmsEvent;
use uuid::Uuid;

use super::{DynamoAttendanceStore, read};

/// How often a write is decided again after another writer moved the
/// employee's version on.
pub const ATTEMPTS: usize = 5;

/// The failed condition of the version item.
const MOVED: &str = "the employee's attendance changed while it was checked for overlaps";
/// What the platform answers when DynamoDB cancels a transaction that met another.
const MET: &str = "another write to an item was under way";

fn timeline_key(employee_id: Uuid) -> Item {
    item_key(format!("TIMELINE#{employee_id}"), "TIMELINE")
}

impl DynamoAttendanceStore {
    /// Commits `items` (`conditions[i]` saying what the failed condition of
    /// `items[i]` means) and `events`, if `record`, which they write,
    /// overlaps no other record of its employee (see the module).
    pub(super) async fn commit_alone(
        &self,
        record: &AttendanceRecord,
        items: Vec<TransactWriteItem>,
        conditions: &[&str],
        events: &[HrmsEvent],
    ) -> Result<(), StoreError> {
        let mut conditions = conditions.to_vec();
        conditions.resize(items.len(), "");
        conditions.push(MOVED);
        for _ in 0..ATTEMPTS {
            let version = self.timeline_version(record.employee_id).await?;
            self.no_overlap(record).await?;
            let mut all = items.clone();
            all.push(self.next_version(record.employee_id, version)?);
            match self.table.commit(all, events, &conditions).await {
                // Whatever else failed with it, decide again on what the other wrote.
                Err(Failure::Conflict(why)) if why.split("; ").any(|w| w == MOVED || w == MET) => continue,
                done => return Ok(done?),
            }
        }
        Err(StoreError::Conflict(format!(
            "the attendance of employee {} kept changing while it was checked for overlaps: try again",
            record.employee_id
        )))
    }

    async fn timeline_version(&self, employee_id: Uuid) -> Result<u64, Failure> {
        let Some(item) = self.table.get(timeline_key(employee_id), "read the attendance version").await?
        else {
            return Ok(0);
        };
        let version = item.get("version").and_then(|v| v.as_n().ok());
        version
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| Failure::unusable(format!("unreadable attendance version {version:?}")))
    }

    /// The put of the employee's next version, if `version` is still theirs.
    fn next_version(&self, employee_id: Uuid, version: u64) -> Result<TransactWriteItem, Failure> {
        let mut item = timeline_key(employee_id);
        item.insert("version".into(), AttributeValue::N((version + 1).to_string()));
        let condition = match version {
            0 => ("attribute_not_exists(pk)", None),
            v => ("version = :value", Some(AttributeValue::N(v.to_string()))),
        };
        self.put(item, Some(condition))
    }

    /// Refuses `record` if it overlaps another of its employee's records.
    async fn no_overlap(&self, record: &AttendanceRecord) -> Result<(), StoreError> {
        let pk = format!("EMPLOYEE#{}", record.employee_id);
        let below = end_key(record);
        // Few records decide; the whole history only if many are empty.
        for limit in [4, usize::MAX] {
            let client = &self.table.client;
            let items =
                query_between(client, &self.table.name, &pk, Some(("0", &below)), false, limit).await?;
            for item in &items {
                match judge(record, &read(item)?) {
                    None => {}
                    // As the `OPEN` item would say.
                    Some(Err(open)) if record.is_open() && open.check_out.is_none() => {
                        return Err(StoreError::Conflict("checked in already: check out first".into()));
                    }
                    Some(decided) => return Ok(decided?),
                }
            }
            if items.len() < limit {
                break;
            }
        }
        Ok(())
    }
}
