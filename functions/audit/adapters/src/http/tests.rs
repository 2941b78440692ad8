use axum::http::StatusCode;
use chrono::Duration;
use hrms_audit::fixtures::employee_updated;
use hrms_audit::persist;
use serde_json::Value;

use super::*;
use crate::sqlite::SqliteAuditStore;
use hrms_http::Authenticator;
use hrms_http::testing::{Client, temp_dir};

/// A router over a log of `n` updates of one employee, a minute apart.
async fn fixture(n: u64) -> (Client, Uuid, Vec<hrms_events::HrmsEvent>) {
    let store = SqliteAuditStore::open(temp_dir("audit-http").join("audit.db")).expect("store");
    let subject = Uuid::now_v7();
    let t0 = Utc::now() - Duration::hours(2);
    let events: Vec<_> = (1..=n)
        .map(|v| employee_updated(subject, v, t0 + Duration::minutes(v as i64), Uuid::now_v7()))
        .collect();
    persist(&store, &events).await.expect("persisted");
    let auth = Arc::new(Authenticator::hs256(&[5u8; 32]).expect("key"));
    let app = AuditApi::new(auth.clone(), AuditDeps::new(Arc::new(store))).router();
    (Client { app, auth }, subject, events)
}

#[tokio::test]
async fn only_admin_and_hr_read_the_audit_trail() {
    let (client, subject, _) = fixture(1).await;
    let uris = [
        "/audit".to_owned(),
        format!("/audit/subjects/{subject}"),
        format!("/audit/subjects/{subject}/state"),
        "/audit/verify".to_owned(),
    ];
    for uri in &uris {
        assert_eq!(client.call("GET", uri, None, None).await.0, StatusCode::UNAUTHORIZED, "{uri}");
        for role in [Role::Employee, Role::Manager] {
            let (status, body) = client.call("GET", uri, Some(&client.token(role, None)), None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{uri} as {role:?}");
            assert_eq!(body["status"], 403);
        }
        for role in READERS {
            let status = client.call("GET", uri, Some(&client.token(*role, None)), None).await.0;
            assert_eq!(status, StatusCode::OK, "{uri} as {role:?}");
        }
    }
}

#[tokio::test]
async fn the_listing_pages_newest_first() {
    let (client, _, events) = fixture(5).await;
    let token = client.token(Role::Hr, None);
    let mut seen = Vec::new();
    let mut uri = "/audit?limit=2".to_owned();
    loop {
        let (status, page) = client.call("GET", &uri, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for row in page["entries"].as_array().expect("entries") {
            assert_eq!(row["event"]["id"], row["event_id"], "the event as kept travels with its row");
            seen.push(row["event_id"].as_str().expect("id").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => uri = format!("/audit?limit=2&cursor={}", urlencode(c)),
            None => break,
        }
    }
    let want: Vec<String> = events.iter().rev().map(|e| e.id.to_string()).collect();
    assert_eq!(seen, want);
    let actor = &events[2].actor;
    let (_, page) = client.call("GET", &format!("/audit?actor={actor}"), Some(&token), None).await;
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(1));
}

fn urlencode(text: &str) -> String {
    text.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test]
async fn a_query_that_cannot_be_read_names_its_field() {
    let (client, subject, _) = fixture(1).await;
    let token = client.token(Role::Admin, None);
    for (uri, field) in [
        ("/audit?from=yesterday".to_owned(), "from"),
        ("/audit?to=2026-13-01".to_owned(), "to"),
        ("/audit?cursor=abc".to_owned(), "cursor"),
        ("/audit?limit=0".to_owned(), "limit"),
        (format!("/audit/subjects/{subject}/state?at=noon"), "at"),
    ] {
        let (status, body) = client.call("GET", &uri, Some(&token), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["field"], field, "{uri}");
    }
}

#[tokio::test]
async fn a_cursor_on_any_day_of_a_month_is_read() {
    let (client, _, _) = fixture(1).await;
    let token = client.token(Role::Admin, None);
    for day in ["2026-01-29", "2026-01-30", "2026-01-31"] {
        let cursor = format!("{day}T10:00:00.000000Z~0192f0c1-0000-7000-8000-000000000000");
        let uri = format!("/audit?cursor={}", urlencode(&cursor));
        let (status, body) = client.call("GET", &uri, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
}

#[tokio::test]
async fn history_and_state_at_a_time_come_from_the_events() {
    let (client, subject, events) = fixture(3).await;
    let token = client.token(Role::Hr, None);
    let (_, history) = client.call("GET", &format!("/audit/subjects/{subject}"), Some(&token), None).await;
    let seqs: Vec<u64> =
        history["entries"].as_array().expect("rows").iter().filter_map(|r| r["seq"].as_u64()).collect();
    assert_eq!(seqs, vec![1, 2, 3]);

    let (status, now) =
        client.call("GET", &format!("/audit/subjects/{subject}/state"), Some(&token), None).await;
    assert_eq!((status, now["state"]["version"].as_u64()), (StatusCode::OK, Some(3)));
    let at = urlencode(&hrms_audit::entry::format_time(&(events[1].time + Duration::seconds(1))));
    let (_, then) =
        client.call("GET", &format!("/audit/subjects/{subject}/state?at={at}"), Some(&token), None).await;
    assert_eq!(then["state"]["version"].as_u64(), Some(2));
    let before = urlencode(&hrms_audit::entry::format_time(&(events[0].time - Duration::seconds(1))));
    let uri = format!("/audit/subjects/{subject}/state?at={before}");
    assert_eq!(client.call("GET", &uri, Some(&token), None).await.0, StatusCode::NOT_FOUND);
    let unknown = format!("/audit/subjects/{}/state", Uuid::now_v7());
    assert_eq!(client.call("GET", &unknown, Some(&token), None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn verify_reports_an_intact_log() {
    let (client, _, _) = fixture(4).await;
    let (status, report) =
        client.call("GET", "/audit/verify", Some(&client.token(Role::Admin, None)), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((report["chains"].as_u64(), report["rows"].as_u64()), (Some(1), Some(4)));
    assert_eq!(report["findings"], Value::Array(vec![]));
    assert_eq!(report["digest"].as_str().map(str::len), Some(64));
}

#[tokio::test]
async fn one_verification_serves_the_requests_of_its_ttl() {
    let store: Arc<dyn AuditStore> =
        Arc::new(SqliteAuditStore::open(temp_dir("audit-verify").join("audit.db")).expect("store"));
    let subject = Uuid::now_v7();
    let at = |v: u64| Utc::now() - Duration::hours(1) + Duration::minutes(v as i64);
    persist(store.as_ref(), &[employee_updated(subject, 1, at(1), Uuid::now_v7())]).await.expect("persisted");
    let auth = Arc::new(Authenticator::hs256(&[5u8; 32]).expect("key"));
    let client = |ttl| Client {
        app: AuditApi::new(auth.clone(), AuditDeps { store: store.clone(), verified: Verified::new(ttl) })
            .router(),
        auth: auth.clone(),
    };
    let (cached, fresh) = (client(VERIFY_TTL), client(std::time::Duration::ZERO));
    let rows = async |c: &Client| {
        let (status, report) = c.call("GET", "/audit/verify", Some(&c.token(Role::Hr, None)), None).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        report["rows"].as_u64()
    };
    assert_eq!((rows(&cached).await, rows(&fresh).await), (Some(1), Some(1)));
    persist(store.as_ref(), &[employee_updated(subject, 2, at(2), Uuid::now_v7())]).await.expect("persisted");
    assert_eq!(rows(&cached).await, Some(1), "within the TTL: the report of the first run");
    assert_eq!(rows(&fresh).await, Some(2), "past it: a new run");
}

#[tokio::test]
async fn every_route_refuses_as_documented() {
    use hrms_http::testing::{Refusal, assert_refusals};
    let (client, subject, _) = fixture(1).await;
    let table = [
        Refusal::new("GET", "/audit", None, Some(Role::Manager)).bad(
            Role::Hr,
            None,
            "/audit?limit=0",
            None,
            "limit",
        ),
        Refusal::new("GET", format!("/audit/subjects/{subject}"), None, Some(Role::Employee)),
        Refusal::new("GET", format!("/audit/subjects/{subject}/state"), None, Some(Role::Employee)).bad(
            Role::Hr,
            None,
            format!("/audit/subjects/{subject}/state?at=yesterday"),
            None,
            "at",
        ),
        Refusal::new("GET", "/audit/verify", None, Some(Role::Employee)),
    ];
    assert_refusals(&client, &table).await;
}
