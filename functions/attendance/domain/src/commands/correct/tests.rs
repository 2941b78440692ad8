use hrms_events::{EventType, FieldChange};
use serde_json::json;

use super::*;
use crate::commands::testing::{Harness, types};
use crate::commands::{check_in, check_out};
use crate::fixtures::requester;
use crate::store::AttendanceStore;

/// A closed record of 08:00 to 16:00 UTC on 2027-01-04 (the harness's
/// clock then moves to the next morning).
async fn closed(h: &mut Harness, me: &Requester) -> AttendanceRecord {
    let start = h.now - Duration::hours(1);
    check_in::handle(me, &h.at(start)).await.expect("in");
    let done = check_out::handle(me, &h.at(start + Duration::hours(8))).await.expect("out");
    h.now += Duration::hours(24);
    done.record
}

fn correction(check_in: Option<DateTime<Utc>>, check_out: Option<DateTime<Utc>>) -> Correction {
    Correction { check_in, check_out, reason: "badge reader was down".into(), version: None }
}

#[tokio::test]
async fn the_manager_corrects_with_before_and_after_in_the_audit() {
    let mut h = Harness::new();
    let ada = h.employee("Europe/London").await;
    let me = h.person(&ada);
    let record = closed(&mut h, &me).await;
    let manager = h.manager_of(&ada);
    let earlier = record.check_in - Duration::minutes(30);
    let fixed = handle(record.record_id, correction(Some(earlier), None), &manager, &h.ctx())
        .await
        .expect("corrected");
    let after = &fixed.record;
    assert_eq!((after.check_in, after.worked_minutes, after.version), (earlier, Some(510), 3));
    assert!(after.corrected && after.correction_reason.as_deref() == Some("badge reader was down"));
    assert_eq!(h.store.get(record.record_id).await.expect("read"), Some(after.clone()));
    assert_eq!(types(&fixed.events), [EventType::AttendanceUpdated, EventType::AuditAttendanceUpdated]);
    let Payload::AttendanceUpdated(notice) = &fixed.events[0].payload else { panic!("updated") };
    assert_eq!(
        (notice.corrected_by, notice.check_in, notice.worked_minutes),
        (manager.user_id, earlier, Some(510))
    );
    let Payload::AuditAttendanceUpdated(audit) = &fixed.events[1].payload else { panic!("audit") };
    assert_eq!(audit.before, Some(record.snapshot()));
    assert_eq!(audit.after, after.snapshot());
    assert_eq!(audit.reason.as_deref(), Some("badge reader was down"));
    assert_eq!(audit.changes[0], FieldChange::new("check_in", json!(record.check_in), json!(earlier)));
    assert_eq!(audit.changes[1], FieldChange::new("worked_minutes", json!(480), json!(510)));
}

#[tokio::test]
async fn hr_closes_a_forgotten_check_out_and_a_stale_version_is_refused() {
    let h = Harness::new();
    let ada = h.employee("UTC").await;
    let open = check_in::handle(&h.person(&ada), &h.ctx()).await.expect("in").record;
    let later = h.now + Duration::hours(30);
    let out = h.now + Duration::hours(9);
    let fix = Correction { version: Some(1), ..correction(None, Some(out)) };
    let closed = handle(open.record_id, fix.clone(), &h.hr, &h.at(later)).await.expect("closed");
    assert_eq!((closed.record.check_out, closed.record.worked_minutes), (Some(out), Some(540)));
    assert_eq!(h.store.open(ada.employee_id).await.expect("read"), None, "checked out");
    let stale = handle(open.record_id, fix, &h.hr, &h.at(later)).await;
    assert!(matches!(stale, Err(AttendanceError::Conflict(ref why)) if why.contains("stale")));
    // The same times again change nothing.
    let same = Correction { version: Some(2), ..correction(None, Some(out)) };
    let unchanged = handle(open.record_id, same, &h.hr, &h.at(later)).await.expect("no-op");
    assert!(unchanged.events.is_empty());
    assert_eq!(h.outbox().len(), 4);
}

#[tokio::test]
async fn a_plain_employee_or_another_manager_may_not_correct() {
    let mut h = Harness::new();
    let ada = h.employee("UTC").await;
    let me = h.person(&ada);
    let record = closed(&mut h, &me).await;
    let written = h.outbox().len();
    let fix = correction(Some(record.check_in - Duration::hours(1)), None);
    let other_manager = requester(Role::Manager, Some(Uuid::now_v7()));
    let no_record_manager = requester(Role::Manager, None);
    for who in [me, requester(Role::Employee, ada.manager_id), other_manager, no_record_manager] {
        let refused = handle(record.record_id, fix.clone(), &who, &h.ctx()).await;
        assert!(matches!(refused, Err(AttendanceError::Forbidden(_))), "{who:?}: {refused:?}");
    }
    assert_eq!(h.store.get(record.record_id).await.expect("read"), Some(record));
    assert_eq!(h.outbox().len(), written, "no event");
}

#[tokio::test]
async fn impossible_times_are_refused_naming_the_field() {
    let mut h = Harness::new();
    let ada = h.employee("UTC").await;
    let me = h.person(&ada);
    let record = closed(&mut h, &me).await;
    let written = h.outbox().len();
    let cases = [
        (correction(Some(h.now + Duration::hours(1)), None), "check_in"),
        (correction(None, Some(h.now + Duration::hours(1))), "check_out"),
        (correction(Some(record.check_in), Some(record.check_in)), "check_out"),
        (correction(None, Some(record.check_in + Duration::hours(25))), "check_out"),
        (correction(None, None), "check_in"),
        (correction(Some(DateTime::<Utc>::MIN_UTC), None), "check_in"),
        (
            correction(Some(DateTime::<Utc>::MIN_UTC), Some(DateTime::<Utc>::MIN_UTC + Duration::hours(1))),
            "check_in",
        ),
        (correction(None, Some(DateTime::<Utc>::MAX_UTC)), "check_out"),
        (correction(Some(EARLIEST - Duration::seconds(1)), None), "check_in"),
        (Correction { reason: "  ".into(), ..correction(Some(record.check_in), None) }, "reason"),
    ];
    for (fix, field) in cases {
        let refused = handle(record.record_id, fix.clone(), &h.hr, &h.ctx()).await;
        assert!(
            matches!(refused, Err(AttendanceError::Invalid { field: ref f, .. }) if f == field),
            "{fix:?}: {refused:?}"
        );
    }
    let unknown = handle(Uuid::now_v7(), correction(Some(h.now), None), &h.hr, &h.ctx()).await;
    assert!(matches!(unknown, Err(AttendanceError::NotFound(_))));
    assert_eq!(h.store.get(record.record_id).await.expect("read"), Some(record));
    assert_eq!(h.outbox().len(), written, "no event");
}

#[tokio::test]
async fn a_correction_may_not_overlap_another_record() {
    let mut h = Harness::new();
    let ada = h.employee("UTC").await;
    let me = h.person(&ada);
    let first = closed(&mut h, &me).await;
    let second = closed(&mut h, &me).await;
    let first_out = first.check_out.expect("closed");
    let into_first = correction(Some(first_out - Duration::hours(1)), Some(first_out + Duration::hours(2)));
    let refused = handle(second.record_id, into_first, &h.hr, &h.ctx()).await;
    assert!(
        matches!(refused, Err(AttendanceError::Overlap { ref field, ref message })
            if field == "check_in" && message.contains(&first.record_id.to_string())),
        "{refused:?}"
    );
    // Ending inside the other names the check-out.
    let ending_in_first =
        correction(Some(first.check_in - Duration::hours(1)), Some(first.check_in + Duration::minutes(1)));
    let refused = handle(second.record_id, ending_in_first, &h.hr, &h.ctx()).await;
    assert!(
        matches!(refused, Err(AttendanceError::Overlap { ref field, .. }) if field == "check_out"),
        "{refused:?}"
    );
    // Up to the other's check-out is fine.
    let touching = correction(Some(first_out), Some(first_out + Duration::hours(4)));
    let fixed = handle(second.record_id, touching, &h.hr, &h.ctx()).await.expect("touching");
    assert_eq!((fixed.record.check_in, fixed.record.worked_minutes), (first_out, Some(240)));
}

#[tokio::test]
async fn a_correction_may_not_overlap_a_record_months_old() {
    let mut h = Harness::new();
    let me = h.person(&h.employee("UTC").await);
    let old = closed(&mut h, &me).await;
    h.now += Duration::days(120);
    let recent = closed(&mut h, &me).await;
    let back = correction(Some(old.check_in + Duration::hours(7)), Some(old.check_in + Duration::hours(9)));
    let refused = handle(recent.record_id, back, &h.hr, &h.ctx()).await;
    assert!(
        matches!(refused, Err(AttendanceError::Overlap { ref field, .. }) if field == "check_in"),
        "{refused:?}"
    );
    assert_eq!(h.store.get(recent.record_id).await.expect("read"), Some(recent));
}

#[tokio::test]
async fn employee_down_refuses_a_managers_correction() {
    let mut h = Harness::new();
    let ada = h.employee("UTC").await;
    let me = h.person(&ada);
    let record = closed(&mut h, &me).await;
    h.employees_down();
    let fix = correction(Some(record.check_in - Duration::hours(1)), None);
    let refused = handle(record.record_id, fix, &h.manager_of(&ada), &h.ctx()).await;
    assert!(matches!(refused, Err(AttendanceError::Unavailable(_))));
    assert_eq!(h.store.get(record.record_id).await.expect("read"), Some(record));
}

#[tokio::test]
async fn nobody_corrects_their_own_attendance_whatever_their_role() {
    let mut h = Harness::new();
    let ada = h.employee("UTC").await;
    let me = h.person(&ada);
    let record = closed(&mut h, &me).await;
    let written = h.outbox().len();
    let fix = correction(Some(record.check_in - Duration::hours(1)), None);
    for role in [Role::Hr, Role::Admin, Role::Manager] {
        let own = requester(role, Some(ada.employee_id));
        let refused = handle(record.record_id, fix.clone(), &own, &h.ctx()).await;
        assert!(matches!(refused, Err(AttendanceError::Forbidden(_))), "{role:?}: {refused:?}");
    }
    assert_eq!(h.store.get(record.record_id).await.expect("read"), Some(record));
    assert_eq!(h.outbox().len(), written, "no event");
}
