use chrono::TimeZone;
use hrms_events::fixtures;

use super::*;
use crate::timeline::{LeaveSpan, Shift};

fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, d, h, m, 0).single().expect("valid")
}

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, d).expect("valid")
}

/// A timeline of closed shifts in `tz` (2027-01-04 is a Monday); answers
/// their ids in order.
fn timeline(tz: &str, shifts: &[(DateTime<Utc>, DateTime<Utc>)]) -> (Timeline, Vec<Uuid>) {
    let mut t = Timeline::new(fixtures::EMPLOYEE);
    let mut ids = Vec::new();
    for (start, end) in shifts {
        let id = Uuid::now_v7();
        let shift = Shift { check_in: *start, check_out: Some(*end), time_zone: tz.into(), as_of: *end };
        t.shifts.insert(id, shift);
        ids.push(id);
    }
    (t, ids)
}

fn rules(found: &[Found]) -> Vec<(&str, Severity)> {
    found.iter().map(|f| (f.finding.rule_id.as_str(), f.finding.severity)).collect()
}

#[test]
fn a_short_night_between_two_days_breaks_the_rest_period() {
    // 08:00-18:00, then back at 02:00: 8 hours of rest.
    let (t, ids) = timeline("UTC", &[(at(4, 8, 0), at(4, 18, 0)), (at(5, 2, 0), at(5, 6, 0))]);
    let found = attendance(&Policy::default(), &t, ids[1]);
    assert_eq!(rules(&found), [("rest_period", Severity::Block)]);
    let rest = &found[0];
    assert_eq!((rest.date, rest.finding.field.as_str()), (date(4), "check_in"));
    assert!(rest.finding.message.contains("the longest rest was 8 h"), "{}", rest.finding.message);
    assert!(
        rest.finding.message.contains("2027-01-04 08:00 to 2027-01-05 06:00"),
        "{}",
        rest.finding.message
    );
    // The same stretch found from its other shift has the same key.
    assert_eq!(attendance(&Policy::default(), &t, ids[0])[0].key, rest.key);
}

#[test]
fn breaks_within_a_day_and_a_full_rest_are_no_breach() {
    let lunch = [(at(4, 9, 0), at(4, 12, 0)), (at(4, 13, 0), at(4, 17, 0))];
    let (t, ids) = timeline("Europe/London", &lunch);
    assert!(attendance(&Policy::default(), &t, ids[1]).is_empty());
    // Exactly 11 hours of rest, and 13 hours of work with breaks: allowed.
    let edge = [(at(4, 7, 0), at(4, 12, 0)), (at(4, 12, 30), at(4, 20, 0)), (at(5, 7, 0), at(5, 15, 0))];
    let (t, ids) = timeline("UTC", &edge);
    let policy = Policy {
        daily_hours: crate::policy::DailyRule { maximum: 13.0, ..Policy::default().daily_hours },
        ..Policy::default()
    };
    for id in ids {
        assert!(attendance(&policy, &t, id).is_empty(), "{:?}", attendance(&policy, &t, id));
    }
}

#[test]
fn a_fourteen_hour_shift_breaks_the_rest_period_and_the_daily_maximum() {
    let (t, ids) = timeline("UTC", &[(at(4, 6, 0), at(4, 20, 0))]);
    let found = attendance(&Policy::default(), &t, ids[0]);
    assert_eq!(rules(&found), [("rest_period", Severity::Block), ("daily_hours", Severity::Block)]);
    assert_eq!(found[1].key, "daily_hours:2027-01-04");
    assert!(
        found[1].finding.message.starts_with("14 h worked on 2027-01-04 (UTC)"),
        "{}",
        found[1].finding.message
    );
}

#[test]
fn daily_hours_are_counted_in_the_employees_own_days() {
    // 00:00-06:00 and 07:00-12:30 UTC: one day of 11.5 h in Tokyo (09:00 to
    // 21:30), but in New York the first shift spans two days.
    let shifts = [(at(4, 0, 0), at(4, 6, 0)), (at(4, 7, 0), at(4, 12, 30))];
    let (tokyo, ids) = timeline("Asia/Tokyo", &shifts);
    let found = attendance(&Policy::default(), &tokyo, ids[1]);
    assert_eq!(rules(&found), [("daily_hours", Severity::Block)]);
    assert_eq!(found[0].date, date(4));
    let (new_york, ids) = timeline("America/New_York", &shifts);
    assert!(attendance(&Policy::default(), &new_york, ids[1]).is_empty(), "5 h on the 3rd, 6.5 h on the 4th");
}

#[test]
fn a_week_near_the_maximum_alerts_and_one_above_it_breaches() {
    // Monday to Friday, 8 h 50 min a day: 44.2 h, at 90 % of 48 or more.
    let week: Vec<_> = (4..=8).map(|d| (at(d, 8, 0), at(d, 16, 50))).collect();
    let (t, ids) = timeline("Europe/Berlin", &week);
    let found = attendance(&Policy::default(), &t, ids[4]);
    assert_eq!(rules(&found), [("weekly_average_near", Severity::Warn)]);
    assert_eq!((found[0].key.as_str(), found[0].date), ("weekly_average_near:2027-W01", date(4)));
    assert!(found[0].finding.message.starts_with("44.2 h a week on average over the 1 week(s) to 2027-W01"));

    // A Saturday more: 51 h.
    let mut six = week.clone();
    six.push((at(9, 8, 0), at(9, 14, 50)));
    let (t, ids) = timeline("Europe/Berlin", &six);
    assert_eq!(rules(&attendance(&Policy::default(), &t, ids[5])), [("weekly_average", Severity::Block)]);
}

#[test]
fn the_average_runs_over_the_reference_period() {
    // 30 h in the first week and 60 h in the second: 45 h on average.
    let mut shifts: Vec<_> = (4..=8).map(|d| (at(d, 9, 0), at(d, 15, 0))).collect();
    shifts.extend((11..=16).map(|d| (at(d, 8, 0), at(d, 18, 0))));
    let (t, ids) = timeline("UTC", &shifts);
    let last = *ids.last().expect("shifts");
    let found = attendance(&Policy::default(), &t, last);
    assert_eq!(rules(&found), [("weekly_average_near", Severity::Warn)]);
    assert!(
        found[0].finding.message.contains("over the 2 week(s) to 2027-W02"),
        "{}",
        found[0].finding.message
    );
    // With a reference period of one week, the second week alone counts.
    let mut policy = Policy::default();
    policy.weekly_average.reference_weeks = 1;
    assert_eq!(rules(&attendance(&policy, &t, last)), [("weekly_average", Severity::Block)]);
}

#[test]
fn open_shifts_count_once_closed() {
    let (mut t, ids) = timeline("UTC", &[(at(4, 6, 0), at(4, 20, 0))]);
    if let Some(shift) = t.shifts.get_mut(&ids[0]) {
        shift.check_out = None;
    }
    assert!(attendance(&Policy::default(), &t, ids[0]).is_empty());
}

fn leaves(spans: &[(u32, u32)]) -> (Timeline, Vec<Uuid>) {
    let mut t = Timeline::new(fixtures::EMPLOYEE);
    let ids = spans
        .iter()
        .map(|(start, end)| {
            let id = Uuid::now_v7();
            let span = LeaveSpan {
                leave_type: "annual".into(),
                start_date: date(*start),
                end_date: date(*end),
                as_of: at(1, 0, 0),
            };
            t.leaves.insert(id, span);
            id
        })
        .collect();
    (t, ids)
}

#[test]
fn leave_across_a_weekend_runs_on_and_a_working_day_between_breaks_it() {
    // Mon 4th to Fri 8th, then Mon 11th to Tue 26th: 23 days in a row.
    let (t, ids) = leaves(&[(4, 8), (11, 26)]);
    let found = leave(&Policy::default(), &t, ids[1]);
    assert_eq!(rules(&found), [("leave_length", Severity::Warn)]);
    assert_eq!(found[0].key, "leave_length:2027-01-04:2027-01-26");
    assert!(found[0].finding.message.starts_with("23 consecutive days"), "{}", found[0].finding.message);
    // Back at work on Monday the 11th: two stretches, each short enough.
    let (t, ids) = leaves(&[(4, 8), (12, 26)]);
    assert!(leave(&Policy::default(), &t, ids[1]).is_empty());
    assert!(leave(&Policy::default(), &t, ids[0]).is_empty());
}

#[test]
fn a_week_past_the_contract_and_threshold_is_overtime_in_the_shifts_own_week() {
    // 8.5 h Monday to Friday in Berlin: 42.5 h in 2027-W01.
    let week: Vec<_> = (4..=8).map(|d| (at(d, 7, 0), at(d, 15, 30))).collect();
    let (mut t, ids) = timeline("Europe/Berlin", &week);
    assert!(attendance(&Policy::default(), &t, ids[4]).is_empty(), "no contract known: no finding");
    t.weekly_hours = Some(37.5);
    let found = attendance(&Policy::default(), &t, ids[4]);
    assert_eq!(rules(&found), [("overtime", Severity::Warn)]);
    assert_eq!((found[0].key.as_str(), found[0].date), ("overtime:2027-W01", date(4)));
    t.weekly_hours = Some(40.0); // 44 h allowed
    assert!(attendance(&Policy::default(), &t, ids[4]).is_empty());
    // Sunday 23:00 UTC is already Monday in Tokyo: the same instants count in the next week there.
    let (mut tokyo, ids) = timeline("Asia/Tokyo", &[(at(3, 23, 0), at(4, 9, 0))]);
    tokyo.weekly_hours = Some(5.0);
    let found = attendance(&Policy::default(), &tokyo, ids[0]);
    assert_eq!(found.iter().map(|f| f.key.as_str()).collect::<Vec<_>>(), ["overtime:2027-W01"]);
}
