//! The Employee store in memory, for tests: the contract of the SQLite and
//! DynamoDB stores (unique ids and lower-cased e-mails, writes on the
//! stored version), events in a [`MemoryOutbox`].

use std::ops::Deref;

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_platform::testing::{MemoryTable, email_is_free};
use uuid::Uuid;

use crate::listing::{EmployeePage, EmployeeQuery};
use crate::model::Employee;
use crate::store::{EmployeeStore, StoreError};

/// Employees by id, with their events.
#[derive(Default)]
pub struct MemoryEmployeeStore(MemoryTable<Employee>);

impl Deref for MemoryEmployeeStore {
    type Target = MemoryTable<Employee>;

    fn deref(&self) -> &MemoryTable<Employee> {
        &self.0
    }
}

impl MemoryEmployeeStore {
    /// Stores `employee` and its events if `allowed` (given what is stored
    /// under its id) passes and its e-mail is no other's.
    fn write(
        &self,
        employee: &Employee,
        events: &[HrmsEvent],
        allowed: impl FnOnce(Option<&Employee>) -> Result<(), String>,
    ) -> Result<(), StoreError> {
        let id = employee.employee_id;
        let written = self.0.write(id, employee, events, |rows| {
            allowed(rows.get(&id))?;
            email_is_free(
                rows.values().filter(|r| r.employee_id != id).map(|r| r.email.as_str()),
                &employee.email,
            )
        });
        written.map_err(StoreError::Conflict)
    }
}

impl EmployeeStore for MemoryEmployeeStore {
    fn insert<'a>(
        &'a self,
        employee: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let id = employee.employee_id;
        let written = self.write(employee, events, |stored| match stored {
            Some(_) => Err(format!("employee {id} exists")),
            None => Ok(()),
        });
        Box::pin(async move { written })
    }

    fn get(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Employee>, StoreError>> {
        let found = self.0.get(employee_id);
        Box::pin(async move { Ok(found) })
    }

    fn update<'a>(
        &'a self,
        employee: &'a Employee,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let (id, version) = (employee.employee_id, employee.version);
        let written = self.write(employee, events, |stored| match stored {
            Some(s) if s.version + 1 == version => Ok(()),
            _ => Err(format!("employee {id} changed since it was read")),
        });
        Box::pin(async move { written })
    }

    /// In id order; the cursor is the last id of the page before.
    fn list<'a>(&'a self, query: &'a EmployeeQuery) -> BoxFuture<'a, Result<EmployeePage, StoreError>> {
        let after = match query.cursor.as_deref().map(Uuid::parse_str).transpose() {
            Ok(after) => after,
            Err(e) => return Box::pin(async move { Err(StoreError::InvalidCursor(e.to_string())) }),
        };
        let mut found: Vec<Employee> = self
            .0
            .rows()
            .values()
            .filter(|e| after.is_none_or(|a| e.employee_id > a) && query.filter.matches(e))
            .cloned()
            .collect();
        found.sort_by_key(|e| e.employee_id);
        let next_cursor = (found.len() > query.limit).then(|| found[query.limit - 1].employee_id.to_string());
        found.truncate(query.limit);
        Box::pin(async move { Ok(EmployeePage { employees: found, next_cursor }) })
    }
}
