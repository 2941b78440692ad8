//! `GET /employees` on DynamoDB: a global secondary index per access
//! pattern ([`LAYOUT`]), keyed on attributes only employee records carry
//! ([`indexed`]). A listing reads the index of its most selective filter
//! (manager, department, e-mail, name, hire dates, country, status, else
//! every employee) and applies the other filters to what it reads.

use hrms_dynamodb::versioned::list::{IndexQuery, ListError, SortRange};
use hrms_dynamodb::{Index, Layout};
use hrms_employee::listing::{EmployeePage, EmployeeQuery};
use hrms_employee::{Employee, StoreError};
use hrms_platform::store::StoreContext;

use super::DynamoEmployeeStore;

/// The employee table's indexes: by the filter's key, sorted by the
/// employee id (or by name, e-mail or hire date, for their ranges).
pub const LAYOUT: Layout = Layout {
    local: &[],
    global: &[ALL, BY_DEPARTMENT, BY_MANAGER, BY_COUNTRY, BY_STATUS, BY_NAME, BY_EMAIL, BY_HIRE],
};

const ALL: Index = Index { name: "employees", partition: ENTITY, sort: LIST_KEY };
const BY_DEPARTMENT: Index = Index { name: "by_department", partition: "department_key", sort: LIST_KEY };
const BY_MANAGER: Index = Index { name: "by_manager", partition: "manager_key", sort: LIST_KEY };
const BY_COUNTRY: Index = Index { name: "by_country", partition: "country", sort: LIST_KEY };
const BY_STATUS: Index = Index { name: "by_status", partition: "status", sort: LIST_KEY };
const BY_NAME: Index = Index { name: "by_name", partition: ENTITY, sort: "name_key" };
const BY_EMAIL: Index = Index { name: "by_email", partition: ENTITY, sort: "email" };
const BY_HIRE: Index = Index { name: "by_hire", partition: ENTITY, sort: "hire_key" };

/// `EMPLOYEE` on every record: the partition of the indexes over everyone.
const ENTITY: &str = "entity";
/// The employee id.
const LIST_KEY: &str = "list_key";

/// The attributes of an employee's record item that key the indexes
/// (`email`, lower-cased, is the record's already).
pub(super) fn indexed(e: &Employee) -> Vec<(&'static str, String)> {
    let id = e.employee_id;
    let mut attributes = vec![
        (ENTITY, "EMPLOYEE".to_owned()),
        (LIST_KEY, id.to_string()),
        ("department_key", e.department.to_lowercase()),
        ("country", e.country.clone()),
        ("status", status(e.status)),
        ("name_key", format!("{}#{id}", e.last_name.to_lowercase())),
        ("hire_key", format!("{}#{id}", e.hire_date)),
    ];
    if let Some(manager) = e.manager_id {
        attributes.push(("manager_key", manager.to_string()));
    }
    attributes
}

fn status(status: hrms_events::employee::EmployeeStatus) -> String {
    serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The index `query` reads, its partition and its range.
fn plan(query: &EmployeeQuery) -> (&'static Index, String, SortRange) {
    let f = &query.filter;
    let everyone = || "EMPLOYEE".to_owned();
    if let Some(manager) = f.manager_id {
        (&BY_MANAGER, manager.to_string(), SortRange::All)
    } else if let Some(department) = &f.department {
        (&BY_DEPARTMENT, department.to_lowercase(), SortRange::All)
    } else if let Some(email) = &f.email {
        (&BY_EMAIL, everyone(), SortRange::Prefix(email.to_lowercase()))
    } else if let Some(name) = &f.name {
        (&BY_NAME, everyone(), SortRange::Prefix(name.to_lowercase()))
    } else if f.hired_from.is_some() || f.hired_to.is_some() {
        let low = f.hired_from.map_or("0".to_owned(), |d| format!("{d}#"));
        let high = f.hired_to.map_or("9".to_owned(), |d| format!("{d}#~"));
        (&BY_HIRE, everyone(), SortRange::Between(low, high))
    } else if let Some(country) = &f.country {
        (&BY_COUNTRY, country.to_uppercase(), SortRange::All)
    } else if let Some(s) = f.status {
        (&BY_STATUS, status(s), SortRange::All)
    } else {
        (&ALL, everyone(), SortRange::All)
    }
}

impl DynamoEmployeeStore {
    pub(super) async fn list_employees(&self, query: &EmployeeQuery) -> Result<EmployeePage, StoreError> {
        let (index, partition, range) = plan(query);
        let passes =
            |json: &str| serde_json::from_str::<Employee>(json).is_ok_and(|e| query.filter.matches(&e));
        let listing =
            IndexQuery { index, partition, range, cursor: query.cursor.as_deref(), limit: query.limit };
        let page = self.records.list(listing, passes).await.map_err(|e| match e {
            ListError::InvalidCursor => StoreError::InvalidCursor(e.to_string()),
            ListError::Failed(failure) => failure.into(),
        })?;
        let employees = page
            .records
            .iter()
            .map(|json| serde_json::from_str(json))
            .collect::<Result<Vec<Employee>, _>>()
            .context("unreadable employee")?;
        Ok(EmployeePage { employees, next_cursor: page.next_cursor })
    }
}
