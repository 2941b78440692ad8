//! The AsyncAPI 3.0 document of the event side, generated from the
//! catalogue: every topic (partitions, replicas, retention) as a channel,
//! every readable version of every type as a message (its JSON Schema as
//! payload, the CloudEvents Kafka binary binding's `ce_*` headers, the record
//! key = `partitionkey`), which function sends each type (its
//! [`Service`]) and which receives it (the [`Reader`]s the caller names:
//! `hrms` has the table of its consumers), and the dead-letter topics with
//! their `dlq_*` headers.
//!
//! The payload schemas are those of `events/schemas/`, embedded: without
//! `$id` and `$schema`, their `#/$defs/...` references rewritten to point
//! into the document (`#/components/schemas/<type>.v<N>/$defs/...`).

use serde_json::{Map, Value, json};

use crate::catalogue::{EventType, schema_uri};
use crate::envelope::{CONTENT_TYPE, EXT_ACTOR, EXT_PARTITION_KEY, EXT_TRACEPARENT};
use crate::schema;
use crate::service::Service;
use crate::topics::{TOPICS, TopicSpec};

/// The AsyncAPI version of the document.
pub const ASYNCAPI: &str = "3.0.0";
/// The version of the Kafka bindings used.
const KAFKA_BINDING: &str = "0.5.0";

/// A dead letter's headers added by the Kafka consumers and publishers
/// (`hrms-kafka`'s `dlq` module writes these names), with what each holds.
pub const DLQ_HEADERS: [(&str, &str); 7] = [
    ("dlq_reason", "Why the record was dead-lettered."),
    ("dlq_attempts", "How many times the handler was tried (0 for an undecodable record)."),
    ("dlq_original_topic", "The topic the record was read from."),
    (
        "dlq_original_partition",
        "Its partition there (absent for an event given up on after it left its topic).",
    ),
    ("dlq_original_offset", "Its offset there (absent likewise)."),
    ("dlq_group", "The consumer group that gave up."),
    ("dlq_failed_at", "When (RFC 3339)."),
];

/// The same, when a dead letter is posted through a Knative KafkaSink (HTTP
/// `ce-dlq*` headers, which the sink writes as `ce_dlq*`).
pub const KAFKASINK_DLQ_HEADERS: [(&str, &str); 5] = [
    ("ce_dlqreason", "Why the event was dead-lettered."),
    ("ce_dlqattempts", "How many times it was tried."),
    ("ce_dlqgroup", "Who gave up."),
    ("ce_dlqoriginaltopic", "The topic it was meant for."),
    ("ce_dlqfailedat", "When (RFC 3339)."),
];

/// A function that consumes a topic: it reads every record in its group
/// and acts on `types` (at every version they are read).
#[derive(Debug, Clone)]
pub struct Reader {
    /// The function, e.g. `audit`.
    pub function: &'static str,
    pub topic: &'static TopicSpec,
    pub group: &'static str,
    pub types: Vec<EventType>,
}

/// The document of `readers`, with `version` as `info.version` (the release).
pub fn document(version: &str, readers: &[Reader]) -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();

    for topic in TOPICS.iter().filter(|t| !t.is_dlq()) {
        let types: Vec<EventType> = EventType::ALL.iter().copied().filter(|t| t.topic() == topic).collect();
        let mut channel_messages = Map::new();
        for ty in &types {
            for version in ty.readable_versions() {
                let id = message_id(*ty, version);
                schemas.insert(id.clone(), payload_schema(*ty, version, &id));
                messages.insert(id.clone(), message(*ty, version, &id));
                channel_messages.insert(id.clone(), reference(&format!("#/components/messages/{id}")));
            }
        }
        channels.insert(topic.name.into(), channel(topic, topic_description(topic), channel_messages));

        for service in Service::ALL {
            let sent: Vec<EventType> = types.iter().copied().filter(|t| t.service() == service).collect();
            if sent.is_empty() {
                continue;
            }
            let refs = sent.iter().map(|t| message_ref(topic, *t, t.schema_version())).collect();
            let summary = format!("The {service} function publishes these through its outbox.");
            operations
                .insert(format!("{service}.send.{}", topic.name), operation("send", topic, &summary, refs));
        }
        for reader in readers.iter().filter(|r| r.topic == topic) {
            operations.insert(format!("{}.receive", reader.function), receive(reader));
        }

        let dlq = topic.dlq();
        let letter = format!("{}.letter", dlq.name);
        messages.insert(letter.clone(), dead_letter(topic, &types));
        let mut dlq_messages = Map::new();
        dlq_messages.insert(letter.clone(), reference(&format!("#/components/messages/{letter}")));
        let about = format!(
            "Dead letters of `{}`: each record a consumer gave up on, unchanged (key, value, headers), \
             with headers saying why. Kept {} days.",
            topic.name,
            days(dlq)
        );
        channels.insert(dlq.name.into(), channel(dlq, about, dlq_messages));
        let letter_ref = vec![reference(&format!("#/channels/{}/messages/{letter}", dlq.name))];
        for reader in readers.iter().filter(|r| r.topic == topic) {
            let summary = format!(
                "The {} function dead-letters a record it cannot decode at once, and one that keeps \
                 failing after its retries.",
                reader.function
            );
            operations.insert(
                format!("{}.deadLetter.{}", reader.function, topic.name),
                operation("send", dlq, &summary, letter_ref.clone()),
            );
        }
        let summary = format!(
            "`hrms dlq list|redrive {}`: operators read the dead letters and publish them back to `{}` \
             unchanged, without the `dlq_*` headers.",
            dlq.name, topic.name
        );
        operations.insert(
            format!("operator.redrive.{}", topic.name),
            operation("receive", dlq, &summary, letter_ref),
        );
    }

    json!({
        "asyncapi": ASYNCAPI,
        "info": {
            "title": "HRMS events",
            "version": version,
            "description": "The event side of the HR management system: CloudEvents 1.0 on Kafka in the \
                binary content mode (attributes in `ce_*` headers, `datacontenttype` in `content-type`, \
                the JSON payload as the record value, the `partitionkey` extension as the record key). \
                Each payload's JSON Schema is also committed under `events/schemas/` with its \
                `dataschema` URI as `$id`.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The brokers of the environment (`KAFKA_BOOTSTRAP_SERVERS`).",
                "variables": {
                    "bootstrap": {
                        "default": "localhost:9092",
                        "description": "`KAFKA_BOOTSTRAP_SERVERS`",
                    },
                },
            },
        },
        "channels": channels,
        "operations": operations,
        "components": { "messages": messages, "schemas": schemas },
    })
}

/// The id of a message (and of its payload schema): `<type>.v<N>`.
pub fn message_id(ty: EventType, version: u32) -> String {
    format!("{}.v{version}", ty.as_str())
}

fn reference(to: &str) -> Value {
    json!({ "$ref": to })
}

fn message_ref(topic: &TopicSpec, ty: EventType, version: u32) -> Value {
    reference(&format!("#/channels/{}/messages/{}", topic.name, message_id(ty, version)))
}

fn days(topic: &TopicSpec) -> u64 {
    topic.retention().as_secs() / 86_400
}

fn topic_description(topic: &TopicSpec) -> String {
    let kind = if topic.name == crate::topics::AUDIT_QUEUE.name { "audit.*" } else { "notification" };
    format!(
        "The {kind} events, keyed by `partitionkey` (the employee where there is one, so that one \
         person's events stay in order). Kept {} days; {} partitions, {} replicas, \
         min.insync.replicas {}.",
        days(topic),
        topic.partitions,
        topic.replication_factor,
        topic.min_insync_replicas
    )
}

fn channel(topic: &TopicSpec, description: String, messages: Map<String, Value>) -> Value {
    json!({
        "address": topic.name,
        "description": description,
        "messages": messages,
        "bindings": {
            "kafka": {
                "topic": topic.name,
                "partitions": topic.partitions,
                "replicas": topic.replication_factor,
                "topicConfiguration": {
                    "cleanup.policy": ["delete"],
                    "retention.ms": topic.retention_ms,
                    "min.insync.replicas": topic.min_insync_replicas,
                },
                "bindingVersion": KAFKA_BINDING,
            },
        },
    })
}

fn operation(action: &str, topic: &TopicSpec, summary: &str, messages: Vec<Value>) -> Value {
    json!({
        "action": action,
        "channel": reference(&format!("#/channels/{}", topic.name)),
        "summary": summary,
        "messages": messages,
    })
}

fn receive(reader: &Reader) -> Value {
    let refs = reader
        .types
        .iter()
        .flat_map(|t| t.readable_versions().into_iter().map(move |v| message_ref(reader.topic, *t, v)))
        .collect();
    let summary = format!(
        "The {} function reads every record of `{}` in group `{}` and acts on the types listed, \
         at every version listed.",
        reader.function, reader.topic.name, reader.group
    );
    let mut op = operation("receive", reader.topic, &summary, refs);
    op["bindings"] = json!({
        "kafka": { "groupId": { "type": "string", "enum": [reader.group] }, "bindingVersion": KAFKA_BINDING },
    });
    op
}

fn message(ty: EventType, version: u32, id: &str) -> Value {
    let written = version == ty.schema_version();
    let status = if written { "the version written" } else { "read, not yet written" };
    json!({
        "name": ty.as_str(),
        "title": format!("{ty} v{version}"),
        "summary": format!("`{ty}` from the {} function, schema v{version} ({status}).", ty.service()),
        "contentType": CONTENT_TYPE,
        "headers": headers(ty, version),
        "payload": reference(&format!("#/components/schemas/{id}")),
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": "The `partitionkey` extension (`ce_partitionkey`): the employee id where \
                        there is one.",
                },
                "bindingVersion": KAFKA_BINDING,
            },
        },
    })
}

/// The `ce_*` headers of the CloudEvents Kafka binding, binary content mode.
fn headers(ty: EventType, version: u32) -> Value {
    let text = |description: &str| json!({ "type": "string", "description": description });
    let fixed = |value: String| json!({ "type": "string", "const": value });
    let mut properties = Map::new();
    properties.insert("ce_specversion".into(), fixed("1.0".into()));
    properties
        .insert("ce_id".into(), json!({ "type": "string", "format": "uuid", "description": "A UUIDv7." }));
    properties.insert("ce_source".into(), fixed(ty.service().source()));
    properties.insert("ce_type".into(), fixed(ty.as_str().into()));
    properties.insert("ce_subject".into(), text("The id of the entity the event is about."));
    properties.insert("ce_time".into(), json!({ "type": "string", "format": "date-time" }));
    properties.insert("ce_dataschema".into(), fixed(schema_uri(ty.as_str(), version)));
    properties.insert("content-type".into(), fixed(CONTENT_TYPE.into()));
    properties.insert(format!("ce_{EXT_PARTITION_KEY}"), text("The ordering key; equal to the record key."));
    properties.insert(format!("ce_{EXT_ACTOR}"), text("Who caused it: a user id, or `system:<name>`."));
    properties
        .insert(format!("ce_{EXT_TRACEPARENT}"), text("W3C trace context, when the operation was traced."));
    let required: Vec<&String> = properties.keys().filter(|k| !k.ends_with(EXT_TRACEPARENT)).collect();
    json!({ "type": "object", "required": required, "properties": properties })
}

fn dead_letter(topic: &TopicSpec, types: &[EventType]) -> Value {
    let mut properties = Map::new();
    for (name, description) in DLQ_HEADERS.iter().chain(&KAFKASINK_DLQ_HEADERS) {
        properties.insert((*name).into(), json!({ "type": "string", "description": description }));
    }
    for name in ["dlq_original_topic", "ce_dlqoriginaltopic"] {
        properties.insert(
            name.into(),
            json!({ "type": "string", "const": topic.name, "description": "The topic." }),
        );
    }
    let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    properties.insert(
        "ce_type".into(),
        json!({ "type": "string", "enum": names, "description": "As on the original record, with its other `ce_*` headers." }),
    );
    let kafka: Vec<&str> = DLQ_HEADERS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !n.contains("original_p") && !n.contains("original_o"))
        .collect();
    let sink: Vec<&str> = KAFKASINK_DLQ_HEADERS.iter().map(|(n, _)| *n).collect();
    json!({
        "name": "dead-letter",
        "title": format!("Dead letter of {}", topic.name),
        "summary": "The original record unchanged, with headers that say why it was given up on.",
        "headers": {
            "type": "object",
            "properties": properties,
            "anyOf": [{ "required": kafka }, { "required": sink }],
        },
        "payload": {
            "description": "The original record's value, unchanged; it may not be a valid event \
                (that can be why it is here).",
        },
        "bindings": {
            "kafka": {
                "key": { "type": "string", "description": "The original record's key." },
                "bindingVersion": KAFKA_BINDING,
            },
        },
    })
}

/// A payload schema as the document embeds it.
fn payload_schema(ty: EventType, version: u32, id: &str) -> Value {
    let mut schema = schema::of_version(ty, version).unwrap_or_default();
    if let Some(obj) = schema.as_object_mut() {
        obj.remove("$id");
        obj.remove("$schema");
    }
    rewrite_refs(&mut schema, &format!("#/components/schemas/{id}/$defs/"));
    schema
}

fn rewrite_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(obj) => {
            if let Some(Value::String(r)) = obj.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/$defs/")
            {
                *r = format!("{prefix}{name}");
            }
            obj.values_mut().for_each(|v| rewrite_refs(v, prefix));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, prefix)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topics::AUDIT_QUEUE;

    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(obj) => {
                if let Some(Value::String(r)) = obj.get("$ref") {
                    out.push(r);
                }
                obj.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_points_into_the_document() {
        let audit = Reader {
            function: "audit",
            topic: &AUDIT_QUEUE,
            group: "audit-service",
            types: EventType::ALL.iter().copied().filter(|t| t.is_audit()).collect(),
        };
        let doc = document("1.0.0", &[audit]);
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 100, "{} references", found.len());
        for r in found {
            let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r}: not local"));
            assert!(doc.pointer(pointer).is_some(), "{r} points nowhere");
        }
        assert!(doc["operations"]["audit.receive"].is_object());
        assert!(doc["operations"]["notification.receive"].is_null(), "only the readers given");
    }
}
