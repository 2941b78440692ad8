//! The leave policy: the types of leave and the holiday calendars, from a
//! TOML file (`HRMS_LEAVE_POLICY`) over documented defaults. A file's
//! `[types.<name>]` and `[calendars.<country>]` replace the default of that
//! name or add one; the other defaults stay. An empty file (or none) is the
//! default policy.
//!
//! ```toml
//! version = "acme-2027"
//!
//! [types.annual]             # allowance: working days per calendar year
//! allowance = 28
//! needs_approval = true      # false: approved when requested
//! may_go_negative = false    # true: approval may take the balance below zero
//! max_consecutive_days = 15  # working days one request may take (absent: no limit)
//! pro_rata = true            # false: the whole allowance whatever the days employed
//! carry_over_cap = 5         # unused days of a year carried into the next, at most
//! carry_over_expires = "03-31"  # MM-DD of the next year after which carried days are gone
//!
//! [types.study]              # a type of its own
//! allowance = 5
//!
//! [calendars.NL]             # ISO 3166-1 alpha-2, the employee's country
//! weekend = ["saturday", "sunday"]
//! observed = "none"          # or next_weekday, nearest_weekday
//! holidays = ["01-01", "easter+1", "04-27", "easter+39", "easter+50", "12-25", "12-26"]
//! ```
//!
//! The defaults ([`Policy::default`]):
//!
//! | type | allowance | needs approval | may go negative | max consecutive days | pro rata |
//! | --- | --- | --- | --- | --- | --- |
//! | `annual` | 25 | yes | no | 20 | yes |
//! | `sick` | 10 | no | yes | 10 | yes |
//! | `unpaid` | 0 | yes | yes | 60 | yes |
//! | `parental` | 60 | yes | no | 60 | no |
//! | `compensatory` | 5 | yes | no | 5 | yes |
//!
//! No default type carries days over (`carry_over_cap = 0`); a type that
//! does keeps its carried days until `03-31` unless it says otherwise. A
//! type in a file has `allowance = 0`, `needs_approval = true`,
//! `may_go_negative = false`, no `max_consecutive_days`, `pro_rata = true`,
//! `carry_over_cap = 0` and `carry_over_expires = "03-31"` unless it says
//! otherwise. How pro rata and carry-over count: [`crate::accrual`].
//!
//! and the national public holidays of `DE`, `FR`, `GB` (England and
//! Wales, substitutes on the next weekday) and `US` (federal, observed on
//! the nearest weekday); any other country has weekends only.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::calendar::{Calendar, Observed, Rule};

/// The types of leave and the calendars.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub version: String,
    /// By name (`annual`, ...).
    pub types: BTreeMap<String, LeaveType>,
    /// By country (ISO 3166-1 alpha-2, upper case).
    pub calendars: BTreeMap<String, Calendar>,
}

/// The rules of one type of leave.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeaveType {
    /// Working days per calendar year.
    pub allowance: f64,
    /// Whether a request waits for a decision; if not, it is approved
    /// (and the balance debited) when requested.
    pub needs_approval: bool,
    /// Whether what is taken may exceed the allowance.
    pub may_go_negative: bool,
    /// The most working days one request may take.
    pub max_consecutive_days: Option<f64>,
    /// Whether the allowance is pro rata to the days employed in the year
    /// ([`crate::accrual::pro_rata`]).
    pub pro_rata: bool,
    /// The most unused days of a year carried into the next (0: none).
    pub carry_over_cap: f64,
    /// The day (an `MM-DD` rule) of the next year after which carried days
    /// not taken are gone.
    pub carry_over_expires: Rule,
}

impl Default for LeaveType {
    /// What a type in a file has unless it says otherwise.
    fn default() -> Self {
        Self {
            allowance: 0.0,
            needs_approval: true,
            may_go_negative: false,
            max_consecutive_days: None,
            pro_rata: true,
            carry_over_cap: 0.0,
            carry_over_expires: Rule::Fixed { month: 3, day: 31 },
        }
    }
}

/// A policy file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read the leave policy file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid leave policy: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("invalid leave policy: {0}")]
    Invalid(String),
}

/// What a file says; missing parts keep the defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: Option<String>,
    #[serde(default)]
    types: BTreeMap<String, LeaveType>,
    #[serde(default)]
    calendars: BTreeMap<String, Calendar>,
}

/// Whether a default type's requests wait for a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Approval {
    Needed,
    Automatic,
}

/// Whether a default type's balance may go below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overdraw {
    Refused,
    Allowed,
}

fn leave_type(allowance: f64, approval: Approval, overdraw: Overdraw, max: f64) -> LeaveType {
    LeaveType {
        allowance,
        needs_approval: approval == Approval::Needed,
        may_go_negative: overdraw == Overdraw::Allowed,
        max_consecutive_days: Some(max),
        ..LeaveType::default()
    }
}

fn calendar(observed: Observed, rules: &[&str]) -> Calendar {
    Calendar {
        observed,
        // The default rules are spelled right: a test reads them all.
        holidays: rules.iter().filter_map(|r| r.parse::<Rule>().ok()).collect(),
        ..Calendar::default()
    }
}

impl Default for Policy {
    fn default() -> Self {
        let types = [
            ("annual", leave_type(25.0, Approval::Needed, Overdraw::Refused, 20.0)),
            ("sick", leave_type(10.0, Approval::Automatic, Overdraw::Allowed, 10.0)),
            ("unpaid", leave_type(0.0, Approval::Needed, Overdraw::Allowed, 60.0)),
            (
                "parental",
                LeaveType { pro_rata: false, ..leave_type(60.0, Approval::Needed, Overdraw::Refused, 60.0) },
            ),
            ("compensatory", leave_type(5.0, Approval::Needed, Overdraw::Refused, 5.0)),
        ];
        let calendars = [
            ("DE", calendar(Observed::None, DE)),
            ("FR", calendar(Observed::None, FR)),
            ("GB", calendar(Observed::NextWeekday, GB)),
            ("US", calendar(Observed::NearestWeekday, US)),
        ];
        Self {
            version: "default-2026-11".into(),
            types: types.into_iter().map(|(name, t)| (name.to_owned(), t)).collect(),
            calendars: calendars.into_iter().map(|(country, c)| (country.to_owned(), c)).collect(),
        }
    }
}

/// Germany's national holidays (the states add their own).
const DE: &[&str] =
    &["01-01", "easter-2", "easter+1", "05-01", "easter+39", "easter+50", "10-03", "12-25", "12-26"];
/// France's public holidays.
const FR: &[&str] = &[
    "01-01",
    "easter+1",
    "05-01",
    "05-08",
    "easter+39",
    "easter+50",
    "07-14",
    "08-15",
    "11-01",
    "11-11",
    "12-25",
];
/// The bank holidays of England and Wales.
const GB: &[&str] = &[
    "01-01",
    "easter-2",
    "easter+1",
    "first monday of may",
    "last monday of may",
    "last monday of august",
    "12-25",
    "12-26",
];
/// The US federal holidays.
const US: &[&str] = &[
    "01-01",
    "third monday of january",
    "third monday of february",
    "last monday of may",
    "06-19",
    "07-04",
    "first monday of september",
    "second monday of october",
    "11-11",
    "fourth thursday of november",
    "12-25",
];

impl Policy {
    /// Parses a policy file over the defaults.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let file: PolicyFile = toml::from_str(text)?;
        let mut policy = Self::default();
        if let Some(version) = file.version {
            policy.version = version;
        }
        policy.types.extend(file.types);
        policy.calendars.extend(file.calendars);
        policy.check()?;
        Ok(policy)
    }

    /// Reads the policy file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, PolicyError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| PolicyError::Read { path: path.display().to_string(), source })?;
        Self::from_toml(&text)
    }

    /// The type named `name`.
    pub fn leave_type(&self, name: &str) -> Option<&LeaveType> {
        self.types.get(name)
    }

    /// The calendar of `country`: weekends only if the policy has none.
    pub fn calendar(&self, country: &str) -> Calendar {
        self.calendars.get(country).cloned().unwrap_or_default()
    }

    fn check(&self) -> Result<(), PolicyError> {
        let invalid = |what: String| Err(PolicyError::Invalid(what));
        if self.types.is_empty() {
            return invalid("no types of leave".into());
        }
        for (name, t) in &self.types {
            let well_named = !name.is_empty()
                && name.len() <= 40
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !well_named {
                return invalid(format!("type {name:?}: names are lower-case letters, digits and _"));
            }
            // The event contract's range of days, so balances stay in its range.
            let (min, max) = hrms_events::checks::LEAVE_DAYS;
            if !(t.allowance.is_finite() && (min..=max).contains(&t.allowance)) {
                return invalid(format!("types.{name}.allowance must be within [{min}, {max}]"));
            }
            if t.max_consecutive_days.is_some_and(|m| !(m.is_finite() && m >= 0.5)) {
                return invalid(format!("types.{name}.max_consecutive_days must be at least 0.5"));
            }
            // The allowance and the carried days together, too.
            let cap = max - t.allowance;
            if !(t.carry_over_cap.is_finite() && (0.0..=cap).contains(&t.carry_over_cap)) {
                return invalid(format!("types.{name}.carry_over_cap must be within [0, {cap}]"));
            }
            if !matches!(t.carry_over_expires, Rule::Fixed { .. }) {
                return invalid(format!("types.{name}.carry_over_expires must be a day of the year, MM-DD"));
            }
        }
        for (country, c) in &self.calendars {
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return invalid(format!("calendar {country:?}: an ISO 3166-1 alpha-2 code in upper case"));
            }
            if c.weekend.len() > 6 {
                return invalid(format!("calendars.{country}.weekend leaves no working day"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn an_empty_file_is_the_default_policy() {
        assert_eq!(Policy::from_toml("").expect("parses"), Policy::default());
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let p = Policy::default();
        let names: Vec<&str> = p.types.keys().map(String::as_str).collect();
        assert_eq!(names, ["annual", "compensatory", "parental", "sick", "unpaid"]);
        assert_eq!(p.types["annual"], leave_type(25.0, Approval::Needed, Overdraw::Refused, 20.0));
        assert!(!p.types["sick"].needs_approval && p.types["unpaid"].may_go_negative);
        for (country, rules) in [("DE", DE), ("FR", FR), ("GB", GB), ("US", US)] {
            assert_eq!(p.calendars[country].holidays.len(), rules.len(), "every {country} rule reads");
        }
        let us = &p.calendars["US"];
        let thanksgiving = NaiveDate::from_ymd_opt(2027, 11, 25).expect("date");
        assert!(us.holidays_between(thanksgiving, thanksgiving).contains(&thanksgiving));
        assert_eq!(p.calendar("ZZ"), Calendar::default(), "weekends only elsewhere");
    }

    #[test]
    fn a_file_replaces_or_adds_types_and_calendars_by_name() {
        let p = Policy::from_toml(
            "version = \"acme\"\n[types.annual]\nallowance = 30\n[types.study]\nallowance = 5\nneeds_approval = false\n\
             [calendars.GB]\nholidays = [\"12-25\"]\n",
        )
        .expect("parses");
        assert_eq!(p.version, "acme");
        assert_eq!(p.types["annual"], LeaveType { allowance: 30.0, ..LeaveType::default() });
        assert!(!p.types["study"].needs_approval);
        assert_eq!(p.types["sick"], Policy::default().types["sick"], "the others stay");
        assert_eq!(p.calendars["GB"].holidays.len(), 1);
        assert_eq!(p.calendars["US"], Policy::default().calendars["US"]);
    }

    #[test]
    fn unknown_or_impossible_settings_are_refused() {
        for bad in [
            "max_days = 3",
            "[types.annual]\nallowance = -1",
            "[types.Annual]\nallowance = 1",
            "[types.annual]\nmax_consecutive_days = 0",
            "[types.annual]\nallowance = 1\ncarry_over = 5",
            "[types.annual]\ncarry_over_cap = -1",
            "[types.annual]\nallowance = 300\ncarry_over_cap = 100",
            "[types.annual]\ncarry_over_expires = \"easter\"",
            "[types.annual]\ncarry_over_expires = \"31-03\"",
            "[calendars.gb]\nholidays = []",
            "[calendars.GB]\nholidays = [\"xmas\"]",
            "[calendars.GB]\nobserved = \"sometimes\"",
            "[calendars.GB]\nweekend = [\"funday\"]",
        ] {
            assert!(Policy::from_toml(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("policy.rs");
        let example: String = doc
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start_matches(' '))
            .collect::<Vec<_>>()
            .join("\n");
        let policy = Policy::from_toml(&example).expect("the example in the module doc parses");
        assert_eq!((policy.version.as_str(), policy.types["annual"].allowance), ("acme-2027", 28.0));
        assert_eq!(policy.calendars["NL"].holidays.len(), 7);
        let annual = policy.types["annual"];
        assert_eq!(
            (annual.pro_rata, annual.carry_over_cap, annual.carry_over_expires),
            (true, 5.0, Rule::Fixed { month: 3, day: 31 })
        );
        let study = policy.types["study"];
        assert_eq!((study.carry_over_cap, study.pro_rata), (0.0, true), "the documented defaults");
    }
}
