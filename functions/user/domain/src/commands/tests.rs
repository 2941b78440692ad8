//! The operations end to end over the in-process chain.

use std::sync::atomic::Ordering;

use chrono::NaiveDate;
use hrms_employee::{EmployeeClient, NewEmployee, Requester};
use hrms_events::user::UserStatus;
use hrms_events::{EventType, HrmsEvent, Payload, Role};
use uuid::Uuid;

use super::testing::{Harness, types};
use super::{create, delete, get, password, suspend, update};
use crate::error::UserError;
use crate::model::{EmployeeDetails, NewUser, Password, PasswordChange, Suspension, User, UserChanges};
use crate::store::UserStore;

const SECRET: &str = "a long enough passphrase";

fn details() -> EmployeeDetails {
    EmployeeDetails {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        department: "Engineering".into(),
        job_title: "Analyst".into(),
        manager_id: Some(Uuid::now_v7()),
        country: "GB".into(),
        time_zone: None,
        weekly_hours: 37.5,
        hire_date: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        date_of_birth: NaiveDate::from_ymd_opt(1990, 12, 10),
    }
}

fn new_user(role: Role) -> NewUser {
    NewUser {
        email: format!("ada.{}@example.com", Uuid::now_v7().simple()),
        full_name: "Ada Lovelace".into(),
        role,
        password: Password::new(SECRET),
        employee_id: None,
        employee: Some(details()),
    }
}

async fn create_as(h: &Harness, who: &Requester, new: NewUser) -> Result<create::Created, UserError> {
    create::handle(new, who, &h.ctx()).await
}

fn no_secrets(events: &[HrmsEvent], user: &User) {
    for e in events {
        let json = serde_json::to_string(&e.to_cloudevent()).expect("json");
        assert!(!json.contains(SECRET) && !json.contains("argon2"), "{json}");
        assert!(user.password_hash.is_empty() || !json.contains(&user.password_hash));
    }
}

#[tokio::test]
async fn create_validates_creates_the_employee_and_stores_the_account() {
    let h = Harness::new();
    let created = create_as(&h, &h.hr, new_user(Role::Employee)).await.expect("created");
    let user = &created.user;
    assert_eq!(h.users.get(user.user_id).await.expect("read"), Some(user.clone()));
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert_eq!(types(&created.events), [EventType::UserCreated, EventType::AuditUserCreated]);
    assert_eq!(h.users.events(), created.events);
    no_secrets(&created.events, user);
    let employee_id = user.employee_id.expect("an employee record");
    assert!(created.events.iter().all(|e| e.partition_key() == employee_id.to_string()));
    let employee = h.employee_service.get(employee_id, &h.hr).await.expect("employee");
    assert_eq!((employee.user_id, employee.email.as_str()), (Some(user.user_id), user.email.as_str()));
    assert_eq!(types(&h.employees.events()), [EventType::EmployeeCreated, EventType::AuditEmployeeCreated]);
    assert_eq!(
        h.compliance_events(),
        [EventType::AuditComplianceValidated; 2],
        "account and record validated"
    );
    assert!(!format!("{user:?}").contains("argon2"), "Debug hides the hash");
}

#[tokio::test]
async fn create_links_an_existing_employee() {
    let h = Harness::new();
    let existing =
        NewEmployee { email: "grace@example.com".into(), ..hrms_employee::fixtures::new_employee() };
    let employee = h.employee_service.create(&existing, &h.hr).await.expect("employee");
    let new = NewUser { employee_id: Some(employee.employee_id), employee: None, ..new_user(Role::Manager) };
    let created = create_as(&h, &h.admin, new).await.expect("created");
    let linked = h.employee_service.get(employee.employee_id, &h.hr).await.expect("employee");
    assert_eq!(linked.user_id, Some(created.user.user_id));
    let again =
        NewUser { employee_id: Some(employee.employee_id), employee: None, ..new_user(Role::Employee) };
    assert!(matches!(create_as(&h, &h.admin, again).await, Err(UserError::Conflict(_))), "linked once");
    assert_eq!(h.users.len(), 1);
}

#[tokio::test]
async fn a_refusal_anywhere_stores_nothing_here() {
    let h = Harness::new();
    let bad_email = NewUser { email: "ada-at-example.com".into(), ..new_user(Role::Employee) };
    let Err(UserError::Refused(verdict)) = create_as(&h, &h.hr, bad_email).await else { panic!("refused") };
    assert_eq!(verdict.violations().next().map(|f| f.rule_id.as_str()), Some("email_format"));

    let long_hours = NewUser {
        employee: Some(EmployeeDetails { weekly_hours: 70.0, ..details() }),
        ..new_user(Role::Employee)
    };
    let Err(UserError::Refused(verdict)) = create_as(&h, &h.hr, long_hours).await else { panic!("refused") };
    assert_eq!(verdict.violations().next().map(|f| f.field.as_str()), Some("weekly_hours"));

    assert_eq!((h.users.len(), h.users.events().len(), h.employees.len()), (0, 0, 0));
    assert!(
        h.compliance_events().contains(&EventType::ComplianceViolation),
        "Compliance records its refusals"
    );
}

#[tokio::test]
async fn a_callee_down_stores_nothing() {
    let h = Harness::new();
    h.compliance.down.store(true, Ordering::SeqCst);
    assert!(matches!(create_as(&h, &h.hr, new_user(Role::Employee)).await, Err(UserError::Unavailable(_))));
    h.compliance.down.store(false, Ordering::SeqCst);
    h.employee_service.down.store(true, Ordering::SeqCst);
    assert!(matches!(create_as(&h, &h.hr, new_user(Role::Employee)).await, Err(UserError::Unavailable(_))));
    assert_eq!((h.users.len(), h.users.events().len(), h.employees.len()), (0, 0, 0));
}

#[tokio::test]
async fn create_refuses_bad_input_before_calling_anyone() {
    let h = Harness::new();
    let cases: Vec<(Requester, NewUser, &str)> = vec![
        (h.hr, new_user(Role::Admin), "forbidden"),
        (Requester { role: Role::Manager, ..h.hr }, new_user(Role::Employee), "forbidden"),
        (h.hr, NewUser { employee: None, ..new_user(Role::Employee) }, "employee"),
        (h.hr, NewUser { employee_id: Some(Uuid::now_v7()), ..new_user(Role::Employee) }, "employee"),
        (h.hr, NewUser { password: Password::new("short"), ..new_user(Role::Employee) }, "password"),
    ];
    for (who, new, expected) in cases {
        let outcome = create_as(&h, &who, new).await;
        match (outcome, expected) {
            (Err(UserError::Forbidden(_)), "forbidden") => {}
            (Err(UserError::Invalid { field, .. }), f) if field == f => {}
            (other, _) => panic!("{expected}: {other:?}"),
        }
    }
    assert!(h.compliance_events().is_empty() && h.users.is_empty());
    let first =
        create_as(&h, &h.admin, NewUser { employee: None, ..new_user(Role::Hr) }).await.expect("hr account");
    let twin = NewUser { email: first.user.email.to_uppercase(), employee: None, ..new_user(Role::Hr) };
    assert!(matches!(create_as(&h, &h.admin, twin).await, Err(UserError::Conflict(_))));
}

async fn account(h: &Harness) -> User {
    create_as(h, &h.hr, new_user(Role::Employee)).await.expect("created").user
}

fn owner(user: &User) -> Requester {
    Requester { user_id: user.user_id, role: user.role, employee_id: user.employee_id }
}

#[tokio::test]
async fn get_is_for_hr_and_the_owner() {
    let h = Harness::new();
    let user = account(&h).await;
    assert_eq!(get::handle(user.user_id, &owner(&user), &h.ctx()).await.expect("own"), user);
    assert_eq!(get::handle(user.user_id, &h.hr, &h.ctx()).await.expect("hr"), user);
    let other = Requester { user_id: Uuid::now_v7(), role: Role::Manager, employee_id: None };
    assert!(matches!(get::handle(user.user_id, &other, &h.ctx()).await, Err(UserError::Forbidden(_))));
    assert!(matches!(get::handle(Uuid::now_v7(), &h.hr, &h.ctx()).await, Err(UserError::NotFound)));
}

#[tokio::test]
async fn update_rules_and_audit() {
    let h = Harness::new();
    let user = account(&h).await;
    let rename = UserChanges { full_name: Some("Augusta Ada King".into()), ..Default::default() };
    let renamed = update::handle(user.user_id, rename, &owner(&user), &h.ctx()).await.expect("own name");
    assert_eq!(
        (renamed.user.version, types(&renamed.events)),
        (2, vec![EventType::UserUpdated, EventType::AuditUserUpdated])
    );
    let Payload::AuditUserUpdated(audit) = &renamed.events[1].payload else { panic!("audit") };
    assert_eq!(audit.changes[0].field, "full_name");
    assert_eq!(audit.before.as_ref().map(|b| b.full_name.as_str()), Some("Ada Lovelace"));

    let promote = UserChanges { role: Some(Role::Admin), ..Default::default() };
    for who in [owner(&user), h.hr] {
        let refused = update::handle(user.user_id, promote.clone(), &who, &h.ctx()).await;
        assert!(matches!(refused, Err(UserError::Forbidden(_))), "{who:?}");
    }
    let stale = UserChanges { version: Some(1), full_name: Some("X".into()), ..Default::default() };
    assert!(matches!(
        update::handle(user.user_id, stale, &h.hr, &h.ctx()).await,
        Err(UserError::Conflict(_))
    ));
    let promoted = update::handle(user.user_id, promote, &h.admin, &h.ctx()).await.expect("admin");
    assert_eq!(promoted.user.role, Role::Admin);
    let bad = UserChanges { email: Some("nope".into()), ..Default::default() };
    assert!(matches!(
        update::handle(user.user_id, bad, &h.admin, &h.ctx()).await,
        Err(UserError::Refused(_))
    ));
    assert_eq!(h.users.get(user.user_id).await.expect("read").map(|u| u.version), Some(3));
}

#[tokio::test]
async fn delete_is_soft_and_final() {
    let h = Harness::new();
    let user = account(&h).await;
    assert!(matches!(delete::handle(user.user_id, &h.hr, &h.ctx()).await, Err(UserError::Forbidden(_))));
    let deleted = delete::handle(user.user_id, &h.admin, &h.ctx()).await.expect("deleted");
    assert_eq!(types(&deleted.events), [EventType::UserDeleted, EventType::AuditUserDeleted]);
    let kept = h.users.get(user.user_id).await.expect("read").expect("the record stays");
    assert_eq!(kept.status, UserStatus::Deleted);
    assert!(matches!(delete::handle(user.user_id, &h.admin, &h.ctx()).await, Err(UserError::Conflict(_))));
    let rename = UserChanges { full_name: Some("X".into()), ..Default::default() };
    assert!(matches!(
        update::handle(user.user_id, rename, &h.admin, &h.ctx()).await,
        Err(UserError::Conflict(_))
    ));
    let twin = NewUser { email: user.email.clone(), employee: None, ..new_user(Role::Hr) };
    assert!(matches!(create_as(&h, &h.admin, twin).await, Err(UserError::Conflict(_))), "e-mail stays taken");
}

#[tokio::test]
async fn suspend_needs_a_reason_and_an_active_account() {
    let h = Harness::new();
    let user = account(&h).await;
    let why = |r: &str| Suspension { reason: r.into() };
    assert!(matches!(
        suspend::handle(user.user_id, why(" "), &h.hr, &h.ctx()).await,
        Err(UserError::Invalid { .. })
    ));
    assert!(matches!(
        suspend::handle(user.user_id, why("x"), &owner(&user), &h.ctx()).await,
        Err(UserError::Forbidden(_))
    ));
    let done = suspend::handle(user.user_id, why("lost laptop"), &h.hr, &h.ctx()).await.expect("suspended");
    assert_eq!(done.user.status, UserStatus::Suspended);
    let Payload::UserSuspended(notice) = &done.events[0].payload else { panic!("notice") };
    assert_eq!(notice.reason, "lost laptop");
    assert!(matches!(
        suspend::handle(user.user_id, why("again"), &h.hr, &h.ctx()).await,
        Err(UserError::Conflict(_))
    ));
}

#[tokio::test]
async fn password_changes_need_the_current_one_or_an_admin() {
    let h = Harness::new();
    let user = account(&h).await;
    let change = |current: Option<&str>, new: &str| PasswordChange {
        current_password: current.map(Password::new),
        new_password: Password::new(new),
    };
    let wrong = password::handle(
        user.user_id,
        change(Some("not my password"), "another long passphrase"),
        &owner(&user),
        &h.ctx(),
    )
    .await;
    assert!(matches!(wrong, Err(UserError::Invalid { field, .. }) if field == "current_password"));
    let weak = password::handle(user.user_id, change(Some(SECRET), "short"), &owner(&user), &h.ctx()).await;
    assert!(matches!(weak, Err(UserError::Invalid { field, .. }) if field == "new_password"));
    assert!(matches!(
        password::handle(user.user_id, change(None, "another long passphrase"), &h.hr, &h.ctx()).await,
        Err(UserError::Forbidden(_))
    ));
    assert_eq!(h.users.get(user.user_id).await.expect("read"), Some(user.clone()), "unchanged so far");

    let changed = password::handle(
        user.user_id,
        change(Some(SECRET), "another long passphrase"),
        &owner(&user),
        &h.ctx(),
    )
    .await
    .expect("changed");
    assert_ne!(changed.user.password_hash, user.password_hash);
    assert_eq!(types(&changed.events), [EventType::UserPasswordChanged, EventType::AuditUserPasswordChanged]);
    let Payload::AuditUserPasswordChanged(audit) = &changed.events[1].payload else { panic!("audit") };
    assert!(audit.changes[0].redacted && audit.changes[0].before.is_none());
    no_secrets(&changed.events, &changed.user);
    let reset =
        password::handle(user.user_id, change(None, "an admin set this one"), &h.admin, &h.ctx()).await;
    assert!(reset.is_ok());
}
