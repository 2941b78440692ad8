//! The Notification routes:
//! - `GET /notifications?limit=`: the caller's inbox, newest first.
//! - `GET /notifications/{id}`: one notification and its status (its owner;
//!   admin and hr).
//! - `POST /notifications/{id}/read`: marks one of the caller's read.
//! - `GET|PUT /notifications/preferences`: the caller's opt-outs (security
//!   notices cannot be opted out of).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use hrms_events::Role;
use hrms_notification::{Delivery, NotificationStore, Preferences, StoreError};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use hrms_http::auth::Caller;
use hrms_http::json::ProblemJson;
use hrms_http::openapi::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable, Unprocessable,
    UnsupportedMediaType,
};
use hrms_http::problem::Problem;
use hrms_http::{Api, Id, Resource, Routes};

/// What the routes need.
#[derive(Clone)]
pub struct NotificationDeps {
    pub store: Arc<dyn NotificationStore>,
}

/// The routes' state.
pub type NotificationApi = Api<NotificationDeps>;

impl Routes for NotificationDeps {
    fn routes(router: OpenApiRouter<NotificationApi>) -> OpenApiRouter<NotificationApi> {
        router
            .routes(routes!(inbox))
            .routes(routes!(preferences, set_preferences))
            .routes(routes!(one))
            .routes(routes!(read))
    }
}

/// What the paths' ids name.
struct Notifications;

impl Resource for Notifications {
    const NAME: &'static str = "notification";

    /// An id that is not a UUID names no notification, like one that is unknown.
    fn not_a_uuid() -> Problem {
        Problem::not_found("no such notification")
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct InboxQuery {
    /// At most this many (1 to 500; 50 when absent).
    limit: Option<usize>,
}

/// The caller's inbox, newest first
///
/// Any signed-in user: their own notifications.
#[utoipa::path(
    get,
    path = "/notifications",
    tag = "notification",
    params(InboxQuery),
    responses(
        (status = 200, description = "The caller's notifications, newest first.", body = Vec<Object>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = [])),
)]
async fn inbox(
    State(api): State<NotificationApi>,
    caller: Caller,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Delivery>>, Problem> {
    let Query(query) = query.map_err(|e| Problem::bad_request(e.body_text()).with_field("limit"))?;
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    Ok(Json(api.store.inbox(caller.user_id, limit).await.map_err(unavailable)?))
}

/// One notification and its status
///
/// Its owner; admin and hr.
#[utoipa::path(
    get,
    path = "/notifications/{id}",
    tag = "notification",
    params(("id" = Uuid, Path, description = "The notification (delivery) id.")),
    responses(
        (status = 200, description = "The notification: channel, status (pending, sent, failed, dead), attempts, timestamps.", body = Object),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn one(
    State(api): State<NotificationApi>,
    caller: Caller,
    Id(id, _): Id<Notifications>,
) -> Result<Json<Delivery>, Problem> {
    let found = api.store.get(id).await.map_err(unavailable)?;
    match found {
        Some(d) if d.user_id == Some(caller.user_id) => Ok(Json(d)),
        Some(d) => {
            caller.require(&[Role::Admin, Role::Hr])?;
            Ok(Json(d))
        }
        None => {
            caller.require(&[Role::Admin, Role::Hr])?;
            Err(Problem::not_found("no such notification"))
        }
    }
}

/// Mark one of the caller's notifications read
#[utoipa::path(
    post,
    path = "/notifications/{id}/read",
    tag = "notification",
    params(("id" = Uuid, Path, description = "The notification (delivery) id.")),
    responses(
        (status = 204, description = "Read."),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr", "manager", "employee"])),
)]
async fn read(
    State(api): State<NotificationApi>,
    caller: Caller,
    Id(id, _): Id<Notifications>,
) -> Result<StatusCode, Problem> {
    match api.store.mark_read(id, caller.user_id).await.map_err(unavailable)? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(Problem::not_found("no such notification in your inbox")),
    }
}

/// The caller's notification preferences
#[utoipa::path(
    get,
    path = "/notifications/preferences",
    tag = "notification",
    responses(
        (status = 200, description = "The caller's opt-outs.", body = PreferencesSchema),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = [])),
)]
async fn preferences(
    State(api): State<NotificationApi>,
    caller: Caller,
) -> Result<Json<Preferences>, Problem> {
    Ok(Json(api.store.preferences(caller.user_id).await.map_err(unavailable)?))
}

/// Replace the caller's notification preferences
///
/// Opt-outs per event type and channel; security notices (account suspended, closed, password
/// changed) are sent whatever they say.
#[utoipa::path(
    put,
    path = "/notifications/preferences",
    tag = "notification",
    request_body(content = PreferencesSchema, example = json!({ "opt_outs": [{ "event_type": "attendance.marked", "channel": "in_app" }] })),
    responses(
        (status = 200, description = "The preferences as stored.", body = PreferencesSchema),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = [])),
)]
async fn set_preferences(
    State(api): State<NotificationApi>,
    caller: Caller,
    ProblemJson(preferences): ProblemJson<Preferences>,
) -> Result<Json<Preferences>, Problem> {
    if let Some(unknown) = preferences
        .opt_outs
        .iter()
        .find(|o| hrms_events::EventType::parse(&o.event_type).is_none_or(|t| t.is_audit()))
    {
        return Err(Problem::unprocessable(
            "opt_outs.event_type",
            format!("{} is not a notification event type", unknown.event_type),
        ));
    }
    api.store.set_preferences(caller.user_id, &preferences).await.map_err(unavailable)?;
    Ok(Json(preferences))
}

/// [`Preferences`] as documented: each opt-out names a notification event
/// type (no audit type) and a channel.
struct PreferencesSchema;

impl utoipa::ToSchema for PreferencesSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Preferences".into()
    }
}

impl utoipa::PartialSchema for PreferencesSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        let types = hrms_events::EventType::ALL.iter().filter(|t| !t.is_audit()).map(|t| t.as_str());
        let opt_out = ObjectBuilder::new()
            .property("event_type", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(types)))
            .required("event_type")
            .property(
                "channel",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["email", "in_app", "webhook"])),
            )
            .required("channel");
        ObjectBuilder::new()
            .description(Some("What the person chose not to receive: event types per channel."))
            .property("opt_outs", ArrayBuilder::new().items(opt_out))
            .required("opt_outs")
            .into()
    }
}

fn unavailable(e: StoreError) -> Problem {
    tracing::error!(error = %hrms_platform::Chain(&e), "notification store unavailable");
    Problem::unavailable("notifications cannot be read or changed right now")
}

#[cfg(test)]
mod tests;
