//! `attendance.*` payloads: check-ins, check-outs and their corrections.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::common::Keyed;

/// What a marking recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    CheckIn,
    CheckOut,
}

/// An attendance record as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttendanceSnapshot {
    pub record_id: Uuid,
    pub employee_id: Uuid,
    pub check_in: DateTime<Utc>,
    pub check_out: Option<DateTime<Utc>>,
    /// The employee's IANA time zone when the record was made.
    #[schemars(length(max = crate::limits::TIME_ZONE))]
    pub time_zone: String,
    #[schemars(range(min = crate::checks::WORKED_MINUTES.0, max = crate::checks::WORKED_MINUTES.1))]
    pub worked_minutes: Option<i64>,
    pub corrected: bool,
    pub version: u64,
}

/// `attendance.marked`: a check-in or check-out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttendanceMarked {
    pub record_id: Uuid,
    pub employee_id: Uuid,
    pub mark: Mark,
    pub at: DateTime<Utc>,
    #[schemars(length(max = crate::limits::TIME_ZONE))]
    pub time_zone: String,
    #[schemars(range(min = crate::checks::WORKED_MINUTES.0, max = crate::checks::WORKED_MINUTES.1))]
    pub worked_minutes: Option<i64>,
}

/// `attendance.updated`: a correction by a manager or hr, to the employee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttendanceUpdated {
    pub record_id: Uuid,
    pub employee_id: Uuid,
    pub corrected_by: Uuid,
    pub check_in: DateTime<Utc>,
    pub check_out: Option<DateTime<Utc>>,
    #[schemars(range(min = crate::checks::WORKED_MINUTES.0, max = crate::checks::WORKED_MINUTES.1))]
    pub worked_minutes: Option<i64>,
    #[schemars(length(max = crate::limits::REASON))]
    pub reason: String,
}

macro_rules! keyed_by_record {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn subject(&self) -> String { self.record_id.to_string() }
            fn partition_key(&self) -> String { self.employee_id.to_string() }
        }
    )*};
}
keyed_by_record!(AttendanceSnapshot, AttendanceMarked, AttendanceUpdated);
