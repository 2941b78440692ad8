//! `POST /users`: an account with its employee record, made once per
//! e-mail, its events published.

use hrms_events::Role;
use serde_json::json;

use crate::app::spawn_app;
use crate::running::Running;

/// Creates a user with their employee record (201, no password in the
/// answer), waits for their events, and tries the same e-mail again, in
/// capitals (409).
pub async fn a_user_is_created_once_and_their_events_flow(hrms: &impl Running) {
    let admin = hrms.token(Role::Admin);
    let new_user = json!({
        "email": "grace@example.com", "full_name": "Grace Hopper", "role": "manager",
        "password": "a long enough passphrase",
        "employee": {
            "first_name": "Grace", "last_name": "Hopper", "department": "Engineering", "job_title": "Engineer",
            "country": "US", "weekly_hours": 40, "hire_date": "2026-12-01"
        }
    });
    let answer = hrms.api().post("/users", Some(&admin), Some(&new_user)).await;
    assert_eq!(answer.status, 201, "{answer}");
    assert!(!answer.text.contains("passphrase") && !answer.text.contains("argon2"), "{answer}");
    hrms.published(&["user.created", "audit.user.created", "employee.created", "audit.employee.created"])
        .await;
    let mut again = new_user.clone();
    again["email"] = "GRACE@example.com".into();
    let again = hrms.api().post("/users", Some(&admin), Some(&again)).await;
    assert!(again.status == 409 && again.is_problem(), "{again}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_is_created_once_and_their_events_flow_on_sqlite() {
    let app = spawn_app().await;
    a_user_is_created_once_and_their_events_flow(&app).await;
    app.stop().await;
}
