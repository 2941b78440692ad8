//! The attendance record and the inputs of the commands that change it.

use chrono::{DateTime, Utc};
use hrms_events::attendance::AttendanceSnapshot;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One check-in and, once the person leaves, its check-out. Times are UTC
/// (whole seconds); the employee's time zone at check-in is recorded, and
/// their worked time is counted in its local days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceRecord {
    pub record_id: Uuid,
    pub employee_id: Uuid,
    pub check_in: DateTime<Utc>,
    /// `null` while the person is checked in.
    pub check_out: Option<DateTime<Utc>>,
    /// The employee's IANA time zone at check-in, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// Whole minutes between check-in and check-out, once checked out.
    pub worked_minutes: Option<i64>,
    /// Whether a manager or hr corrected it.
    pub corrected: bool,
    /// The reason of the last correction.
    pub correction_reason: Option<String>,
    /// Whether it was closed because the employment ended: its check-out is
    /// the termination time (see `commands::terminated`).
    #[serde(default)]
    pub closed_at_termination: bool,
    /// 1 at check-in, one more with every change.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AttendanceRecord {
    /// Whether the person is still checked in.
    pub fn is_open(&self) -> bool {
        self.check_out.is_none()
    }

    /// The record as events carry it.
    pub fn snapshot(&self) -> AttendanceSnapshot {
        AttendanceSnapshot {
            record_id: self.record_id,
            employee_id: self.employee_id,
            check_in: self.check_in,
            check_out: self.check_out,
            time_zone: self.time_zone.clone(),
            worked_minutes: self.worked_minutes,
            corrected: self.corrected,
            version: self.version,
        }
    }
}

/// Whole minutes from `check_in` to `check_out` (none while open).
pub fn worked_minutes(check_in: DateTime<Utc>, check_out: Option<DateTime<Utc>>) -> Option<i64> {
    check_out.map(|out| (out - check_in).num_minutes().max(0))
}

/// A correction by the employee's manager or hr: new times, at least one,
/// and why. `version`, when given, must be the stored one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Correction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in: Option<DateTime<Utc>>,
    /// Closes an open record; a closed one cannot be reopened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_out: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500, pattern = r"\S"))]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}
