//! Leave as the policy has it: the allowance pro rata for someone hired in
//! December, a request across the new year charged to both years, and sick
//! leave told to the manager. In the process (in-process bus) and over the
//! broker (`hrms dev` on Kafka).

use chrono::NaiveDate;
use hrms_events::Role;
use serde_json::{Value, json};

use crate::app::spawn_app;
use crate::binary::{Dev, dev, on_kafka};
use crate::fixtures::{account, annual_leave, week};
use crate::running::Running;
use hrms_e2e::{Broker, TempDir};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// Grace manages Ada, both hired on 1 December 2026 in the US. Ada is off
/// sick: approved at once, and Grace is told. Ada asks for the days around
/// the new year: too many for December's pro rata allowance, then fewer;
/// Grace approves, and each year's balance holds its part.
pub async fn leave_follows_the_policy_across_the_year_and_tells_of_sickness(hrms: &impl Running) {
    let api = hrms.api();
    let admin = hrms.token(Role::Admin);
    let create = async |account: Value| api.create_account(&admin, &account).await;
    let (grace_user, grace) = create(account("grace@example.com", "Grace", "Hopper", "manager", None)).await;
    let (ada_user, ada) =
        create(account("ada@example.com", "Ada", "Lovelace", "employee", Some(&grace))).await;
    let ada_token = hrms.token_for(Role::Employee, &ada_user, Some(&ada));

    // Sick leave needs no approval; Grace is told, with nothing to decide.
    let sick = json!({ "leave_type": "sick", "start_date": week(20).0 });
    let answer = api.post("/leaves", Some(&ada_token), Some(&sick)).await;
    assert!(answer.status == 201 && answer.json()["status"] == "approved", "{answer}");
    let mail = hrms.mail("Subject: Ada Lovelace is on sick leave").await;
    assert!(mail.contains("grace@example.com") && mail.contains("needs no approval"), "{mail}");

    // 31 days employed in 2026: 25 x 31/365 = 2.1, rounded up to 2.5 days.
    // Tuesday 29 December to Tuesday 5 January: 3 days in 2026 (too many)
    // and 2 in 2027 (1 January a holiday).
    let refused = api
        .post("/leaves", Some(&ada_token), Some(&annual_leave((date(2026, 12, 29), date(2027, 1, 5)))))
        .await;
    assert!(refused.status == 409 && refused.json()["field"] == "leave_type", "{refused}");
    let answer = api
        .post("/leaves", Some(&ada_token), Some(&annual_leave((date(2026, 12, 30), date(2027, 1, 5)))))
        .await;
    assert_eq!(answer.status, 201, "{answer}");
    let leave = answer.json();
    assert_eq!((leave["days"].clone(), leave["next_year_days"].clone()), (json!(4.0), json!(2.0)), "{leave}");
    let grace_token = hrms.token_for(Role::Manager, &grace_user, Some(&grace));
    let id = leave["leave_id"].as_str().expect("an id");
    let approved = api.post(&format!("/leaves/{id}/approve"), Some(&grace_token), None).await;
    assert!(approved.status == 200 && approved.text.contains("\"approved\""), "{approved}");

    let annual = async |year: i32| {
        let report = api.get(&format!("/leave-balances/{ada}?year={year}"), Some(&ada_token)).await;
        assert_eq!(report.status, 200, "{report}");
        let balances = report.json()["balances"].as_array().expect("a list").clone();
        balances.into_iter().find(|b| b["leave_type"] == "annual").expect("annual")
    };
    let y2026 = annual(2026).await;
    let fields = |b: &Value| (b["allowance"].clone(), b["taken"].clone(), b["remaining"].clone());
    assert_eq!(fields(&y2026), (json!(2.5), json!(2.0), json!(0.5)), "{y2026}");
    let y2027 = annual(2027).await;
    assert_eq!(fields(&y2027), (json!(25.0), json!(2.0), json!(23.0)), "{y2027}");
    hrms.published(&["leave.approved", "audit.leave.approved"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn leave_follows_the_policy_across_the_year_and_tells_of_sickness_in_process() {
    let app = spawn_app().await;
    leave_follows_the_policy_across_the_year_and_tells_of_sickness(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn leave_follows_the_policy_across_the_year_and_tells_of_sickness_over_kafka() {
    let broker = Broker::start();
    let data = TempDir::new();
    let dev = Dev::dev(on_kafka(dev(&data), &broker.bootstrap()), &data).await;
    leave_follows_the_policy_across_the_year_and_tells_of_sickness(&dev).await;
    assert!(dev.terminate().await.success(), "graceful stop");
}
