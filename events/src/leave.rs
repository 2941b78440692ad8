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
    #[schemars(length(max = crate::limits::LABEL))]
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day: Option<HalfDay>,
    /// Working days taken, weekends and holidays left out (0.5 for a half day).
    #[schemars(range(min = crate::checks::LEAVE_DAYS.0, max = crate::checks::LEAVE_DAYS.1))]
    pub days: f64,
    pub status: LeaveStatus,
    pub reason: Option<String>,
    #[schemars(range(min = crate::checks::LEAVE_BALANCE.0, max = crate::checks::LEAVE_BALANCE.1))]
    pub balance_after: Option<f64>,
    pub version: u64,
}

/// `leave.requested`: to the approver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveRequested {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    pub approver_id: Option<Uuid>,
    #[schemars(length(max = crate::limits::LABEL))]
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day: Option<HalfDay>,
    #[schemars(range(min = crate::checks::LEAVE_DAYS.0, max = crate::checks::LEAVE_DAYS.1))]
    pub days: f64,
    pub reason: Option<String>,
}

/// `leave.requested` v2: the dates as one period. Read (into v1, the
/// version written) but not yet written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveRequestedV2 {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    pub approver_id: Option<Uuid>,
    #[schemars(length(max = crate::limits::LABEL))]
    pub leave_type: String,
    pub period: LeavePeriod,
    #[schemars(range(min = crate::checks::LEAVE_DAYS.0, max = crate::checks::LEAVE_DAYS.1))]
    pub days: f64,
    pub reason: Option<String>,
}

/// The days a leave request covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavePeriod {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_day: Option<HalfDay>,
}

impl From<LeaveRequestedV2> for LeaveRequested {
    fn from(v2: LeaveRequestedV2) -> Self {
        let LeaveRequestedV2 { leave_id, employee_id, approver_id, leave_type, period, days, reason } = v2;
        let LeavePeriod { start_date, end_date, half_day } = period;
        Self { leave_id, employee_id, approver_id, leave_type, start_date, end_date, half_day, days, reason }
    }
}

impl From<LeaveRequested> for LeaveRequestedV2 {
    fn from(v1: LeaveRequested) -> Self {
        let LeaveRequested {
            leave_id,
            employee_id,
            approver_id,
            leave_type,
            start_date,
            end_date,
            half_day,
            days,
            reason,
        } = v1;
        let period = LeavePeriod { start_date, end_date, half_day };
        Self { leave_id, employee_id, approver_id, leave_type, period, days, reason }
    }
}

/// `leave.approved`: to the employee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveApproved {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    pub approver_id: Uuid,
    #[schemars(length(max = crate::limits::LABEL))]
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    #[schemars(range(min = crate::checks::LEAVE_DAYS.0, max = crate::checks::LEAVE_DAYS.1))]
    pub days: f64,
    #[schemars(range(min = crate::checks::LEAVE_BALANCE.0, max = crate::checks::LEAVE_BALANCE.1))]
    pub balance_after: f64,
    /// Approved when requested, the type needing no approval (sick leave):
    /// the employee's manager is told too. Absent in older events: false.
    #[serde(default)]
    pub without_approval: bool,
}

/// `leave.rejected`: to the employee, with the approver's reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveRejected {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    pub approver_id: Uuid,
    #[schemars(length(max = crate::limits::LABEL))]
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    #[schemars(length(max = crate::limits::REASON))]
    pub reason: String,
}

/// `leave.cancelled`: to the employee (and the approver, if it was approved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveCancelled {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    pub approver_id: Option<Uuid>,
    pub cancelled_by: Uuid,
    #[schemars(length(max = crate::limits::LABEL))]
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub was_approved: bool,
    pub reason: Option<String>,
}

/// `leave.reassigned`: a pending request now awaits another approver,
/// because the employee's manager changed or the approver left; to the
/// employee and the new approver (hr and admin when there is none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveReassigned {
    pub leave_id: Uuid,
    pub employee_id: Uuid,
    /// Who was to decide (none: hr and admin).
    pub previous_approver_id: Option<Uuid>,
    /// Who decides now (none: hr and admin).
    pub approver_id: Option<Uuid>,
    #[schemars(length(max = crate::limits::LABEL))]
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    #[schemars(range(min = crate::checks::LEAVE_DAYS.0, max = crate::checks::LEAVE_DAYS.1))]
    pub days: f64,
    /// Why, e.g. `the manager changed`.
    #[schemars(length(max = crate::limits::REASON))]
    pub reason: String,
}

macro_rules! keyed_by_leave {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn subject(&self) -> String { self.leave_id.to_string() }
            fn partition_key(&self) -> String { self.employee_id.to_string() }
        }
    )*};
}
keyed_by_leave!(LeaveSnapshot, LeaveRequested, LeaveApproved, LeaveRejected, LeaveCancelled, LeaveReassigned);
