//! Who is calling: bearer JWTs, HS256 with a shared secret (`HRMS_JWT_SECRET`;
//! `hrms dev` keeps a generated one in its data directory). Every business
//! route takes a [`Caller`], so a request without a valid token never reaches
//! a function: it gets 401 with a problem body.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use hrms_events::{Actor, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::problem::Problem;

/// The issuer our tokens carry and require.
pub const ISSUER: &str = "hrms";

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    pub role: Role,
    /// The caller's own employee record, if they have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<Uuid>,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
    pub employee_id: Option<Uuid>,
}

impl Caller {
    /// The actor events record.
    pub fn actor(&self) -> Actor {
        Actor::User { user_id: self.user_id, role: self.role }
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), Problem> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!("this needs one of the roles {roles:?}")))
        }
    }
}

/// Why a token was refused, or a key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the secret must be at least 32 bytes")]
    WeakSecret,
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
}

/// Verifies (and, with a shared secret, mints) tokens.
pub struct Authenticator {
    decoding: DecodingKey,
    encoding: EncodingKey,
    validation: Validation,
}

impl Authenticator {
    /// HS256 with a shared secret of at least 32 bytes.
    pub fn hs256(secret: &[u8]) -> Result<Self, AuthError> {
        if secret.len() < 32 {
            return Err(AuthError::WeakSecret);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 30;
        Ok(Self {
            decoding: DecodingKey::from_secret(secret),
            encoding: EncodingKey::from_secret(secret),
            validation,
        })
    }

    /// A token for `user_id` acting as `role`, valid for `ttl`.
    pub fn mint(
        &self,
        user_id: Uuid,
        role: Role,
        employee_id: Option<Uuid>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: user_id,
            role,
            employee_id,
            iss: ISSUER.into(),
            iat: now,
            exp: now.saturating_add(ttl),
        };
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?)
    }

    /// The caller a token names, if its signature, issuer and expiry hold.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?.claims;
        Ok(Caller { user_id: claims.sub, role: claims.role, employee_id: claims.employee_id })
    }
}

/// The raw bearer token of a request whose [`Caller`] was verified: what a
/// function forwards when it calls another one on the caller's behalf.
#[derive(Clone)]
pub struct Bearer(pub String);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(..)")
    }
}

fn bearer(parts: &Parts) -> Result<&str, Problem> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| Problem::unauthorized("an Authorization: Bearer token is required"))?;
    header
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| Problem::unauthorized("the Authorization header must be `Bearer <token>`"))
}

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        bearer(parts).map(|t| Bearer(t.to_owned()))
    }
}

impl<S> FromRequestParts<S> for Caller
where
    Arc<Authenticator>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        Arc::<Authenticator>::from_ref(state).verify(token).map_err(|e| {
            tracing::debug!(error = %e, "token refused");
            Problem::unauthorized("the token is invalid or expired")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    fn auth() -> Arc<Authenticator> {
        Arc::new(Authenticator::hs256(b"0123456789abcdef0123456789abcdef").expect("key"))
    }

    #[test]
    fn a_minted_token_verifies_to_its_caller() {
        let auth = auth();
        let (user, employee) = (Uuid::now_v7(), Uuid::now_v7());
        let token = auth.mint(user, Role::Manager, Some(employee), Duration::from_secs(60)).expect("minted");
        let caller = auth.verify(&token).expect("valid");
        assert_eq!(caller, Caller { user_id: user, role: Role::Manager, employee_id: Some(employee) });
        assert_eq!(caller.actor(), Actor::User { user_id: user, role: Role::Manager });
    }

    #[test]
    fn forged_expired_and_foreign_tokens_are_refused() {
        let auth = auth();
        let token = auth.mint(Uuid::now_v7(), Role::Employee, None, Duration::from_secs(60)).expect("minted");
        let other = Authenticator::hs256(&[9u8; 32]).expect("key");
        assert!(other.verify(&token).is_err(), "signed with another secret");

        let (head, rest) = token.split_once('.').expect("a JWT");
        let (_, signature) = rest.split_once('.').expect("a JWT");
        let admin_claims = Claims {
            sub: Uuid::now_v7(),
            role: Role::Admin,
            employee_id: None,
            iss: ISSUER.into(),
            iat: 0,
            exp: i64::MAX / 2,
        };
        let forged_body = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &admin_claims,
            &EncodingKey::from_secret(&[1u8; 32]),
        )
        .expect("encoded");
        let forged_payload = forged_body.split('.').nth(1).expect("payload");
        assert!(auth.verify(&format!("{head}.{forged_payload}.{signature}")).is_err(), "payload swapped");

        let expired = Claims { iat: 0, exp: 1_000, ..admin_claims.clone() };
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &expired,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .expect("encoded");
        assert!(auth.verify(&expired).is_err(), "expired");

        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{forged_payload}.");
        assert!(auth.verify(&unsigned).is_err(), "alg none");
        assert!(matches!(Authenticator::hs256(b"short"), Err(AuthError::WeakSecret)));
    }

    async fn call(header: Option<String>) -> (StatusCode, String, Option<String>) {
        let app = Router::new()
            .route("/me", get(|caller: Caller| async move { format!("{:?}", caller.role) }))
            .with_state(auth());
        let mut request = Request::get("/me");
        if let Some(h) = header {
            request = request.header(AUTHORIZATION, h);
        }
        let response = app.oneshot(request.body(Body::empty()).expect("request")).await.expect("response");
        let status = response.status();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned(), content_type)
    }

    #[tokio::test]
    async fn routes_answer_401_with_a_problem_unless_the_caller_is_known() {
        for header in [None, Some("Basic abc".to_owned()), Some("Bearer not.a.token".to_owned())] {
            let (status, body, content_type) = call(header.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{header:?}");
            assert_eq!(content_type.as_deref(), Some("application/problem+json"));
            let problem: serde_json::Value = serde_json::from_str(&body).expect("problem JSON");
            assert_eq!(problem["status"], 401);
            assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
        }
        let token = auth().mint(Uuid::now_v7(), Role::Hr, None, Duration::from_secs(60)).expect("minted");
        let (status, body, _) = call(Some(format!("Bearer {token}"))).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "Hr"));
    }

    #[test]
    fn roles_are_required_explicitly() {
        let caller = Caller { user_id: Uuid::now_v7(), role: Role::Employee, employee_id: None };
        assert!(caller.require(&[Role::Employee, Role::Hr]).is_ok());
        assert_eq!(caller.require(&[Role::Hr, Role::Admin]).map_err(|p| p.status), Err(403));
    }
}
