//! JSON Schemas of the payloads, as committed under `events/schemas/`, and
//! the checks that guard them: a published schema version may only grow by
//! optional fields; removing, retyping or newly requiring a field, or changing
//! an enumeration, needs a new version.

use serde_json::{Map, Value};

use crate::catalogue::{EventType, schema_uri};

/// Property names that must never appear in a payload: credentials and
/// secrets stay out of events, whatever their nesting.
pub const FORBIDDEN_NAMES: &[&str] = &[
    "password",
    "passwd",
    "hash",
    "token",
    "secret",
    "credential",
    "api_key",
    "apikey",
    "private_key",
    "salt",
    "otp",
    "pin",
    "ssn",
    "iban",
];

/// The file name of a schema version: `<type>.v<version>.json`.
pub fn file_name(type_name: &str, version: u32) -> String {
    format!("{type_name}.v{version}.json")
}

/// Splits a schema file name back into type name and version.
pub fn parse_file_name(file: &str) -> Option<(&str, u32)> {
    let stem = file.strip_suffix(".json")?;
    let (name, version) = stem.rsplit_once(".v")?;
    Some((name, version.parse().ok()?))
}

/// The current (written) schema of a type's payload, with `$id` set to its
/// `dataschema` URI.
pub fn current(ty: EventType) -> Value {
    with_id(ty, ty.schema_version(), ty.json_schema())
}

/// The schema of a version readers accept (see [`crate::versions`]), with
/// its `$id`; `None` for a version they do not know.
pub fn of_version(ty: EventType, version: u32) -> Option<Value> {
    Some(with_id(ty, version, ty.json_schema_of(version)?))
}

fn with_id(ty: EventType, version: u32, schema: schemars::Schema) -> Value {
    let mut schema = schema.to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("$id".into(), Value::String(schema_uri(ty.as_str(), version)));
        obj.insert("title".into(), Value::String(ty.as_str().to_owned()));
    }
    schema
}

/// The `$id` a committed schema file must carry.
pub fn expected_id(type_name: &str, version: u32) -> String {
    schema_uri(type_name, version)
}

/// Property names anywhere in `schema` that look like secrets.
pub fn forbidden_properties(schema: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk_properties(schema, &mut |name| {
        let lower = name.to_ascii_lowercase();
        let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        let hit = FORBIDDEN_NAMES.iter().any(|f| {
            if f.contains('_') { lower.contains(f) } else { words.contains(f) || lower.starts_with(f) }
        });
        if hit {
            found.push(name.to_owned());
        }
    });
    found
}

fn walk_properties(schema: &Value, visit: &mut dyn FnMut(&str)) {
    match schema {
        Value::Object(obj) => {
            if let Some(Value::Object(props)) = obj.get("properties") {
                for name in props.keys() {
                    visit(name);
                }
            }
            for v in obj.values() {
                walk_properties(v, visit);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk_properties(v, visit)),
        _ => {}
    }
}

/// A change that breaks readers of a published schema version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breaking {
    Removed(String),
    Retyped { path: String, published: String, current: String },
    NewlyRequired(String),
    EnumChanged(String),
    VariantsChanged(String),
}

impl std::fmt::Display for Breaking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Breaking::Removed(p) => write!(f, "field {p} was removed"),
            Breaking::Retyped { path, published, current } => {
                write!(f, "field {path} changed type from {published} to {current}")
            }
            Breaking::NewlyRequired(p) => write!(f, "field {p} became required"),
            Breaking::EnumChanged(p) => write!(f, "the allowed values of {p} changed"),
            Breaking::VariantsChanged(p) => write!(f, "the variants of {p} changed"),
        }
    }
}

/// Every breaking difference between a published schema and the current one.
pub fn breaking_changes(published: &Value, current: &Value) -> Vec<Breaking> {
    let mut out = Vec::new();
    Comparison { published_root: published, current_root: current }
        .compare(published, current, "$", &mut out);
    out
}

struct Comparison<'a> {
    published_root: &'a Value,
    current_root: &'a Value,
}

impl Comparison<'_> {
    fn compare(&self, published: &Value, current: &Value, path: &str, out: &mut Vec<Breaking>) {
        let published = resolve(self.published_root, published);
        let current = resolve(self.current_root, current);
        let (Some(p), Some(c)) = (published.as_object(), current.as_object()) else {
            if published != current {
                out.push(Breaking::Retyped {
                    path: path.into(),
                    published: published.to_string(),
                    current: current.to_string(),
                });
            }
            return;
        };
        for key in ["type", "format"] {
            let (pt, ct) = (type_of(p, key), type_of(c, key));
            if pt != ct {
                out.push(Breaking::Retyped { path: path.into(), published: pt, current: ct });
            }
        }
        for key in ["enum", "const"] {
            if p.get(key) != c.get(key) {
                out.push(Breaking::EnumChanged(path.into()));
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            match (p.get(key).and_then(Value::as_array), c.get(key).and_then(Value::as_array)) {
                (None, None) => {}
                (Some(pv), Some(cv)) if pv.len() == cv.len() => {
                    for (i, (pi, ci)) in pv.iter().zip(cv).enumerate() {
                        self.compare(pi, ci, &format!("{path}.{key}[{i}]"), out);
                    }
                }
                _ => out.push(Breaking::VariantsChanged(path.into())),
            }
        }
        let empty = Map::new();
        let p_props = p.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        let c_props = c.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        for (name, p_schema) in p_props {
            match c_props.get(name) {
                Some(c_schema) => self.compare(p_schema, c_schema, &format!("{path}.{name}"), out),
                None => out.push(Breaking::Removed(format!("{path}.{name}"))),
            }
        }
        let required = |o: &Map<String, Value>| -> Vec<String> {
            o.get("required")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let p_required = required(p);
        for name in required(c) {
            if !p_required.contains(&name) {
                out.push(Breaking::NewlyRequired(format!("{path}.{name}")));
            }
        }
        for key in ["items", "additionalProperties"] {
            if let (Some(pi), Some(ci)) = (p.get(key), c.get(key)) {
                self.compare(pi, ci, &format!("{path}[]"), out);
            }
        }
    }
}

fn type_of(schema: &Map<String, Value>, key: &str) -> String {
    match schema.get(key) {
        None => "any".into(),
        Some(Value::Array(types)) => {
            let mut names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
            names.sort();
            names.join("|")
        }
        Some(v) => v.to_string(),
    }
}

/// Follows a local `$ref` (`#/$defs/Name`) within `root`.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..16 {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else { break };
        let Some(pointer) = reference.strip_prefix('#') else { break };
        match root.pointer(pointer) {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(props: Value, required: &[&str]) -> Value {
        json!({ "type": "object", "properties": props, "required": required })
    }

    #[test]
    fn adding_an_optional_field_is_compatible() {
        let published = object(json!({ "a": { "type": "string" } }), &["a"]);
        let current =
            object(json!({ "a": { "type": "string" }, "b": { "type": ["integer", "null"] } }), &["a"]);
        assert_eq!(breaking_changes(&published, &current), vec![]);
    }

    #[test]
    fn removing_retyping_and_requiring_fields_break() {
        let published = object(json!({ "a": { "type": "string" }, "b": { "type": "string" } }), &["a"]);
        let current = object(json!({ "a": { "type": "integer" }, "c": { "type": "string" } }), &["a", "c"]);
        let found = breaking_changes(&published, &current);
        assert!(found.contains(&Breaking::Removed("$.b".into())), "{found:?}");
        assert!(
            found.iter().any(|b| matches!(b, Breaking::Retyped { path, .. } if path == "$.a")),
            "{found:?}"
        );
        assert!(found.contains(&Breaking::NewlyRequired("$.c".into())), "{found:?}");
    }

    #[test]
    fn changes_behind_references_and_enums_are_seen() {
        let published = json!({ "$ref": "#/$defs/S", "$defs": { "S": { "type": "object", "properties": {
            "status": { "type": "string", "enum": ["a", "b"] } } } } });
        let current = json!({ "$ref": "#/$defs/S", "$defs": { "S": { "type": "object", "properties": {
            "status": { "type": "string", "enum": ["a"] } } } } });
        assert_eq!(breaking_changes(&published, &current), vec![Breaking::EnumChanged("$.status".into())]);
    }

    #[test]
    fn secret_looking_names_are_found_at_any_depth() {
        let schema = json!({ "properties": { "user": { "properties": {
            "password_hash": {}, "api_key": {}, "hashtag_count": {}, "pinned": {}, "shipping": {} } } } });
        let mut found = forbidden_properties(&schema);
        found.sort();
        assert_eq!(found, ["api_key", "hashtag_count", "password_hash", "pinned"]);
    }

    #[test]
    fn file_names_round_trip() {
        assert_eq!(parse_file_name(&file_name("audit.user.created", 3)), Some(("audit.user.created", 3)));
        assert_eq!(parse_file_name("notes.txt"), None);
    }
}
