//! Commands as CloudEvents on `POST /`, so that a Knative trigger (or any
//! CloudEvents producer) can invoke an operation. Binary mode (`ce-*`
//! headers, JSON body) and structured mode (`application/cloudevents+json`)
//! are accepted. The event's `type` names the operation, its `subject` the
//! record, its `data` is the body the HTTP route takes; the command runs
//! through that route, with the request's own `Authorization`, and its
//! answer is the route's.
//!
//! | `type` | route |
//! | --- | --- |
//! | `hrms.command.user.update` | `PATCH /users/{subject}` |
//! | `hrms.command.user.delete` | `DELETE /users/{subject}` |
//! | `hrms.command.user.suspend` | `POST /users/{subject}/suspend` |
//! | `hrms.command.employee.create` | `POST /employees` |
//! | `hrms.command.employee.update` | `PATCH /employees/{subject}` |
//! | `hrms.command.employee.terminate` | `POST /employees/{subject}/terminate` |
//! | `hrms.command.compliance.validate` | `POST /compliance/validate` |
//! | `hrms.command.leave.request` | `POST /leaves` |
//! | `hrms.command.leave.approve` | `POST /leaves/{subject}/approve` |
//! | `hrms.command.leave.reject` | `POST /leaves/{subject}/reject` |
//! | `hrms.command.leave.cancel` | `POST /leaves/{subject}/cancel` |
//! | `hrms.command.attendance.check-in` | `POST /attendance/check-in` |
//! | `hrms.command.attendance.check-out` | `POST /attendance/check-out` |
//! | `hrms.command.attendance.correct` | `PATCH /attendance/{subject}` |
//!
//! Creating a user and changing a password carry a password, which never
//! travels through brokers and their logs: those stay HTTP-only.
//!
//! # Who may call
//! A command acts for a person: the intake takes a person's bearer token
//! (`Authorization: Bearer`, verified by the process's [`Authenticator`])
//! and answers 401 without a valid one before it reads the event, whatever
//! the route it names; the route then checks the person's role as it does
//! for HTTP callers. Sender tokens of Knative sources and the delivery token
//! ([`crate::intake_auth`]) do not open it: they name no person.
//!
//! [`openapi`] documents the intake from the documents of the routes it runs.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use tower::ServiceExt;
use uuid::Uuid;

use super::auth::Authenticator;
use super::json::MAX_BODY;
use super::problem::Problem;

mod doc;
pub use doc::openapi;

/// One command: its CloudEvents type and the route that runs it (`{id}`
/// stands for the event's subject).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub event_type: &'static str,
    pub method: &'static str,
    pub path: &'static str,
}

pub const fn command(event_type: &'static str, method: &'static str, path: &'static str) -> Command {
    Command { event_type, method, path }
}

#[derive(Clone)]
struct Intake {
    commands: Vec<Command>,
    routes: Router,
    auth: Arc<Authenticator>,
}

/// `routes` with `POST /` taking `commands` as CloudEvents from callers
/// with a person's token that `auth` verifies.
pub fn with_intake(routes: Router, commands: Vec<Command>, auth: Arc<Authenticator>) -> Router {
    let intake = Intake { commands, routes: routes.clone(), auth };
    routes.merge(Router::new().route("/", post(take)).with_state(intake))
}

/// What a command event carries.
struct CommandEvent {
    event_type: String,
    subject: Option<String>,
    data: Option<Bytes>,
}

async fn take(State(intake): State<Intake>, request: Request) -> Response {
    match dispatch(&intake, request).await {
        Ok(response) => response,
        Err(problem) => problem.into_response(),
    }
}

async fn dispatch(intake: &Intake, request: Request) -> Result<Response, Problem> {
    let (parts, body) = request.into_parts();
    let token = header_text(&parts.headers, "authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| Problem::unauthorized("a command needs a person's Authorization: Bearer token"))?;
    // `authenticate`: the account check too, before the body is read.
    intake.auth.authenticate(token).await?;
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| Problem::bad_request(format!("the body is larger than {MAX_BODY} bytes")))?;
    let event = read(&parts.headers, bytes)?;
    let command = intake.commands.iter().find(|c| c.event_type == event.event_type).ok_or_else(|| {
        Problem::bad_request(format!("no command of type {:?} here", event.event_type)).with_field("type")
    })?;
    let path = if command.path.contains("{id}") {
        let subject = event.subject.as_deref().unwrap_or_default();
        let id: Uuid = subject.parse().map_err(|_| {
            Problem::bad_request("this command needs the record's id as subject").with_field("subject")
        })?;
        command.path.replace("{id}", &id.to_string())
    } else {
        command.path.to_owned()
    };
    let method = Method::from_bytes(command.method.as_bytes()).unwrap_or(Method::POST);
    let mut inner = Request::builder().method(method).uri(path);
    for name in [header::AUTHORIZATION, header::HeaderName::from_static("traceparent")] {
        if let Some(value) = parts.headers.get(&name) {
            inner = inner.header(name, value);
        }
    }
    let body = match event.data {
        Some(data) => {
            inner = inner.header(header::CONTENT_TYPE, "application/json");
            Body::from(data)
        }
        None => Body::empty(),
    };
    let inner = inner.body(body).map_err(|e| Problem::bad_request(e.to_string()))?;
    intake.routes.clone().oneshot(inner).await.map_err(|never| match never {})
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The event in binary or structured mode, with its required attributes.
fn read(headers: &HeaderMap, body: Bytes) -> Result<CommandEvent, Problem> {
    let content_type = header_text(headers, "content-type").unwrap_or_default();
    if content_type.starts_with("application/cloudevents+json") {
        return structured(&body);
    }
    let specversion = header_text(headers, "ce-specversion").ok_or_else(|| {
        Problem::bad_request("not a CloudEvent: no ce-specversion header").with_field("specversion")
    })?;
    check_specversion(specversion, "specversion")?;
    for name in ["id", "source"] {
        header_text(headers, &format!("ce-{name}"))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Problem::bad_request(format!("the CloudEvent has no {name}")).with_field(name))?;
    }
    let event_type = header_text(headers, "ce-type")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Problem::bad_request("the CloudEvent has no type").with_field("type"))?;
    if !body.is_empty() && !content_type.starts_with("application/json") {
        return Err(Problem::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "command data must be application/json",
        )
        .with_field("datacontenttype"));
    }
    Ok(CommandEvent {
        event_type: event_type.to_owned(),
        subject: header_text(headers, "ce-subject").map(str::to_owned),
        data: (!body.is_empty()).then_some(body),
    })
}

fn check_specversion(specversion: &str, field: &str) -> Result<(), Problem> {
    if specversion == "1.0" {
        Ok(())
    } else {
        Err(Problem::bad_request(format!("CloudEvents {specversion} is not supported; use 1.0"))
            .with_field(field))
    }
}

fn structured(body: &[u8]) -> Result<CommandEvent, Problem> {
    let event: Value = serde_json::from_slice(body)
        .map_err(|e| Problem::bad_request(format!("malformed CloudEvent: {e}")))?;
    let text = |name: &str| event.get(name).and_then(Value::as_str).filter(|v| !v.is_empty());
    check_specversion(
        text("specversion")
            .ok_or_else(|| Problem::bad_request("no specversion").with_field("specversion"))?,
        "specversion",
    )?;
    for name in ["id", "source", "type"] {
        text(name)
            .ok_or_else(|| Problem::bad_request(format!("the CloudEvent has no {name}")).with_field(name))?;
    }
    if text("datacontenttype").is_some_and(|ct| !ct.starts_with("application/json")) {
        return Err(Problem::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "command data must be application/json",
        )
        .with_field("datacontenttype"));
    }
    let data = match event.get("data") {
        None | Some(Value::Null) => None,
        Some(data) => Some(Bytes::from(data.to_string())),
    };
    Ok(CommandEvent {
        event_type: text("type").unwrap_or_default().to_owned(),
        subject: text("subject").map(str::to_owned),
        data,
    })
}
