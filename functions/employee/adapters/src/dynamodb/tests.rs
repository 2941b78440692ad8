//! What only the DynamoDB Employee store has to show (the shared contract
//! is in `crate::conformance`): its table made idempotently, outages
//! reported as such, the transaction limit. On moto, from `$HRMS_TEST_MOTO`.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use hrms_dynamodb::MAX_TRANSACTION_ITEMS;
use hrms_dynamodb::Store as _;
use hrms_dynamodb::testing::{client_config, free_port, tables};
use hrms_employee::{EmployeeStore, StoreError};

use super::DynamoEmployeeStore;
use crate::conformance::{employee, events};

#[tokio::test]
async fn tables_are_made_once_and_found_after() {
    let t = tables(&["employee"]).await;
    hrms_dynamodb::ensure_table(&t.client, &t.table("employee"))
        .await
        .expect("again, as a second process would");
    let store = DynamoEmployeeStore::new(t.client.clone(), t.table("employee"));
    store.ping().await.expect("ready");

    let missing = DynamoEmployeeStore::new(t.client.clone(), t.table("nothing"));
    assert!(matches!(missing.ping().await, Err(StoreError::Unavailable(_))), "no table, not ready");
}

#[tokio::test]
async fn without_dynamodb_the_store_is_unavailable() {
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let client = Client::from_conf(client_config(&nobody).retry_config(RetryConfig::disabled()).build());
    let store = DynamoEmployeeStore::new(client, "hrms-employee");

    assert!(matches!(store.ping().await, Err(StoreError::Unavailable(_))));
    let ada = employee();
    let written = store.insert(&ada, &events(&ada, 1)).await;
    assert!(matches!(written, Err(StoreError::Unavailable(_))), "not a conflict: {written:?}");
}

#[tokio::test]
async fn a_write_over_the_transaction_limit_is_refused_whole() {
    let t = tables(&["employee"]).await;
    let store = DynamoEmployeeStore::new(t.client.clone(), t.table("employee"));
    let ada = employee();
    let too_many = events(&ada, MAX_TRANSACTION_ITEMS - 1); // plus the record and its e-mail

    let written = store.insert(&ada, &too_many).await;
    assert!(
        matches!(&written, Err(e @ StoreError::Unavailable(_)) if hrms_platform::Chain(e).to_string().contains("100")),
        "{written:?}"
    );
    assert_eq!(store.get(ada.employee_id).await.expect("read"), None);
    store.insert(&ada, &too_many[..MAX_TRANSACTION_ITEMS - 2]).await.expect("at the limit");
}
