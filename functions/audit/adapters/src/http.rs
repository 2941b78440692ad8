//! The Audit routes, for admin and hr only:
//! - `GET /audit?subject=&actor=&type=&from=&to=&cursor=&limit=`: rows,
//!   newest first, a page at a time (`next_cursor` continues).
//! - `GET /audit/subjects/{id}`: a subject's history, oldest first.
//! - `GET /audit/subjects/{id}/state?at=`: its state now, or at a time,
//!   rebuilt from its events.
//! - `GET /audit/verify`: every chain checked; what is wrong is named. It
//!   reads the whole log, so one run serves every request for
//!   [`VERIFY_TTL`] ([`Verified`]): callers meanwhile get that report, and
//!   concurrent callers wait for the one run instead of starting their own.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query as QueryString, State};
use chrono::{DateTime, Utc};
use hrms_audit::history::state_at;
use hrms_audit::store::Cursor;
use hrms_audit::verify::verify;
use hrms_audit::{AuditStore, Entry, Query, Report, StoreError, SubjectState};
use hrms_events::Role;
use serde::Serialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use hrms_http::auth::Caller;
use hrms_http::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use hrms_http::problem::Problem;
use hrms_http::{Api, Routes};

/// Who may read the audit trail.
const READERS: &[Role] = &[Role::Admin, Role::Hr];

/// How long a verification report is served before the log is read again.
pub const VERIFY_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// What the routes need.
#[derive(Clone)]
pub struct AuditDeps {
    pub store: Arc<dyn AuditStore>,
    pub verified: Verified,
}

impl AuditDeps {
    /// The routes on `store`, reports kept for [`VERIFY_TTL`].
    pub fn new(store: Arc<dyn AuditStore>) -> Self {
        Self { store, verified: Verified::new(VERIFY_TTL) }
    }
}

/// The last verification report and when it was made; its lock is held
/// while the log is read, so one run serves all who ask meanwhile.
#[derive(Clone)]
pub struct Verified {
    ttl: std::time::Duration,
    last: Arc<tokio::sync::Mutex<Option<(tokio::time::Instant, Report)>>>,
}

impl Verified {
    /// Reports served for `ttl` after they are made.
    pub fn new(ttl: std::time::Duration) -> Self {
        Self { ttl, last: Arc::default() }
    }

    /// The report of a run less than `ttl` old, or of a new run.
    async fn report(&self, store: &dyn AuditStore) -> Result<Report, StoreError> {
        let mut last = self.last.lock().await;
        if let Some((at, report)) = last.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(report.clone());
        }
        let report = verify(store).await?;
        *last = Some((tokio::time::Instant::now(), report.clone()));
        Ok(report)
    }
}

/// The routes' state.
pub type AuditApi = Api<AuditDeps>;

impl Routes for AuditDeps {
    fn routes(router: OpenApiRouter<AuditApi>) -> OpenApiRouter<AuditApi> {
        router.routes(routes!(list)).routes(routes!(history)).routes(routes!(state)).routes(routes!(check))
    }
}

/// One row of the audit log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub event_id: Uuid,
    pub subject: String,
    /// Its place in the subject's chain, from 1.
    pub seq: u64,
    pub event_type: String,
    pub actor: String,
    pub time: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// The event as kept: its structured-mode CloudEvent.
    #[schema(value_type = Object)]
    pub event: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<Entry> for AuditRow {
    fn from(e: Entry) -> Self {
        let event = e.event_json();
        Self {
            event_id: e.event_id,
            subject: e.subject,
            seq: e.seq,
            event_type: e.event_type,
            actor: e.actor,
            time: e.time,
            recorded_at: e.recorded_at,
            event,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// A page of rows.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditRow>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A subject's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    pub subject: String,
    pub entries: Vec<AuditRow>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the query; the handler reads it field by field.
struct ListParams {
    /// Only rows about this subject (an entity id).
    subject: Option<String>,
    /// Only rows caused by this actor (a user id, or `system:<name>`).
    actor: Option<String>,
    /// Only rows of this event type, e.g. `audit.employee.updated`.
    r#type: Option<String>,
    /// Events at or after this time (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    to: Option<DateTime<Utc>>,
    /// The `next_cursor` of the page before.
    #[param(
        pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z~[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )]
    cursor: Option<String>,
    /// Rows per page (1 to 1000; 100 when absent).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// Audit rows, newest first
///
/// Admin and hr only.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    params(ListParams),
    responses(
        (status = 200, description = "A page of rows, newest first.", body = AuditPage),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn list(
    State(api): State<AuditApi>,
    caller: Caller,
    QueryString(params): QueryString<HashMap<String, String>>,
) -> Result<Json<AuditPage>, Problem> {
    caller.require(READERS)?;
    let text = |name: &str| params.get(name).filter(|v| !v.is_empty()).cloned();
    let query = Query {
        subject: text("subject"),
        actor: text("actor"),
        event_type: text("type"),
        from: time(&params, "from")?,
        to: time(&params, "to")?,
        after: match params.get("cursor").cloned() {
            None => None,
            Some(c) => Some(
                Cursor::decode(&c)
                    .ok_or_else(|| Problem::bad_request("not a cursor this API gave").with_field("cursor"))?,
            ),
        },
        limit: match text("limit") {
            None => 100,
            Some(l) => l
                .parse()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| Problem::bad_request("a number from 1 to 1000").with_field("limit"))?,
        },
        ..Query::default()
    };
    let page = api.store.query(&query).await.map_err(unavailable)?;
    Ok(Json(AuditPage {
        entries: page.entries.into_iter().map(AuditRow::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// A subject's history, oldest first
///
/// Admin and hr only. Every row of the subject's chain.
#[utoipa::path(
    get,
    path = "/audit/subjects/{id}",
    tag = "audit",
    params(("id" = String, Path, description = "The subject: the id of a user, employee, leave request, ...")),
    responses(
        (status = 200, description = "The subject's rows in chain order (none: an empty list).", body = History),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn history(
    State(api): State<AuditApi>,
    caller: Caller,
    Path(subject): Path<String>,
) -> Result<Json<History>, Problem> {
    caller.require(READERS)?;
    let chain = api.store.chain(&subject).await.map_err(unavailable)?;
    Ok(Json(History { subject, entries: chain.into_iter().map(AuditRow::from).collect() }))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the query; the handler reads it field by field.
struct StateParams {
    /// The state at this time (RFC 3339); now when absent.
    at: Option<DateTime<Utc>>,
}

/// A subject's state, now or at a time
///
/// Admin and hr only. Rebuilt from the subject's events: the state its latest event (by event time)
/// up to then left.
#[utoipa::path(
    get,
    path = "/audit/subjects/{id}/state",
    tag = "audit",
    params(("id" = String, Path, description = "The subject."), StateParams),
    responses(
        (status = 200, description = "The state and the event that left it.", body = SubjectState),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn state(
    State(api): State<AuditApi>,
    caller: Caller,
    Path(subject): Path<String>,
    QueryString(params): QueryString<HashMap<String, String>>,
) -> Result<Json<SubjectState>, Problem> {
    caller.require(READERS)?;
    let found = match time(&params, "at")? {
        None => api.store.state(&subject).await.map_err(unavailable)?,
        Some(at) => state_at(&api.store.chain(&subject).await.map_err(unavailable)?, at),
    };
    found.map(Json).ok_or_else(|| Problem::not_found(format!("no audit events about {subject} by then")))
}

/// Verify the audit log
///
/// Admin and hr only. Checks every chain (hashes, links, heads) and names each row altered, removed,
/// inserted or reordered; `digest` covers every chain's head, to keep elsewhere. A run serves every
/// request for 60 s: within that time the answer is its report.
#[utoipa::path(
    get,
    path = "/audit/verify",
    tag = "audit",
    responses(
        (status = 200, description = "The report; `findings` is empty when the log is intact.", body = Report),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = ["admin", "hr"])),
)]
async fn check(State(api): State<AuditApi>, caller: Caller) -> Result<Json<Report>, Problem> {
    caller.require(READERS)?;
    let report = api.verified.report(api.store.as_ref()).await.map_err(unavailable)?;
    if !report.is_intact() {
        tracing::error!(findings = report.findings.len(), "the audit log fails verification");
    }
    Ok(Json(report))
}

/// The RFC 3339 time in query parameter `name`, if given (an empty value is not one).
fn time(params: &HashMap<String, String>, name: &str) -> Result<Option<DateTime<Utc>>, Problem> {
    match params.get(name) {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| Problem::bad_request(format!("{v:?} is not an RFC 3339 time")).with_field(name)),
    }
}

fn unavailable(e: StoreError) -> Problem {
    tracing::error!(error = %hrms_platform::Chain(&e), "audit store unavailable");
    Problem::unavailable("the audit log cannot be read right now")
}

#[cfg(test)]
mod tests;
