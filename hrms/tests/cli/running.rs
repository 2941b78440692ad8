//! What a scenario drives, whether the HRMS runs in this process
//! ([`crate::app::TestApp`]) or as a child ([`crate::binary::Dev`]): its API,
//! tokens signed with its data directory's secret, the events it published
//! and the mails it wrote.

use std::path::Path;
use std::time::Duration;

use hrms_events::Role;
use uuid::Uuid;

use crate::client::Api;
use crate::wait;

/// A running HRMS.
pub trait Running {
    fn api(&self) -> &Api;

    /// Where it keeps its data and its token secret.
    fn data_dir(&self) -> &Path;

    /// Waits until an event of each of `types` was published (30 s at most).
    async fn published(&self, types: &[&str]);

    /// A token for user `sub` as `role`, with their employee record if any.
    fn token_for(&self, role: Role, sub: &str, employee: Option<&str>) -> String {
        mint(self.data_dir(), role, sub, employee)
    }

    /// A token for a new user as `role`.
    fn token(&self, role: Role) -> String {
        self.token_for(role, &Uuid::now_v7().to_string(), None)
    }

    /// The first mail written to the outbox (no SMTP configured) that
    /// contains `needle` (30 s at most).
    async fn mail(&self, needle: &str) -> String {
        let outbox = self.data_dir().join("outbox");
        wait::until(&format!("a mail with {needle:?}"), Duration::from_secs(30), async || {
            let mails = std::fs::read_dir(&outbox).into_iter().flatten().flatten();
            let mut mails = mails
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .filter_map(|e| std::fs::read_to_string(e.path()).ok());
            mails.find(|m| m.contains(needle)).ok_or_else(|| "none".to_owned())
        })
        .await
    }
}

/// A token as `hrms token` mints it for `data_dir`: HS256 with the secret
/// kept there, valid for an hour.
pub fn mint(data_dir: &Path, role: Role, sub: &str, employee: Option<&str>) -> String {
    hermetic();
    let auth = hrms::auth::authenticator(data_dir).expect("an HS256 authenticator");
    let id = |text: &str| text.parse::<Uuid>().expect("a uuid");
    auth.mint(id(sub), role, employee.map(id), Duration::from_secs(3600)).expect("a token")
}

/// The environment the in-process app and [`mint`] would read, which the
/// children run without (`crate::binary::hrms`): set, the tests would not
/// test what they say.
const READ_FROM_THE_ENVIRONMENT: [&str; 18] = [
    "HRMS_JWKS_URL",
    "HRMS_JWT_SECRET",
    "HRMS_JWT_ISSUER",
    "HRMS_JWT_AUDIENCE",
    "HRMS_SMTP_URL",
    "HRMS_SMTP_FROM",
    "HRMS_WEBHOOKS",
    "HRMS_NOTIFICATION_TEMPLATES",
    "HRMS_SERVICE_TOKEN",
    "HRMS_DELIVERY_TOKEN",
    "HRMS_INTAKE_ISSUER",
    "HRMS_INTAKE_JWKS_URL",
    "HRMS_INTAKE_AUDIENCE",
    "HRMS_INTAKE_SUBJECTS",
    "HRMS_INSECURE_OPEN_INTAKE",
    "HRMS_USER_URL",
    "HRMS_ACCOUNT_CACHE_TTL_MS",
    "HRMS_ACCOUNT_STALE_MS",
];

/// Panics if the test process has any of [`READ_FROM_THE_ENVIRONMENT`].
pub fn hermetic() {
    let set: Vec<&str> =
        READ_FROM_THE_ENVIRONMENT.into_iter().filter(|name| std::env::var_os(name).is_some()).collect();
    assert!(set.is_empty(), "unset {set:?} to run these tests: the in-process app would read them");
}
