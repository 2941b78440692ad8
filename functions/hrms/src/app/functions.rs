//! The hosted functions: each one's store (from the [`Backend`]) with its
//! outbox relay, its routes and their OpenAPI fragment, its readiness probe,
//! and how the others reach it: in-process when it runs here, over HTTP when
//! it runs apart.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use hrms_compliance::client::Local as LocalCompliance;
use hrms_compliance::{ComplianceClient, Policy};
use hrms_employee::{EmployeeClient, Local as LocalEmployees};
use hrms_events::topics::{AUDIT_QUEUE, NOTIFICATION_QUEUE};
use hrms_notification::{Directory, NotificationStore, Templates};
use hrms_runtime::handlers::compliance::ComplianceHandler;
use hrms_runtime::handlers::notification::{Dispatcher, NotificationHandler};
use hrms_runtime::handlers::{self, audit::AuditHandler};
use hrms_runtime::http::attendance::{self, AttendanceApi};
use hrms_runtime::http::audit::{self, AuditApi};
use hrms_runtime::http::client::{EmployeeDirectory, ServiceToken};
use hrms_runtime::http::commands::{self, Command};
use hrms_runtime::http::compliance::{self, ComplianceApi};
use hrms_runtime::http::employee::{self, EmployeeApi};
use hrms_runtime::http::notification::{self, NotificationApi};
use hrms_runtime::http::user::{self, UserApi};
use hrms_runtime::http::{Authenticator, Callee};
use hrms_runtime::notify::{DEFAULT_FROM, FileMailer, Mailer, SmtpConfig, SmtpMailer, Subscribers};
use hrms_runtime::outbox::{OutboxStore, Relay, RelaySettings};
use hrms_runtime::{DeadLetterSink, Handler};
use tokio::sync::Notify;
use utoipa::openapi::OpenApi;

use super::Function;
use super::stores::{Backend, Probe, Stores};
use super::transport::Sinks;

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
    /// The hosted Kafka-triggered functions.
    pub consumers: Vec<Consumer>,
    /// What sends the Notification function's deliveries.
    pub dispatchers: Vec<Dispatcher>,
}

/// A Kafka-triggered function: its handler, the topics it reads and its group.
pub struct Consumer {
    pub topics: Vec<&'static str>,
    pub group: &'static str,
    pub handler: Arc<dyn Handler>,
    /// Transient failures are retried until handled, never dead-lettered
    /// (a store that is down for a while loses nothing).
    pub durable: bool,
}

/// Builds the functions in `wanted` on the stores of `backend`.
pub fn host(
    wanted: &[Function],
    backend: &dyn Backend,
    stores: &Stores,
    auth: &Arc<Authenticator>,
    sinks: Sinks,
) -> anyhow::Result<Hosted> {
    let mut hosted = Hosted::default();
    let remote = super::remote::Remote::from_env()?;
    let mut relays = Vec::new();
    let mut relay = |outbox: Arc<dyn OutboxStore>| {
        let relay = Relay::new(outbox, sinks.events.clone(), RelaySettings::default());
        let waker = relay.waker();
        relays.push(relay);
        waker
    };

    let compliance: Option<Callee<dyn ComplianceClient>> = if wanted.contains(&Function::Compliance) {
        let policy = match &stores.compliance_policy {
            Some(path) => Policy::load(path)?,
            None => Policy::default(),
        };
        let (store, probe) = backend.compliance(&mut relay)?;
        hosted.probes.push(("compliance", probe));
        let policy = Arc::new(policy);
        let api = ComplianceApi { auth: auth.clone(), policy: policy.clone(), store: store.clone() };
        hosted.router = hosted.router.merge(compliance::router(api));
        hosted.openapi.merge(compliance::openapi());
        hosted.commands.extend_from_slice(commands::COMPLIANCE);
        // Attendance and leave over time, from their events.
        hosted.consumers.push(Consumer {
            topics: vec![NOTIFICATION_QUEUE.name],
            group: handlers::compliance::GROUP,
            handler: Arc::new(ComplianceHandler { store: store.clone(), policy: policy.clone() }),
            durable: true,
        });
        Some(Callee::local(Arc::new(LocalCompliance { policy, store }) as Arc<dyn ComplianceClient>))
    } else if wanted.iter().any(|f| matches!(f, Function::Employee | Function::User)) {
        Some(remote.compliance()?)
    } else {
        None
    };

    let employees: Option<Callee<dyn EmployeeClient>> = if wanted.contains(&Function::Employee) {
        let compliance = compliance.clone().context("Employee calls Compliance")?;
        let (store, probe) = backend.employee(&mut relay)?;
        hosted.probes.push(("employee", probe));
        let api = EmployeeApi { auth: auth.clone(), store: store.clone(), compliance: compliance.clone() };
        hosted.router = hosted.router.merge(employee::router(api));
        hosted.openapi.merge(employee::openapi());
        hosted.commands.extend_from_slice(commands::EMPLOYEE);
        Some(Callee::per_token(move |bearer| {
            Arc::new(LocalEmployees { store: store.clone(), compliance: compliance.bind(bearer) })
                as Arc<dyn EmployeeClient>
        }))
    } else if wanted.iter().any(|f| matches!(f, Function::User | Function::Attendance)) {
        Some(remote.employees()?)
    } else {
        None
    };

    if wanted.contains(&Function::Attendance) {
        let employees = employees.clone().context("Attendance calls Employee")?;
        let (store, probe) = backend.attendance(&mut relay)?;
        hosted.probes.push(("attendance", probe));
        let api = AttendanceApi { auth: auth.clone(), store, employees };
        hosted.router = hosted.router.merge(attendance::router(api));
        hosted.openapi.merge(attendance::openapi());
    }

    if wanted.contains(&Function::Leave) {
        let employees = match &employees {
            Some(local) => local.clone(),
            None => remote.employees()?,
        };
        super::leave::host(&mut hosted, backend, stores, auth, employees, &mut relay)?;
    }

    if wanted.contains(&Function::Audit) {
        let (store, probe) = backend.audit()?;
        hosted.probes.push(("audit", probe));
        hosted.router =
            hosted.router.merge(audit::router(AuditApi { auth: auth.clone(), store: store.clone() }));
        hosted.openapi.merge(audit::openapi());
        hosted.consumers.push(Consumer {
            topics: vec![AUDIT_QUEUE.name],
            group: handlers::audit::GROUP,
            handler: Arc::new(AuditHandler { store }),
            durable: true,
        });
    }

    if wanted.contains(&Function::Notification) {
        let employees = employees.clone().or_else(|| remote.employees_if_set());
        let directory = employees.and_then(|employees| directory(employees, auth));
        let (store, probe) = backend.notification()?;
        let lookups = Lookups { dead_letters: sinks.dead_letters.clone(), directory };
        host_notification(&mut hosted, store, probe, stores, auth, lookups)?;
    }

    if wanted.contains(&Function::User) {
        let compliance = compliance.context("User calls Compliance")?;
        let employees = employees.context("User calls Employee")?;
        let (store, probe) = backend.user(&mut relay)?;
        hosted.probes.push(("user", probe));
        let api = UserApi { auth: auth.clone(), store, compliance, employees };
        hosted.router = hosted.router.merge(user::router(api));
        hosted.openapi.merge(user::openapi());
        hosted.commands.extend_from_slice(commands::USER);
    }
    hosted.relays = relays;
    Ok(hosted)
}

/// What the Notification function reaches beyond its store.
struct Lookups {
    dead_letters: Arc<dyn DeadLetterSink>,
    /// The Employee service, for employees no event has introduced.
    directory: Option<Arc<dyn Directory>>,
}

/// Employee as the Notification function's directory, asked with
/// `HRMS_SERVICE_TOKEN`, or with a token it mints (HS256); none without either.
fn directory(employees: Callee<dyn EmployeeClient>, auth: &Arc<Authenticator>) -> Option<Arc<dyn Directory>> {
    let token = match std::env::var("HRMS_SERVICE_TOKEN").ok().filter(|t| !t.trim().is_empty()) {
        Some(token) => ServiceToken::Fixed(token),
        None if auth.can_mint() => ServiceToken::Minted(auth.clone()),
        None => {
            tracing::warn!(
                "employees no event has introduced are not looked up: set HRMS_SERVICE_TOKEN \
                 (a token of the identity provider with the hr role) for the Notification function"
            );
            return None;
        }
    };
    Some(Arc::new(EmployeeDirectory { employees, token }))
}

/// The Notification function: its routes, its consumer of
/// `notification-queue` and its dispatcher (SMTP when `HRMS_SMTP_URL` is
/// set, else `.eml` files under `<data dir>/outbox`).
fn host_notification(
    hosted: &mut Hosted,
    store: Arc<dyn NotificationStore>,
    probe: super::stores::Probe,
    stores: &Stores,
    auth: &Arc<Authenticator>,
    lookups: Lookups,
) -> anyhow::Result<()> {
    let Lookups { dead_letters, directory } = lookups;
    let templates = match std::env::var_os("HRMS_NOTIFICATION_TEMPLATES") {
        Some(dir) => Templates::with_overrides(std::path::Path::new(&dir))?,
        None => Templates::embedded(),
    };
    let (mailer, from): (Arc<dyn Mailer>, String) = match SmtpConfig::from_env()? {
        Some(config) => (Arc::new(SmtpMailer::new(&config)?), config.from.clone()),
        None => {
            let from = std::env::var("HRMS_SMTP_FROM").ok().filter(|f| !f.trim().is_empty());
            (
                Arc::new(FileMailer::new(stores.data_dir.join("outbox"))),
                from.unwrap_or_else(|| DEFAULT_FROM.to_owned()),
            )
        }
    };
    hosted.probes.push(("notification", probe));
    let api = NotificationApi { auth: auth.clone(), store: store.clone() };
    hosted.router = std::mem::take(&mut hosted.router).merge(notification::router(api));
    hosted.openapi.merge(notification::openapi());
    let wake = Arc::new(Notify::new());
    let subscribers = Arc::new(Subscribers::from_env()?);
    let handler = NotificationHandler {
        store: store.clone(),
        templates: Arc::new(templates),
        directory,
        subscribers: subscribers.clone(),
        wake: wake.clone(),
    };
    hosted.consumers.push(Consumer {
        topics: vec![NOTIFICATION_QUEUE.name],
        group: handlers::notification::GROUP,
        handler: Arc::new(handler),
        durable: true,
    });
    hosted.dispatchers.push(Dispatcher {
        store,
        dead_letters,
        mailer,
        subscribers,
        from,
        retry: Dispatcher::retry(),
        wake,
    });
    Ok(())
}
