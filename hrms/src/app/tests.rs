//! `hrms dev` in-process: its OpenAPI document, and 401 and 403 on every
//! operation the document lists, so that a new route cannot escape them.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hrms_events::Role;
use serde_json::Value;
use tower::ServiceExt;
use uuid::Uuid;

use super::*;

struct Answer {
    status: StatusCode,
    content_type: String,
    location: Option<String>,
    body: Value,
}

/// A documented request body: its media type, the example, and for an
/// intake example the route it runs (`PATCH /users/{id}`).
struct Sample {
    media: String,
    body: Value,
    route: Option<String>,
}

async fn call(app: &Router, method: &str, uri: &str, token: Option<&str>, body: Option<&Sample>) -> Answer {
    // As a caller inside the cluster: the probes and metrics answer internal hosts only.
    let mut request = Request::builder().method(method).uri(uri).header(header::HOST, "localhost");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(sample) => {
            request = request.header(header::CONTENT_TYPE, &sample.media);
            Body::from(sample.body.to_string())
        }
        None => Body::empty(),
    };
    let response = app.clone().oneshot(request.body(body).expect("request")).await.expect("infallible");
    let text = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (content_type, location) = (text(header::CONTENT_TYPE).unwrap_or_default(), text(header::LOCATION));
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.expect("body");
    Answer { status, content_type, location, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// The operation's documented bodies; none without a request body.
fn samples(operation: &Value) -> Vec<Sample> {
    let mut samples = Vec::new();
    for (media, content) in operation["requestBody"]["content"].as_object().into_iter().flatten() {
        if !content["example"].is_null() {
            samples.push(Sample { media: media.clone(), body: content["example"].clone(), route: None });
        }
        for example in content["examples"].as_object().into_iter().flatten().map(|(_, e)| e) {
            let route = example["summary"].as_str().map(str::to_owned);
            samples.push(Sample { media: media.clone(), body: example["value"].clone(), route });
        }
    }
    samples
}

/// The id of the record made for the collection of `path`, if it has `{id}`.
fn record<'a>(path: &str, records: &'a BTreeMap<String, String>) -> Option<&'a str> {
    let (collection, _) = path.split_once("/{id}")?;
    let id = records.get(collection).unwrap_or_else(|| panic!("{path}: no POST {collection} made a record"));
    Some(id)
}

/// `path` on the record made for its collection (an `{employee_id}` on
/// the employee made).
fn on_record(path: &str, records: &BTreeMap<String, String>) -> String {
    let path = record(path, records).map(|id| path.replace("{id}", id)).unwrap_or_else(|| path.to_owned());
    match records.get("/employees") {
        Some(employee) => path.replace("{employee_id}", employee),
        None => path,
    }
}

/// Whether an example body names an employee.
fn names_employee(sample: &Sample) -> bool {
    sample.body.get("employee_id").is_some()
}

/// `sample` naming the employee made, where it names one.
fn on_employee(sample: &Sample, records: &BTreeMap<String, String>) -> Sample {
    let mut body = sample.body.clone();
    if let (true, Some(employee)) = (names_employee(sample), records.get("/employees")) {
        body["employee_id"] = employee.clone().into();
    }
    Sample { media: sample.media.clone(), body, route: sample.route.clone() }
}

/// `sample` on that record: an intake example names it as its subject.
fn sample_on_record(sample: &Sample, records: &BTreeMap<String, String>) -> Sample {
    let mut body = on_employee(sample, records).body;
    let path = sample.route.as_deref().and_then(|route| route.split_once(' ')).map(|(_, path)| path);
    if let Some(id) = path.and_then(|path| record(path, records)) {
        body["subject"] = id.into();
    }
    Sample { media: sample.media.clone(), body, route: None }
}

fn assert_problem(answer: &Answer, status: StatusCode, at: &str) {
    assert_eq!(answer.status, status, "{at}: {}", answer.body);
    assert_eq!(answer.content_type, "application/problem+json", "{at}");
    assert_eq!(answer.body["status"], status.as_u16(), "{at}");
}

// The only test here that builds a whole App (the first one built installs
// the process's metrics recorder; any other shares it).
#[tokio::test(flavor = "multi_thread")]
async fn every_documented_route_refuses_strangers_and_the_wrong_role() {
    let data_dir = std::env::temp_dir().join(format!("hrms-routes-{}", Uuid::now_v7()));
    let stores = Stores::sqlite(data_dir.clone());
    let options = Options {
        stores,
        functions: Function::all(),
        event_log: false,
        consume: true,
        intake: Default::default(),
    };
    let app = App::build(options).await.expect("dev builds").router;
    let auth = crate::auth::authenticator(&data_dir).expect("the same secret");
    let mint = |role, employee_id| {
        auth.mint(Uuid::now_v7(), role, employee_id, Duration::from_secs(600)).expect("token")
    };
    let admin = mint(Role::Admin, None);
    // An employee with an employee record of their own, which is none of
    // the records the routes are called on.
    let stranger = mint(Role::Employee, Some(Uuid::now_v7()));

    let served = call(&app, "GET", "/openapi.json", None, None).await;
    assert_eq!((served.status, served.content_type.as_str()), (StatusCode::OK, "application/json"));
    let doc = served.body;
    assert_eq!((&doc["openapi"], &doc["info"]["title"]), (&"3.1.0".into(), &"HRMS".into()));
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let paths = doc["paths"].as_object().expect("paths");
    for path in
        ["/", "/users", "/employees", "/leaves", "/compliance/validate", "/audit", "/whoami", "/openapi.json"]
    {
        assert!(paths.contains_key(path), "{path} is documented");
    }

    // A record in every collection, made with its documented example, so
    // that a route on a record refuses for the role (403), not for a
    // missing record (404, which some routes answer first).
    let mut records = BTreeMap::new();
    // The audit trail has no POST: any subject id will do.
    records.insert("/audit/subjects".to_owned(), Uuid::now_v7().to_string());
    records.insert("/notifications".to_owned(), Uuid::now_v7().to_string());
    // Attendance records are made by a check-in, for the caller's own record.
    records.insert("/attendance".to_owned(), Uuid::now_v7().to_string());
    // Those whose example names an employee last, naming the one made.
    let mut collections = Vec::new();
    for (path, item) in paths {
        let is_collection = paths.keys().any(|p| p.starts_with(&format!("{path}/{{id}}")));
        if item.get("post").is_some() && !path.contains('{') && is_collection {
            let sample = samples(&item["post"]).into_iter().next().expect("an example body");
            collections.push((path, sample));
        }
    }
    collections.sort_by_key(|(_, sample)| names_employee(sample));
    for (path, sample) in collections {
        let sample = on_employee(&sample, &records);
        let made = call(&app, "POST", path, Some(&admin), Some(&sample)).await;
        assert_eq!(made.status, StatusCode::CREATED, "POST {path}: {}", made.body);
        let location = made.location.expect("Location");
        let id = location.rsplit('/').next().expect("an id").to_owned();
        records.insert(path.clone(), id);
    }

    let mut refused = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("a path item") {
            let (at, method) = (format!("{method} {path}"), method.to_uppercase());
            let roles = operation["security"][0]["bearer"].as_array();
            let bodies = samples(operation);
            assert!(
                operation["requestBody"].is_null() || !bodies.is_empty(),
                "{at}: a body needs an example"
            );
            let bodies: Vec<Option<&Sample>> =
                if bodies.is_empty() { vec![None] } else { bodies.iter().map(Some).collect() };
            let Some(roles) = roles else {
                let answer = call(&app, &method, path, None, bodies[0]).await;
                assert!(answer.status.is_success(), "{at} is public: {}", answer.status);
                continue;
            };
            for body in bodies {
                // An intake example runs its route: that route's roles decide.
                let route = body.and_then(|sample| sample.route.as_deref()).and_then(|r| r.split_once(' '));
                let route_roles = route.and_then(|(method, path)| {
                    paths.get(path)?[method.to_lowercase()]["security"][0]["bearer"].as_array()
                });
                let roles = route_roles.unwrap_or(roles);
                let at = match body.and_then(|sample| sample.route.as_deref()) {
                    Some(route) => format!("{at} ({route})"),
                    None => at.clone(),
                };
                let any_id = path.replace("{id}", &Uuid::now_v7().to_string());
                let any_id = any_id.replace("{employee_id}", &Uuid::now_v7().to_string());
                let anonymous = call(&app, &method, &any_id, None, body).await;
                assert_problem(&anonymous, StatusCode::UNAUTHORIZED, &at);
                let forged = call(&app, &method, &any_id, Some("not.a.token"), body).await;
                assert_problem(&forged, StatusCode::UNAUTHORIZED, &at);

                let uri = on_record(path, &records);
                let body = body.map(|sample| sample_on_record(sample, &records));
                let answer = call(&app, &method, &uri, Some(&stranger), body.as_ref()).await;
                if roles.is_empty() {
                    assert!(answer.status.is_success(), "{at} takes any valid token: {}", answer.status);
                } else if !roles.contains(&"employee".into()) {
                    assert_problem(&answer, StatusCode::FORBIDDEN, &format!("{at} as an employee"));
                    refused += 1;
                }
            }
        }
    }
    // Not vacuous: at least today's 16 routes and 7 command examples.
    assert!(refused >= 23, "{refused} refusals checked");
    let _ = std::fs::remove_dir_all(data_dir);
}
