//! `leave.*` payloads: requests for time off and their decisions.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::common::Keyed;

/// Which half of a single day a half-day request takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HalfDay {
    FirstHalf,
    SecondHalf,
}

/// A request's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeaveStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

/// A leave request as the audit trail records it, with the balance of its
/// type after the operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveSnapshot {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    pub approver_id: Option<Uuid>,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day: Option<HalfDay>,
    /// Working days taken, weekends and holidays left out (0.5 for a half day).
    pub days: f64,
    pub status: LeaveStatus,
    pub reason: Option<String>,
    pub balance_after: Option<f64>,
    pub version: u64,
}

/// `leave.requested`: to the approver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveRequested {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    pub approver_id: Option<Uuid>,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day: Option<HalfDay>,
    pub days: f64,
    pub reason: Option<String>,
}

/// `leave.approved`: to the employee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveApproved {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    pub approver_id: Uuid,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub days: f64,
    pub balance_after: f64,
}

/// `leave.rejected`: to the employee, with the approver's reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveRejected {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    pub approver_id: Uuid,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub reason: String,
}

/// `leave.cancelled`: to the employee (and the approver, if it was approved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveCancelled {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    pub approver_id: Option<Uuid>,
    pub cancelled_by: Uuid,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub was_approved: bool,
    pub reason: Option<String>,
}

macro_rules! keyed_by_leave {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn subject(&self) -> String { self.leave_id.to_string() }
            fn partition_key(&self) -> String { self.employee_id.to_string() }
        }
    )*};
}
keyed_by_leave!(LeaveSnapshot, LeaveRequested, LeaveApproved, LeaveRejected, LeaveCancelled);
