//! The Employee store on DynamoDB (table `<prefix>employee`): the record, the
//! item that reserves its lower-cased e-mail, and the events of each write,
//! in one transaction (see the key design in [`super`]).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::builders::PutBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use futures::future::BoxFuture;
use hrms_employee::{Employee, EmployeeStore, StoreError};
use hrms_events::HrmsEvent;
use uuid::Uuid;

use super::{Failure, Item, item_key, s, string, write_with_events};
use crate::outbox::RelayWaker;

const EMPLOYEE_SK: &str = "EMPLOYEE";
const EMAIL_SK: &str = "EMAIL";

fn employee_pk(id: Uuid) -> String {
    format!("EMPLOYEE#{id}")
}

/// E-mail addresses are unique compared lower-cased.
fn email_pk(email: &str) -> String {
    format!("EMAIL#{}", email.to_lowercase())
}

/// Employees and their events in the service's table.
#[derive(Clone)]
pub struct DynamoEmployeeStore {
    client: Client,
    table: String,
    relay: Option<RelayWaker>,
}

impl DynamoEmployeeStore {
    /// The store in `table` (see [`super::ensure_tables`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), relay: None }
    }

    /// Wakes `relay` after each commit, so that events go out at once.
    pub fn with_relay(mut self, relay: RelayWaker) -> Self {
        self.relay = Some(relay);
        self
    }

    /// Whether the table answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(super::ping(&self.client, &self.table).await?)
    }

    /// The employee item, to put if `condition` holds.
    fn put_employee(&self, employee: &Employee, condition: &str) -> Result<PutBuilder, Failure> {
        let record = serde_json::to_string(employee).map_err(|e| Failure::Unavailable(e.to_string()))?;
        let mut item = item_key(employee_pk(employee.employee_id), EMPLOYEE_SK);
        item.insert("record".into(), s(record));
        item.insert("version".into(), AttributeValue::N(employee.version.to_string()));
        item.insert("email".into(), s(employee.email.to_lowercase()));
        Ok(Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression(condition))
    }

    /// The item reserving `employee`'s e-mail, put if the e-mail is free.
    fn put_email(&self, employee: &Employee) -> Result<Put, Failure> {
        let mut item = item_key(email_pk(&employee.email), EMAIL_SK);
        item.insert("employee_id".into(), s(employee.employee_id.to_string()));
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(Failure::build)
    }

    /// Writes `items` and `events` in one transaction, then wakes the relay.
    async fn commit(
        &self,
        items: Vec<TransactWriteItem>,
        events: &[HrmsEvent],
        conditions: &[&str],
    ) -> Result<(), Failure> {
        write_with_events(&self.client, &self.table, items, events, conditions).await?;
        if let Some(relay) = &self.relay {
            relay.wake();
        }
        Ok(())
    }

    async fn item(&self, employee_id: Uuid) -> Result<Option<Item>, Failure> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item_key(employee_pk(employee_id), EMPLOYEE_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| Failure::from_sdk("read employee", e))?;
        Ok(out.item)
    }
}

fn put(p: Put) -> TransactWriteItem {
    TransactWriteItem::builder().put(p).build()
}

impl EmployeeStore for DynamoEmployeeStore {
    fn insert<'a>(
        &'a self,
        employee: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let items = vec![
                put(self
                    .put_employee(employee, "attribute_not_exists(pk)")?
                    .build()
                    .map_err(Failure::build)?),
                put(self.put_email(employee)?),
            ];
            let conditions = ["an employee with this id exists", "the e-mail address is taken"];
            Ok(self.commit(items, events, &conditions).await?)
        })
    }

    fn get(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Employee>, StoreError>> {
        Box::pin(async move {
            let Some(item) = self.item(employee_id).await? else {
                return Ok(None);
            };
            let employee = serde_json::from_str(string(&item, "record")?)
                .map_err(|e| StoreError::Unavailable(format!("unreadable employee {employee_id}: {e}")))?;
            Ok(Some(employee))
        })
    }

    fn update<'a>(
        &'a self,
        employee: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let id = employee.employee_id;
            let previous = employee.version.saturating_sub(1);
            let stale = format!("employee {id} changed since it was read");
            // The stored e-mail, to move its reservation; the version
            // condition below makes sure it is still the stored one.
            let stored =
                self.item(id).await?.ok_or_else(|| StoreError::Conflict(format!("no employee {id}")))?;
            let old_email = string(&stored, "email")?.to_owned();

            let put_employee = self
                .put_employee(employee, "version = :previous")?
                .expression_attribute_values(":previous", AttributeValue::N(previous.to_string()))
                .build()
                .map_err(Failure::build)?;
            let mut items = vec![put(put_employee)];
            let new_email = employee.email.to_lowercase();
            if new_email != old_email {
                let free_old = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(item_key(email_pk(&old_email), EMAIL_SK)))
                    .condition_expression("employee_id = :id")
                    .expression_attribute_values(":id", s(id.to_string()))
                    .build()
                    .map_err(Failure::build)?;
                items.push(TransactWriteItem::builder().delete(free_old).build());
                items.push(put(self.put_email(employee)?));
            }
            Ok(self.commit(items, events, &[&stale, &stale, "the e-mail address is taken"]).await?)
        })
    }
}
