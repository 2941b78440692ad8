//! `GET /users`: accounts by status, role, name or e-mail, a page at a time.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use hrms_events::Role;
use hrms_events::user::{UserSnapshot, UserStatus};
use hrms_user::UserError;
use hrms_user::commands::list;
use hrms_user::listing::{DEFAULT_LIMIT, MAX_LIMIT, UserFilter, UserQuery};
use serde::Serialize;

use hrms_http::auth::{Bearer, Caller, requester};
use hrms_http::openapi::{BadRequest, Forbidden, Unauthorized, Unavailable, Unprocessable};
use hrms_http::problem::Problem;

use super::{UserApi, problem};

/// One page of accounts (without credentials).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserListing {
    pub users: Vec<UserSnapshot>,
    /// Where the next page starts (pass it as `cursor`); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The query of a listing, as documented; read field by field.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct ListParams {
    /// `active`, `suspended` or `deleted`.
    #[param(inline)]
    status: Option<UserStatus>,
    /// `admin`, `hr`, `manager` or `employee`.
    #[param(inline)]
    role: Option<Role>,
    /// The start of the full name (any case).
    #[param(min_length = 1, max_length = 254, pattern = r"\S")]
    name: Option<String>,
    /// The start of the e-mail address (any case).
    #[param(min_length = 1, max_length = 254, pattern = r"\S")]
    email: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 254, pattern = r"\S")]
    cursor: Option<String>,
    /// At most this many (1 to 200; 50 when absent).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<usize>,
}

const KNOWN: &[&str] = &["status", "role", "name", "email", "cursor", "limit"];

/// Find accounts
///
/// Admin and hr. Every filter given must match; follow `next_cursor` for the next page. (Others
/// read their own account at `GET /users/{id}`; a manager finds their reports, with their
/// accounts' ids, through `GET /employees`.)
#[utoipa::path(
    get,
    path = "/users",
    tag = "user",
    params(ListParams),
    responses(
        (status = 200, description = "A page of accounts.", body = UserListing, example = json!({
            "users": [{
                "user_id": "0193a5d2-7f10-7c3e-9a41-2b6f0c1d9e02", "email": "grace@example.com",
                "full_name": "Grace Hopper", "role": "hr", "status": "active",
                "employee_id": "0193a5d2-7f10-7c3e-9a41-2b6f0c1d9e01", "version": 1
            }],
            "next_cursor": "0193a5d2-7f10-7c3e-9a41-2b6f0c1d9e02"
        })),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
pub(super) async fn list_users(
    State(api): State<UserApi>,
    caller: Caller,
    bearer: Bearer,
    params: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<UserListing>, Problem> {
    let Query(params) = params.map_err(|e| Problem::bad_request(e.body_text()))?;
    if let Some(unknown) = params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(Problem::bad_request(format!("unknown parameter {unknown}")).with_field(unknown.clone()));
    }
    let text = |name: &str| -> Result<Option<String>, Problem> {
        match params.get(name).map(|v| v.trim()) {
            Some("") => Err(Problem::bad_request(format!("{name} must not be empty")).with_field(name)),
            Some(v) if v.chars().count() > 254 => {
                Err(Problem::bad_request(format!("{name} is longer than 254 characters")).with_field(name))
            }
            v => Ok(v.map(str::to_owned)),
        }
    };
    let filter = UserFilter {
        status: named(&params, "status", "active, suspended or deleted")?,
        role: named(&params, "role", "admin, hr, manager or employee")?,
        name: text("name")?,
        email: text("email")?,
        employee_id: None,
    };
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => v.parse().map_err(|_| {
            Problem::bad_request(format!("limit must be a number from 1 to {MAX_LIMIT}")).with_field("limit")
        })?,
    };
    let query = UserQuery { filter, cursor: text("cursor")?, limit };
    let callees = api.callees(&bearer);
    let page =
        list::handle(query, &requester(&caller), &api.context(&callees)).await.map_err(|e| match e {
            // A cursor this listing did not give: a rule no schema states.
            UserError::Invalid { field, message } if field == "cursor" => {
                Problem::unprocessable(field, message)
            }
            UserError::Invalid { field, message } => Problem::bad_request(message).with_field(field),
            e => problem(e),
        })?;
    let users = page.users.iter().map(|u| u.snapshot()).collect();
    Ok(Json(UserListing { users, next_cursor: page.next_cursor }))
}

/// The parameter `name` as one of its documented words (`what`), if given.
fn named<T: serde::de::DeserializeOwned>(
    params: &HashMap<String, String>,
    name: &str,
    what: &str,
) -> Result<Option<T>, Problem> {
    params
        .get(name)
        .map(|v| {
            serde_json::from_value(serde_json::Value::String(v.clone()))
                .map_err(|_| Problem::bad_request(format!("{name} must be {what}")).with_field(name))
        })
        .transpose()
}

#[cfg(test)]
mod tests;
