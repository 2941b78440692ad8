//! `hrms token`: the tokens it mints are the ones the app takes, and with an
//! identity provider configured it mints none.

use hrms_e2e::TempDir;
use hrms_events::Role;

use crate::app::spawn_app;
use crate::binary::{Dev, dev, hrms};
use crate::running::{Running, mint};

#[tokio::test(flavor = "multi_thread")]
async fn tokens_from_hrms_token_are_accepted_by_the_app_and_nothing_else_is() {
    let app = spawn_app().await;
    let user = uuid::Uuid::now_v7();
    let out = hrms()
        .args(["token", "--role", "hr", "--sub", &user.to_string(), "--data-dir"])
        .arg(app.data_dir())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();

    let known = app.api.get("/whoami", Some(&token)).await;
    assert_eq!(known.status, 200, "{known}");
    assert!(known.text.contains(&user.to_string()) && known.text.contains("\"hr\""), "{known}");
    let anonymous = app.api.get("/whoami", None).await;
    assert!(anonymous.status == 401 && anonymous.is_problem(), "{anonymous}");
    let forged = app.api.get("/whoami", Some(&format!("{token}x"))).await;
    assert_eq!(forged.status, 401, "{forged}");

    let bad_role =
        hrms().args(["token", "--role", "owner", "--sub", &user.to_string()]).output().expect("runs");
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("admin, hr, manager, employee"));

    let for_hours = |hours: &str| {
        hrms()
            .args(["token", "--role", "hr", "--sub", &user.to_string(), "--hours", hours, "--data-dir"])
            .arg(app.data_dir())
            .output()
            .expect("runs")
    };
    let longest = for_hours("12");
    assert!(longest.status.success(), "{}", String::from_utf8_lossy(&longest.stderr));
    let twelve = String::from_utf8_lossy(&longest.stdout).trim().to_owned();
    assert_eq!(app.api.get("/whoami", Some(&twelve)).await.status, 200, "12 hours is the most");
    for hours in ["13", "0", "100000"] {
        let refused = for_hours(hours);
        assert!(!refused.status.success(), "--hours {hours}");
        assert!(String::from_utf8_lossy(&refused.stderr).contains("--hours"), "--hours {hours}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_jwks_url_dev_takes_no_hs256_token_and_hrms_token_mints_none() {
    let data = TempDir::new();
    let hs256 = mint(&data.0, Role::Admin, &uuid::Uuid::now_v7().to_string(), None);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address");
    let jwks_url = format!("http://{closed}/jwks");

    let mut command = dev(&data);
    command.env("HRMS_JWKS_URL", &jwks_url);
    let dev = Dev::dev(command, &data).await;
    assert_eq!(dev.api.get("/healthz", None).await.status, 200);
    let refused = dev.api.get("/whoami", Some(&hs256)).await;
    assert!(refused.status == 401 && refused.is_problem(), "{refused}");
    assert!(dev.terminate().await.success());

    let fresh = TempDir::new();
    let out = hrms()
        .args(["token", "--role", "hr", "--sub", &uuid::Uuid::now_v7().to_string(), "--data-dir"])
        .arg(&fresh.0)
        .env("HRMS_JWKS_URL", &jwks_url)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("HRMS_JWKS_URL") && said.contains("identity provider"), "{said}");
    assert!(!fresh.0.join("jwt-secret").exists(), "no secret is made for RS256");
}
