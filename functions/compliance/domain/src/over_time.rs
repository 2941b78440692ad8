//! The rules over time: an employee's [`Timeline`] and the record or leave
//! that just changed in, findings out. Each finding carries a key naming
//! what it is about (the rule and the stretch, day or week), so that a
//! finding is reported once however often it is found again. Worked time is
//! counted in each shift's own time zone ([`crate::worked`]); shifts still
//! open count once they are closed.
//!
//! | rule id | about | finds |
//! | --- | --- | --- |
//! | `rest_period` | attendance | no rest of `rest_period.hours` consecutive hours within 24 h of a start of work |
//! | `daily_hours` | attendance | more than `daily_hours.maximum` hours worked on one local day |
//! | `weekly_average` | attendance | weekly hours averaging more than `weekly_average.maximum` over the reference period |
//! | `weekly_average_near` | attendance | an average at `alert_ratio` of that maximum or more (`warn`) |
//! | `overtime` | attendance | an ISO week's worked hours above the contracted weekly hours by more than `overtime.threshold` of them (`warn` by default) |
//! | `leave_length` | leave | a stretch of approved leave longer than `leave_length.maximum_days` |
//!
//! A start of work is a check-in after a rest of the full length; the work
//! from there until the next such rest must fit in the 24 hours less the
//! rest (13 hours by default), breaks shorter than the rest included. The
//! weekly average runs over the `reference_weeks` ISO weeks ending with the
//! week in question, but not over weeks before the person's first known
//! shift.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use hrms_events::compliance::{RuleFinding, Severity};
use uuid::Uuid;

use crate::policy::Policy;
use crate::timeline::Timeline;
use crate::worked::{by_day, daily_totals, hours, iso_week, monday, zone};

/// A finding and what it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The rule and the stretch, day or week: reported once.
    pub key: String,
    /// The date it concerns (kept as long as the rules look back).
    pub date: NaiveDate,
    pub finding: RuleFinding,
}

fn found(
    key: String,
    date: NaiveDate,
    rule_id: &str,
    field: &str,
    severity: Severity,
    message: String,
) -> Found {
    let finding = RuleFinding { rule_id: rule_id.into(), field: field.into(), message, severity };
    Found { key, date, finding }
}

/// A closed shift.
#[derive(Debug, Clone, Copy)]
struct Worked {
    id: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    tz: Tz,
}

/// The closed shifts, by check-in.
fn worked(timeline: &Timeline) -> Vec<Worked> {
    let mut shifts: Vec<Worked> = timeline
        .shifts
        .iter()
        .filter_map(|(id, s)| {
            s.check_out.map(|end| Worked { id: *id, start: s.check_in, end, tz: zone(&s.time_zone) })
        })
        .collect();
    shifts.sort_by_key(|s| (s.start, s.id));
    shifts
}

fn seconds(hours: f64) -> i64 {
    (hours * 3600.0).round() as i64
}

fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// The attendance rules on the stretch, days and weeks of record `record_id`.
pub fn attendance(policy: &Policy, timeline: &Timeline, record_id: Uuid) -> Vec<Found> {
    let shifts = worked(timeline);
    let Some(target) = shifts.iter().find(|s| s.id == record_id).copied() else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    findings.extend(rest_period(policy, &shifts, target));
    findings.extend(daily_hours(policy, &shifts, target));
    findings.extend(weekly_average(policy, &shifts, target));
    findings.extend(overtime::overtime(policy, timeline.weekly_hours, &shifts, target));
    findings
}

/// The stretch of work holding `target`: from a start of work to the next
/// full rest, too long to leave that rest within 24 hours.
fn rest_period(policy: &Policy, shifts: &[Worked], target: Worked) -> Option<Found> {
    let rule = &policy.rest_period;
    let rest = seconds(rule.hours);
    let mut i = 0;
    while i < shifts.len() {
        let (start, mut end, mut longest, mut holds) =
            (shifts[i].start, shifts[i].end, 0, shifts[i].id == target.id);
        let mut next = i + 1;
        while let Some(shift) = shifts.get(next).filter(|s| (s.start - end).num_seconds() < rest) {
            longest = longest.max((shift.start - end).num_seconds());
            end = end.max(shift.end);
            holds |= shift.id == target.id;
            next += 1;
        }
        if holds {
            if (end - start).num_seconds() <= 24 * 3600 - rest {
                return None;
            }
            let tz = target.tz;
            let message = format!(
                "worked from {} to {} ({tz}) without {} consecutive hours of rest within 24 hours of the \
                 start of work; the longest rest was {} h",
                local(start, tz),
                local(end, tz),
                rule.hours,
                hours(longest)
            );
            let key = format!("rest_period:{}", start.to_rfc3339());
            return Some(found(
                key,
                start.with_timezone(&tz).date_naive(),
                "rest_period",
                "check_in",
                rule.severity,
                message,
            ));
        }
        i = next;
    }
    None
}

/// The local days `target` touches on which more than the maximum was worked.
fn daily_hours(policy: &Policy, shifts: &[Worked], target: Worked) -> Vec<Found> {
    let rule = &policy.daily_hours;
    let totals = daily_totals(shifts.iter().map(|s| (s.start, s.end, s.tz)));
    by_day(target.start, target.end, target.tz)
        .into_iter()
        .filter_map(|(date, _)| {
            let total = totals.get(&date).copied().unwrap_or(0);
            (total > seconds(rule.maximum)).then(|| {
                let message = format!(
                    "{} h worked on {date} ({}); the daily maximum is {} h",
                    hours(total),
                    target.tz,
                    rule.maximum
                );
                found(format!("daily_hours:{date}"), date, "daily_hours", "check_out", rule.severity, message)
            })
        })
        .collect()
}

/// The ISO weeks `target` touches whose average over the reference period
/// is above the maximum, or near it.
fn weekly_average(policy: &Policy, shifts: &[Worked], target: Worked) -> Vec<Found> {
    let rule = &policy.weekly_average;
    let days = daily_totals(shifts.iter().map(|s| (s.start, s.end, s.tz)));
    let Some(first) = days.keys().next().map(|d| monday(*d)) else {
        return Vec::new();
    };
    let mut weeks: Vec<NaiveDate> =
        by_day(target.start, target.end, target.tz).into_iter().map(|(d, _)| monday(d)).collect();
    weeks.dedup();
    weeks
        .into_iter()
        .filter_map(|week| {
            let from = (week - Duration::weeks(i64::from(rule.reference_weeks) - 1)).max(first);
            let counted = (week - from).num_weeks() + 1;
            let total: i64 = days.range(from..week + Duration::days(7)).map(|(_, s)| s).sum();
            let average = total as f64 / 3600.0 / counted as f64;
            let name = iso_week(week);
            let message = |what: &str| {
                format!(
                    "{:.1} h a week on average over the {counted} week(s) to {name}: {what} of {} h",
                    average, rule.maximum
                )
            };
            if average > rule.maximum {
                let message = message("above the maximum");
                Some(found(
                    format!("weekly_average:{name}"),
                    week,
                    "weekly_average",
                    "check_out",
                    rule.severity,
                    message,
                ))
            } else if average >= rule.maximum * rule.alert_ratio {
                let message = message("near the maximum");
                let key = format!("weekly_average_near:{name}");
                Some(found(key, week, "weekly_average_near", "check_out", Severity::Warn, message))
            } else {
                None
            }
        })
        .collect()
}

/// The stretch of approved leave holding `leave_id`, if longer than allowed.
/// Leaves that touch, or are apart by a weekend only, make one stretch.
pub fn leave(policy: &Policy, timeline: &Timeline, leave_id: Uuid) -> Vec<Found> {
    let rule = &policy.leave_length;
    let mut leaves: Vec<(Uuid, NaiveDate, NaiveDate)> =
        timeline.leaves.iter().map(|(id, l)| (*id, l.start_date, l.end_date.max(l.start_date))).collect();
    leaves.sort_by_key(|(id, start, _)| (*start, *id));
    let mut i = 0;
    while i < leaves.len() {
        let (start, mut end, mut holds) = (leaves[i].1, leaves[i].2, leaves[i].0 == leave_id);
        let mut next = i + 1;
        while let Some(&(id, _, to)) = leaves.get(next).filter(|(_, from, _)| runs_on(end, *from)) {
            end = end.max(to);
            holds |= id == leave_id;
            next += 1;
        }
        if holds {
            let days = (end - start).num_days() + 1;
            if days <= i64::from(rule.maximum_days) {
                return Vec::new();
            }
            let message = format!(
                "{days} consecutive days of leave from {start} to {end}; the policy allows {}",
                rule.maximum_days
            );
            let key = format!("leave_length:{start}:{end}");
            return vec![found(key, end, "leave_length", "end_date", rule.severity, message)];
        }
        i = next;
    }
    Vec::new()
}

/// Whether leave starting on `next` runs on from leave ending on `end`:
/// the days between, if any, are a weekend.
fn runs_on(end: NaiveDate, next: NaiveDate) -> bool {
    let mut day = end.succ_opt().unwrap_or(end);
    while day < next {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            return false;
        }
        day = day.succ_opt().unwrap_or(next);
    }
    true
}

mod overtime;

#[cfg(test)]
mod tests;
