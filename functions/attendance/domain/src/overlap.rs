//! When two records of one employee overlap, as every store enforces it on
//! each write, whatever the records' age.
//!
//! A record covers `[check_in, check_out)`; an open one (no check-out)
//! extends for ever. One that ends where another starts does not overlap
//! it, nor does an empty one (checked out the second it was checked in).
//!
//! Since the stores keep an employee's non-empty records apart, those
//! sorted by check-in are sorted by check-out too: of the records checked
//! in before a record ends, only the latest non-empty one can overlap it.
//! The stores read the employee's records latest check-in first, from
//! [`end_key`] down, and ask [`judge`] about each until it decides.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::AttendanceRecord;
use crate::store::sortable;

/// The record a write would overlap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the times overlap record {record_id} (checked in at {check_in})")]
pub struct Overlap {
    pub record_id: Uuid,
    pub check_in: DateTime<Utc>,
    pub check_out: Option<DateTime<Utc>>,
}

impl Overlap {
    fn of(record: &AttendanceRecord) -> Self {
        Self { record_id: record.record_id, check_in: record.check_in, check_out: record.check_out }
    }

    /// The field of `record` that lies in the other record: its check-in,
    /// else (it starts before the other and ends in it) its check-out.
    pub fn field(&self, record: &AttendanceRecord) -> &'static str {
        let inside =
            self.check_in <= record.check_in && self.check_out.is_none_or(|out| record.check_in < out);
        if inside || record.check_out.is_none() { "check_in" } else { "check_out" }
    }
}

/// Whether `a` and `b` (two records of one employee) share any time.
pub fn overlaps(a: &AttendanceRecord, b: &AttendanceRecord) -> bool {
    let ends_after = |r: &AttendanceRecord, at: DateTime<Utc>| r.check_out.is_none_or(|out| out > at);
    a.record_id != b.record_id
        && !empty(a)
        && !empty(b)
        && ends_after(a, b.check_in)
        && ends_after(b, a.check_in)
}

fn empty(r: &AttendanceRecord) -> bool {
    r.check_out == Some(r.check_in)
}

/// The sortable check-in (see [`sortable`]) below which the records that
/// may overlap `record` checked in: its check-out, or above any time if open.
pub fn end_key(record: &AttendanceRecord) -> String {
    record.check_out.map_or_else(|| "9999".to_owned(), sortable)
}

/// What `earlier`, the next of the employee's records checked in before
/// `record` ends (latest check-in first), decides: `None` if it says
/// nothing (`record` itself, or an empty one), else whether `record` may be
/// written.
pub fn judge(record: &AttendanceRecord, earlier: &AttendanceRecord) -> Option<Result<(), Overlap>> {
    if earlier.record_id == record.record_id || empty(earlier) {
        return None;
    }
    Some(if overlaps(record, earlier) { Err(Overlap::of(earlier)) } else { Ok(()) })
}

/// The first of `others` (all the employee's records, any order) that
/// `record` overlaps: the check of a store that reads them all.
pub fn first_among<'a>(
    record: &AttendanceRecord,
    others: impl IntoIterator<Item = &'a AttendanceRecord>,
) -> Result<(), Overlap> {
    match others.into_iter().find(|other| other.employee_id == record.employee_id && overlaps(record, other))
    {
        Some(other) => Err(Overlap::of(other)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn record(from: u32, to: Option<u32>) -> AttendanceRecord {
        let at = |hour| Utc.with_ymd_and_hms(2027, 1, 4, hour, 0, 0).single().expect("valid");
        AttendanceRecord {
            record_id: Uuid::now_v7(),
            employee_id: Uuid::nil(),
            check_in: at(from),
            check_out: to.map(at),
            time_zone: "UTC".into(),
            worked_minutes: None,
            corrected: false,
            correction_reason: None,
            closed_at_termination: false,
            version: 1,
            created_at: at(from),
            updated_at: at(from),
        }
    }

    #[test]
    fn records_overlap_when_they_share_time_and_an_open_one_never_ends() {
        let day = record(8, Some(16));
        assert!(overlaps(&day, &record(15, Some(17))) && overlaps(&record(15, Some(17)), &day));
        assert!(overlaps(&day, &record(9, Some(10))), "inside");
        assert!(overlaps(&day, &record(10, None)), "open from inside");
        assert!(overlaps(&day, &record(7, None)), "open from before");
        assert!(!overlaps(&day, &record(16, Some(18))), "ends where the other starts");
        assert!(!overlaps(&day, &record(16, None)));
        assert!(!overlaps(&day, &record(6, Some(8))));
        assert!(!overlaps(&day, &record(10, Some(10))), "an empty record takes no time");
        assert!(!overlaps(&day, &day), "not with itself");
    }

    #[test]
    fn the_field_named_is_the_one_inside_the_other_record() {
        let day = record(8, Some(16));
        let late = Overlap::of(&day);
        assert_eq!(late.field(&record(15, Some(17))), "check_in");
        assert_eq!(late.field(&record(7, Some(9))), "check_out");
        assert_eq!(late.field(&record(7, None)), "check_in", "a check-in has no check-out");
    }

    #[test]
    fn the_latest_earlier_record_decides() {
        let new = record(10, Some(12));
        assert_eq!(judge(&new, &new), None);
        assert_eq!(judge(&new, &record(9, Some(9))), None);
        assert_eq!(judge(&new, &record(8, Some(10))), Some(Ok(())));
        let open = record(9, None);
        assert_eq!(judge(&new, &open), Some(Err(Overlap::of(&open))));
        assert_eq!(end_key(&new), "2027-01-04T12:00:00Z");
        assert!(end_key(&open) > sortable(open.check_in + Duration::days(365 * 7_900)));
    }
}
