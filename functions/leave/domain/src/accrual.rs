//! What an employee may take of a type of leave in a year: the allowance
//! pro rata to the days employed, and the days carried over from the year
//! before until they expire.
//!
//! - **Pro rata** ([`pro_rata`]): the policy's allowance times the calendar
//!   days employed in the year (from the later of the hire date and
//!   1 January to the earlier of the termination date and 31 December,
//!   both included) over the days of the year, rounded *up* to the next
//!   half day. Not employed in the year at all: 0. A type with
//!   `pro_rata = false` has its whole allowance in any year employed.
//! - **Carry-over** ([`carried_into`]): what a year leaves unused of its
//!   own allowance, at most the type's `carry_over_cap`, is carried into
//!   the next year until its `carry_over_expires` day (included). Days
//!   taken in the next year up to that day draw on the carried days first;
//!   carried days not taken by then expire. Carried days are never carried
//!   again.

use chrono::{Datelike, NaiveDate};

use crate::calendar::Calendar;
use crate::model::Leave;
use crate::policy::LeaveType;

/// How many years before a year are read to carry days over: the chain
/// starts empty in the hire year, or this many years back.
pub const CARRY_YEARS: i32 = 4;

/// The allowance of a type in `year` for someone employed from `hired` to
/// `terminated` (none: still employed), rounded up to the next half day.
pub fn pro_rata(allowance: f64, year: i32, hired: NaiveDate, terminated: Option<NaiveDate>) -> f64 {
    let (Some(first), Some(last)) =
        (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31))
    else {
        return 0.0;
    };
    let from = hired.max(first);
    let to = terminated.map_or(last, |t| t.min(last));
    if to < from {
        return 0.0;
    }
    let employed = (to - from).num_days() + 1;
    let days_in_year = (last - first).num_days() + 1;
    if employed == days_in_year {
        return allowance;
    }
    let exact = allowance * employed as f64 / days_in_year as f64;
    // A hair below to keep products such as 12.5000000001 at 12.5; `+ 0.0`
    // turns the -0.0 that `ceil` gives a zero allowance into 0.
    ((exact * 2.0 - 1e-9).ceil() / 2.0).max(0.0) + 0.0
}

/// The allowance of `rules` in `year` for someone employed from `hired`
/// to `terminated`.
pub fn allowance(rules: &LeaveType, year: i32, hired: NaiveDate, terminated: Option<NaiveDate>) -> f64 {
    if rules.pro_rata {
        pro_rata(rules.allowance, year, hired, terminated)
    } else if employed_in(year, hired, terminated) {
        rules.allowance
    } else {
        0.0
    }
}

fn employed_in(year: i32, hired: NaiveDate, terminated: Option<NaiveDate>) -> bool {
    hired.year() <= year && terminated.is_none_or(|t| t.year() >= year)
}

/// The day of `year` after which the days carried into it are gone.
pub fn expiry_in(rules: &LeaveType, year: i32) -> Option<NaiveDate> {
    // 02-29 in a year without one: the day before.
    rules.carry_over_expires.date_in(year).or_else(|| NaiveDate::from_ymd_opt(year, 2, 28))
}

/// What one year saw of a type: for carrying its unused days over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YearUse {
    /// Its allowance (pro rata).
    pub allowance: f64,
    /// The days of its approved requests.
    pub taken: f64,
    /// Of those, the days up to its carry-over expiry day.
    pub taken_by_expiry: f64,
}

/// The days carried into the year after the last of `years` (oldest
/// first, consecutive), at most `cap` each year: the first year starts
/// with nothing carried.
pub fn carried_into(cap: f64, years: &[YearUse]) -> f64 {
    years.iter().fold(0.0, |carried, year| {
        let from_carried = f64::min(carried, year.taken_by_expiry);
        let own_taken = year.taken - from_carried;
        (year.allowance - own_taken).clamp(0.0, cap)
    })
}

/// The working days of `leave` from `from` to `day` (both included) on
/// `calendar`: all its days when it lies within them.
pub fn days_by(leave: &Leave, from: NaiveDate, day: NaiveDate, calendar: &Calendar) -> f64 {
    let (start, end) = (leave.start_date.max(from), leave.end_date.min(day));
    if start > end {
        0.0
    } else if (start, end) == (leave.start_date, leave.end_date) {
        leave.days
    } else {
        calendar.working_days(start, end).len() as f64
    }
}

/// What an employee may take of one type in one year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entitlement {
    /// The year's own allowance, pro rata.
    pub allowance: f64,
    /// Days carried over from the year before.
    pub carried: f64,
    /// The last day carried days may be taken on (none: nothing carries).
    pub expires: Option<NaiveDate>,
    /// The days approved in the year up to `expires`.
    pub taken_by_expiry: f64,
}

impl Entitlement {
    /// Nothing carried: the allowance only.
    pub fn allowance_only(allowance: f64) -> Self {
        Self { allowance, carried: 0.0, expires: None, taken_by_expiry: 0.0 }
    }

    /// The carried days taken: days up to the expiry draw on them first.
    pub fn carried_taken(&self) -> f64 {
        f64::min(self.carried, self.taken_by_expiry)
    }

    /// The carried days not taken: they expire after `expires`.
    pub fn expiring(&self) -> f64 {
        self.carried - self.carried_taken()
    }

    /// How many days the year's approved requests may take in all, for
    /// days on `date`: the allowance and the carried days while they last,
    /// the allowance and the carried days already taken after.
    pub fn available_on(&self, date: NaiveDate) -> f64 {
        let usable =
            if self.expires.is_some_and(|e| date <= e) { self.carried } else { self.carried_taken() };
        self.allowance + usable
    }

    /// How many days the year's approved requests may take in all once a
    /// new one, `days_by_expiry` of whose days fall up to the expiry, is
    /// among them: the allowance, and the carried days that the days up
    /// to the expiry draw on.
    pub fn available_with(&self, days_by_expiry: f64) -> f64 {
        let drawn = if self.expires.is_some() { self.taken_by_expiry + days_by_expiry } else { 0.0 };
        self.allowance + f64::min(self.carried, drawn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{date, leave};
    use crate::policy::Policy;

    #[test]
    fn a_whole_year_employed_has_the_whole_allowance() {
        assert_eq!(pro_rata(25.0, 2027, date(2020, 6, 1), None), 25.0);
        assert_eq!(pro_rata(25.0, 2027, date(2027, 1, 1), Some(date(2027, 12, 31))), 25.0);
    }

    #[test]
    fn hired_mid_year_has_the_days_employed_rounded_up_to_half_days() {
        // 1 July to 31 December 2027: 184 of 365 days; 25 x 184/365 = 12.6.
        assert_eq!(pro_rata(25.0, 2027, date(2027, 7, 1), None), 13.0);
        // 1 October: 92 days, 6.3 -> 6.5.
        assert_eq!(pro_rata(25.0, 2027, date(2027, 10, 1), None), 6.5);
        // Hired on 31 December: one day, 0.07 -> 0.5.
        assert_eq!(pro_rata(25.0, 2027, date(2027, 12, 31), None), 0.5);
        assert_eq!(pro_rata(25.0, 2027, date(2028, 1, 3), None), 0.0, "hired the year after");
        assert!(pro_rata(0.0, 2027, date(2027, 7, 1), None).is_sign_positive(), "0, not -0");
    }

    #[test]
    fn terminated_mid_year_keeps_the_days_employed() {
        // 1 January to 31 March 2027: 90 days, 6.16 -> 6.5.
        assert_eq!(pro_rata(25.0, 2027, date(2020, 1, 1), Some(date(2027, 3, 31))), 6.5);
        // Hired 1 April, left 30 September 2028 (a leap year): 183 of 366 days, 12.5.
        assert_eq!(pro_rata(25.0, 2028, date(2028, 4, 1), Some(date(2028, 9, 30))), 12.5);
        assert_eq!(pro_rata(25.0, 2028, date(2020, 1, 1), Some(date(2027, 12, 31))), 0.0, "gone");
    }

    #[test]
    fn a_type_without_pro_rata_has_its_allowance_in_any_year_employed() {
        let parental = Policy::default().types["parental"];
        assert_eq!(allowance(&parental, 2027, date(2027, 11, 1), None), 60.0);
        assert_eq!(allowance(&parental, 2026, date(2027, 11, 1), None), 0.0);
        let annual = Policy::default().types["annual"];
        assert_eq!(allowance(&annual, 2027, date(2027, 7, 1), None), 13.0);
    }

    #[test]
    fn unused_days_carry_over_up_to_the_cap() {
        let year = |allowance, taken, taken_by_expiry| YearUse { allowance, taken, taken_by_expiry };
        assert_eq!(carried_into(5.0, &[year(25.0, 22.0, 0.0)]), 3.0);
        assert_eq!(carried_into(5.0, &[year(25.0, 10.0, 0.0)]), 5.0, "capped");
        assert_eq!(carried_into(5.0, &[year(25.0, 25.0, 0.0)]), 0.0);
        assert_eq!(carried_into(0.0, &[year(25.0, 0.0, 0.0)]), 0.0, "no carry-over");
        // 2026 carried 5 into 2027; 2027 took 4 by the expiry (from the
        // carried days) and 24 in all: 20 of its own 25, so 5 carry on.
        let chain = [year(25.0, 10.0, 0.0), year(25.0, 24.0, 4.0)];
        assert_eq!(carried_into(5.0, &chain), 5.0);
        // Taking 28 by then: 5 carried and 23 of its own; 2 left.
        assert_eq!(carried_into(5.0, &[year(25.0, 10.0, 0.0), year(25.0, 28.0, 28.0)]), 2.0);
    }

    #[test]
    fn carried_days_are_taken_first_and_expire_after_the_day() {
        let expires = date(2027, 3, 31);
        let e = Entitlement { allowance: 25.0, carried: 5.0, expires: Some(expires), taken_by_expiry: 3.0 };
        assert_eq!(e.available_on(date(2027, 3, 31)), 30.0, "all carried days until the day");
        assert_eq!(e.available_on(date(2027, 4, 1)), 28.0, "the 3 taken stay taken, 2 expire");
        assert_eq!(e.expiring(), 2.0);
        let used_up = Entitlement { taken_by_expiry: 8.0, ..e };
        assert_eq!((used_up.carried_taken(), used_up.expiring()), (5.0, 0.0));
        assert_eq!(used_up.available_on(date(2027, 6, 1)), 30.0);
        assert_eq!(Entitlement::allowance_only(25.0).available_on(date(2027, 1, 4)), 25.0);
        // A new request with 1 day by the expiry: 3 + 1 carried days drawn.
        assert_eq!(e.available_with(1.0), 29.0);
        assert_eq!(e.available_with(4.0), 30.0, "no more than the carried days");
        assert_eq!(e.available_with(0.0), 28.0, "all after the expiry");
        assert_eq!(Entitlement::allowance_only(25.0).available_with(3.0), 25.0);
    }

    #[test]
    fn the_days_by_the_expiry_count_working_days() {
        let gb = Policy::default().calendar("GB");
        let employee = uuid::Uuid::now_v7();
        // Monday 29 March to Friday 2 April 2027: Easter Monday is on 29 March.
        let mut l = leave(employee, date(2027, 3, 29), date(2027, 4, 2));
        l.days = 4.0;
        let new_year = date(2027, 1, 1);
        assert_eq!(days_by(&l, new_year, date(2027, 3, 31), &gb), 2.0);
        assert_eq!(days_by(&l, new_year, date(2027, 4, 30), &gb), 4.0);
        assert_eq!(days_by(&l, new_year, date(2027, 3, 28), &gb), 0.0);
        // Across the new year: only the days from 1 January count.
        // Wednesday 29 December 2027 to Wednesday 5 January 2028: 3 + 2.
        let mut across = leave(employee, date(2027, 12, 29), date(2028, 1, 5));
        (across.days, across.next_year_days) = (5.0, Some(2.0));
        assert_eq!(days_by(&across, date(2028, 1, 1), date(2028, 3, 31), &gb), 2.0);
    }

    #[test]
    fn the_expiry_day_of_a_year() {
        let t = LeaveType { carry_over_expires: "02-29".parse().expect("rule"), ..LeaveType::default() };
        assert_eq!(expiry_in(&t, 2027), Some(date(2027, 2, 28)));
        assert_eq!(expiry_in(&t, 2028), Some(date(2028, 2, 29)));
        assert_eq!(expiry_in(&LeaveType::default(), 2027), Some(date(2027, 3, 31)));
    }
}
