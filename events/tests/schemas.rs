//! The committed JSON Schemas (`events/schemas/`) against the code: one file
//! per version readers accept, no drift, no secret-looking field.
//! `HRMS_UPDATE_SCHEMAS=1 cargo test -p hrms-events --test schemas` rewrites
//! the files for compatible changes; a breaking change needs a new version.
//! Compatibility with the published schemas (read from git) is the gate of
//! `tests/schema_gate.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hrms_events::EventType;
use hrms_events::schema::{self, breaking_changes, forbidden_properties};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

/// Every committed schema file, by (type name, version).
fn committed() -> BTreeMap<(String, u32), Value> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir()).expect("events/schemas exists") {
        let path = entry.expect("readable directory").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let (ty, version) = schema::parse_file_name(&name)
            .unwrap_or_else(|| panic!("{name}: not a <type>.v<version>.json file"));
        let text = std::fs::read_to_string(&path).expect("readable file");
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        files.insert((ty.to_owned(), version), value);
    }
    files
}

/// Every (type, version) readers accept: the written versions and the others.
fn readable() -> Vec<(EventType, u32)> {
    EventType::ALL.iter().flat_map(|ty| ty.readable_versions().into_iter().map(|v| (*ty, v))).collect()
}

#[test]
fn every_readable_version_has_its_file() {
    let files = committed();
    for (ty, version) in readable() {
        assert!(files.contains_key(&(ty.as_str().to_owned(), version)), "{ty} v{version}: no schema file");
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON") + "\n"
}

#[test]
fn committed_schemas_match_the_code() {
    let files = committed();
    let update = std::env::var_os("HRMS_UPDATE_SCHEMAS").is_some();
    let mut drift = Vec::new();
    for (ty, version) in readable() {
        let current = schema::of_version(ty, version).expect("a readable version");
        let key = (ty.as_str().to_owned(), version);
        if files.get(&key) == Some(&current) {
            continue;
        }
        let compatible = files.get(&key).is_none_or(|p| breaking_changes(p, &current).is_empty());
        if update && compatible {
            let path = dir().join(schema::file_name(ty.as_str(), version));
            std::fs::write(&path, pretty(&current)).expect("writable schemas directory");
        } else {
            drift.push(format!("{ty} v{version}"));
        }
    }
    assert!(
        drift.is_empty(),
        "schemas differ from the code (HRMS_UPDATE_SCHEMAS=1 rewrites them): {drift:?}"
    );
}

#[test]
fn every_file_is_a_known_version_with_its_id() {
    for ((name, version), value) in committed() {
        let ty = EventType::parse(&name).unwrap_or_else(|| panic!("{name}: unknown event type"));
        assert!(ty.reads(version), "{name} v{version}: no reader knows this version");
        assert_eq!(value["$id"], schema::expected_id(&name, version), "{name} v{version}: wrong $id");
    }
}

#[test]
fn no_payload_can_carry_a_secret() {
    for (ty, version) in readable() {
        let found = forbidden_properties(&schema::of_version(ty, version).expect("a readable version"));
        assert!(found.is_empty(), "{ty} v{version} has secret-looking fields {found:?}");
    }
    for ((name, version), value) in committed() {
        let found = forbidden_properties(&value);
        assert!(found.is_empty(), "{name} v{version} has secret-looking fields {found:?}");
    }
}
