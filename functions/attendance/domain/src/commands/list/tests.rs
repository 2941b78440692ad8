use chrono::{DateTime, TimeZone, Utc};
use hrms_employee::Employee;

use super::*;
use crate::commands::testing::Harness;
use crate::fixtures::requester;
use crate::store::AttendanceStore;

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, d, h, 0, 0).single().expect("valid")
}

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, d).expect("valid")
}

/// Stores a record of `e` from `start` to `end` (open if `None`).
async fn worked(
    h: &Harness,
    e: &Employee,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
) -> AttendanceRecord {
    let record = AttendanceRecord {
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
    };
    h.store.insert(&record, &[]).await.expect("stored");
    record
}

fn range(employee_id: Option<Uuid>, from: u32, to: u32) -> ListQuery {
    ListQuery { employee_id, from: Some(date(from)), to: Some(date(to)) }
}

#[tokio::test]
async fn the_same_night_shift_falls_on_each_employees_own_days() {
    let h = Harness::new();
    let tokyo = h.employee("Asia/Tokyo").await;
    let new_york = h.employee("America/New_York").await;
    // 23:00 to 07:00 UTC: 08:00 to 16:00 in Tokyo; 18:00 to 02:00 in New York.
    for e in [&tokyo, &new_york] {
        worked(&h, e, at(4, 23), Some(at(5, 7))).await;
    }
    let listing = handle(range(None, 4, 5), &h.hr, &h.ctx()).await.expect("listed");
    assert_eq!(listing.records.len(), 2);
    let days: Vec<_> = listing.days.iter().map(|d| (d.employee_id, d.date, d.worked_minutes)).collect();
    let mut want = vec![
        (tokyo.employee_id, date(5), 480),
        (new_york.employee_id, date(4), 360),
        (new_york.employee_id, date(5), 120),
    ];
    want.sort();
    assert_eq!(days, want);
    assert!(listing.weeks.iter().all(|w| w.week == "2027-W01" && w.worked_minutes == 480));

    // Tokyo's record was checked in on its 5th: not in a range of the 4th alone.
    let fourth = handle(range(None, 4, 4), &h.hr, &h.ctx()).await.expect("listed");
    let ids: Vec<_> = fourth.records.iter().map(|r| r.employee_id).collect();
    assert_eq!(ids, vec![new_york.employee_id]);
    assert_eq!(fourth.days.len(), 1, "only the 4th is counted: {:?}", fourth.days);
}

#[tokio::test]
async fn weeks_sum_the_days_in_the_range_and_open_records_do_not_count_yet() {
    let h = Harness::new();
    let berlin = h.employee("Europe/Berlin").await;
    for d in 4..=8 {
        worked(&h, &berlin, at(d, 7), Some(at(d, 15) + Duration::minutes(30))).await;
    }
    worked(&h, &berlin, at(11, 7), Some(at(11, 9))).await;
    let open = worked(&h, &berlin, at(12, 7), None).await;
    let me = h.person(&berlin);
    let listing = handle(range(None, 4, 12), &me, &h.ctx()).await.expect("listed");
    assert_eq!(listing.records.len(), 7);
    assert_eq!(listing.records.last(), Some(&open), "by check-in");
    assert_eq!(listing.days.len(), 6);
    assert!(listing.days.iter().take(5).all(|d| d.worked_minutes == 510 && d.worked_hours == 8.5));
    let weeks: Vec<_> = listing.weeks.iter().map(|w| (w.week.as_str(), w.starts, w.worked_hours)).collect();
    assert_eq!(weeks, [("2027-W01", date(4), 42.5), ("2027-W02", date(11), 2.0)]);
    // A range inside the week counts its days only.
    let two = handle(range(None, 5, 6), &me, &h.ctx()).await.expect("listed");
    assert_eq!(two.weeks[0].worked_minutes, 2 * 510);
}

#[tokio::test]
async fn each_sees_whom_they_may() {
    let h = Harness::new();
    let ada = h.employee("UTC").await;
    let grace = h.employee("UTC").await;
    worked(&h, &ada, at(4, 8), Some(at(4, 16))).await;
    worked(&h, &grace, at(4, 8), Some(at(4, 16))).await;
    let count = |listing: Listing| listing.records.len();

    let mine = handle(range(None, 4, 4), &h.person(&ada), &h.ctx()).await.expect("own");
    assert_eq!(mine.records[0].employee_id, ada.employee_id);
    assert_eq!(count(mine), 1);
    let manager = h.manager_of(&ada);
    let report = handle(range(Some(ada.employee_id), 4, 4), &manager, &h.ctx()).await;
    assert_eq!(report.map(count).expect("their report"), 1);
    let all = handle(range(None, 4, 4), &h.hr, &h.ctx()).await.expect("hr");
    assert_eq!(count(all), 2);

    for (who, whose) in [
        (h.person(&ada), Some(grace.employee_id)),
        (manager, Some(grace.employee_id)),
        (requester(Role::Manager, Some(Uuid::now_v7())), Some(ada.employee_id)),
    ] {
        let refused = handle(range(whose, 4, 4), &who, &h.ctx()).await;
        assert!(matches!(refused, Err(AttendanceError::Forbidden(_))), "{who:?}: {refused:?}");
    }
    let nobody = requester(Role::Manager, None);
    let refused = handle(range(None, 4, 4), &nobody, &h.ctx()).await;
    assert!(matches!(refused, Err(AttendanceError::Invalid { ref field, .. }) if field == "employee_id"));
    h.employees_down();
    let down = handle(range(Some(ada.employee_id), 4, 4), &h.manager_of(&ada), &h.ctx()).await;
    assert!(matches!(down, Err(AttendanceError::Unavailable(_))));
}

#[tokio::test]
async fn ranges_default_to_the_last_week_and_are_bounded() {
    let h = Harness::new();
    let listing = handle(ListQuery::default(), &h.hr, &h.ctx()).await.expect("listed");
    assert_eq!((listing.from, listing.to), (date(4) - Duration::days(6), date(4)));
    let backwards = handle(range(None, 5, 4), &h.hr, &h.ctx()).await;
    assert!(matches!(backwards, Err(AttendanceError::Invalid { ref field, .. }) if field == "from"));
    let long = ListQuery { from: Some(date(1) - Duration::days(400)), ..range(None, 1, 1) };
    let refused = handle(long, &h.hr, &h.ctx()).await;
    assert!(matches!(refused, Err(AttendanceError::Invalid { ref field, .. }) if field == "to"));
}

#[tokio::test]
async fn days_beyond_four_digit_years_are_refused_and_the_edges_list() {
    let h = Harness::new();
    let far = NaiveDate::from_ymd_opt(-262_143, 1, 1).expect("chrono's first year");
    for (query, field) in [
        (ListQuery { to: Some(far), ..ListQuery::default() }, "to"),
        (ListQuery { from: Some(NaiveDate::MAX), to: Some(NaiveDate::MAX), ..ListQuery::default() }, "from"),
    ] {
        match handle(query, &h.hr, &h.ctx()).await {
            Err(AttendanceError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    for day in [EARLIEST, LATEST] {
        let edge = ListQuery { from: Some(day), to: Some(day), ..ListQuery::default() };
        assert!(handle(edge, &h.hr, &h.ctx()).await.expect("listed").records.is_empty());
    }
    let first = ListQuery { to: Some(EARLIEST), ..ListQuery::default() };
    assert_eq!(handle(first, &h.hr, &h.ctx()).await.expect("listed").to, EARLIEST);
}
