//! `overtime`: the ISO weeks a shift touches in which the employee worked
//! more than their contracted weekly hours plus `overtime.threshold` of
//! them. Weeks are counted in each shift's own time zone; the contract is
//! the one `employee.*` events last carried (no finding before one is
//! known). Reported once per employee and week (key `overtime:<week>`).

use hrms_events::compliance::RuleFinding;

use super::{Found, Worked, seconds};
use crate::policy::Policy;
use crate::worked::{by_day, daily_totals, hours, iso_week, monday};

/// The overtime findings of the weeks `target` touches.
pub(super) fn overtime(
    policy: &Policy,
    weekly_hours: Option<f64>,
    shifts: &[Worked],
    target: Worked,
) -> Vec<Found> {
    let rule = &policy.overtime;
    let Some(contracted) = weekly_hours.filter(|h| h.is_finite() && *h >= 0.0) else {
        return Vec::new();
    };
    let limit = seconds(contracted * (1.0 + rule.threshold));
    let days = daily_totals(shifts.iter().map(|s| (s.start, s.end, s.tz)));
    let mut weeks: Vec<_> =
        by_day(target.start, target.end, target.tz).into_iter().map(|(d, _)| monday(d)).collect();
    weeks.dedup();
    weeks
        .into_iter()
        .filter_map(|week| {
            let total: i64 = days.range(week..week + chrono::Duration::days(7)).map(|(_, s)| s).sum();
            (total > limit).then(|| {
                let name = iso_week(week);
                let message = format!(
                    "{} h worked in {name}: {} h above the contracted {contracted} h a week (alert beyond {}%)",
                    hours(total),
                    hours(total - seconds(contracted)),
                    (rule.threshold * 100.0).round()
                );
                let finding = RuleFinding {
                    rule_id: "overtime".into(),
                    field: "check_out".into(),
                    message,
                    severity: rule.severity,
                };
                Found { key: format!("overtime:{name}"), date: week, finding }
            })
        })
        .collect()
}
