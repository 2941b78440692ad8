//! The intake's OpenAPI fragment, made from the documents of the routes the
//! commands run through: one example event per command, whose `data` is its
//! route's example body, and the roles of those routes.

use serde_json::{Value, json};
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, Required, ResponseBuilder, ResponsesBuilder};

use super::Command;
use crate::openapi::{BEARER, components};

/// `POST /` taking `commands`, whose routes `routes` documents.
pub fn openapi(routes: &OpenApi, commands: &[Command]) -> Result<OpenApi, serde_json::Error> {
    let routes = serde_json::to_value(routes)?;
    let mut examples = Vec::new();
    let mut roles: Vec<String> = Vec::new();
    let mut table = String::from("| type | route |\n| --- | --- |\n");
    for command in commands {
        let operation = &routes["paths"][command.path][command.method.to_ascii_lowercase()];
        for role in operation["security"][0][BEARER].as_array().into_iter().flatten() {
            if let Some(role) = role.as_str().filter(|r| !roles.iter().any(|known| known == r)) {
                roles.push(role.to_owned());
            }
        }
        let route = format!("{} {}", command.method, command.path);
        table.push_str(&format!("| `{}` | `{route}` |\n", command.event_type));
        let data = &operation["requestBody"]["content"]["application/json"]["example"];
        let example = ExampleBuilder::new().summary(&route).value(Some(event(command, data)));
        examples.push((command.event_type, example.build()));
    }
    let types: Vec<&str> = commands.iter().map(|c| c.event_type).collect();
    let event_schema = ObjectBuilder::new()
        .property("specversion", one_of(vec!["1.0"]))
        .property("id", text())
        .property("source", string(SchemaFormat::Custom("uri-reference".into())))
        .property("type", one_of(types.clone()))
        .property(
            "subject",
            string(SchemaFormat::KnownFormat(KnownFormat::Uuid)).description(Some("The record's id.")),
        )
        .property("datacontenttype", one_of(vec!["application/json"]))
        .property("data", any().description(Some("The route's request body.")))
        .required("specversion")
        .required("id")
        .required("source")
        .required("type");
    let structured = ContentBuilder::new().schema(Some(event_schema)).examples_from_iter(examples);
    let binary = ContentBuilder::new().schema(Some(any().description(Some("The route's request body."))));
    let body = RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/cloudevents+json", structured.build())
        .content("application/json", binary.build());
    let mut responses =
        ResponsesBuilder::new().response("2XX", ResponseBuilder::new().description("The route's answer."));
    for (status, name) in [
        ("400", "BadRequest"),
        ("401", "Unauthorized"),
        ("403", "Forbidden"),
        ("404", "NotFound"),
        ("409", "Conflict"),
        ("413", "PayloadTooLarge"),
        ("415", "UnsupportedMediaType"),
        ("422", "Unprocessable"),
        ("503", "Unavailable"),
    ] {
        responses = responses.response(status, Ref::from_response_name(name));
    }
    let operation = OperationBuilder::new()
        .tag("commands")
        .summary(Some("Run a command sent as a CloudEvent"))
        .description(Some(format!(
            "Runs the command the event's `type` names through its route, with this request's \
             `Authorization`: the answer, and who may send it, are the route's. `subject` is the \
             record's id, `data` the route's body. Structured mode: the event as \
             `application/cloudevents+json`; binary mode: `ce-*` headers and `data` as the body.\n\n{table}"
        )))
        .operation_id(Some("command"))
        .parameters(Some([
            header("ce-specversion", "Binary mode: `1.0`.", one_of(vec!["1.0"])),
            header("ce-id", "Binary mode: the event's id.", text()),
            header("ce-source", "Binary mode: who sends it.", text()),
            header("ce-type", "Binary mode: the command.", one_of(types.clone())),
            header(
                "ce-subject",
                "Binary mode: the record's id, for commands on a record.",
                string(SchemaFormat::KnownFormat(KnownFormat::Uuid)),
            ),
        ]))
        .request_body(Some(body.build()))
        .responses(responses.build())
        .security(SecurityRequirement::new(BEARER, roles));
    let mut doc = components();
    doc.paths.add_path_operation("/", vec![HttpMethod::Post], operation.build());
    Ok(doc)
}

/// The example event of `command`, carrying `data` unless it is null.
fn event(command: &Command, data: &Value) -> Value {
    let mut event = json!({
        "specversion": "1.0", "id": "example-1", "source": "/examples", "type": command.event_type,
    });
    if command.path.contains("{id}") {
        event["subject"] = json!("0193a4a0-0000-7000-8000-00000000000a");
    }
    if !data.is_null() {
        event["datacontenttype"] = json!("application/json");
        event["data"] = data.clone();
    }
    event
}

fn string(format: SchemaFormat) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).format(Some(format))
}

fn one_of(values: Vec<&str>) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values))
}

fn any() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::AnyValue)
}

/// A non-empty string (an empty `ce-*` header is no attribute).
fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).pattern(Some(r"\S"))
}

fn header(name: &str, description: &str, schema: ObjectBuilder) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}
