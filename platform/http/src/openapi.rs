//! The OpenAPI 3.1 document's shared parts: the `bearer` scheme, the problem
//! responses the routes refer to, the tags, and [`document`], the root into
//! which a process merges the fragments of the routers it serves.
//!
//! Each router module registers every handler together with its
//! `#[utoipa::path]` (utoipa-axum's `routes!`, in its
//! [`Routes`](crate::Routes)), so a route is not served undocumented; its
//! fragment is `Routes::openapi()`.
//!
//! An operation's `bearer` scopes name the roles that may call it (OpenAPI
//! 3.1 allows role names as the scopes of a non-OAuth scheme); none means any
//! valid token. Its description says where a user may also act on their own
//! record.

use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr};
use utoipa::{PartialSchema, ToResponse, ToSchema};

/// The name of the security scheme.
pub const BEARER: &str = "bearer";

/// Media type of the problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem: the body of every error answer.
#[derive(ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)]
struct ProblemSchema {
    /// A URI naming the kind of problem; `about:blank` when the status says it.
    #[schema(rename = "type")]
    kind: String,
    /// The status's reason phrase.
    title: String,
    status: u16,
    /// What went wrong, for people.
    detail: String,
    /// The request field at fault (400, 422).
    #[schema(nullable = false)]
    field: Option<String>,
    /// A compliance refusal (422): every finding of the check.
    #[schema(nullable = false)]
    violations: Option<Vec<hrms_events::compliance::RuleFinding>>,
    /// A compliance refusal (422): the recorded check.
    #[schema(nullable = false)]
    check_id: Option<uuid::Uuid>,
    /// A compliance refusal (422): the policy that refused.
    #[schema(nullable = false)]
    policy_version: Option<String>,
}

macro_rules! problems {
    ($($name:ident: $description:literal,)*) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), problem($description))
                }
            }
        )*

        fn problem_responses() -> Vec<(&'static str, RefOr<Response>)> {
            vec![$(<$name as ToResponse>::response()),*]
        }
    };
}

problems! {
    BadRequest: "Malformed JSON, a query that cannot be read, or a command event that is not one.",
    Unauthorized: "No valid bearer token.",
    Forbidden: "The caller's role, or their relation to the record, does not allow this.",
    NotFound: "No such record (or the id is not a UUID).",
    Conflict: "The record's state or version does not allow the change, or the value is taken.",
    PayloadTooLarge: "The body is larger than 256 KiB.",
    UnsupportedMediaType: "The body is not `application/json`.",
    Unprocessable: "A field is missing, malformed or refused by the compliance policy: `field` names it, \
        and a refusal lists `violations`.",
    Unavailable: "A store or a function this one calls is unavailable (nothing was changed), \
        or the request took longer than 10 s.",
}

fn problem(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    ResponseBuilder::new().description(description).content(PROBLEM_JSON, content).build().into()
}

/// What every fragment refers to: the bearer scheme, the problem responses
/// and their schemas. A fragment starts from it, so it is a valid document alone.
pub fn components() -> OpenApi {
    let mut schemas = vec![(ProblemSchema::name().into_owned(), ProblemSchema::schema())];
    ProblemSchema::schemas(&mut schemas);
    let bearer = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("JWT")
        .description(Some("A JWT naming the user (`sub`), their `role` and their `employee_id` if any."))
        .build();
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .responses_from_iter(problem_responses())
        .security_scheme(BEARER, SecurityScheme::Http(bearer))
        .build();
    OpenApiBuilder::new().components(Some(components)).build()
}

/// The root document: title, `version`, tags and [`components`]; a process
/// merges the fragments of what it serves into it.
pub fn document(version: &str) -> OpenApi {
    let tag =
        |name: &str, description: &str| TagBuilder::new().name(name).description(Some(description)).build();
    let info = InfoBuilder::new()
        .title("HRMS")
        .version(version)
        .description(Some("The HR management system's HTTP API. Errors are RFC 9457 problems."));
    let mut doc = OpenApiBuilder::new()
        .info(info)
        .tags(Some([
            tag("user", "Accounts of the people who sign in."),
            tag("employee", "The people HR manages."),
            tag("attendance", "Check-ins, check-outs, their corrections, and the hours worked."),
            tag("compliance", "Checks against the compliance policy and their findings."),
            tag("leave", "Requests for time off, their decisions, and the balances they draw on."),
            tag("notification", "Each user's notifications and their preferences."),
            tag("audit", "The tamper-evident audit trail, and each record's history rebuilt from it."),
            tag("commands", "Operations sent as CloudEvents."),
            tag("ops", "Health, readiness, metrics, the caller's identity and this document."),
        ]))
        .build();
    doc.merge(components());
    doc
}
