use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::commands::testing::Harness;
use crate::fixtures::requester;
use crate::store::AttendanceStore;

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, d, h, 0, 0).single().expect("valid")
}

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, m, d).expect("valid")
}

/// A record of `e` from `start` to `end` (open if `None`).
fn record(e: &Employee, start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> AttendanceRecord {
    AttendanceRecord {
        record_id: Uuid::now_v7(),
        employee_id: e.employee_id,
        check_in: start,
        check_out: end,
        time_zone: e.time_zone.clone(),
        worked_minutes: crate::model::worked_minutes(start, end),
        corrected: false,
        correction_reason: None,
        closed_at_termination: false,
        version: 1,
        created_at: start,
        updated_at: start,
    }
}

/// Stores a record of `e` from `start` to `end`.
async fn worked(h: &Harness, e: &Employee, start: DateTime<Utc>, end: Option<DateTime<Utc>>) {
    h.store.insert(&record(e, start, end), &[]).await.expect("stored");
}

fn weeks(employee_id: Option<Uuid>, from: u32, to: u32) -> OvertimeQuery {
    OvertimeQuery {
        employee_id,
        from: Some(date(1, from)),
        to: Some(date(1, to)),
        ..OvertimeQuery::default()
    }
}

/// (period, worked, contracted, overtime) in minutes.
fn rows(o: &EmployeeOvertime) -> Vec<(&str, i64, i64, i64)> {
    o.periods
        .iter()
        .map(|p| (p.period.as_str(), p.worked_minutes, p.contracted_minutes, p.overtime_minutes))
        .collect()
}

#[tokio::test]
async fn a_long_week_is_overtime_and_a_short_one_does_not_offset_it() {
    let h = Harness::new();
    let berlin = h.employee("Europe/Berlin").await; // 37.5 h a week
    for d in 4..=8 {
        worked(&h, &berlin, at(d, 7), Some(at(d, 16))).await; // 9 h a day
    }
    worked(&h, &berlin, at(11, 7), Some(at(11, 9))).await;
    worked(&h, &berlin, at(12, 7), None).await; // open: not counted yet
    let summary = handle(weeks(None, 5, 12), &h.person(&berlin), &h.ctx()).await.expect("summed");
    assert_eq!((summary.from, summary.to), (date(1, 4), date(1, 17)), "whole weeks");
    let [mine] = summary.employees.as_slice() else { panic!("one employee: {summary:?}") };
    assert_eq!(rows(mine), [("2027-W01", 45 * 60, 2250, 450), ("2027-W02", 120, 2250, 0)]);
    assert_eq!((mine.overtime_minutes, mine.overtime_hours, mine.weekly_hours), (450, 7.5, 37.5));
    assert_eq!((mine.worked_minutes, mine.contracted_minutes), (45 * 60 + 120, 4500));
}

#[tokio::test]
async fn the_same_instants_fall_in_each_shifts_own_week() {
    let h = Harness::new();
    let tokyo = h.employee("Asia/Tokyo").await;
    let new_york = h.employee("America/New_York").await;
    // Sunday 3 January 23:00 to Monday 11:00 UTC, 12 h: Monday 08:00-20:00 in
    // Tokyo (week 1); Sunday 18:00 to Monday 06:00 in New York (6 h in 2026-W53).
    for e in [&tokyo, &new_york] {
        worked(&h, e, at(3, 23), Some(at(4, 11))).await;
    }
    for (e, want) in
        [(&tokyo, [("2026-W53", 0), ("2027-W01", 720)]), (&new_york, [("2026-W53", 360), ("2027-W01", 360)])]
    {
        let summary = handle(weeks(Some(e.employee_id), 3, 4), &h.hr, &h.ctx()).await.expect("summed");
        let got: Vec<_> =
            summary.employees[0].periods.iter().map(|p| (p.period.as_str(), p.worked_minutes)).collect();
        assert_eq!(got, want, "{}", e.time_zone);
    }
}

#[test]
fn a_month_owes_its_days_and_only_those_employed() {
    let mut e = crate::fixtures::employee("UTC", None);
    let empty = summarize(Period::Month, date(1, 1), date(2, 28), &e, &[]);
    // 37.5 h over 7 days: 31 days owe 9964 min, 28 days exactly 4 weeks.
    assert_eq!(rows(&empty), [("2027-01", 0, 9964, 0), ("2027-02", 0, 9000, 0)]);
    e.hire_date = date(1, 15);
    e.termination_date = Some(date(2, 7));
    let partial = summarize(Period::Month, date(1, 1), date(2, 28), &e, &[]);
    assert_eq!(rows(&partial), [("2027-01", 0, 5464, 0), ("2027-02", 0, 2250, 0)]);
    // Worked past the contract of a part month is overtime.
    let record = record(&e, at(4, 8), Some(at(4, 18)));
    e.hire_date = date(1, 31);
    let one_day = summarize(Period::Month, date(1, 1), date(1, 31), &e, &[&record]);
    assert_eq!(rows(&one_day), [("2027-01", 600, 321, 279)]);
}

#[tokio::test]
async fn each_sees_whom_they_may_and_managers_their_team() {
    let h = Harness::new();
    let boss = Uuid::now_v7();
    let ada = h.report_of(boss, "UTC").await;
    let grace = h.report_of(boss, "UTC").await;
    let other = h.employee("UTC").await;
    for e in [&ada, &grace, &other] {
        worked(&h, e, at(4, 8), Some(at(4, 18))).await;
    }
    // A report who did not work that week is in the team; one who left
    // before it is not.
    let idle = h.report_of(boss, "UTC").await;
    let gone = Employee {
        termination_date: Some(date(1, 1)),
        status: hrms_events::employee::EmployeeStatus::Terminated,
        ..crate::fixtures::employee("UTC", Some(boss))
    };
    h.store_employee(&gone).await;
    let manager = requester(Role::Manager, Some(boss));
    let ids = |o: Overtime| o.employees.iter().map(|e| e.employee_id).collect::<Vec<_>>();
    let mut team = vec![ada.employee_id, grace.employee_id, idle.employee_id];
    team.sort();

    let query = |employee_id, manager_id| OvertimeQuery { employee_id, manager_id, ..weeks(None, 4, 4) };
    let got = handle(query(None, Some(boss)), &manager, &h.ctx()).await.expect("their team");
    assert_eq!(ids(got), team);
    let got = handle(query(None, Some(boss)), &h.hr, &h.ctx()).await.expect("hr");
    assert_eq!(ids(got), team);
    let got = handle(query(Some(ada.employee_id), None), &manager, &h.ctx()).await.expect("a report");
    assert_eq!(ids(got), [ada.employee_id]);
    let got = handle(query(Some(other.employee_id), None), &h.hr, &h.ctx()).await.expect("hr");
    assert_eq!(ids(got), [other.employee_id]);

    for (who, q) in [
        (h.person(&ada), query(Some(grace.employee_id), None)),
        (h.person(&ada), query(None, Some(boss))),
        (manager, query(Some(other.employee_id), None)),
        (requester(Role::Manager, Some(Uuid::now_v7())), query(None, Some(boss))),
    ] {
        let refused = handle(q.clone(), &who, &h.ctx()).await;
        assert!(matches!(refused, Err(AttendanceError::Forbidden(_))), "{who:?} {q:?}: {refused:?}");
    }
    let both = handle(query(Some(ada.employee_id), Some(boss)), &h.hr, &h.ctx()).await;
    assert!(matches!(both, Err(AttendanceError::Invalid { ref field, .. }) if field == "manager_id"));
    let nobody = handle(query(None, None), &h.hr, &h.ctx()).await;
    assert!(matches!(nobody, Err(AttendanceError::Invalid { ref field, .. }) if field == "employee_id"));
    h.employees_down();
    let down = handle(query(None, Some(boss)), &manager, &h.ctx()).await;
    assert!(matches!(down, Err(AttendanceError::Unavailable(_))));
}

#[tokio::test]
async fn ranges_default_to_recent_periods_and_are_bounded() {
    let h = Harness::new(); // now: Monday 2027-01-04
    let e = h.employee("UTC").await;
    let me = h.person(&e);
    let four_weeks = handle(OvertimeQuery::default(), &me, &h.ctx()).await.expect("summed");
    assert_eq!((four_weeks.from, four_weeks.to), (date(1, 4) - Duration::weeks(3), date(1, 10)));
    assert_eq!(four_weeks.employees[0].periods.len(), 4);
    let months = OvertimeQuery { period: Period::Month, ..OvertimeQuery::default() };
    let three = handle(months, &me, &h.ctx()).await.expect("summed");
    assert_eq!((three.from, three.to), (NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid"), date(1, 31)));
    let backwards = handle(weeks(None, 5, 4), &me, &h.ctx()).await;
    assert!(matches!(backwards, Err(AttendanceError::Invalid { ref field, .. }) if field == "from"));
    let long = OvertimeQuery { from: Some(date(1, 1) - Duration::days(400)), ..weeks(None, 1, 1) };
    let refused = handle(long, &me, &h.ctx()).await;
    assert!(matches!(refused, Err(AttendanceError::Invalid { ref field, .. }) if field == "to"));
    for edge in [EARLIEST, LATEST] {
        let q = OvertimeQuery { from: Some(edge), to: Some(edge), ..OvertimeQuery::default() };
        assert!(handle(q, &me, &h.ctx()).await.is_ok(), "{edge}");
    }
}

#[test]
fn a_week_across_two_months_is_one_week_and_splits_by_month() {
    let e = crate::fixtures::employee("Europe/Berlin", None);
    let day = |m: u32, d: u32, h: u32| Utc.with_ymd_and_hms(2027, m, d, h, 0, 0).single().expect("valid");
    // Wednesday 31 March and Thursday 1 April 2027, 10 h each (Berlin, summer time).
    let records =
        [record(&e, day(3, 31, 6), Some(day(3, 31, 16))), record(&e, day(4, 1, 6), Some(day(4, 1, 16)))];
    let refs: Vec<_> = records.iter().collect();
    let week = summarize(Period::Week, date(3, 31), date(4, 1), &e, &refs);
    assert_eq!(rows(&week), [("2027-W13", 1200, 2250, 0)]);
    assert_eq!((week.periods[0].starts, week.periods[0].ends), (date(3, 29), date(4, 4)));
    let months = summarize(Period::Month, date(3, 31), date(4, 1), &e, &refs);
    assert_eq!(
        rows(&months).iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
        [("2027-03", 600), ("2027-04", 600)]
    );
}
