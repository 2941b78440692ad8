//! The Employee store in memory, for tests: the contract of the SQLite and
//! DynamoDB stores (unique ids and lower-cased e-mails, writes on the
//! stored version), events in a [`MemoryOutbox`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use hrms_platform::testing::MemoryOutbox;
use uuid::Uuid;

use crate::model::Employee;
use crate::store::{EmployeeStore, StoreError};

/// Employees by id, with their events.
#[derive(Default)]
pub struct MemoryEmployeeStore {
    rows: Mutex<HashMap<Uuid, Employee>>,
    outbox: Arc<MemoryOutbox>,
}

impl MemoryEmployeeStore {
    fn rows(&self) -> MutexGuard<'_, HashMap<Uuid, Employee>> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many employees are stored.
    pub fn len(&self) -> usize {
        self.rows().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The outbox of the writes' events, for a relay or a test to read.
    pub fn outbox(&self) -> Arc<MemoryOutbox> {
        self.outbox.clone()
    }

    /// The events written, oldest first, that wait in the outbox.
    pub fn events(&self) -> Vec<HrmsEvent> {
        self.outbox.events()
    }

    /// Stores `employee` and its events if `stored` (the employee stored
    /// under its id) allows, and its e-mail is no one else's.
    fn write(
        &self,
        employee: &Employee,
        events: &[HrmsEvent],
        allowed: impl FnOnce(Option<&Employee>) -> Result<(), String>,
    ) -> Result<(), StoreError> {
        let mut rows = self.rows();
        allowed(rows.get(&employee.employee_id)).map_err(StoreError::Conflict)?;
        let email = employee.email.to_lowercase();
        if rows.values().any(|r| r.employee_id != employee.employee_id && r.email.to_lowercase() == email) {
            return Err(StoreError::Conflict("the e-mail address is taken".into()));
        }
        rows.insert(employee.employee_id, employee.clone());
        self.outbox.extend(events);
        Ok(())
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
        let found = self.rows().get(&employee_id).cloned();
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
}
