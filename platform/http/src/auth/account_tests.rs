//! The account check against a stand-in lookup whose accounts the test
//! changes, and through the [`Caller`] extractor of a router.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::header::AUTHORIZATION;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use tower::ServiceExt;

use super::*;
use crate::auth::Authenticator;

/// Accounts the test changes; it can fail on demand and counts its lookups.
#[derive(Clone, Default)]
struct Accounts {
    standings: Arc<Mutex<HashMap<Uuid, Standing>>>,
    down: Arc<AtomicBool>,
    asked: Arc<AtomicUsize>,
}

impl Accounts {
    fn set(&self, standing: Standing) {
        self.standings.lock().expect("lock").insert(standing.user_id, standing);
    }

    fn change(&self, user_id: Uuid, change: impl FnOnce(&mut Standing)) {
        change(self.standings.lock().expect("lock").get_mut(&user_id).expect("an account"));
    }
}

impl AccountLookup for Accounts {
    fn standing(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<Standing>, BoxError>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        let answer = if self.down.load(Ordering::SeqCst) {
            Err("the account service is down".into())
        } else {
            Ok(self.standings.lock().expect("lock").get(&user_id).cloned())
        };
        Box::pin(async move { answer })
    }
}

fn active(role: Role, employee_id: Option<Uuid>) -> Standing {
    Standing {
        user_id: Uuid::now_v7(),
        status: UserStatus::Active,
        role,
        employee_id,
        employee_terminated: false,
        tokens_valid_since: 0,
    }
}

fn caller(standing: &Standing) -> Caller {
    Caller { user_id: standing.user_id, role: standing.role, employee_id: standing.employee_id }
}

fn settings(ttl: Duration, stale_for: Duration) -> CheckSettings {
    CheckSettings { ttl, stale_for, capacity: 100 }
}

/// Waits until `check` refuses `caller` with `why`, within `deadline`.
async fn refused_within(check: &AccountCheck, caller: &Caller, why: Revoked, deadline: Duration) {
    tokio::time::timeout(deadline, async {
        while check.check(caller, 100).await != Err(why) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("not refused as {why:?} within {deadline:?}"));
}

#[tokio::test]
async fn a_token_fits_its_account_until_the_account_changes() {
    let accounts = Accounts::default();
    let check =
        AccountCheck::new(Arc::new(accounts.clone()), settings(Duration::from_millis(50), Duration::ZERO));
    let manager = active(Role::Manager, Some(Uuid::now_v7()));
    type Change = fn(&mut Standing);
    let cases: [(Revoked, Change); 5] = [
        (Revoked::Suspended, |s| s.status = UserStatus::Suspended),
        (Revoked::Deleted, |s| s.status = UserStatus::Deleted),
        (Revoked::RoleChanged, |s| s.role = Role::Employee),
        (Revoked::EmployeeChanged, |s| s.employee_id = Some(Uuid::now_v7())),
        (Revoked::Terminated, |s| s.employee_terminated = true),
    ];
    for (why, change) in cases {
        let standing = Standing { user_id: Uuid::now_v7(), ..manager.clone() };
        accounts.set(standing.clone());
        let caller = caller(&standing);
        assert_eq!(check.check(&caller, 100).await, Ok(()), "{why:?}: before the change");
        accounts.change(standing.user_id, change);
        refused_within(&check, &caller, why, Duration::from_secs(5)).await;
    }

    let standing = active(Role::Hr, None);
    accounts.set(Standing { tokens_valid_since: 100, ..standing.clone() });
    assert_eq!(check.check(&caller(&standing), 100).await, Ok(()), "issued at the change");
    assert_eq!(check.check(&caller(&standing), 99).await, Err(Revoked::Predates), "issued before it");
    let unknown = Caller { user_id: Uuid::now_v7(), role: Role::Admin, employee_id: None };
    assert_eq!(check.check(&unknown, 100).await, Ok(()), "no account: the token alone");
}

#[tokio::test]
async fn answers_are_kept_for_the_ttl() {
    let accounts = Accounts::default();
    let check =
        AccountCheck::new(Arc::new(accounts.clone()), settings(Duration::from_secs(3600), Duration::ZERO));
    let standing = active(Role::Hr, None);
    accounts.set(standing.clone());
    for _ in 0..5 {
        assert_eq!(check.check(&caller(&standing), 100).await, Ok(()));
    }
    assert_eq!(accounts.asked.load(Ordering::SeqCst), 1, "asked once within the TTL");
}

#[tokio::test]
async fn an_unreachable_lookup_serves_a_recent_answer_for_a_bounded_time_then_refuses() {
    let accounts = Accounts::default();
    let ttl = Duration::from_millis(20);
    let check = AccountCheck::new(Arc::new(accounts.clone()), settings(ttl, Duration::from_millis(300)));
    let standing = active(Role::Employee, Some(Uuid::now_v7()));
    accounts.set(standing.clone());
    let caller = caller(&standing);
    assert_eq!(check.check(&caller, 100).await, Ok(()));
    accounts.down.store(true, Ordering::SeqCst);
    tokio::time::sleep(ttl).await;
    let asked = accounts.asked.load(Ordering::SeqCst);
    assert_eq!(check.check(&caller, 100).await, Ok(()), "a stale answer within the bound");
    assert!(accounts.asked.load(Ordering::SeqCst) > asked, "the lookup was asked again");
    refused_within(&check, &caller, Revoked::Unchecked, Duration::from_secs(5)).await;

    let never_seen = Caller { user_id: Uuid::now_v7(), role: Role::Hr, employee_id: None };
    assert_eq!(check.check(&never_seen, 100).await, Err(Revoked::Unchecked), "nothing to serve: closed");
    accounts.down.store(false, Ordering::SeqCst);
    assert_eq!(check.check(&caller, 100).await, Ok(()), "back when the lookup answers");
}

#[tokio::test]
async fn it_keeps_a_bounded_number_of_accounts() {
    let check =
        AccountCheck::new(Arc::new(Accounts::default()), settings(Duration::from_secs(60), Duration::ZERO));
    for _ in 0..250 {
        let caller = Caller { user_id: Uuid::now_v7(), role: Role::Hr, employee_id: None };
        assert_eq!(check.check(&caller, 100).await, Ok(()));
    }
    assert!(check.len() <= 100, "{} kept", check.len());
}

async fn get_me(app: &Router, token: &str) -> (StatusCode, serde_json::Value) {
    let request = Request::get("/me")
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or_default())
}

#[tokio::test]
async fn every_caller_is_checked_once_the_authenticator_checks_accounts() {
    let auth = Arc::new(Authenticator::hs256(b"0123456789abcdef0123456789abcdef").expect("key"));
    let app = Router::new().route("/me", get(|_: Caller| async { "{}" })).with_state(auth.clone());
    let accounts = Accounts::default();
    let admin = active(Role::Admin, None);
    accounts.set(admin.clone());
    let token = auth.mint(admin.user_id, Role::Admin, None, Duration::from_secs(600)).expect("minted");
    accounts.change(admin.user_id, |s| s.status = UserStatus::Suspended);
    assert_eq!(get_me(&app, &token).await.0, StatusCode::OK, "without a check, the token alone");

    let check = Arc::new(AccountCheck::new(Arc::new(accounts.clone()), CheckSettings::default()));
    assert!(auth.check_accounts(check.clone()));
    assert!(!auth.check_accounts(check), "set once");
    let (status, problem) = get_me(&app, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["detail"], "the account is suspended");

    accounts.down.store(true, Ordering::SeqCst);
    let stranger = auth.mint(Uuid::now_v7(), Role::Hr, None, Duration::from_secs(600)).expect("minted");
    let (status, problem) = get_me(&app, &stranger).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "unchecked: closed");
    assert_eq!(problem["status"], 503);
}

/// A lookup that answers `standing` once `gate` opens, counting its lookups.
struct Gated {
    standing: Standing,
    gate: Arc<tokio::sync::Semaphore>,
    asked: Arc<AtomicUsize>,
}

impl AccountLookup for Gated {
    fn standing(&self, _: Uuid) -> BoxFuture<'_, Result<Option<Standing>, BoxError>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let _open = self.gate.acquire().await.map_err(|e| -> BoxError { e.into() })?;
            Ok(Some(self.standing.clone()))
        })
    }
}

#[tokio::test]
async fn concurrent_requests_of_one_account_share_one_lookup() {
    let standing = active(Role::Employee, None);
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let asked = Arc::new(AtomicUsize::new(0));
    let lookup = Gated { standing: standing.clone(), gate: gate.clone(), asked: asked.clone() };
    let check = Arc::new(AccountCheck::new(Arc::new(lookup), CheckSettings::default()));
    let who = caller(&standing);
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let (check, who) = (check.clone(), who.clone());
            tokio::spawn(async move { check.check(&who, 100).await })
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(5), async {
        while asked.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("a lookup starts");
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(8);
    for request in requests {
        assert_eq!(request.await.expect("joined"), Ok(()));
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "one lookup for eight requests");
}

#[tokio::test]
async fn service_identities_are_not_looked_up() {
    let accounts = Accounts::default();
    let service = active(Role::Hr, Some(Uuid::now_v7()));
    accounts.set(service.clone());
    let check =
        AccountCheck::new(Arc::new(accounts.clone()), CheckSettings::default()).exempting([service.user_id]);
    let minted = Caller { user_id: lookup_identity(), role: Role::Hr, employee_id: None };
    assert_eq!(check.check(&minted, 100).await, Ok(()));
    assert_eq!(check.check(&caller(&service), 100).await, Ok(()));
    assert_eq!(accounts.asked.load(Ordering::SeqCst), 0, "neither asked about");
}
