//! A versioned record whose lower-cased e-mail is unique in its table, as
//! the Employee and User stores keep theirs: the record item and the item
//! reserving its e-mail, written with the change's events in one
//! transaction (see the key design in [`super`]). The stores turn their
//! types into JSON and back; this owns the items and their conditions.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use hrms_events::HrmsEvent;
use uuid::Uuid;

use super::{Failure, Item, Table, item_key, s, string};

pub mod list;

/// The sort key of e-mail reservations.
const EMAIL_SK: &str = "EMAIL";

/// The names that tell one store's records from another's.
pub struct Kind {
    /// The record's sort key and partition key prefix (`EMPLOYEE`).
    pub entity: &'static str,
    /// The reservation's attribute naming its owner (`employee_id`).
    pub owner: &'static str,
    /// The record, in conflict messages (`employee`).
    pub noun: &'static str,
    /// The message of an insert whose id is taken.
    pub exists: &'static str,
}

/// A record to write.
pub struct Record<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub version: u64,
    /// The whole record, as the store reads it back.
    pub json: String,
    /// Attributes of the record item that key its listings' indexes
    /// (see [`list`]); e-mail reservations have none of them.
    pub indexed: Vec<(&'static str, String)>,
}

/// Records of one kind and their events in a service's table.
#[derive(Clone)]
pub struct Versioned {
    table: Table,
    kind: &'static Kind,
}

/// E-mail addresses are unique compared lower-cased.
fn email_pk(email: &str) -> String {
    format!("EMAIL#{}", email.to_lowercase())
}

fn put(p: Put) -> TransactWriteItem {
    TransactWriteItem::builder().put(p).build()
}

impl Versioned {
    pub fn new(table: Table, kind: &'static Kind) -> Self {
        Self { table, kind }
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    fn key(&self, id: Uuid) -> Item {
        item_key(format!("{}#{id}", self.kind.entity), self.kind.entity)
    }

    /// The record item, put if the stored record has version `previous`
    /// (an update), or if there is none (`None`, an insert).
    fn put_record(&self, record: &Record<'_>, previous: Option<u64>) -> Result<Put, Failure> {
        let mut item = self.key(record.id);
        item.insert("record".into(), s(&record.json));
        item.insert("version".into(), AttributeValue::N(record.version.to_string()));
        item.insert("email".into(), s(record.email.to_lowercase()));
        for (name, value) in &record.indexed {
            item.insert((*name).into(), s(value));
        }
        let put = Put::builder().table_name(&self.table.name).set_item(Some(item));
        let put = match previous {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(version) => put
                .condition_expression("version = :previous")
                .expression_attribute_values(":previous", AttributeValue::N(version.to_string())),
        };
        put.build().map_err(crate::error::build)
    }

    /// The item reserving the record's e-mail, put if the e-mail is free.
    fn put_email(&self, record: &Record<'_>) -> Result<Put, Failure> {
        let mut item = item_key(email_pk(record.email), EMAIL_SK);
        item.insert(self.kind.owner.into(), s(record.id.to_string()));
        Put::builder()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(crate::error::build)
    }

    /// Puts a new record (if its id and e-mail are free) with its events.
    pub async fn insert(&self, record: Record<'_>, events: &[HrmsEvent]) -> Result<(), Failure> {
        let items = vec![put(self.put_record(&record, None)?), put(self.put_email(&record)?)];
        self.table.commit(items, events, &[self.kind.exists, "the e-mail address is taken"]).await
    }

    /// The JSON of record `id`.
    pub async fn get(&self, id: Uuid) -> Result<Option<String>, Failure> {
        let item = self.table.get(self.key(id), &format!("read {}", self.kind.noun)).await?;
        item.map(|item| string(&item, "record").map(str::to_owned)).transpose()
    }

    /// The id of the record holding `email` (any case), from its reservation.
    pub async fn owner_of(&self, email: &str) -> Result<Option<Uuid>, Failure> {
        let key = item_key(email_pk(email.trim()), EMAIL_SK);
        let Some(item) = self.table.get(key, "read e-mail").await? else {
            return Ok(None);
        };
        let owner = string(&item, self.kind.owner)?;
        let id = owner.parse().map_err(|e| Failure::unavailable(format!("unreadable owner {owner:?}"), e))?;
        Ok(Some(id))
    }

    /// Replaces the record if its stored version is `record.version - 1`,
    /// moving the e-mail reservation when the e-mail changed.
    pub async fn update(&self, record: Record<'_>, events: &[HrmsEvent]) -> Result<(), Failure> {
        let (id, noun) = (record.id, self.kind.noun);
        let stale = format!("{noun} {id} changed since it was read");
        // The stored e-mail, to move its reservation; the version condition
        // below makes sure it is still the stored one.
        let stored = self
            .table
            .get(self.key(id), &format!("read {noun}"))
            .await?
            .ok_or_else(|| Failure::Conflict(format!("no {noun} {id}")))?;
        let old_email = string(&stored, "email")?.to_owned();

        let previous = record.version.saturating_sub(1);
        let mut items = vec![put(self.put_record(&record, Some(previous))?)];
        if record.email.to_lowercase() != old_email {
            let free_old = Delete::builder()
                .table_name(&self.table.name)
                .set_key(Some(item_key(email_pk(&old_email), EMAIL_SK)))
                .condition_expression(format!("{} = :id", self.kind.owner))
                .expression_attribute_values(":id", s(id.to_string()))
                .build()
                .map_err(crate::error::build)?;
            items.push(TransactWriteItem::builder().delete(free_old).build());
            items.push(put(self.put_email(&record)?));
        }
        self.table.commit(items, events, &[&stale, &stale, "the e-mail address is taken"]).await
    }
}
