//! Pending leave follows the organisation: a new manager takes the
//! employee's pending requests, and the requests awaiting a manager who
//! leaves move to that manager's own manager; the requesters and the new
//! approvers are told. In the process (in-process bus) and over the broker
//! (`hrms dev` on Kafka).

use hrms_events::Role;
use serde_json::{Value, json};

use crate::app::spawn_app;
use crate::binary::{Dev, dev, on_kafka};
use crate::fixtures::{account, annual_leave, week};
use crate::running::Running;
use hrms_e2e::{Broker, TempDir};

/// Grace manages Linus, who manages Ada and Alan; each asks for a week
/// off. HR makes Margaret Ada's manager: Ada's request moves to her. Linus
/// leaves: Alan's request moves to Grace. Both are told, and decide.
pub async fn pending_leave_follows_manager_changes_and_departures(hrms: &impl Running) {
    let api = hrms.api();
    let admin = hrms.token(Role::Admin);
    let create = async |account: Value| api.create_account(&admin, &account).await;
    let (grace_user, grace) = create(account("grace@example.com", "Grace", "Hopper", "manager", None)).await;
    let (_, linus) = create(account("linus@example.com", "Linus", "Torvalds", "manager", Some(&grace))).await;
    let (margaret_user, margaret) =
        create(account("margaret@example.com", "Margaret", "Hamilton", "manager", None)).await;
    let (ada_user, ada) =
        create(account("ada@example.com", "Ada", "Lovelace", "employee", Some(&linus))).await;
    let (alan_user, alan) =
        create(account("alan@example.com", "Alan", "Turing", "employee", Some(&linus))).await;
    let ask = async |user: &str, employee: &str, weeks: i64| {
        let token = hrms.token_for(Role::Employee, user, Some(employee));
        let answer = api.post("/leaves", Some(&token), Some(&annual_leave(week(weeks)))).await;
        assert_eq!(answer.status, 201, "{answer}");
        let leave = answer.json();
        assert_eq!(leave["approver_id"], linus.as_str(), "their manager then");
        leave["leave_id"].as_str().expect("an id").to_owned()
    };
    let (ada_leave, alan_leave) = (ask(&ada_user, &ada, 8).await, ask(&alan_user, &alan, 9).await);
    let hr = hrms.token(Role::Hr);

    // Ada gets another manager: her pending request moves to Margaret.
    let answer = api.patch(&format!("/employees/{ada}"), &hr, &json!({ "manager_id": margaret })).await;
    assert_eq!(answer.status, 200, "{answer}");
    let path = format!("/leaves/{ada_leave}");
    let moved = api.poll(&path, &hr, "Ada's request moved", |l| l["approver_id"] == margaret.as_str()).await;
    assert_eq!((moved["status"].clone(), moved["version"].clone()), (json!("pending"), json!(2)), "{moved}");
    let mail = hrms.mail("Subject: Leave request to decide: Ada Lovelace").await;
    assert!(mail.contains("margaret@example.com"), "{mail}");
    let start = week(8).0;
    let mail = hrms.mail(&format!("Subject: Your leave request has a new approver: {start}")).await;
    assert!(mail.contains("ada@example.com"), "{mail}");

    // Linus leaves: Alan's request moves to Grace, Linus's own manager.
    let today = chrono::Utc::now().date_naive();
    let termination = json!({ "termination_date": today, "reason": "Moved abroad" });
    let answer = api.post(&format!("/employees/{linus}/terminate"), Some(&hr), Some(&termination)).await;
    assert_eq!(answer.status, 200, "{answer}");
    let path = format!("/leaves/{alan_leave}");
    let moved = api.poll(&path, &hr, "Alan's request moved", |l| l["approver_id"] == grace.as_str()).await;
    assert_eq!((moved["status"].clone(), moved["version"].clone()), (json!("pending"), json!(2)), "{moved}");
    let mail = hrms.mail("Subject: Leave request to decide: Alan Turing").await;
    assert!(mail.contains("grace@example.com"), "{mail}");

    // The new approvers decide; Ada's request stayed with Margaret.
    let grace_token = hrms.token_for(Role::Manager, &grace_user, Some(&grace));
    let approved = api.post(&format!("/leaves/{alan_leave}/approve"), Some(&grace_token), None).await;
    assert!(approved.status == 200 && approved.text.contains("\"approved\""), "{approved}");
    let margaret_token = hrms.token_for(Role::Manager, &margaret_user, Some(&margaret));
    let approved = api.post(&format!("/leaves/{ada_leave}/approve"), Some(&margaret_token), None).await;
    assert!(approved.status == 200 && approved.text.contains("\"approved\""), "{approved}");
    assert_eq!(approved.json()["version"], 3, "moved once, then approved: {approved}");
    hrms.published(&["leave.reassigned", "audit.leave.reassigned"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_leave_follows_manager_changes_and_departures_in_process() {
    let app = spawn_app().await;
    pending_leave_follows_manager_changes_and_departures(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_leave_follows_manager_changes_and_departures_over_kafka() {
    let broker = Broker::start();
    let data = TempDir::new();
    let dev = Dev::dev(on_kafka(dev(&data), &broker.bootstrap()), &data).await;
    pending_leave_follows_manager_changes_and_departures(&dev).await;
    assert!(dev.terminate().await.success(), "graceful stop");
}
