//! `hrms lambda` for User and Attendance: their Kafka mappings' batches
//! hold `employee.terminated`, which suspends the account (in User's
//! table) and closes the open check-in (in Attendance's), once however
//! often the batch comes.

use hrms_e2e::{Broker, Moto, TempDir};
use hrms_events::Role;
use hrms_kafka::{KafkaPublisher, ensure_topics};
use hrms_platform::EventPublisher;
use serde_json::{Value, json};

use super::{Lambda, compliance, http_answer, http_api, msk_event, prefix, read_topic, secret};
use crate::binary::{Dev, free_port};
use crate::fixtures::{account, mary_retires};
use crate::running::mint;

/// `http_api` of `GET path?query`.
fn get_with_query(path: &str, query: &str, token: &str) -> Value {
    let mut request = http_api("GET", path, token, None);
    request["rawQueryString"] = query.into();
    request
}

#[tokio::test(flavor = "multi_thread")]
async fn a_termination_in_a_mapping_batch_suspends_the_account_and_closes_the_check_in() {
    let (moto, data, prefix, broker) = (Moto::start(), TempDir::new(), prefix(), Broker::start());
    ensure_topics(&broker.config(), &hrms_events::TOPICS).await.expect("topics");
    let secret = secret(&data);
    let (_compliance, compliance_url) = compliance(&moto, &prefix, &data).await;
    let endpoint = moto.endpoint();
    let employee_port = free_port();
    let employee_env = [
        ("HRMS_STORE", "dynamodb"),
        ("HRMS_DYNAMODB_ENDPOINT", endpoint.as_str()),
        ("HRMS_DYNAMODB_TABLE_PREFIX", prefix.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("HRMS_COMPLIANCE_URL", compliance_url.as_str()),
    ];
    let _employee = Dev::serve_with("employee", employee_port, &data, &employee_env).await;
    let employee_url = format!("http://127.0.0.1:{employee_port}");
    let bootstrap = broker.bootstrap();
    let env = [
        ("KAFKA_BOOTSTRAP_SERVERS", bootstrap.as_str()),
        ("KAFKA_MESSAGE_TIMEOUT_MS", "5000"),
        ("HRMS_COMPLIANCE_URL", compliance_url.as_str()),
        ("HRMS_EMPLOYEE_URL", employee_url.as_str()),
    ];
    let user = Lambda::function("user", &moto, &prefix, &secret, &env).await;
    let attendance = Lambda::function("attendance", &moto, &prefix, &secret, &env).await;

    let admin = mint(&data.0, Role::Admin, &uuid::Uuid::now_v7().to_string(), None);
    let new_user = account("mary@example.com", "Mary", "Jackson", "employee", None);
    let (status, created) =
        http_answer(user.invoke(http_api("POST", "/users", &admin, Some(&new_user))).await);
    assert_eq!(status, 201, "{created}");
    let id = |name: &str| created[name].as_str().expect("an id").to_owned();
    let (mary_user, mary) = (id("user_id"), id("employee_id"));
    let me = mint(&data.0, Role::Employee, &mary_user, Some(&mary));
    let (status, record) =
        http_answer(attendance.invoke(http_api("POST", "/attendance/check-in", &me, None)).await);
    assert_eq!(status, 201, "{record}");

    let event = mary_retires(&mary, chrono::Utc::now().date_naive());
    let publisher = KafkaPublisher::new(&broker.config()).expect("a producer");
    publisher.publish_all(std::slice::from_ref(&event)).await.expect("published");
    let batch = msk_event(&read_topic(&broker, "notification-queue", 1).await);

    let account_of = async || {
        let (status, read) =
            http_answer(user.invoke(http_api("GET", &format!("/users/{mary_user}"), &admin, None)).await);
        assert_eq!(status, 200, "{read}");
        (read["status"].clone(), read["version"].clone())
    };
    let record_of = async || {
        let request = get_with_query("/attendance", &format!("employee_id={mary}"), &admin);
        let (status, listing) = http_answer(attendance.invoke(request).await);
        assert_eq!(status, 200, "{listing}");
        let found = listing["records"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["record_id"] == record["record_id"]);
        found.cloned().expect("her record listed")
    };
    // The mapping delivers the batch twice (after a failure elsewhere): nothing changes twice.
    for _ in 0..2 {
        for function in [&user, &attendance] {
            let answer = function.invoke(batch.clone()).await.response();
            assert_eq!(answer["handled"], 1, "{answer}");
        }
        assert_eq!(account_of().await, (json!("suspended"), json!(2)));
        let closed = record_of().await;
        assert_eq!(closed["closed_at_termination"], true, "{closed}");
        assert!(!closed["check_out"].is_null() && closed["version"] == 2, "closed once: {closed}");
    }
}
