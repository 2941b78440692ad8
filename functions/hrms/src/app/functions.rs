//! The hosted functions: each one's embedded store with its outbox relay,
//! its routes and their OpenAPI fragment, its readiness probe, and how the others reach it: in-process
//! when it runs here, over HTTP when it runs apart.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use futures::future::BoxFuture;
use hrms_compliance::client::Local as LocalCompliance;
use hrms_compliance::{ComplianceClient, Policy};
use hrms_employee::{EmployeeClient, Local as LocalEmployees};
use hrms_runtime::EventPublisher;
use hrms_runtime::http::commands::{self, Command};
use hrms_runtime::http::compliance::{self, ComplianceApi};
use hrms_runtime::http::employee::{self, EmployeeApi};
use hrms_runtime::http::user::{self, UserApi};
use hrms_runtime::http::{Authenticator, Callee};
use hrms_runtime::outbox::sqlite::SqliteOutbox;
use hrms_runtime::outbox::{Relay, RelaySettings, RelayWaker};
use hrms_runtime::sqlite::compliance::SqliteComplianceStore;
use hrms_runtime::sqlite::employee::SqliteEmployeeStore;
use hrms_runtime::sqlite::user::SqliteUserStore;
use utoipa::openapi::OpenApi;

use super::{Function, Stores};

/// Whether a hosted function's store answers.
pub type Probe = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// What the hosted functions add to the process.
#[derive(Default)]
pub struct Hosted {
    pub router: Router,
    /// The OpenAPI fragments of the hosted functions' routes.
    pub openapi: OpenApi,
    pub relays: Vec<Relay>,
    pub probes: Vec<(&'static str, Probe)>,
    /// The commands the hosted functions take as CloudEvents on `POST /`.
    pub commands: Vec<Command>,
}

/// Builds the functions in `wanted` on their stores under `stores.data_dir`.
pub fn host(
    wanted: &[Function],
    stores: &Stores,
    auth: &Arc<Authenticator>,
    publisher: Arc<dyn EventPublisher>,
) -> anyhow::Result<Hosted> {
    let mut hosted = Hosted::default();
    let remote = super::remote::Remote::from_env()?;
    let relay = |hosted: &mut Hosted, outbox: SqliteOutbox| -> RelayWaker {
        let relay = Relay::new(Arc::new(outbox), publisher.clone(), RelaySettings::default());
        let waker = relay.waker();
        hosted.relays.push(relay);
        waker
    };

    let compliance: Option<Callee<dyn ComplianceClient>> = if wanted.contains(&Function::Compliance) {
        let policy = match &stores.compliance_policy {
            Some(path) => Policy::load(path)?,
            None => Policy::default(),
        };
        let db = stores.data_dir.join("compliance.db");
        let store = SqliteComplianceStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(&mut hosted, store.outbox());
        let store = store.with_relay(waker);
        let probe = store.clone();
        hosted.probes.push((
            "compliance",
            Arc::new(move || {
                let store = probe.clone();
                Box::pin(async move { store.ping().await.map_err(|e| e.to_string()) })
            }),
        ));
        let (policy, store) = (Arc::new(policy), Arc::new(store));
        let api = ComplianceApi { auth: auth.clone(), policy: policy.clone(), store: store.clone() };
        hosted.router = hosted.router.merge(compliance::router(api));
        hosted.openapi.merge(compliance::openapi());
        hosted.commands.extend_from_slice(commands::COMPLIANCE);
        Some(Callee::local(Arc::new(LocalCompliance { policy, store }) as Arc<dyn ComplianceClient>))
    } else if wanted.iter().any(|f| matches!(f, Function::Employee | Function::User)) {
        Some(remote.compliance()?)
    } else {
        None
    };

    let employees: Option<Callee<dyn EmployeeClient>> = if wanted.contains(&Function::Employee) {
        let compliance = compliance.clone().context("Employee calls Compliance")?;
        let db = stores.data_dir.join("employee.db");
        let store = SqliteEmployeeStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(&mut hosted, store.outbox());
        let store = store.with_relay(waker);
        let probe = store.clone();
        hosted.probes.push((
            "employee",
            Arc::new(move || {
                let store = probe.clone();
                Box::pin(async move { store.ping().await.map_err(|e| e.to_string()) })
            }),
        ));
        let store = Arc::new(store);
        let api = EmployeeApi { auth: auth.clone(), store: store.clone(), compliance: compliance.clone() };
        hosted.router = hosted.router.merge(employee::router(api));
        hosted.openapi.merge(employee::openapi());
        hosted.commands.extend_from_slice(commands::EMPLOYEE);
        Some(Callee::per_token(move |bearer| {
            Arc::new(LocalEmployees { store: store.clone(), compliance: compliance.bind(bearer) })
                as Arc<dyn EmployeeClient>
        }))
    } else if wanted.contains(&Function::User) {
        Some(remote.employees()?)
    } else {
        None
    };

    if wanted.contains(&Function::User) {
        let compliance = compliance.context("User calls Compliance")?;
        let employees = employees.context("User calls Employee")?;
        let db = stores.data_dir.join("user.db");
        let store = SqliteUserStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
        let waker = relay(&mut hosted, store.outbox());
        let store = store.with_relay(waker);
        let probe = store.clone();
        hosted.probes.push((
            "user",
            Arc::new(move || {
                let store = probe.clone();
                Box::pin(async move { store.ping().await.map_err(|e| e.to_string()) })
            }),
        ));
        let api = UserApi { auth: auth.clone(), store: Arc::new(store), compliance, employees };
        hosted.router = hosted.router.merge(user::router(api));
        hosted.openapi.merge(user::openapi());
        hosted.commands.extend_from_slice(commands::USER);
    }
    Ok(hosted)
}
