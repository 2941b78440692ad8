//! The Employee store on DynamoDB (table `<prefix>employee`): the record, the
//! item that reserves its lower-cased e-mail, and the events of each write,
//! in one transaction (see the key design in [`super`]); listed through the
//! table's global indexes ([`LAYOUT`], see `list`).

use futures::future::BoxFuture;
use hrms_employee::listing::{EmployeePage, EmployeeQuery};
use hrms_employee::{Employee, EmployeeStore, StoreError};
use hrms_events::HrmsEvent;
use uuid::Uuid;

use hrms_dynamodb::versioned::{Kind, Record, Versioned};
use hrms_dynamodb::{Failure, Store, Table};
use hrms_platform::store::StoreContext;

mod list;
pub use list::LAYOUT;

const EMPLOYEES: Kind = Kind {
    entity: "EMPLOYEE",
    owner: "employee_id",
    noun: "employee",
    exists: "an employee with this id exists",
};

/// Employees and their events in the service's table.
#[derive(Clone)]
pub struct DynamoEmployeeStore {
    records: Versioned,
}

impl Store for DynamoEmployeeStore {
    type Error = StoreError;

    fn from_table(table: Table) -> Self {
        Self { records: Versioned::new(table, &EMPLOYEES) }
    }

    fn table(&self) -> &Table {
        self.records.table()
    }
}

fn record(employee: &Employee) -> Result<Record<'_>, Failure> {
    Ok(Record {
        id: employee.employee_id,
        email: &employee.email,
        version: employee.version,
        json: serde_json::to_string(employee).context("encoding an employee")?,
        indexed: list::indexed(employee),
    })
}

impl EmployeeStore for DynamoEmployeeStore {
    fn insert<'a>(
        &'a self,
        employee: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { Ok(self.records.insert(record(employee)?, events).await?) })
    }

    fn get(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Employee>, StoreError>> {
        Box::pin(async move {
            let Some(json) = self.records.get(employee_id).await? else {
                return Ok(None);
            };
            let employee =
                serde_json::from_str(&json).with_context(|| format!("unreadable employee {employee_id}"))?;
            Ok(Some(employee))
        })
    }

    fn update<'a>(
        &'a self,
        employee: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { Ok(self.records.update(record(employee)?, events).await?) })
    }

    fn list<'a>(&'a self, query: &'a EmployeeQuery) -> BoxFuture<'a, Result<EmployeePage, StoreError>> {
        Box::pin(self.list_employees(query))
    }
}

#[cfg(test)]
mod tests;
