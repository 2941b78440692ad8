//! The Notification function's inbox: a new user's welcome, by mail and in
//! their inbox, which only they and admins read.

use hrms_events::Role;

use crate::app::spawn_app;
use crate::fixtures::employee_account;
use crate::running::Running;

/// A new user's welcome: a mail (a file under the data directory, with no
/// SMTP configured) and an inbox entry that only they and admins read.
pub async fn a_new_user_is_welcomed_by_mail_and_in_their_inbox(hrms: &impl Running) {
    let api = hrms.api();
    let admin = hrms.token(Role::Admin);
    let new_user = employee_account("katherine@example.com", "Katherine", "Johnson");
    let answer = api.post("/users", Some(&admin), Some(&new_user)).await;
    assert_eq!(answer.status, 201, "{answer}");
    let user_id = answer.json()["user_id"].as_str().expect("an id").to_owned();

    let mail = hrms.mail("Welcome to HRMS").await;
    assert!(mail.contains("katherine@example.com"), "{mail}");
    assert!(!mail.contains("passphrase"), "no secret in a mail");

    let mine = hrms.token_for(Role::Employee, &user_id, None);
    let inbox = api.get("/notifications", Some(&mine)).await.json();
    let first = &inbox.as_array().expect("a list")[0];
    assert_eq!(
        (first["event_type"].as_str(), first["status"].as_str()),
        (Some("user.created"), Some("sent"))
    );
    let id = first["id"].as_str().expect("an id");
    let path = format!("/notifications/{id}");
    assert_eq!(api.post(&format!("{path}/read"), Some(&mine), None).await.status, 204);
    let read = api.get(&path, Some(&mine)).await.json();
    assert!(read["read_at"].is_string(), "read: {read}");
    let other = hrms.token(Role::Employee);
    assert_eq!(api.get(&path, Some(&other)).await.status, 403, "not theirs");
    assert_eq!(api.get(&path, Some(&admin)).await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_user_is_welcomed_by_mail_and_in_their_inbox_on_sqlite() {
    let app = spawn_app().await;
    a_new_user_is_welcomed_by_mail_and_in_their_inbox(&app).await;
    app.stop().await;
}
