//! A correction into another record of the employee, months old, is 409
//! naming the field inside it; nothing changes.

use chrono::Duration;

use super::*;

/// A closed record of `employee_id`, `from` to `to`, as a check-out leaves it.
fn worked(employee_id: Uuid, from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>) -> AttendanceRecord {
    AttendanceRecord {
        record_id: Uuid::now_v7(),
        employee_id,
        check_in: from,
        check_out: Some(to),
        time_zone: "UTC".into(),
        worked_minutes: hrms_attendance::model::worked_minutes(from, Some(to)),
        corrected: false,
        correction_reason: None,
        closed_at_termination: false,
        version: 2,
        created_at: from,
        updated_at: to,
    }
}

#[tokio::test]
async fn a_correction_into_an_old_record_is_409_naming_the_field() {
    let store: SqliteAttendanceStore =
        Store::open(temp_dir("attendance-http").join("attendance.db")).expect("store");
    let outbox = Arc::new(store.outbox());
    let store = Arc::new(store);
    let f = fixture(store.clone(), outbox, EmployeeIs::Up);
    let (ada, _) = f.employee("UTC").await;
    let today = Utc::now().date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let old_start = today - Duration::days(120) + Duration::hours(8);
    let old = worked(ada.employee_id, old_start, old_start + Duration::hours(8));
    let recent_start = today - Duration::days(1) + Duration::hours(8);
    let recent = worked(ada.employee_id, recent_start, recent_start + Duration::hours(8));
    for r in [&old, &recent] {
        store.insert(r, &[]).await.expect("stored");
    }
    let manager = f.client.token(Role::Manager, ada.manager_id);
    let uri = format!("/attendance/{}", recent.record_id);
    let time = |at: chrono::DateTime<Utc>| at.to_rfc3339();

    let into = json!({
        "check_in": time(old_start + Duration::hours(7)),
        "check_out": time(old_start + Duration::hours(9)),
        "reason": "wrong day",
    });
    let refused = f.client.call("PATCH", &uri, Some(&manager), Some(&into)).await;
    assert_problem(&refused, StatusCode::CONFLICT, Some("check_in"));
    let detail = refused.1["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(&old.record_id.to_string()), "names the other record: {}", refused.1);
    let ending_in = json!({
        "check_in": time(old_start - Duration::hours(1)),
        "check_out": time(old_start + Duration::hours(1)),
        "reason": "wrong day",
    });
    let refused = f.client.call("PATCH", &uri, Some(&manager), Some(&ending_in)).await;
    assert_problem(&refused, StatusCode::CONFLICT, Some("check_out"));

    assert_eq!(store.get(recent.record_id).await.expect("read"), Some(recent.clone()), "unchanged");
    assert!(f.events().await.is_empty(), "no event");
    // Right after it is fine.
    let after = json!({
        "check_in": time(old_start + Duration::hours(8)),
        "check_out": time(old_start + Duration::hours(10)),
        "reason": "wrong day",
    });
    let (status, fixed) = f.client.call("PATCH", &uri, Some(&manager), Some(&after)).await;
    assert_eq!((status, fixed["worked_minutes"].clone()), (StatusCode::OK, json!(120)), "{fixed}");
}
