//! The Leave function in a process: its policy (`HRMS_LEAVE_POLICY`, or
//! the defaults), its store and relay, its routes, and its consumer of
//! `notification-queue` (group `leave-service`), which cancels the leave
//! of a terminated employee. Employee is reached in-process when hosted
//! here, else over HTTP (`HRMS_EMPLOYEE_URL`).

use std::sync::Arc;

use hrms_employee::EmployeeClient;
use hrms_events::topics::NOTIFICATION_QUEUE;
use hrms_leave::Policy;
use hrms_runtime::handlers::leave::{GROUP, LeaveHandler};
use hrms_runtime::http::leave::{self, LeaveApi};
use hrms_runtime::http::{Authenticator, Callee};

use super::functions::{Consumer, Hosted};
use super::stores::{Backend, Relays, Stores};

/// Adds the Leave function to `hosted`.
pub fn host(
    hosted: &mut Hosted,
    backend: &dyn Backend,
    stores: &Stores,
    auth: &Arc<Authenticator>,
    employees: Callee<dyn EmployeeClient>,
    relay: Relays<'_>,
) -> anyhow::Result<()> {
    let policy = Arc::new(match &stores.leave_policy {
        Some(path) => Policy::load(path)?,
        None => Policy::default(),
    });
    let (store, probe) = backend.leave(relay)?;
    hosted.probes.push(("leave", probe));
    let api = LeaveApi { auth: auth.clone(), store: store.clone(), policy: policy.clone(), employees };
    hosted.router = std::mem::take(&mut hosted.router).merge(leave::router(api));
    hosted.openapi.merge(leave::openapi());
    hosted.consumers.push(Consumer {
        topics: vec![NOTIFICATION_QUEUE.name],
        group: GROUP,
        handler: Arc::new(LeaveHandler { store, policy }),
        durable: true,
    });
    Ok(())
}
