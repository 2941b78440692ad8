//! The Employee service as the Notification function's [`Directory`]: the
//! contact of an employee no event has introduced yet (e.g. one created
//! before the Notification function was deployed).
//!
//! The Notification function has no caller to speak for, so it asks with a
//! service identity ([`ServiceToken`]) as hr, which may read every record.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hrms_employee::{EmployeeClient, EmployeeError, Requester};
use hrms_events::Role;
use hrms_notification::{Contact, Directory};
use uuid::Uuid;

use hrms_http::auth::account_remote::ServiceBearer;
use hrms_http::auth::{AuthError, Authenticator, Bearer};
use hrms_http::callee::Callee;
use hrms_platform::error::BoxError;

/// The user id the Notification function acts as (a UUIDv5 of its name).
pub fn service_user() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, b"hrms:notification-service")
}

/// The bearer token the lookups carry.
#[derive(Clone)]
pub enum ServiceToken {
    /// Issued by the identity provider (with JWKS), read at each lookup
    /// (`HRMS_SERVICE_TOKEN_FILE` may change under it).
    Provided(ServiceBearer),
    /// Minted with the shared HS256 secret, for five minutes, per lookup.
    Minted(Arc<Authenticator>),
}

impl ServiceToken {
    fn bearer(&self) -> Result<Bearer, MintError> {
        match self {
            ServiceToken::Provided(token) => token().map(Bearer::new).map_err(MintError),
            ServiceToken::Minted(auth) => auth
                .mint(service_user(), Role::Hr, None, Duration::from_secs(300))
                .map(Bearer::new)
                .map_err(MintError),
        }
    }
}

/// The service token could not be read or minted.
#[derive(Debug, thiserror::Error)]
#[error("no service token to look employees up with")]
struct MintError(#[source] AuthError);

/// Looks employees up in the Employee service (in-process or over HTTP).
pub struct EmployeeDirectory {
    pub employees: Callee<dyn EmployeeClient>,
    pub token: ServiceToken,
}

impl Directory for EmployeeDirectory {
    fn employee(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Contact>, BoxError>> {
        Box::pin(async move {
            let client = self.employees.bind(&self.token.bearer()?);
            let requester = Requester { user_id: service_user(), role: Role::Hr, employee_id: None };
            let outcome = client.get(employee_id, &requester).await;
            let label = match &outcome {
                Ok(_) => "found",
                Err(EmployeeError::NotFound) => "unknown",
                Err(EmployeeError::Forbidden(_)) => "forbidden",
                Err(_) => "failed",
            };
            metrics::counter!("hrms_directory_lookups_total", "outcome" => label).increment(1);
            match outcome {
                Ok(e) => Ok(Some(Contact {
                    user_id: e.user_id,
                    employee_id: Some(e.employee_id),
                    name: format!("{} {}", e.first_name, e.last_name),
                    email: e.email.clone(),
                    role: None,
                    manager_id: e.manager_id,
                    active: e.is_active(),
                })),
                Err(EmployeeError::NotFound) => Ok(None),
                // Retrying cannot fix the service's rights: say so, skip the recipient.
                Err(EmployeeError::Forbidden(reason)) => {
                    tracing::error!(%employee_id, %reason, "the Employee service refuses the notification service's lookups");
                    Ok(None)
                }
                Err(e) => Err(e.into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hrms_compliance::{ComplianceClient, Policy};
    use hrms_compliance_adapters::sqlite::SqliteComplianceStore;
    use hrms_employee::{Local, fixtures};
    use hrms_employee_adapters::sqlite::SqliteEmployeeStore;
    use hrms_sqlite::Store as _;

    #[tokio::test]
    async fn a_known_employee_is_a_contact_and_an_unknown_one_is_none() {
        let dir = hrms_http::testing::temp_dir("directory");
        let checks = SqliteComplianceStore::open(dir.join("compliance.db")).expect("compliance store");
        let compliance: Arc<dyn ComplianceClient> = Arc::new(hrms_compliance::client::Local {
            policy: Arc::new(Policy::default()),
            store: Arc::new(checks),
        });
        let store = Arc::new(SqliteEmployeeStore::open(dir.join("employee.db")).expect("employee store"));
        let local: Arc<dyn EmployeeClient> = Arc::new(Local { store, compliance });
        let created = local.create(&fixtures::new_employee(), &fixtures::requester(Role::Hr)).await;
        let employee = created.expect("created");
        let auth = Arc::new(Authenticator::hs256(&[7; 32]).expect("auth"));
        let directory =
            EmployeeDirectory { employees: Callee::local(local), token: ServiceToken::Minted(auth) };

        let contact = directory.employee(employee.employee_id).await.expect("answered").expect("found");
        assert_eq!((contact.email.as_str(), contact.active), (employee.email.as_str(), true));
        assert_eq!(contact.name, format!("{} {}", employee.first_name, employee.last_name));
        assert_eq!(directory.employee(Uuid::now_v7()).await.expect("answered"), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
