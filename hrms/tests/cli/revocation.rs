//! Revocation: a token stops working within 30 s of its account being
//! suspended, deleted or given another role, or of its employee record
//! being terminated (a terminated manager can no longer approve); the
//! tokens of unchanged accounts, and a new token for the new role, work.

use std::time::Duration;

use hrms_events::Role;
use serde_json::{Value, json};

use hrms_e2e::TempDir;

use crate::app::spawn_app;
use crate::binary::{Dev, free_port};
use crate::fixtures::{account, annual_leave, employee_account, week};
use crate::running::Running;
use crate::wait;

/// The longest a change may take to refuse the account's tokens.
const REVOKED_WITHIN: Duration = Duration::from_secs(30);

pub async fn changed_accounts_lose_their_tokens_within_30_s(hrms: &impl Running) {
    let api = hrms.api();
    let admin = hrms.token(Role::Admin);
    let create = async |email: &str, first: &str, role: &str, manager: Option<&str>| {
        let answer =
            api.post("/users", Some(&admin), Some(&account(email, first, "Test", role, manager))).await;
        assert_eq!(answer.status, 201, "{answer}");
        let created = answer.json();
        let id = |name: &str| created[name].as_str().expect("an id").to_owned();
        (id("user_id"), id("employee_id"))
    };
    let (grace, grace_employee) = create("grace@example.com", "Grace", "manager", None).await;
    let (ada, ada_employee) = create("ada@example.com", "Ada", "employee", Some(&grace_employee)).await;
    let (sam, sam_employee) = create("sam@example.com", "Sam", "employee", None).await;
    let (dee, dee_employee) = create("dee@example.com", "Dee", "employee", None).await;
    let (rex, rex_employee) = create("rex@example.com", "Rex", "employee", None).await;
    let grace_token = hrms.token_for(Role::Manager, &grace, Some(&grace_employee));
    let ada_token = hrms.token_for(Role::Employee, &ada, Some(&ada_employee));
    let sam_token = hrms.token_for(Role::Employee, &sam, Some(&sam_employee));
    let dee_token = hrms.token_for(Role::Employee, &dee, Some(&dee_employee));
    let rex_token = hrms.token_for(Role::Employee, &rex, Some(&rex_employee));
    let own = |user: &str| format!("/users/{user}");
    for (user, token) in [
        (&grace, &grace_token),
        (&ada, &ada_token),
        (&sam, &sam_token),
        (&dee, &dee_token),
        (&rex, &rex_token),
    ] {
        let answer = api.get(&own(user), Some(token)).await;
        assert_eq!(answer.status, 200, "before any change: {answer}");
    }
    let answer = api.post("/leaves", Some(&ada_token), Some(&annual_leave(week(8)))).await;
    assert_eq!(answer.status, 201, "{answer}");
    let leave = answer.json()["leave_id"].as_str().expect("an id").to_owned();

    let suspended = api
        .post(&format!("/users/{sam}/suspend"), Some(&admin), Some(&json!({"reason": "Lost laptop"})))
        .await;
    assert_eq!(suspended.status, 200, "{suspended}");
    let deleted = api.delete(&format!("/users/{dee}"), &admin).await;
    assert_eq!(deleted.status, 200, "{deleted}");
    let re_roled = api.patch(&format!("/users/{rex}"), &admin, &json!({"role": "manager"})).await;
    assert_eq!(re_roled.status, 200, "{re_roled}");
    let hr = hrms.token(Role::Hr);
    let ends =
        chrono::Utc::now().date_naive().max(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"));
    let termination = json!({ "termination_date": ends, "reason": "Moved abroad" });
    let path = format!("/employees/{grace_employee}/terminate");
    let terminated = api.post(&path, Some(&hr), Some(&termination)).await;
    assert_eq!(terminated.status, 200, "{terminated}");

    let approve = format!("/leaves/{leave}/approve");
    // A termination also suspends the account (User's consumer): refused
    // for either, whichever the check sees first.
    let refusals: [(_, _, _, &[&str]); 4] = [
        ("suspended", own(&sam), sam_token.as_str(), &["suspended"]),
        ("deleted", own(&dee), dee_token.as_str(), &["deleted"]),
        ("re-roled", own(&rex), rex_token.as_str(), &["role"]),
        ("terminated", own(&grace), grace_token.as_str(), &["terminated", "suspended"]),
    ];
    wait::until("every changed account's token refused", REVOKED_WITHIN, async || {
        let mut seen = Vec::new();
        for (what, path, token, why) in &refusals {
            let answer = api.get(path, Some(token)).await;
            let refused = answer.status == 401 && answer.is_problem();
            if !(refused && why.iter().any(|w| answer.json()["detail"].to_string().contains(w))) {
                seen.push(format!("{what}: {answer}"));
            }
        }
        if seen.is_empty() { Ok(()) } else { Err(seen.join("; ")) }
    })
    .await;

    let approval = api.post(&approve, Some(&grace_token), None).await;
    assert_eq!(approval.status, 401, "the terminated manager cannot approve: {approval}");
    let leave: Value = api.get(&format!("/leaves/{leave}"), Some(&ada_token)).await.json();
    assert_eq!(leave["status"], "pending", "not approved: {leave}");
    let answer = api.get(&own(&ada), Some(&ada_token)).await;
    assert_eq!(answer.status, 200, "an unchanged account's token works: {answer}");
    let new_role = hrms.token_for(Role::Manager, &rex, Some(&rex_employee));
    let answer = api.get(&own(&rex), Some(&new_role)).await;
    assert_eq!(answer.status, 200, "a token for the new role works: {answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_accounts_lose_their_tokens_within_30_s_on_sqlite() {
    let app = spawn_app().await;
    changed_accounts_lose_their_tokens_within_30_s(&app).await;
    app.stop().await;
}

/// Functions apart: Employee asks User at `HRMS_USER_URL` (with a token it
/// mints), User asks Employee whether a record is terminated; a suspended
/// account's and a terminated employee's tokens are refused by both, an
/// unchanged one's and the admin's are not.
#[tokio::test(flavor = "multi_thread")]
async fn functions_apart_ask_user_and_refuse_changed_accounts_within_30_s() {
    let data = TempDir::new();
    let (compliance_port, employee_port, user_port) = (free_port(), free_port(), free_port());
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let (compliance_url, employee_url, user_url) = (url(compliance_port), url(employee_port), url(user_port));
    let _compliance = Dev::serve("compliance", compliance_port, &data).await;
    let employee_env =
        [("HRMS_COMPLIANCE_URL", compliance_url.as_str()), ("HRMS_USER_URL", user_url.as_str())];
    let employee = Dev::serve_with("employee", employee_port, &data, &employee_env).await;
    let user_env =
        [("HRMS_COMPLIANCE_URL", compliance_url.as_str()), ("HRMS_EMPLOYEE_URL", employee_url.as_str())];
    let user = Dev::serve_with("user", user_port, &data, &user_env).await;

    let admin = user.token(Role::Admin);
    let create = async |email: &str, first: &str| {
        let answer =
            user.api.post("/users", Some(&admin), Some(&employee_account(email, first, "Test"))).await;
        assert_eq!(answer.status, 201, "{answer}");
        let created = answer.json();
        let id = |name: &str| created[name].as_str().expect("an id").to_owned();
        (id("user_id"), id("employee_id"))
    };
    let people = [
        create("ada@example.com", "Ada").await,
        create("bob@example.com", "Bob").await,
        create("cy@example.com", "Cy").await,
    ];
    let tokens = people
        .clone()
        .map(|(user_id, employee_id)| user.token_for(Role::Employee, &user_id, Some(&employee_id)));
    let record = |i: usize| format!("/employees/{}", people[i].1);
    let account = |i: usize| format!("/users/{}", people[i].0);
    for (i, token) in tokens.iter().enumerate() {
        assert_eq!(employee.api.get(&record(i), Some(token)).await.status, 200, "before: {i}");
        assert_eq!(user.api.get(&account(i), Some(token)).await.status, 200, "before: {i}");
    }

    let hr = user.token(Role::Hr);
    let ends =
        chrono::Utc::now().date_naive().max(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"));
    let termination = json!({ "termination_date": ends, "reason": "Moved abroad" });
    let terminated =
        employee.api.post(&format!("{}/terminate", record(0)), Some(&hr), Some(&termination)).await;
    assert_eq!(terminated.status, 200, "{terminated}");
    let suspension = json!({"reason": "Lost laptop"});
    let suspended = user.api.post(&format!("{}/suspend", account(1)), Some(&admin), Some(&suspension)).await;
    assert_eq!(suspended.status, 200, "{suspended}");

    wait::until("the changed accounts refused by both functions", REVOKED_WITHIN, async || {
        let mut seen = Vec::new();
        for (i, why) in [(0, "terminated"), (1, "suspended")] {
            for (function, answer) in [
                ("employee", employee.api.get(&record(i), Some(&tokens[i])).await),
                ("user", user.api.get(&account(i), Some(&tokens[i])).await),
            ] {
                if !(answer.status == 401 && answer.text.contains(why)) {
                    seen.push(format!("{why} at {function}: {answer}"));
                }
            }
        }
        if seen.is_empty() { Ok(()) } else { Err(seen.join("; ")) }
    })
    .await;
    assert_eq!(employee.api.get(&record(2), Some(&tokens[2])).await.status, 200, "unchanged");
    assert_eq!(user.api.get(&account(2), Some(&tokens[2])).await.status, 200, "unchanged");
    assert_eq!(employee.api.get(&record(0), Some(&admin)).await.status, 200, "an admin without an account");
}
