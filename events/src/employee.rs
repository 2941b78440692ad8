//! `employee.*` payloads: the people HR manages. Personal data that no
//! consumer needs (date of birth, salary, bank details) stays out of events.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::common::Keyed;

/// An employment's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmployeeStatus {
    Active,
    Terminated,
}

/// An employee as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmployeeSnapshot {
    pub employee_id: Uuid,
    pub user_id: Option<Uuid>,
    #[schemars(length(max = crate::limits::NAME))]
    pub first_name: String,
    #[schemars(length(max = crate::limits::NAME))]
    pub last_name: String,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub email: String,
    #[schemars(length(max = crate::limits::LABEL))]
    pub department: String,
    #[schemars(length(max = crate::limits::LABEL))]
    pub job_title: String,
    pub manager_id: Option<Uuid>,
    /// ISO 3166-1 alpha-2 country, which picks the holiday calendar.
    #[schemars(length(max = crate::limits::COUNTRY))]
    pub country: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    #[schemars(length(max = crate::limits::TIME_ZONE))]
    pub time_zone: String,
    #[schemars(range(min = crate::checks::WEEKLY_HOURS.0, max = crate::checks::WEEKLY_HOURS.1))]
    pub weekly_hours: f64,
    pub hire_date: NaiveDate,
    pub status: EmployeeStatus,
    pub termination_date: Option<NaiveDate>,
    pub version: u64,
}

/// `employee.created`: to the manager and hr.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmployeeCreated {
    pub employee_id: Uuid,
    pub user_id: Option<Uuid>,
    #[schemars(length(max = crate::limits::NAME))]
    pub first_name: String,
    #[schemars(length(max = crate::limits::NAME))]
    pub last_name: String,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub email: String,
    #[schemars(length(max = crate::limits::LABEL))]
    pub department: String,
    #[schemars(length(max = crate::limits::LABEL))]
    pub job_title: String,
    pub manager_id: Option<Uuid>,
    pub hire_date: NaiveDate,
    /// Contracted hours per week, which Compliance holds worked time
    /// against; absent from events written before it was carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = crate::checks::WEEKLY_HOURS.0, max = crate::checks::WEEKLY_HOURS.1))]
    pub weekly_hours: Option<f64>,
}

/// `employee.updated`: which fields changed, and who manages the employee now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmployeeUpdated {
    pub employee_id: Uuid,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub email: String,
    pub manager_id: Option<Uuid>,
    pub changed_fields: Vec<String>,
    /// Contracted hours per week, which Compliance holds worked time
    /// against; absent from events written before it was carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = crate::checks::WEEKLY_HOURS.0, max = crate::checks::WEEKLY_HOURS.1))]
    pub weekly_hours: Option<f64>,
}

/// `employee.terminated`: to hr and the manager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmployeeTerminated {
    pub employee_id: Uuid,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub email: String,
    #[schemars(length(max = crate::limits::NAME))]
    pub first_name: String,
    #[schemars(length(max = crate::limits::NAME))]
    pub last_name: String,
    pub manager_id: Option<Uuid>,
    pub termination_date: NaiveDate,
    #[schemars(length(max = crate::limits::REASON))]
    pub reason: String,
}

macro_rules! keyed_by_employee {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn subject(&self) -> String { self.employee_id.to_string() }
            fn partition_key(&self) -> String { self.employee_id.to_string() }
        }
    )*};
}
keyed_by_employee!(EmployeeSnapshot, EmployeeCreated, EmployeeUpdated, EmployeeTerminated);
