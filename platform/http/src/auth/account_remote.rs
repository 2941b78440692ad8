//! The [`AccountLookup`] of a function that runs apart from the one keeping
//! accounts: `GET <base>/users/{id}/standing` with a service token,
//! through the sync-call client (retries, budget, breaker). A 404 whose
//! detail is [`NO_ACCOUNT`] means no such account (any other 404, e.g. a
//! URL that reaches another function, is an error); any other failure is an
//! error too (the check then serves a recent answer or refuses, `account.rs`).

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_platform::error::BoxError;
use uuid::Uuid;

use super::AuthError;
use super::account::{AccountLookup, NO_ACCOUNT, Standing, standing_path};
use crate::client::{Call, Failure, Forward, ServiceClient};

/// Makes the bearer token each lookup carries (a fixed service token, or
/// one minted per lookup).
pub type ServiceBearer = Arc<dyn Fn() -> Result<String, AuthError> + Send + Sync>;

/// Accounts looked up over HTTP.
pub struct HttpAccounts {
    service: ServiceClient,
    bearer: ServiceBearer,
}

impl HttpAccounts {
    pub fn new(service: ServiceClient, bearer: ServiceBearer) -> Self {
        Self { service, bearer }
    }
}

impl AccountLookup for HttpAccounts {
    fn standing(&self, user_id: Uuid) -> BoxFuture<'_, Result<Option<Standing>, BoxError>> {
        Box::pin(async move {
            let forward = Forward::token((self.bearer)()?);
            let call = Call::get(standing_path(user_id));
            match self.service.send::<Standing>(&forward, &call).await {
                Ok(standing) if standing.user_id == user_id => Ok(Some(standing)),
                Ok(_) => Err("the account lookup answered for another account".into()),
                Err(Failure::Problem { problem, .. })
                    if problem.status == 404 && problem.detail == NO_ACCOUNT =>
                {
                    Ok(None)
                }
                Err(failure) => Err(failure.into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::Json;
    use axum::extract::Path;
    use axum::routing::get;
    use hrms_events::Role;
    use hrms_events::user::UserStatus;

    use super::*;
    use crate::client::{ClientSettings, base_url};
    use crate::problem::Problem;

    fn standing(user_id: Uuid) -> Standing {
        Standing {
            user_id,
            status: UserStatus::Active,
            role: Role::Hr,
            employee_id: None,
            employee_terminated: false,
            tokens_valid_since: 0,
        }
    }

    /// A stand-in for User on 127.0.0.1 that knows `known`, and answers
    /// `liar` with another account's standing; its base URL.
    async fn user(known: Uuid, liar: Uuid) -> String {
        let app = axum::Router::new().route(
            "/users/{id}/standing",
            get(move |Path(id): Path<Uuid>| async move {
                match id {
                    id if id == known => Ok(Json(standing(id))),
                    id if id == liar => Ok(Json(standing(known))),
                    _ => Err(Problem::not_found(NO_ACCOUNT)),
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("an address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}")
    }

    fn accounts(base: &str) -> HttpAccounts {
        let settings = ClientSettings::default();
        let http = settings.http_client().expect("a client");
        let service =
            ServiceClient::new("user", base_url("HRMS_USER_URL", base).expect("a URL"), http, &settings);
        HttpAccounts::new(service, Arc::new(|| Ok("service-token".to_owned())))
    }

    #[tokio::test]
    async fn only_the_no_account_answer_means_no_account() {
        let (known, liar) = (Uuid::now_v7(), Uuid::now_v7());
        let base = user(known, liar).await;
        let user = accounts(&base);
        assert_eq!(user.standing(known).await.expect("answered"), Some(standing(known)));
        assert_eq!(user.standing(Uuid::now_v7()).await.expect("answered"), None, "no such account");
        assert!(user.standing(liar).await.is_err(), "an answer about another account");
        let elsewhere = accounts(&format!("{base}/elsewhere/"));
        assert!(elsewhere.standing(known).await.is_err(), "a 404 of a path User does not serve");
    }
}
