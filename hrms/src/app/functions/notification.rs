//! The Notification function in a process: its routes, its consumer of
//! `notification-queue` and its dispatcher (SMTP when `HRMS_SMTP_URL` is
//! set, else `.eml` files under `<data dir>/outbox`). Employee, in-process
//! or over HTTP, is its directory of people no event has introduced.

use std::sync::Arc;

use hrms_employee::EmployeeClient;
use hrms_http::{Api, Authenticator, Callee};
use hrms_notification::{Directory, Templates};
use hrms_notification_adapters::channels::{
    DEFAULT_FROM, FileMailer, Mailer, SmtpConfig, SmtpMailer, Subscribers,
};
use hrms_notification_adapters::consumer::{Dispatcher, Lease, NotificationHandler};
use hrms_notification_adapters::directory::{EmployeeDirectory, ServiceToken};
use hrms_notification_adapters::http::NotificationDeps;
use tokio::sync::Notify;

use super::{Context, Hosted};
use crate::app::consumers;

/// Adds the Notification function to `hosted`.
pub fn host(
    hosted: &mut Hosted,
    cx: &mut Context<'_>,
    employees: Option<Callee<dyn EmployeeClient>>,
) -> anyhow::Result<()> {
    let directory = match employees {
        Some(employees) => directory(employees, cx.auth)?,
        None => None,
    };
    let (store, probe) = cx.backend.notification()?;
    let templates = match std::env::var_os("HRMS_NOTIFICATION_TEMPLATES") {
        Some(dir) => Templates::with_overrides(std::path::Path::new(&dir))?,
        None => Templates::embedded(),
    };
    let lease = Lease::from_env()?;
    lease.allows("the webhook timeout", Subscribers::TIMEOUT)?;
    let (mailer, from): (Arc<dyn Mailer>, String) = match SmtpConfig::from_env()? {
        Some(config) => {
            lease.allows("HRMS_SMTP_TIMEOUT_MS", config.timeout)?;
            (Arc::new(SmtpMailer::new(&config)?), config.from.clone())
        }
        None => {
            let from = std::env::var("HRMS_SMTP_FROM").ok().filter(|f| !f.trim().is_empty());
            (
                Arc::new(FileMailer::new(cx.stores.data_dir.join("outbox"))),
                from.unwrap_or_else(|| DEFAULT_FROM.to_owned()),
            )
        }
    };
    hosted.probes.push(("notification", probe));
    hosted.serve(Api::new(cx.auth.clone(), NotificationDeps { store: store.clone() }));
    let wake = Arc::new(Notify::new());
    let subscribers = Arc::new(Subscribers::from_env()?);
    let handler = NotificationHandler {
        store: store.clone(),
        templates: Arc::new(templates),
        directory,
        subscribers: subscribers.clone(),
        wake: wake.clone(),
    };
    hosted.consumers.push(consumers::of("notification").consumer(Arc::new(handler)));
    hosted.dispatchers.push(Dispatcher {
        store,
        dead_letters: cx.sinks.dead_letters.clone(),
        mailer,
        subscribers,
        from,
        retry: Dispatcher::retry(),
        wake,
        lease,
    });
    Ok(())
}

/// Employee as the Notification function's directory, asked with the
/// configured service token (`HRMS_SERVICE_TOKEN_FILE` or
/// `HRMS_SERVICE_TOKEN`), or with a token it mints (HS256); none without
/// either.
fn directory(
    employees: Callee<dyn EmployeeClient>,
    auth: &Arc<Authenticator>,
) -> anyhow::Result<Option<Arc<dyn Directory>>> {
    let token = match crate::auth::configured_service_token()? {
        Some(token) => ServiceToken::Provided(token),
        None if auth.can_mint() => ServiceToken::Minted(auth.clone()),
        None => {
            tracing::warn!(
                "employees no event has introduced are not looked up: set HRMS_SERVICE_TOKEN_FILE or \
                 HRMS_SERVICE_TOKEN (a token of the identity provider with the hr role) for the Notification function"
            );
            return Ok(None);
        }
    };
    Ok(Some(Arc::new(EmployeeDirectory { employees, token })))
}
