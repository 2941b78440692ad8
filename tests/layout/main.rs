//! The layout is the architecture: checks of the workspace's dependency
//! graph (from `cargo metadata`) and of the domain crates' sources.
//!
//! - A function's domain (`functions/<name>/domain`) reaches no I/O crate,
//!   directly or through its dependencies, and names none in its code.
//! - No platform crate (`platform/*`) depends on a function.
//! - Every function folder holds its domain and its adapters.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Crates a pure domain must not reach: transports, stores, HTTP, mail.
const IO_CRATES: &[&str] =
    &["axum", "rdkafka", "rusqlite", "aws-sdk-dynamodb", "aws-config", "reqwest", "lettre", "hyper"];

const FUNCTIONS: &[&str] =
    &["attendance", "audit", "compliance", "employee", "leave", "notification", "user"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// The workspace's resolved graph: package name -> names of its normal
/// (non-dev, non-build) dependencies, every package reached included.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--filter-platform", &host()])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().expect("id"), p["name"].as_str().expect("name")))
        .collect();
    let mut graph = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().expect("the resolved graph") {
        let normal = node["deps"]
            .as_array()
            .expect("deps")
            .iter()
            .filter(|d| d["dep_kinds"].as_array().expect("kinds").iter().any(|k| k["kind"].is_null()));
        let deps = normal.map(|d| names[d["pkg"].as_str().expect("pkg")].to_owned()).collect();
        graph.insert(names[node["id"].as_str().expect("id")].to_owned(), deps);
    }
    graph
}

/// The host's target triple (the graph of other platforms needs their crates).
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("-vV").output().expect("rustc -vV runs");
    let text = String::from_utf8(out.stdout).expect("rustc's answer");
    text.lines().find_map(|l| l.strip_prefix("host: ")).expect("the host triple").to_owned()
}

/// Every package `name` reaches through normal dependencies.
fn reached(graph: &BTreeMap<String, BTreeSet<String>>, name: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_owned()];
    while let Some(next) = todo.pop() {
        for dep in graph.get(&next).into_iter().flatten() {
            if seen.insert(dep.clone()) {
                todo.push(dep.clone());
            }
        }
    }
    seen
}

#[test]
fn no_domain_reaches_an_io_crate() {
    let graph = graph();
    for function in FUNCTIONS {
        let domain = format!("hrms-{function}");
        assert!(graph.contains_key(&domain), "{domain} is a workspace member");
        let bad: Vec<_> =
            reached(&graph, &domain).into_iter().filter(|d| IO_CRATES.contains(&d.as_str())).collect();
        assert!(bad.is_empty(), "{domain} reaches {bad:?}");
        let adapters = format!("hrms-{function}-adapters");
        assert!(reached(&graph, &adapters).contains(&domain), "{adapters} builds on {domain}");
    }
}

#[test]
fn no_domain_names_an_io_crate_in_its_code() {
    let crates: Vec<String> = IO_CRATES.iter().map(|c| c.replace('-', "_")).collect();
    let mut found = Vec::new();
    for function in FUNCTIONS {
        for file in rust_files(&root().join("functions").join(function).join("domain/src")) {
            let text = std::fs::read_to_string(&file).expect("a source file");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                if crates
                    .iter()
                    .any(|c| code.contains(&format!("{c}::")) || code.contains(&format!("use {c}")))
                {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "domain code names I/O crates:\n{}", found.join("\n"));
}

#[test]
fn no_platform_crate_depends_on_a_function() {
    let graph = graph();
    let platform = ["hrms-platform", "hrms-kafka", "hrms-sqlite", "hrms-dynamodb", "hrms-http"];
    for name in platform {
        let functions: Vec<_> = reached(&graph, name)
            .into_iter()
            .filter(|d| {
                FUNCTIONS.iter().any(|f| d == &format!("hrms-{f}") || d == &format!("hrms-{f}-adapters"))
            })
            .collect();
        assert!(functions.is_empty(), "{name} depends on {functions:?}");
    }
}

#[test]
fn each_function_folder_holds_its_domain_and_its_adapters() {
    for function in FUNCTIONS {
        let folder = root().join("functions").join(function);
        for part in ["domain/Cargo.toml", "domain/src/lib.rs", "adapters/Cargo.toml", "adapters/src/lib.rs"] {
            assert!(folder.join(part).is_file(), "{} has no {part}", folder.display());
        }
    }
    let entries: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .expect("functions/")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        entries,
        FUNCTIONS.iter().map(|f| f.to_string()).collect(),
        "functions/ holds the functions alone"
    );
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}
