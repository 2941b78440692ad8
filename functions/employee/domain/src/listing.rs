//! Listing employees: the filters HR uses, and pages followed by a cursor.

use chrono::NaiveDate;
use hrms_events::employee::EmployeeStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::Employee;

/// Which employees a listing selects: every filter given must match.
/// Text is compared case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmployeeFilter {
    /// The whole department name.
    pub department: Option<String>,
    pub status: Option<EmployeeStatus>,
    /// Reports of this employee.
    pub manager_id: Option<Uuid>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// The start of the last name.
    pub name: Option<String>,
    /// The start of the e-mail address.
    pub email: Option<String>,
    /// Hired on or after.
    pub hired_from: Option<NaiveDate>,
    /// Hired on or before.
    pub hired_to: Option<NaiveDate>,
}

impl EmployeeFilter {
    /// Whether `e` passes every filter.
    pub fn matches(&self, e: &Employee) -> bool {
        let starts = |text: &str, prefix: &Option<String>| {
            prefix.as_ref().is_none_or(|p| text.to_lowercase().starts_with(&p.to_lowercase()))
        };
        self.department.as_ref().is_none_or(|d| d.to_lowercase() == e.department.to_lowercase())
            && self.status.is_none_or(|s| s == e.status)
            && self.manager_id.is_none_or(|m| Some(m) == e.manager_id)
            && self.country.as_ref().is_none_or(|c| c.eq_ignore_ascii_case(&e.country))
            && starts(&e.last_name, &self.name)
            && starts(&e.email, &self.email)
            && self.hired_from.is_none_or(|from| e.hire_date >= from)
            && self.hired_to.is_none_or(|to| e.hire_date <= to)
    }
}

/// A listing: its filter, where the previous page ended, and the page size.
#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeQuery {
    pub filter: EmployeeFilter,
    /// The `next_cursor` of the page before, as the store gave it.
    pub cursor: Option<String>,
    /// At most this many employees (at least 1).
    pub limit: usize,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmployeePage {
    pub employees: Vec<Employee>,
    /// Where the next page starts (pass it as `cursor`); absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The largest page, and the page when no limit is given.
pub const MAX_LIMIT: usize = 200;
pub const DEFAULT_LIMIT: usize = 50;
