//! A table of each route's refusals, checked the same way for every
//! function: without a token and with a bad one 401, with a role the route
//! does not serve 403, with bad input 400 or 422 naming the field; each a
//! problem body.

use axum::http::StatusCode;
use hrms_events::Role;
use serde_json::Value;
use uuid::Uuid;

use super::Client;
use crate::auth::Authenticator;

/// One route and how it refuses.
pub struct Refusal {
    pub method: &'static str,
    pub uri: String,
    /// A valid body, sent with the 401 and 403 requests.
    pub body: Option<Value>,
    /// A role the route refuses (403); `None` when every role may call it.
    pub forbidden: Option<Role>,
    /// Bad input and who sends it; `None` for a route that takes none.
    pub bad: Option<BadInput>,
}

/// A request with bad input: the caller's role and employee record, the
/// uri and body, and the field the problem must name.
pub struct BadInput {
    pub role: Role,
    pub employee: Option<Uuid>,
    pub uri: String,
    pub body: Option<Value>,
    pub field: &'static str,
}

impl Refusal {
    /// `method uri` with `body`, refusing `forbidden`; no bad input yet.
    pub fn new(
        method: &'static str,
        uri: impl Into<String>,
        body: Option<Value>,
        forbidden: Option<Role>,
    ) -> Self {
        Self { method, uri: uri.into(), body, forbidden, bad: None }
    }

    /// The bad input (`uri` and `body`) that `role` sends, refused naming `field`.
    pub fn bad(
        mut self,
        role: Role,
        employee: Option<Uuid>,
        uri: impl Into<String>,
        body: Option<Value>,
        field: &'static str,
    ) -> Self {
        self.bad = Some(BadInput { role, employee, uri: uri.into(), body, field });
        self
    }
}

/// Checks every row of `table` against `client`; panics naming each route
/// that answered otherwise.
pub async fn assert_refusals(client: &Client, table: &[Refusal]) {
    let stranger = Authenticator::hs256(&[0x5a; 32]).expect("a key");
    let forged = stranger
        .mint(Uuid::now_v7(), Role::Admin, None, std::time::Duration::from_secs(60))
        .expect("a token");
    let mut wrong = Vec::new();
    for row in table {
        let route = format!("{} {}", row.method, row.uri);
        let mut expect =
            |what: &str, answer: (StatusCode, Value), status: StatusCode, field: Option<&str>| {
                let named = field.is_none_or(|f| answer.1["field"] == f);
                let problem = answer.1["status"] == status.as_u16();
                if answer.0 != status || !named || !problem {
                    wrong.push(format!("{route} {what}: {} {}", answer.0, answer.1));
                }
            };
        let body = row.body.as_ref();
        expect(
            "without a token",
            client.call(row.method, &row.uri, None, body).await,
            StatusCode::UNAUTHORIZED,
            None,
        );
        for (what, token) in
            [("with another issuer's token", forged.as_str()), ("with a malformed token", "not.a.jwt")]
        {
            expect(
                what,
                client.call(row.method, &row.uri, Some(token), body).await,
                StatusCode::UNAUTHORIZED,
                None,
            );
        }
        if let Some(role) = row.forbidden {
            let token = client.token(role, Some(Uuid::now_v7()));
            let answer = client.call(row.method, &row.uri, Some(&token), body).await;
            expect(&format!("as {role:?}"), answer, StatusCode::FORBIDDEN, None);
        }
        if let Some(BadInput { role, employee, uri, body, field }) = &row.bad {
            let token = client.token(*role, *employee);
            let answer = client.call(row.method, uri, Some(&token), body.as_ref()).await;
            let status =
                if answer.0 == StatusCode::BAD_REQUEST { answer.0 } else { StatusCode::UNPROCESSABLE_ENTITY };
            expect(&format!("with bad {field}"), answer, status, Some(field));
        }
    }
    assert!(wrong.is_empty(), "refusals not as documented:\n{}", wrong.join("\n"));
}
