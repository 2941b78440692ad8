//! The hosted functions, one module each (built with its feature): each
//! one's store (from the [`Backend`]) with its outbox relay, its routes and
//! their OpenAPI fragment, its readiness probe, its consumer, and how the
//! others reach it: in-process when it runs here, over HTTP when it runs
//! apart ([`super::remote`]).

use std::sync::Arc;

use axum::Router;
use hrms_compliance::ComplianceClient;
use hrms_employee::EmployeeClient;
use hrms_http::commands::Command;
use hrms_http::{Api, Authenticator, Callee, Routes};
use hrms_platform::Handler;
use hrms_platform::outbox::{OutboxStore, Relay, RelaySettings, RelayWaker};
use utoipa::openapi::OpenApi;

use super::Function;
use super::remote::Remote;
use super::stores::{Backend, Probe, Stores};
use super::transport::Sinks;

#[cfg(feature = "attendance")]
mod attendance;
#[cfg(feature = "audit")]
mod audit;
#[cfg(feature = "compliance")]
mod compliance;
#[cfg(feature = "employee")]
mod employee;
#[cfg(feature = "leave")]
mod leave;
#[cfg(feature = "notification")]
mod notification;
#[cfg(feature = "user")]
mod user;

#[cfg(feature = "notification")]
pub use hrms_notification_adapters::consumer::Dispatcher;

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
    #[cfg(feature = "notification")]
    pub dispatchers: Vec<Dispatcher>,
    /// The accounts' standing, when the User function is hosted here.
    pub accounts: Option<Arc<dyn hrms_http::auth::account::AccountLookup>>,
}

impl Hosted {
    /// Adds a function's routes on `api` and their OpenAPI fragment.
    fn serve<D: Routes>(&mut self, api: Api<D>) {
        self.router = std::mem::take(&mut self.router).merge(api.router());
        self.openapi.merge(D::openapi());
    }
}

/// A Kafka-triggered function: its handler, the topics it reads and its
/// group, from its row of [`super::consumers::CONSUMERS`].
pub struct Consumer {
    pub topics: Vec<&'static str>,
    pub group: &'static str,
    pub handler: Arc<dyn Handler>,
    /// What a record that keeps failing transiently comes to.
    pub durable: Durability,
}

/// What a consumer does with a record that keeps failing transiently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Retried until handled (a store outage loses nothing).
    RetryUntilHandled,
    /// Dead-lettered after the bounded retries.
    DeadLetterAfterRetries,
}

/// What every function's wiring takes: where its store comes from, the
/// process's settings and authenticator, and the relays of the outboxes.
pub struct Context<'a> {
    pub backend: &'a dyn Backend,
    pub stores: &'a Stores,
    pub auth: &'a Arc<Authenticator>,
    pub sinks: &'a Sinks,
    relays: Vec<Relay>,
}

impl Context<'_> {
    /// Starts the relay of `outbox`; answers the waker its store rings after each commit.
    pub fn relay(&mut self, outbox: Arc<dyn OutboxStore>) -> RelayWaker {
        let relay = Relay::new(outbox, self.sinks.events.clone(), RelaySettings::default());
        let waker = relay.waker();
        self.relays.push(relay);
        waker
    }
}

/// How the hosted functions reach the functions they call.
#[derive(Default)]
pub struct Callees {
    pub compliance: Option<Callee<dyn ComplianceClient>>,
    pub employees: Option<Callee<dyn EmployeeClient>>,
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
    let mut cx = Context { backend, stores, auth, sinks: &sinks, relays: Vec::new() };
    let remote = Remote::from_env()?;
    let wants = |f: Function| wanted.contains(&f);
    let mut callees = Callees::default();

    #[cfg(feature = "compliance")]
    if wants(Function::Compliance) {
        callees.compliance = Some(compliance::host(&mut hosted, &mut cx)?);
    }
    if callees.compliance.is_none() && wanted.iter().any(|f| f.calls().compliance) {
        callees.compliance = Some(remote.compliance()?);
    }
    #[cfg(feature = "employee")]
    if wants(Function::Employee) {
        callees.employees = Some(employee::host(&mut hosted, &mut cx, &callees)?);
    }
    if callees.employees.is_none() && wanted.iter().any(|f| f.calls().employee) {
        callees.employees = Some(remote.employees()?);
    }
    #[cfg(feature = "attendance")]
    if wants(Function::Attendance) {
        attendance::host(&mut hosted, &mut cx, &callees)?;
    }
    #[cfg(feature = "leave")]
    if wants(Function::Leave) {
        leave::host(&mut hosted, &mut cx, &callees)?;
    }
    #[cfg(feature = "audit")]
    if wants(Function::Audit) {
        audit::host(&mut hosted, &mut cx)?;
    }
    #[cfg(feature = "notification")]
    if wants(Function::Notification) {
        let employees = callees.employees.clone().or_else(|| remote.employees_if_set());
        notification::host(&mut hosted, &mut cx, employees)?;
    }
    #[cfg(feature = "user")]
    if wants(Function::User) {
        user::host(&mut hosted, &mut cx, &callees)?;
    }
    // Read only by the functions of this build's features.
    let _ = (&wants, &mut callees);
    hosted.relays = cx.relays;
    Ok(hosted)
}

/// Which functions a function calls synchronously.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calls {
    pub compliance: bool,
    pub employee: bool,
}

impl Function {
    /// The functions this one calls synchronously.
    pub fn calls(self) -> Calls {
        match self {
            #[cfg(feature = "user")]
            Function::User => Calls { compliance: true, employee: true },
            #[cfg(feature = "employee")]
            Function::Employee => Calls { compliance: true, employee: false },
            #[cfg(feature = "attendance")]
            Function::Attendance => Calls { compliance: false, employee: true },
            #[cfg(feature = "leave")]
            Function::Leave => Calls { compliance: false, employee: true },
            #[allow(unreachable_patterns)]
            _ => Calls::default(),
        }
    }
}
