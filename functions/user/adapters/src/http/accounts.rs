//! What other functions check tokens against (`hrms_http::auth::account`):
//! an account's [`Standing`], answered on `GET /users/{id}/standing` to
//! admin and hr (the service identities the checks of functions apart use),
//! and in-process by [`LocalAccounts`] when User runs in the same process.
//! An account linked to an employee record asks Employee whether it is
//! terminated.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use futures::future::BoxFuture;
use hrms_employee::{EmployeeClient, EmployeeError, Requester};
use hrms_events::Role;
use hrms_events::user::UserStatus;
use hrms_platform::error::BoxError;
use hrms_user::{User, UserError, UserStore};
use uuid::Uuid;

use hrms_http::Id;
use hrms_http::auth::account::{AccountLookup, NO_ACCOUNT, Standing, lookup_identity};
use hrms_http::auth::account_remote::ServiceBearer;
use hrms_http::auth::{Bearer, Caller, requester};
use hrms_http::callee::Callee;
use hrms_http::openapi::{Forbidden, NotFound, Unauthorized, Unavailable};
use hrms_http::problem::Problem;

use super::{UserApi, Users, problem};

/// The account's standing: `None` without an account.
pub async fn standing(
    store: &dyn UserStore,
    employees: &dyn EmployeeClient,
    requester: &Requester,
    user_id: Uuid,
) -> Result<Option<Standing>, UserError> {
    let Some(user) = store.get(user_id).await? else { return Ok(None) };
    let employee_terminated = match user.employee_id {
        Some(employee_id) if user.status == UserStatus::Active => {
            match employees.get(employee_id, requester).await {
                Ok(employee) => !employee.is_active(),
                Err(EmployeeError::NotFound) => true,
                Err(e) => return Err(UserError::Unavailable(e.into())),
            }
        }
        _ => false,
    };
    Ok(Some(Standing {
        user_id,
        status: user.status,
        role: user.role,
        employee_id: user.employee_id,
        employee_terminated,
        tokens_valid_since: tokens_valid_since(&user),
    }))
}

/// Since when the account's tokens are good: its last change of role or of
/// password (an admin's reset too; not the one set at creation), rounded up
/// to the second, since `iat` is whole seconds: a token of the same second
/// may predate the change.
fn tokens_valid_since(user: &User) -> i64 {
    let password = Some(user.password_changed_at).filter(|t| *t > user.created_at);
    let changed = user.role_changed_at.max(password);
    changed.map_or(0, |t| t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0))
}

/// An account's standing
///
/// Admin and hr: what every function checks a caller's token against (suspended, deleted,
/// re-roled, terminated). 404 without an account.
#[utoipa::path(
    get,
    path = "/users/{id}/standing",
    tag = "user",
    params(("id" = Uuid, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The account's standing.", body = Standing),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
pub(super) async fn user_standing(
    State(api): State<UserApi>,
    caller: Caller,
    bearer: Bearer,
    Id(user_id, _): Id<Users>,
) -> Result<Json<Standing>, Problem> {
    caller.require(&[Role::Admin, Role::Hr])?;
    let employees = api.employees.bind(&bearer);
    let found = standing(api.store.as_ref(), employees.as_ref(), &requester(&caller), user_id).await;
    found.map_err(problem)?.map(Json).ok_or_else(|| Problem::not_found(NO_ACCOUNT))
}

/// The standing of accounts in this process's User store.
pub struct LocalAccounts {
    pub store: Arc<dyn UserStore>,
    pub employees: Callee<dyn EmployeeClient>,
    /// The token Employee is asked with, when it runs apart.
    pub bearer: ServiceBearer,
}

impl AccountLookup for LocalAccounts {
    fn standing(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<Standing>, BoxError>> {
        Box::pin(async move {
            let employees = self.employees.bind(&Bearer::new((self.bearer)()?));
            let service = Requester { user_id: lookup_identity(), role: Role::Hr, employee_id: None };
            Ok(standing(self.store.as_ref(), employees.as_ref(), &service, user_id).await?)
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use hrms_events::Role;
    use hrms_events::user::UserStatus;
    use uuid::Uuid;

    use super::{User, tokens_valid_since};

    fn user(created: DateTime<Utc>) -> User {
        User {
            user_id: Uuid::new_v4(),
            email: "ada@example.com".into(),
            full_name: "Ada".into(),
            role: Role::Employee,
            status: UserStatus::Active,
            employee_id: None,
            password_hash: String::new(),
            password_changed_at: created,
            role_changed_at: None,
            version: 1,
            created_at: created,
            updated_at: created,
        }
    }

    #[test]
    fn a_password_reset_or_new_role_refuses_tokens_of_that_second_and_before() {
        let created = Utc.timestamp_opt(1_000, 0).unwrap();
        let fresh = user(created);
        assert_eq!(tokens_valid_since(&fresh), 0, "the password set at creation revokes nothing");

        let reset =
            User { password_changed_at: Utc.timestamp_opt(2_000, 400_000_000).unwrap(), ..fresh.clone() };
        assert_eq!(tokens_valid_since(&reset), 2_001, "a token of second 2000 may predate the reset");

        let reroled = User { role_changed_at: Some(Utc.timestamp_opt(3_000, 0).unwrap()), ..reset.clone() };
        assert_eq!(tokens_valid_since(&reroled), 3_000, "the later change; a whole second stays");

        let reset_last = User { password_changed_at: Utc.timestamp_opt(4_000, 1).unwrap(), ..reroled };
        assert_eq!(tokens_valid_since(&reset_last), 4_001);
    }
}
