use hrms_events::fixtures;

use super::*;

fn ada() -> Person {
    Person { name: "Ada Lovelace".into(), email: Some("ada@example.com".into()) }
}

#[test]
fn every_notification_type_renders_from_its_sample_without_a_blank() {
    let templates = Templates::embedded();
    for ty in EventType::ALL.iter().copied().filter(|t| !t.is_audit()) {
        assert!(templates.has(ty), "{ty:?}");
        let event = fixtures::sample(ty);
        let message =
            templates.render(&event, &ada(), Some(&ada())).unwrap_or_else(|e| panic!("{ty:?}: {e}"));
        assert!(
            !message.subject.is_empty() && message.text.starts_with("Hello Ada Lovelace,"),
            "{ty:?}: {message:?}"
        );
        assert!(message.html.contains("<p>Hello Ada Lovelace,</p>"), "{ty:?}: {}", message.html);
        for text in [&message.subject, &message.text] {
            assert!(!text.contains("{{") && !text.contains("  "), "{ty:?}: {text}");
        }
    }
}

#[test]
fn a_template_that_names_missing_data_fails_instead_of_leaving_a_blank() {
    // leave.requested names the requester (`employee`): without them, no message.
    let templates = Templates::embedded();
    let event = fixtures::sample(EventType::LeaveRequested);
    let error = templates.render(&event, &ada(), None).expect_err("the requester is missing");
    assert!(error.to_string().contains("leave.requested.txt"), "{error}");
}

#[test]
fn html_escapes_what_the_text_carries() {
    let templates = Templates::embedded();
    let mut event = fixtures::sample(EventType::UserSuspended);
    if let hrms_events::Payload::UserSuspended(p) = &mut event.payload {
        p.reason = "<script>alert(1)</script> & more".into();
    }
    let message = templates.render(&event, &ada(), None).expect("rendered");
    assert!(message.text.contains("<script>alert(1)</script> & more"));
    assert!(
        message.html.contains("&lt;script&gt;") && !message.html.contains("<script>"),
        "{}",
        message.html
    );
}

#[test]
fn a_directory_overrides_a_template_and_a_broken_one_fails_at_start() {
    let dir = std::env::temp_dir().join(format!("hrms-templates-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("leave.approved.txt"),
        "Subject: Enjoy, {{ recipient.name }}\n\nSee you on {{ end_date }}.",
    )
    .expect("written");
    let templates = Templates::with_overrides(&dir).expect("loaded");
    let message =
        templates.render(&fixtures::sample(EventType::LeaveApproved), &ada(), None).expect("rendered");
    assert_eq!(message.subject, "Enjoy, Ada Lovelace");
    assert!(message.text.starts_with("See you on "));

    std::fs::write(dir.join("leave.rejected.txt"), "Subject: {% if %}").expect("written");
    assert!(matches!(Templates::with_overrides(&dir), Err(TemplateError::Render { .. })));
    std::fs::write(dir.join("leave.rejected.txt"), "no subject line").expect("written");
    let templates = Templates::with_overrides(&dir).expect("parses");
    let error =
        templates.render(&fixtures::sample(EventType::LeaveRejected), &ada(), None).expect_err("no subject");
    assert!(matches!(error, TemplateError::NoSubject { .. }));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
#[ignore = "prints every message, for people to read"]
fn print_every_message() {
    let templates = Templates::embedded();
    for ty in EventType::ALL.iter().copied().filter(|t| !t.is_audit()) {
        let m = templates.render(&fixtures::sample(ty), &ada(), Some(&ada())).expect("rendered");
        println!("== {}\nSubject: {}\n\n{}\n", ty.as_str(), m.subject, m.text);
    }
}

#[test]
fn leave_approved_without_approval_tells_the_manager_who_is_away() {
    let templates = Templates::embedded();
    let mut event = fixtures::sample(EventType::LeaveApproved);
    let hrms_events::Payload::LeaveApproved(p) = &mut event.payload else { panic!("leave.approved") };
    p.without_approval = true;
    p.leave_type = "sick".into();
    let grace = Person { name: "Grace Hopper".into(), email: Some("grace@example.com".into()) };
    let to_manager = templates.render(&event, &grace, Some(&ada())).expect("rendered");
    assert!(to_manager.subject.starts_with("Ada Lovelace is on sick leave"), "{to_manager:?}");
    assert!(to_manager.text.contains("needs no approval"), "{}", to_manager.text);
    assert!(!to_manager.text.contains("Balance"), "the manager is not told the balance");
    let to_employee = templates.render(&event, &ada(), Some(&ada())).expect("rendered");
    assert!(to_employee.subject.starts_with("Your leave is approved"), "{to_employee:?}");
}

#[test]
fn leave_reassigned_tells_the_employee_who_decides_and_asks_the_new_approver() {
    let templates = Templates::embedded();
    let mut event = fixtures::sample(EventType::LeaveReassigned);
    let grace = Person { name: "Grace Hopper".into(), email: Some("grace@example.com".into()) };
    let to_approver = templates.render(&event, &grace, Some(&ada())).expect("rendered");
    assert!(to_approver.subject.starts_with("Leave request to decide: Ada Lovelace"), "{to_approver:?}");
    assert!(
        to_approver.text.contains("awaits your decision, because the manager changed"),
        "{}",
        to_approver.text
    );
    let to_employee = templates.render(&event, &ada(), Some(&ada())).expect("rendered");
    assert!(to_employee.subject.starts_with("Your leave request has a new approver"), "{to_employee:?}");
    assert!(to_employee.text.contains("decided by another manager"), "{}", to_employee.text);
    let hrms_events::Payload::LeaveReassigned(p) = &mut event.payload else { panic!("leave.reassigned") };
    p.approver_id = None;
    let to_employee = templates.render(&event, &ada(), Some(&ada())).expect("rendered");
    assert!(to_employee.text.contains("decided by HR"), "{}", to_employee.text);
}
