use std::sync::Arc;

use hrms_events::Role;
use hrms_http::Authenticator;
use hrms_http::testing::{Client, Refusal, assert_refusals};
use hrms_notification::memory::MemoryNotificationStore;
use serde_json::json;
use uuid::Uuid;

use super::*;

#[tokio::test]
async fn every_route_refuses_as_documented() {
    let auth = Arc::new(Authenticator::hs256(&[8u8; 32]).expect("key"));
    let deps = NotificationDeps { store: Arc::new(MemoryNotificationStore::default()) };
    let client = Client { app: NotificationApi::new(auth.clone(), deps).router(), auth };
    let id = Uuid::now_v7();
    let opt_out =
        |event_type: &str| json!({ "opt_outs": [{ "event_type": event_type, "channel": "email" }] });
    let table = [
        Refusal::new("GET", "/notifications", None, None).bad(
            Role::Employee,
            None,
            "/notifications?limit=many",
            None,
            "limit",
        ),
        Refusal::new("GET", format!("/notifications/{id}"), None, Some(Role::Employee)),
        Refusal::new("POST", format!("/notifications/{id}/read"), None, None),
        Refusal::new("GET", "/notifications/preferences", None, None),
        Refusal::new("PUT", "/notifications/preferences", Some(opt_out("leave.approved")), None).bad(
            Role::Employee,
            None,
            "/notifications/preferences",
            Some(opt_out("audit.user.created")),
            "opt_outs.event_type",
        ),
    ];
    assert_refusals(&client, &table).await;
}
