//! Worked time in an employee's own calendar: a stretch of work (UTC
//! instants) split into the local days of their IANA time zone, and days
//! summed into ISO weeks. Compliance counts worked time this way for its
//! rules, and Attendance shows the same counts, so that the hours a person
//! sees are the hours the policy judged.
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use hrms_compliance::worked::{by_day, zone};
//! // 22:00 to 02:00 UTC in New York (UTC-5 in January): 17:00 to 21:00, one day.
//! let start = Utc.with_ymd_and_hms(2027, 1, 4, 22, 0, 0).unwrap();
//! let end = Utc.with_ymd_and_hms(2027, 1, 5, 2, 0, 0).unwrap();
//! let days = by_day(start, end, zone("America/New_York"));
//! assert_eq!(days, vec![(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(), 4 * 3600)]);
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone named `name`; UTC when the name is not an IANA zone (the
/// Employee function checks only its shape).
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The local date of `at` in `tz`.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// When local day `date` begins in `tz`: its midnight, or the first local
/// time that exists where a transition skips midnight.
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for minutes in (0..=24 * 60).step_by(15) {
        let local = midnight + chrono::Duration::minutes(minutes);
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
            LocalResult::None => {}
        }
    }
    midnight.and_utc()
}

/// The seconds of `[start, end)` on each local day of `tz`, in date order
/// (empty when `end` is not after `start`).
pub fn by_day(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Vec<(NaiveDate, i64)> {
    let mut days = Vec::new();
    let mut cursor = start;
    while cursor < end {
        let date = local_date(cursor, tz);
        let next = date.checked_add_days(Days::new(1)).map_or(end, |d| start_of_day(d, tz));
        // A transition can put the next local midnight at or before the
        // cursor; never loop on the same instant.
        let until = if next > cursor { next.min(end) } else { end };
        days.push((date, (until - cursor).num_seconds()));
        cursor = until;
    }
    days
}

/// The ISO week of `date`, e.g. `2027-W01`.
pub fn iso_week(date: NaiveDate) -> String {
    let week = date.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// The Monday of `date`'s ISO week.
pub fn monday(date: NaiveDate) -> NaiveDate {
    date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// Worked seconds per local day, summed over stretches of work, each in
/// its own zone.
pub fn daily_totals(
    stretches: impl IntoIterator<Item = (DateTime<Utc>, DateTime<Utc>, Tz)>,
) -> BTreeMap<NaiveDate, i64> {
    let mut totals = BTreeMap::new();
    for (start, end, tz) in stretches {
        for (date, seconds) in by_day(start, end, tz) {
            *totals.entry(date).or_insert(0) += seconds;
        }
    }
    totals
}

/// Daily totals summed per ISO week, keyed by the week's Monday.
pub fn weekly_totals(days: &BTreeMap<NaiveDate, i64>) -> BTreeMap<NaiveDate, i64> {
    let mut weeks = BTreeMap::new();
    for (date, seconds) in days {
        *weeks.entry(monday(*date)).or_insert(0) += seconds;
    }
    weeks
}

/// Seconds as hours, to two decimals.
pub fn hours(seconds: i64) -> f64 {
    (seconds as f64 / 36.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid")
    }

    #[test]
    fn a_night_shift_is_split_at_local_midnight() {
        // 20:00 to 04:00 in Berlin (UTC+1 in winter) is 19:00 to 03:00 UTC.
        let days = by_day(at(2027, 1, 5, 19, 0), at(2027, 1, 6, 3, 0), zone("Europe/Berlin"));
        assert_eq!(days, vec![(date(2027, 1, 5), 4 * 3600), (date(2027, 1, 6), 4 * 3600)]);
        // The same instants in UTC fall on two days split 5 h / 3 h.
        let utc = by_day(at(2027, 1, 5, 19, 0), at(2027, 1, 6, 3, 0), zone("UTC"));
        assert_eq!(utc, vec![(date(2027, 1, 5), 5 * 3600), (date(2027, 1, 6), 3 * 3600)]);
    }

    #[test]
    fn the_same_instants_are_other_days_elsewhere() {
        // 23:00 UTC on Sunday is Monday morning in Tokyo and Sunday evening in New York.
        let (start, end) = (at(2027, 1, 3, 23, 0), at(2027, 1, 4, 7, 0));
        let tokyo = by_day(start, end, zone("Asia/Tokyo"));
        assert_eq!(tokyo, vec![(date(2027, 1, 4), 8 * 3600)]);
        let new_york = by_day(start, end, zone("America/New_York"));
        assert_eq!(new_york, vec![(date(2027, 1, 3), 6 * 3600), (date(2027, 1, 4), 2 * 3600)]);
        assert_eq!(iso_week(date(2027, 1, 4)), "2027-W01");
        assert_eq!(iso_week(date(2027, 1, 3)), "2026-W53");
    }

    #[test]
    fn a_day_with_a_clock_change_has_its_real_length() {
        // Berlin springs forward on 2027-03-28: that local day has 23 hours.
        let tz = zone("Europe/Berlin");
        let start = start_of_day(date(2027, 3, 28), tz);
        let end = start_of_day(date(2027, 3, 29), tz);
        assert_eq!(by_day(start, end, tz), vec![(date(2027, 3, 28), 23 * 3600)]);
        // Santiago skips midnight itself in September: its day starts at 01:00.
        let santiago = zone("America/Santiago");
        let first = start_of_day(date(2026, 9, 6), santiago);
        assert_eq!(first.with_timezone(&santiago).format("%H:%M").to_string(), "01:00");
    }

    #[test]
    fn unknown_zones_count_in_utc_and_empty_spans_are_nothing() {
        assert_eq!(zone("Mars/Olympus_Mons"), Tz::UTC);
        assert!(by_day(at(2027, 1, 5, 9, 0), at(2027, 1, 5, 9, 0), Tz::UTC).is_empty());
        assert!(by_day(at(2027, 1, 5, 9, 0), at(2027, 1, 5, 8, 0), Tz::UTC).is_empty());
    }

    #[test]
    fn days_sum_into_weeks_from_monday() {
        let tz = zone("Europe/London");
        let days = daily_totals([
            (at(2027, 1, 4, 9, 0), at(2027, 1, 4, 17, 0), tz),
            (at(2027, 1, 10, 9, 0), at(2027, 1, 10, 12, 30), tz),
            (at(2027, 1, 11, 9, 0), at(2027, 1, 11, 10, 0), tz),
            (at(2027, 1, 4, 18, 0), at(2027, 1, 4, 19, 0), tz),
        ]);
        assert_eq!(days[&date(2027, 1, 4)], 9 * 3600);
        let weeks = weekly_totals(&days);
        assert_eq!(weeks.get(&date(2027, 1, 4)), Some(&(9 * 3600 + 3 * 3600 + 1800)));
        assert_eq!(weeks.get(&date(2027, 1, 11)), Some(&3600));
        assert_eq!(hours(9 * 3600 + 3 * 3600 + 1800), 12.5);
        assert_eq!(hours(100), 0.03);
    }
}
