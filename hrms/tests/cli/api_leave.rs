//! Leave: the manager is asked to approve (by mail and in their inbox), the
//! balance follows, and the end of the employment cancels the leave ahead.

use hrms_events::Role;
use serde_json::{Value, json};

use crate::app::spawn_app;
use crate::fixtures::{account, annual_leave, week};
use crate::running::Running;

/// Grace manages Ada; Ada asks for a week off, which Grace (told by mail and
/// in her inbox) approves; Ada's employment ends, and the Leave function's
/// consumer cancels the week and credits it back.
pub async fn leave_is_approved_and_cancelled_when_the_employment_ends(hrms: &impl Running) {
    let api = hrms.api();
    let admin = hrms.token(Role::Admin);
    let create = async |account: Value| api.create_account(&admin, &account).await;
    let (boss_user, boss) = create(account("grace@example.com", "Grace", "Hopper", "manager", None)).await;
    let (ada_user, ada) =
        create(account("ada@example.com", "Ada", "Lovelace", "employee", Some(&boss))).await;
    let boss_token = hrms.token_for(Role::Manager, &boss_user, Some(&boss));
    let ada_token = hrms.token_for(Role::Employee, &ada_user, Some(&ada));

    let (start, end) = week(8);
    let answer = api.post("/leaves", Some(&ada_token), Some(&annual_leave((start, end)))).await;
    assert_eq!(answer.status, 201, "{answer}");
    let leave = answer.json();
    let id = leave["leave_id"].as_str().expect("an id").to_owned();
    assert_eq!(leave["approver_id"], boss.as_str(), "her manager decides");

    // The manager is told, by mail and in the inbox.
    let mail = hrms.mail("Leave request to approve").await;
    assert!(mail.contains("grace@example.com") && mail.contains("Ada Lovelace"), "{mail}");
    let told = |inbox: &Value| inbox.to_string().contains("leave.requested");
    api.poll("/notifications", &boss_token, "leave.requested in the manager's inbox", told).await;
    let own = api.post(&format!("/leaves/{id}/approve"), Some(&ada_token), None).await;
    assert_eq!(own.status, 403, "{own}");
    let approved = api.post(&format!("/leaves/{id}/approve"), Some(&boss_token), None).await;
    assert!(approved.status == 200 && approved.text.contains("\"approved\""), "{approved}");
    let balances = format!("/leave-balances/{ada}?year={}", chrono::Datelike::year(&start));
    let annual = |report: Value| {
        report["balances"].as_array().expect("a list").iter().find(|b| b["leave_type"] == "annual").cloned()
    };
    let taken = annual(api.get(&balances, Some(&ada_token)).await.json()).expect("annual");
    assert_eq!(taken["taken"], leave["days"]);

    // Her employment ends: the Leave function's consumer cancels what lies ahead.
    let hr = hrms.token(Role::Hr);
    let ends =
        chrono::Utc::now().date_naive().max(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"));
    let termination = json!({ "termination_date": ends, "reason": "Moved abroad" });
    let answer = api.post(&format!("/employees/{ada}/terminate"), Some(&hr), Some(&termination)).await;
    assert_eq!(answer.status, 200, "{answer}");
    let path = format!("/leaves/{id}");
    let cancelled = api.poll(&path, &hr, "the leave cancelled", |l| l["status"] == "cancelled").await;
    assert_eq!(cancelled["version"], 3, "approved, then cancelled once");
    let credited = annual(api.get(&balances, Some(&hr)).await.json()).expect("annual");
    assert_eq!(credited["taken"], 0.0, "credited back");
    hrms.published(&["leave.cancelled", "audit.leave.cancelled"]).await;
    // Refused by Leave (409), or, once her account's check sees the
    // termination or the suspension it causes (within 30 s), at the door (401).
    let refused = api.post("/leaves", Some(&ada_token), Some(&annual_leave(week(12)))).await;
    let by_leave = refused.status == 409 && refused.text.contains("employee_id");
    let at_the_door = ["terminated", "suspended"].iter().any(|why| refused.text.contains(why));
    assert!(by_leave || (refused.status == 401 && at_the_door), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn leave_is_approved_and_cancelled_when_the_employment_ends_on_sqlite() {
    let app = spawn_app().await;
    leave_is_approved_and_cancelled_when_the_employment_ends(&app).await;
    app.stop().await;
}
