//! The DynamoDB User store keeps the password hash in the account's
//! record only. On moto, from `$HRMS_TEST_MOTO`.

use hrms_dynamodb::Store as _;
use hrms_dynamodb::testing::tables;
use hrms_events::user::UserCreated;
use hrms_events::{HrmsEvent, Payload, fixtures as event_fixtures};
use hrms_user::UserStore;

use super::DynamoUserStore;
use crate::conformance::account;

#[tokio::test]
async fn the_password_hash_is_in_the_account_record_only() {
    let t = tables(&["user"]).await;
    let table = t.table("user");
    let store = DynamoUserStore::new(t.client.clone(), &table);
    let ada = account();
    let created = Payload::UserCreated(UserCreated {
        user_id: ada.user_id,
        email: ada.email.clone(),
        full_name: ada.full_name.clone(),
        role: ada.role,
        employee_id: ada.employee_id,
    });
    store.insert(&ada, &[HrmsEvent::new(created, &event_fixtures::hr_actor())]).await.expect("inserted");

    let items = t.client.scan().table_name(&table).send().await.expect("scan").items.unwrap_or_default();
    assert_eq!(items.len(), 3, "the account, its e-mail and its event: {items:?}");
    let holding: Vec<(String, String)> = items
        .iter()
        .flat_map(|item| {
            let pk = item.get("pk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            item.iter()
                .filter(|(_, value)| value.as_s().is_ok_and(|v| v.contains(&ada.password_hash)))
                .map(move |(name, _)| (pk.clone(), name.clone()))
        })
        .collect();
    assert_eq!(holding, [(format!("USER#{}", ada.user_id), "record".to_owned())]);
}
