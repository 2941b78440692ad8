//! Every range the event schemas state has a producer that enforces it.
//! Consumers refuse events outside the schemas' ranges
//! (`hrms_events::checks`); an HTTP request a producer accepts must not
//! make such an event, or its effect is lost in the dead letters. This reads
//! every bound (`minimum`, `maximum`, `maxLength`, ...) from the schema files
//! and fails when one is not in [`PRODUCERS`], when its value is not the
//! constant the producers use, or when the producer code named there no
//! longer uses it. The producers' own tests (`contract_tests.rs` of
//! Employee, Attendance and Leave) show requests at the edges making events
//! the consumers accept, and one step beyond refused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hrms_events::checks::{LEAVE_BALANCE, LEAVE_DAYS, WEEKLY_HOURS, WORKED_MINUTES};
use hrms_events::limits::{COUNTRY, EMAIL, LABEL, NAME, REASON, TIME_ZONE};
use serde_json::Value;

/// A bound a schema states: field (last name in its path), keyword, value.
type Bound = (String, &'static str, f64);

const KEYWORDS: [&str; 6] =
    ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength"];

/// Field, keyword, the producers' constant, and where producers enforce it:
/// (file from the workspace root, text the enforcing code holds).
const PRODUCERS: &[(&str, &str, f64, &[(&str, &str)])] = &[
    ("weekly_hours", "minimum", WEEKLY_HOURS.0, EMPLOYEE_HOURS),
    ("weekly_hours", "maximum", WEEKLY_HOURS.1, EMPLOYEE_HOURS),
    ("worked_minutes", "minimum", WORKED_MINUTES.0 as f64, WORKED),
    ("worked_minutes", "maximum", WORKED_MINUTES.1 as f64, WORKED),
    ("days", "minimum", LEAVE_DAYS.0, LEAVE),
    ("days", "maximum", LEAVE_DAYS.1, LEAVE),
    ("balance_after", "minimum", LEAVE_BALANCE.0, LEAVE),
    ("balance_after", "maximum", LEAVE_BALANCE.1, LEAVE),
    // Versions are `u64`: the type holds the bound.
    ("version", "minimum", 0.0, &[("events/src/employee.rs", "pub version: u64")]),
    ("first_name", "maxLength", NAME as f64, EMPLOYEE_TEXT),
    ("last_name", "maxLength", NAME as f64, EMPLOYEE_TEXT),
    ("department", "maxLength", LABEL as f64, EMPLOYEE_TEXT),
    ("job_title", "maxLength", LABEL as f64, EMPLOYEE_TEXT),
    ("email", "maxLength", EMAIL as f64, &[(EMPLOYEE_MODEL, "(\"email\""), (USER_MODEL, "(\"email\"")]),
    ("full_name", "maxLength", NAME as f64, &[(USER_MODEL, "(\"full_name\"")]),
    // Employee refuses any but a two-letter code and an IANA zone name
    // (at most 32 characters); User refuses longer details before asking it.
    ("country", "maxLength", COUNTRY as f64, &[(EMPLOYEE_SHAPE, "fn check_shape"), (USER_MODEL, "COUNTRY")]),
    (
        "time_zone",
        "maxLength",
        TIME_ZONE as f64,
        &[(EMPLOYEE_SHAPE, "fn check_shape"), (USER_MODEL, "TIME_ZONE")],
    ),
    // A leave type is one of the policy's, named in at most 40 characters.
    (
        "leave_type",
        "maxLength",
        LABEL as f64,
        &[
            ("functions/leave/domain/src/policy.rs", "name.len() <= 40"),
            (LEAVE_REQUEST, "policy.leave_type("),
        ],
    ),
    (
        "reason",
        "maxLength",
        REASON as f64,
        &[
            (LEAVE_COMMANDS, "limits::REASON"),
            (EMPLOYEE_MODEL, "limits::REASON"),
            (USER_MODEL, "limits::REASON"),
            ("functions/attendance/domain/src/commands/correct.rs", "MAX_REASON"),
        ],
    ),
];

const EMPLOYEE_MODEL: &str = "functions/employee/domain/src/model.rs";
const EMPLOYEE_SHAPE: &str = "functions/employee/domain/src/commands/mod.rs";
const USER_MODEL: &str = "functions/user/domain/src/model.rs";
const LEAVE_COMMANDS: &str = "functions/leave/domain/src/commands/mod.rs";
const LEAVE_REQUEST: &str = "functions/leave/domain/src/commands/request.rs";
const EMPLOYEE_HOURS: &[(&str, &str)] = &[
    (EMPLOYEE_SHAPE, "checks::WEEKLY_HOURS"),
    ("functions/employee/domain/src/commands/create.rs", "check_hours("),
    ("functions/employee/domain/src/commands/update.rs", "check_hours"),
];
const EMPLOYEE_TEXT: &[(&str, &str)] = &[(EMPLOYEE_MODEL, "limits::too_long")];
const WORKED: &[(&str, &str)] = &[
    ("functions/attendance/domain/src/commands/check_out.rs", "checks::WORKED_MINUTES"),
    ("functions/attendance/domain/src/commands/correct.rs", "MAX_SPAN"),
];
const LEAVE: &[(&str, &str)] = &[
    (LEAVE_COMMANDS, "fn within_contract"),
    (LEAVE_REQUEST, "within_contract("),
    ("functions/leave/domain/src/commands/approve.rs", "within_contract("),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every bound of every schema file.
fn bounds() -> BTreeSet<(String, &'static str, String)> {
    let mut found = BTreeSet::new();
    let dir = workspace().join("events/schemas");
    for entry in std::fs::read_dir(&dir).expect("events/schemas") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("schema file");
        let schema: Value = serde_json::from_str(&text).expect("schema JSON");
        let mut here = Vec::new();
        walk(&schema, "", &mut here);
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        found.extend(here.into_iter().map(|(field, key, value)| (field, key, format!("{value} ({file})"))));
    }
    found
}

fn walk(schema: &Value, field: &str, found: &mut Vec<Bound>) {
    match schema {
        Value::Object(map) => {
            for key in KEYWORDS {
                if let Some(value) = map.get(key).and_then(Value::as_f64) {
                    found.push((field.to_owned(), key, value));
                }
            }
            for (key, value) in map {
                match key.as_str() {
                    "properties" | "$defs" => {
                        for (name, inner) in value.as_object().into_iter().flatten() {
                            walk(inner, name, found);
                        }
                    }
                    _ => walk(value, field, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, field, found)),
        _ => {}
    }
}

#[test]
fn every_bound_a_schema_states_is_a_producers_constant() {
    let found = bounds();
    assert!(found.iter().any(|(f, _, _)| f == "worked_minutes"), "the walk finds the ranges: {found:?}");
    let mut unenforced = Vec::new();
    for (field, key, at) in &found {
        let value: f64 = at.split(' ').next().and_then(|v| v.parse().ok()).expect("a number");
        match PRODUCERS.iter().find(|(f, k, _, _)| f == field && k == key) {
            Some((_, _, constant, _)) if *constant == value => {}
            Some((_, _, constant, _)) => {
                unenforced.push(format!("{field}.{key} = {at}: producers use {constant}"))
            }
            None => unenforced.push(format!("{field}.{key} = {at}: no producer enforces it")),
        }
    }
    assert!(unenforced.is_empty(), "schema ranges producers do not enforce:\n{}", unenforced.join("\n"));
}

#[test]
fn the_producer_code_named_enforces_its_bound() {
    let root = workspace();
    for (field, key, _, places) in PRODUCERS {
        for (file, holds) in *places {
            let text = std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(text.contains(holds), "{field}.{key}: {file} no longer holds `{holds}`");
        }
    }
    // The API document states the contract's range of hours.
    let model = std::fs::read_to_string(root.join(EMPLOYEE_MODEL)).expect("model");
    let stated = format!("schema(minimum = {}, maximum = {})", WEEKLY_HOURS.0, WEEKLY_HOURS.1);
    assert_eq!(
        model.matches(&stated).count(),
        2,
        "{EMPLOYEE_MODEL}: weekly_hours of a new employee and a change"
    );
    let user = std::fs::read_to_string(root.join(USER_MODEL)).expect("model");
    let why = "weekly_hours of an account's employee record";
    assert_eq!(user.matches(&stated).count(), 1, "{USER_MODEL}: {why}");
    // The limits stricter than the contract's, by construction.
    assert!(40 <= LABEL && 2 <= COUNTRY && "America/Argentina/ComodRivadavia".len() <= TIME_ZONE);
}
