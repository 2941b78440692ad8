//! The policy: what the rules check and how hard. Every setting has a
//! documented default, so an empty file (or none) is the default policy.
//!
//! ```toml
//! version = "2026-01"
//!
//! [minimum_age]          # no one below this age may be employed
//! years = 15
//! severity = "block"
//!
//! [young_worker]         # below this age, working-time limits apply: alert
//! years = 18
//! severity = "warn"
//!
//! [weekly_hours]         # EU Working Time Directive: average at most 48 h
//! maximum = 48.0
//! severity = "block"
//! alert_ratio = 0.9      # contracted hours at 90 % of the maximum: alert
//!
//! [email]
//! allowed_domains = []   # empty: any domain
//! severity = "block"
//!
//! # Over time: attendance as it is marked and corrected, leave as approved.
//!
//! [rest_period]          # EU Working Time Directive: 11 consecutive hours
//! hours = 11.0           # of rest within every 24 h from the start of work
//! severity = "block"
//!
//! [daily_hours]          # worked in one local day (a national choice; the
//! maximum = 10.0         # directive's rest rule alone allows 13)
//! severity = "block"
//!
//! [weekly_average]       # EU Working Time Directive: worked hours average
//! maximum = 48.0         # at most 48 a week over the reference period
//! reference_weeks = 17   # (17 weeks; fewer while a person's record is shorter)
//! alert_ratio = 0.9      # an average at 90 % of the maximum: alert
//! severity = "block"
//!
//! [overtime]             # worked hours of an ISO week above the contracted
//! threshold = 0.1        # weekly hours by more than this share of them
//! severity = "warn"      # (10 %: above 41.25 h on 37.5): alert, once a week
//!
//! [leave_length]         # consecutive calendar days of approved leave
//! maximum_days = 21      # (leave separated only by a weekend runs on)
//! severity = "warn"
//!
//! # Validations (`POST /compliance/validate`).
//!
//! # A validation finding the same rules broken for the same subject with
//! # the same facts within this many hours of the first is recorded and
//! # mailed once (0: every time).
//! [notices]
//! repeat_after_hours = 24
//!
//! [self_validation]      # validations of one's own account or record: at
//! limit = 10             # most this many per caller within the window,
//! window_seconds = 60    # then 429 with Retry-After (per process)
//! ```

use std::path::Path;

use hrms_events::compliance::Severity;
use serde::Deserialize;

/// The rules' settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Carried in every finding's event as `policy_version`.
    pub version: String,
    pub minimum_age: AgeRule,
    pub young_worker: AgeRule,
    pub weekly_hours: HoursRule,
    pub email: EmailRule,
    pub rest_period: RestRule,
    pub daily_hours: DailyRule,
    pub weekly_average: AverageRule,
    pub overtime: OvertimeRule,
    pub leave_length: LeaveRule,
    pub notices: NoticeRule,
    pub self_validation: SelfValidationRule,
}

/// A rule on the age at hire.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeRule {
    pub years: u32,
    pub severity: Severity,
}

/// The contracted weekly hours.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursRule {
    pub maximum: f64,
    pub severity: Severity,
    /// Share of the maximum from which an alert is raised (0 to 1).
    pub alert_ratio: f64,
}

/// The e-mail addresses accounts may have.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailRule {
    /// Domains allowed for accounts; empty allows any.
    pub allowed_domains: Vec<String>,
    pub severity: Severity,
}

/// The rest due within every 24 hours from the start of work.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestRule {
    /// Consecutive hours of rest.
    pub hours: f64,
    pub severity: Severity,
}

/// The hours worked in one local day.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyRule {
    pub maximum: f64,
    pub severity: Severity,
}

/// The weekly hours worked, averaged over a reference period.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AverageRule {
    pub maximum: f64,
    /// Weeks averaged over (1 to 52), the current one included.
    pub reference_weeks: u32,
    /// Share of the maximum from which an alert is raised (0 to 1).
    pub alert_ratio: f64,
    pub severity: Severity,
}

/// Worked hours in an ISO week against the contracted weekly hours.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OvertimeRule {
    /// Share of the contracted hours that may be worked on top before a
    /// finding (0 to 10; 0.1 allows 10 % more).
    pub threshold: f64,
    pub severity: Severity,
}

/// How long a validation's findings are not reported again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeRule {
    /// Hours after a notice within which the same findings about the same
    /// facts are that notice again (0 to 8760; 0 reports every one).
    pub repeat_after_hours: u32,
}

/// How often one caller may validate their own account or record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfValidationRule {
    /// Validations per caller within the window (at least 1).
    pub limit: u32,
    /// The window's length in seconds (1 to 86400).
    pub window_seconds: u32,
}

/// The length of one stretch of approved leave.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaveRule {
    /// Calendar days, weekends inside the stretch included.
    pub maximum_days: u32,
    pub severity: Severity,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            version: "default-2026-01".into(),
            minimum_age: AgeRule { years: 15, severity: Severity::Block },
            young_worker: AgeRule { years: 18, severity: Severity::Warn },
            weekly_hours: HoursRule { maximum: 48.0, severity: Severity::Block, alert_ratio: 0.9 },
            email: EmailRule { allowed_domains: Vec::new(), severity: Severity::Block },
            rest_period: RestRule { hours: 11.0, severity: Severity::Block },
            daily_hours: DailyRule { maximum: 10.0, severity: Severity::Block },
            weekly_average: AverageRule {
                maximum: 48.0,
                reference_weeks: 17,
                alert_ratio: 0.9,
                severity: Severity::Block,
            },
            overtime: OvertimeRule { threshold: 0.1, severity: Severity::Warn },
            leave_length: LeaveRule { maximum_days: 21, severity: Severity::Warn },
            notices: NoticeRule { repeat_after_hours: 24 },
            self_validation: SelfValidationRule { limit: 10, window_seconds: 60 },
        }
    }
}

/// A policy file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read the policy file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid policy: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("invalid policy: {0}")]
    Invalid(String),
}

impl Policy {
    /// Parses a policy; missing settings keep their defaults.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let policy: Policy = toml::from_str(text)?;
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

    fn check(&self) -> Result<(), PolicyError> {
        let hours = &self.weekly_hours;
        if !(hours.maximum > 0.0 && hours.maximum <= 168.0) {
            return Err(PolicyError::Invalid("weekly_hours.maximum must be within (0, 168]".into()));
        }
        if !(0.0..=1.0).contains(&hours.alert_ratio) {
            return Err(PolicyError::Invalid("weekly_hours.alert_ratio must be within [0, 1]".into()));
        }
        if !(self.rest_period.hours > 0.0 && self.rest_period.hours < 24.0) {
            return Err(PolicyError::Invalid("rest_period.hours must be within (0, 24)".into()));
        }
        if !(self.daily_hours.maximum > 0.0 && self.daily_hours.maximum <= 24.0) {
            return Err(PolicyError::Invalid("daily_hours.maximum must be within (0, 24]".into()));
        }
        let average = &self.weekly_average;
        if !(average.maximum > 0.0 && average.maximum <= 168.0) {
            return Err(PolicyError::Invalid("weekly_average.maximum must be within (0, 168]".into()));
        }
        if !(1..=52).contains(&average.reference_weeks) {
            return Err(PolicyError::Invalid("weekly_average.reference_weeks must be within 1 to 52".into()));
        }
        if !(0.0..=1.0).contains(&average.alert_ratio) {
            return Err(PolicyError::Invalid("weekly_average.alert_ratio must be within [0, 1]".into()));
        }
        if !(0.0..=10.0).contains(&self.overtime.threshold) {
            return Err(PolicyError::Invalid("overtime.threshold must be within [0, 10]".into()));
        }
        if self.notices.repeat_after_hours > 8760 {
            return Err(PolicyError::Invalid("notices.repeat_after_hours must be within 0 to 8760".into()));
        }
        let limit = &self.self_validation;
        if limit.limit == 0 || !(1..=86_400).contains(&limit.window_seconds) {
            return Err(PolicyError::Invalid(
                "self_validation.limit must be at least 1 and window_seconds within 1 to 86400".into(),
            ));
        }
        if self.leave_length.maximum_days == 0 {
            return Err(PolicyError::Invalid("leave_length.maximum_days must be at least 1".into()));
        }
        if self.young_worker.years < self.minimum_age.years {
            return Err(PolicyError::Invalid(
                "young_worker.years must not be below minimum_age.years".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_default_policy() {
        assert_eq!(Policy::from_toml("").expect("parses"), Policy::default());
    }

    #[test]
    fn settings_override_the_defaults_one_by_one() {
        let policy = Policy::from_toml(
            "version = \"acme-7\"\n[weekly_hours]\nmaximum = 40.0\nseverity = \"warn\"\nalert_ratio = 0.95\n",
        )
        .expect("parses");
        assert_eq!(policy.version, "acme-7");
        assert_eq!(policy.weekly_hours.maximum, 40.0);
        assert_eq!(policy.minimum_age, Policy::default().minimum_age);
    }

    #[test]
    fn unknown_or_impossible_settings_are_refused() {
        assert!(matches!(Policy::from_toml("max_hours = 3"), Err(PolicyError::Parse(_))));
        let impossible = "[weekly_hours]\nmaximum = 200.0\nseverity = \"block\"\nalert_ratio = 0.9\n";
        assert!(matches!(Policy::from_toml(impossible), Err(PolicyError::Invalid(_))));
        for impossible in [
            "[rest_period]\nhours = 24.0\nseverity = \"block\"\n",
            "[daily_hours]\nmaximum = 0.0\nseverity = \"block\"\n",
            "[weekly_average]\nmaximum = 48.0\nreference_weeks = 0\nalert_ratio = 0.9\nseverity = \"block\"\n",
            "[leave_length]\nmaximum_days = 0\nseverity = \"warn\"\n",
            "[overtime]\nthreshold = -0.1\nseverity = \"warn\"\n",
            "[notices]\nrepeat_after_hours = 9000\n",
            "[self_validation]\nlimit = 0\nwindow_seconds = 60\n",
        ] {
            assert!(matches!(Policy::from_toml(impossible), Err(PolicyError::Invalid(_))), "{impossible}");
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
        assert_eq!(policy.version, "2026-01");
        let defaults = Policy::default();
        assert_eq!(
            (policy.rest_period, policy.daily_hours, policy.weekly_average, policy.leave_length),
            (defaults.rest_period, defaults.daily_hours, defaults.weekly_average, defaults.leave_length),
            "the example shows the defaults"
        );
        assert_eq!(policy.overtime, defaults.overtime, "the example shows the defaults");
        assert_eq!(
            (policy.notices, policy.self_validation),
            (defaults.notices, defaults.self_validation),
            "the example shows the defaults"
        );
    }
}
