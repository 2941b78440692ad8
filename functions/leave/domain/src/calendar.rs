//! Holiday calendars: a country's weekend and public holidays, from rules
//! that hold year after year, and the working days between two dates.
//!
//! A holiday rule is one string:
//! - `MM-DD`: the same date every year (`12-25`);
//! - `YYYY-MM-DD`: one date only (`2027-06-03`);
//! - `easter`, `easter+N`, `easter-N`: days from Easter Sunday (Western,
//!   Gregorian): `easter-2` is Good Friday, `easter+1` Easter Monday;
//! - `<first|second|third|fourth|fifth|last> <weekday> of <month>`:
//!   `last monday of may`, `fourth thursday of november`.
//!
//! `observed` says what becomes of an `MM-DD` holiday that falls on a
//! weekend: `none` (nothing, the default), `next_weekday` (the next working
//! day that is not a holiday already, as in the UK: Christmas on a Saturday
//! is observed on Monday, Boxing Day on the Sunday after it on Tuesday) or
//! `nearest_weekday` (Saturday to the Friday before, Sunday to the Monday
//! after, as US federal holidays are).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;

/// A country's working week and public holidays.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// The days nobody works (`["saturday", "sunday"]` unless said).
    #[serde(default = "saturday_and_sunday")]
    pub weekend: Vec<Weekday>,
    /// What becomes of a fixed-date holiday on a weekend.
    #[serde(default)]
    pub observed: Observed,
    /// The holiday rules (see the module documentation).
    #[serde(default)]
    pub holidays: Vec<Rule>,
}

fn saturday_and_sunday() -> Vec<Weekday> {
    vec![Weekday::Sat, Weekday::Sun]
}

impl Default for Calendar {
    /// Weekends only, no holidays: the calendar of a country the policy
    /// does not name.
    fn default() -> Self {
        Self { weekend: saturday_and_sunday(), observed: Observed::None, holidays: Vec::new() }
    }
}

/// Where a fixed-date holiday on a weekend is observed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Observed {
    #[default]
    None,
    NextWeekday,
    NearestWeekday,
}

/// One holiday rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The same month and day every year.
    Fixed { month: u32, day: u32 },
    /// One date.
    Date(NaiveDate),
    /// Days from Easter Sunday.
    Easter(i64),
    /// The `nth` `weekday` of `month`; `nth` -1 is the last.
    Nth { nth: i8, weekday: Weekday, month: u32 },
}

impl Calendar {
    /// Whether `date` is a weekend day.
    pub fn is_weekend(&self, date: NaiveDate) -> bool {
        self.weekend.contains(&date.weekday())
    }

    /// The holidays (as observed) from `start` to `end`, both included.
    pub fn holidays_between(&self, start: NaiveDate, end: NaiveDate) -> BTreeSet<NaiveDate> {
        // An observed holiday can move into the year before (1 January on a
        // Saturday, observed on 31 December) or after.
        (start.year() - 1..=end.year() + 1)
            .flat_map(|year| self.holidays_of(year))
            .filter(|d| (start..=end).contains(d))
            .collect()
    }

    /// The holidays of the rules for `year`, moved as `observed` says.
    fn holidays_of(&self, year: i32) -> BTreeSet<NaiveDate> {
        let mut days: BTreeSet<NaiveDate> = self.holidays.iter().filter_map(|r| r.date_in(year)).collect();
        let mut moved: Vec<NaiveDate> = self
            .holidays
            .iter()
            .filter(|r| matches!(r, Rule::Fixed { .. }))
            .filter_map(|r| r.date_in(year))
            .filter(|d| self.is_weekend(*d))
            .collect();
        moved.sort();
        for date in moved {
            let substitute = match self.observed {
                Observed::None => None,
                Observed::NearestWeekday => match date.weekday() {
                    Weekday::Sat => date.pred_opt(),
                    Weekday::Sun => date.succ_opt(),
                    _ => None,
                },
                Observed::NextWeekday => (1..=14)
                    .filter_map(|n| date.checked_add_days(Days::new(n)))
                    .find(|d| !self.is_weekend(*d) && !days.contains(d)),
            };
            days.extend(substitute);
        }
        days
    }

    /// The working days from `start` to `end`, both included: neither
    /// weekend nor holiday.
    pub fn working_days(&self, start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
        let holidays = self.holidays_between(start, end);
        start
            .iter_days()
            .take_while(|d| *d <= end)
            .filter(|d| !self.is_weekend(*d) && !holidays.contains(d))
            .collect()
    }
}

impl Rule {
    /// The date this rule names in `year`, if it names one.
    pub fn date_in(&self, year: i32) -> Option<NaiveDate> {
        match *self {
            Rule::Fixed { month, day } => NaiveDate::from_ymd_opt(year, month, day),
            Rule::Date(date) => (date.year() == year).then_some(date),
            Rule::Easter(offset) => {
                let easter = easter_sunday(year)?;
                if offset >= 0 {
                    easter.checked_add_days(Days::new(offset.unsigned_abs()))
                } else {
                    easter.checked_sub_days(Days::new(offset.unsigned_abs()))
                }
            }
            Rule::Nth { nth, weekday, month } if nth > 0 => {
                NaiveDate::from_weekday_of_month_opt(year, month, weekday, nth as u8)
            }
            Rule::Nth { weekday, month, .. } => {
                let next_month = if month == 12 {
                    NaiveDate::from_ymd_opt(year + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(year, month + 1, 1)
                }?;
                let last = next_month.pred_opt()?;
                let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
                last.checked_sub_days(Days::new(u64::from(back)))
            }
        }
    }
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous
/// Gregorian algorithm, also known as Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let (b, c) = (year.div_euclid(100), year.rem_euclid(100));
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// A holiday rule that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("holiday rule {rule:?}: {why}")]
pub struct RuleError {
    pub rule: String,
    pub why: &'static str,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const ORDINALS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let rule = text.trim().to_lowercase();
        let fail = |why| RuleError { rule: text.to_owned(), why };
        if let Some(offset) = rule.strip_prefix("easter") {
            let offset = match offset.trim() {
                "" => 0,
                o => o.replace(' ', "").parse::<i64>().map_err(|_| fail("easter takes +N or -N days"))?,
            };
            if offset.abs() > 200 {
                return Err(fail("more than 200 days from Easter"));
            }
            return Ok(Rule::Easter(offset));
        }
        let words: Vec<&str> = rule.split_whitespace().collect();
        if let [ordinal, weekday, "of", month] = words[..] {
            let nth = match ORDINALS.iter().position(|o| *o == ordinal) {
                Some(i) => i as i8 + 1,
                None if ordinal == "last" => -1,
                None => return Err(fail("the ordinal is first, second, third, fourth, fifth or last")),
            };
            let weekday = weekday.parse::<Weekday>().map_err(|_| fail("not a weekday"))?;
            let month = match MONTHS.iter().position(|m| *m == month) {
                Some(i) => i as u32 + 1,
                None => month.parse().ok().filter(|m| (1..=12).contains(m)).ok_or(fail("not a month"))?,
            };
            return Ok(Rule::Nth { nth, weekday, month });
        }
        match rule.split('-').collect::<Vec<_>>()[..] {
            [m, d] if m.len() == 2 && d.len() == 2 => {
                let (month, day) =
                    (m.parse().map_err(|_| fail("not MM-DD"))?, d.parse().map_err(|_| fail("not MM-DD"))?);
                // 2024 is a leap year: 02-29 is a date (in leap years only).
                NaiveDate::from_ymd_opt(2024, month, day).ok_or(fail("no such day of the year"))?;
                Ok(Rule::Fixed { month, day })
            }
            [_, _, _] => Ok(Rule::Date(rule.parse().map_err(|_| fail("not YYYY-MM-DD"))?)),
            _ => Err(fail("not MM-DD, YYYY-MM-DD, easter±N or `<nth> <weekday> of <month>`")),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Fixed { month, day } => write!(f, "{month:02}-{day:02}"),
            Rule::Date(date) => write!(f, "{date}"),
            Rule::Easter(0) => f.write_str("easter"),
            Rule::Easter(offset) => write!(f, "easter{offset:+}"),
            Rule::Nth { nth, weekday, month } => {
                let ordinal = if *nth < 0 { "last" } else { ORDINALS[(*nth - 1) as usize] };
                let weekday = format!("{weekday:?}").to_lowercase();
                write!(f, "{ordinal} {weekday} of {}", MONTHS[(*month - 1) as usize])
            }
        }
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn calendar(observed: Observed, rules: &[&str]) -> Calendar {
        let holidays = rules.iter().map(|r| r.parse().expect("rule")).collect();
        Calendar { observed, holidays, ..Calendar::default() }
    }

    #[test]
    fn easter_falls_where_the_tables_say() {
        for (year, month, day) in [(2024, 3, 31), (2025, 4, 20), (2026, 4, 5), (2027, 3, 28), (2038, 4, 25)] {
            assert_eq!(easter_sunday(year), Some(date(year, month, day)), "{year}");
        }
    }

    #[test]
    fn rules_read_and_name_their_dates() {
        let cases = [
            ("12-25", date(2027, 12, 25)),
            ("easter-2", date(2027, 3, 26)),
            ("Easter + 1", date(2027, 3, 29)),
            ("last monday of may", date(2027, 5, 31)),
            ("first monday of 5", date(2027, 5, 3)),
            ("fourth thursday of november", date(2027, 11, 25)),
            ("last friday of december", date(2027, 12, 31)),
            ("2027-06-03", date(2027, 6, 3)),
        ];
        for (text, want) in cases {
            let rule: Rule = text.parse().expect(text);
            assert_eq!(rule.date_in(2027), Some(want), "{text}");
            assert_eq!(rule.to_string().parse::<Rule>(), Ok(rule), "{text} prints as it reads");
        }
        assert_eq!("2027-06-03".parse::<Rule>().expect("rule").date_in(2028), None);
        assert_eq!("02-29".parse::<Rule>().expect("rule").date_in(2027), None, "leap years only");
        for bad in
            ["13-01", "02-30", "xmas", "easter+x", "sixth monday of may", "last moonday of may", "2027-02-30"]
        {
            assert!(bad.parse::<Rule>().is_err(), "{bad}");
        }
    }

    #[test]
    fn weekends_and_holidays_are_left_out() {
        let gb = calendar(Observed::NextWeekday, &["easter-2", "easter+1"]);
        // Monday 22 March to Friday 2 April 2027: ten weekdays, Good Friday
        // and Easter Monday among them.
        let days = gb.working_days(date(2027, 3, 22), date(2027, 4, 2));
        assert_eq!(days.len(), 8);
        assert!(!days.contains(&date(2027, 3, 26)) && !days.contains(&date(2027, 3, 29)));
        assert!(gb.working_days(date(2027, 3, 27), date(2027, 3, 29)).is_empty(), "a weekend and a holiday");
    }

    #[test]
    fn fixed_holidays_on_a_weekend_move_as_observed() {
        let christmas = ["12-25", "12-26"];
        // 2027: Christmas on a Saturday, Boxing Day on a Sunday.
        let gb = calendar(Observed::NextWeekday, &christmas);
        let moved = gb.holidays_between(date(2027, 12, 20), date(2027, 12, 31));
        assert!(moved.contains(&date(2027, 12, 27)) && moved.contains(&date(2027, 12, 28)), "{moved:?}");
        let us = calendar(Observed::NearestWeekday, &["01-01", "12-25"]);
        // 1 January 2028 is a Saturday: observed on Friday 31 December 2027.
        let moved = us.holidays_between(date(2027, 12, 20), date(2027, 12, 31));
        assert!(moved.contains(&date(2027, 12, 24)) && moved.contains(&date(2027, 12, 31)), "{moved:?}");
        let de = calendar(Observed::None, &christmas);
        assert_eq!(de.working_days(date(2027, 12, 27), date(2027, 12, 28)).len(), 2);
    }

    proptest! {
        #[test]
        fn working_days_are_never_more_than_the_days_and_add_up(
            start in 0u64..3000, first in 0u64..40, second in 1u64..40,
        ) {
            let gb = calendar(Observed::NextWeekday, &["01-01", "easter-2", "easter+1", "12-25", "12-26"]);
            let from = date(2020, 1, 1) + Days::new(start);
            let middle = from + Days::new(first);
            let end = middle + Days::new(second);
            let whole = gb.working_days(from, end).len();
            prop_assert!(whole as u64 <= first + second + 1);
            let parts = gb.working_days(from, middle).len() + gb.working_days(middle + Days::new(1), end).len();
            prop_assert_eq!(whole, parts);
        }
    }
}
