//! The committed JSON Schemas (`events/schemas/`) against the code: no drift,
//! no breaking change to a published version, no secret-looking field.
//! `HRMS_UPDATE_SCHEMAS=1 cargo test -p hrms-events --test schemas` rewrites
//! the files for compatible changes; a breaking change needs a new version.

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

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON") + "\n"
}

#[test]
fn published_versions_stay_compatible() {
    let files = committed();
    let mut broken = Vec::new();
    for ty in EventType::ALL {
        let key = (ty.as_str().to_owned(), ty.schema_version());
        if let Some(published) = files.get(&key) {
            for change in breaking_changes(published, &schema::current(*ty)) {
                broken.push(format!("{} v{}: {change}", ty, ty.schema_version()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "breaking changes to published schemas; give the payload a new version instead:\n{}",
        broken.join("\n")
    );
}

#[test]
fn committed_schemas_match_the_code() {
    let files = committed();
    let update = std::env::var_os("HRMS_UPDATE_SCHEMAS").is_some();
    let mut drift = Vec::new();
    for ty in EventType::ALL {
        let current = schema::current(*ty);
        let key = (ty.as_str().to_owned(), ty.schema_version());
        if files.get(&key) == Some(&current) {
            continue;
        }
        let compatible = files.get(&key).is_none_or(|p| breaking_changes(p, &current).is_empty());
        if update && compatible {
            let path = dir().join(schema::file_name(ty.as_str(), ty.schema_version()));
            std::fs::write(&path, pretty(&current)).expect("writable schemas directory");
        } else {
            drift.push(format!("{ty} v{}", ty.schema_version()));
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
        assert!(version >= 1 && version <= ty.schema_version(), "{name} v{version}: no such version");
        assert_eq!(value["$id"], schema::expected_id(&name, version), "{name} v{version}: wrong $id");
    }
}

#[test]
fn no_payload_can_carry_a_secret() {
    for ty in EventType::ALL {
        let found = forbidden_properties(&schema::current(*ty));
        assert!(found.is_empty(), "{ty} has secret-looking fields {found:?}");
    }
    for ((name, version), value) in committed() {
        let found = forbidden_properties(&value);
        assert!(found.is_empty(), "{name} v{version} has secret-looking fields {found:?}");
    }
}
