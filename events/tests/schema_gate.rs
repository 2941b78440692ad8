//! The schema gate: every schema file as it was published (at the last
//! release tag, else at the merge base with `main`; read with `git show`)
//! against the file in the working tree. A change made to the code and its
//! schema file together still fails when it breaks readers (removed or
//! retyped field, newly required field, changed enumeration): a breaking
//! change needs a new `vN` of the type (`src/versions.rs`).
//!
//! `HRMS_SCHEMA_BASE=<rev>` names the base explicitly. Outside a git work
//! tree, or with no tag and no merge base (a shallow clone), the gate says
//! so and checks nothing. On `main` itself the merge base is `HEAD`: the gate
//! then checks only uncommitted changes (branches are what it gates).

use std::path::{Path, PathBuf};
use std::process::Command;

use hrms_events::schema::{breaking_changes, parse_file_name};
use serde_json::Value;

fn schemas() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

/// Runs git in `dir`; its trimmed output, or what it said on failure.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
    }
}

/// The revision the published schemas are read at, and why that one; or why
/// there is none.
fn base(dir: &Path) -> Result<(String, String), String> {
    if let Some(rev) = std::env::var_os("HRMS_SCHEMA_BASE") {
        let rev = rev.to_string_lossy().into_owned();
        return Ok((rev, "HRMS_SCHEMA_BASE".into()));
    }
    git(dir, &["rev-parse", "--is-inside-work-tree"]).map_err(|e| format!("not a git work tree ({e})"))?;
    if let Ok(tag) = git(dir, &["describe", "--tags", "--abbrev=0"]) {
        return Ok((tag.clone(), format!("the last release tag {tag}")));
    }
    for main in ["origin/main", "main"] {
        if let Ok(rev) = git(dir, &["merge-base", "HEAD", main]) {
            return Ok((rev, format!("the merge base with {main}")));
        }
    }
    Err("no release tag, and no merge base with origin/main or main (a shallow clone?)".into())
}

/// Every breaking change from the schema files of `dir` (a directory of
/// `<type>.v<N>.json` files in a git work tree) at `rev` to the same files
/// in the work tree.
fn breaking_since(dir: &Path, rev: &str) -> Result<Vec<String>, String> {
    let published = git(dir, &["ls-tree", "--name-only", rev, "./"])?;
    let mut found = Vec::new();
    for file in published.lines().map(|path| path.rsplit('/').next().unwrap_or(path)) {
        let Some((ty, version)) = parse_file_name(file) else { continue };
        let read = |text: &str| serde_json::from_str::<Value>(text).map_err(|e| format!("{file}: {e}"));
        let before = read(&git(dir, &["show", &format!("{rev}:./{file}")])?)?;
        let Ok(now) = std::fs::read_to_string(dir.join(file)) else {
            found.push(format!("{ty} v{version}: its schema file was removed"));
            continue;
        };
        for change in breaking_changes(&before, &read(&now)?) {
            found.push(format!("{ty} v{version}: {change}"));
        }
    }
    Ok(found)
}

/// The gate's verdict on what [`breaking_since`] found.
fn verdict(rev: &str, found: &[String]) -> Result<(), String> {
    if found.is_empty() {
        return Ok(());
    }
    Err(format!(
        "breaking changes to schemas published at {rev}:\n  {}\n\
         A published version is read by consumers already deployed: keep it as it was. \
         A breaking change needs a new `vN` type version (events/src/versions.rs; readers first, \
         then writers; docs/events.md, \"Versions\").",
        found.join("\n  ")
    ))
}

#[test]
fn published_schemas_stay_compatible() {
    let dir = schemas();
    let (rev, why) = match base(&dir) {
        Ok(base) => base,
        Err(reason) => {
            println!("schema gate SKIPPED: {reason}; nothing to compare the schemas with");
            return;
        }
    };
    println!("schema gate: comparing events/schemas with {rev} ({why})");
    let found = breaking_since(&dir, &rev).unwrap_or_else(|e| panic!("reading the schemas at {rev}: {e}"));
    if let Err(message) = verdict(&rev, &found) {
        panic!("{message}");
    }
}

/// A throwaway clone: a compatible change passes the gate, a field removed
/// from a schema in a commit fails it, with the message that asks for `v2`.
#[test]
fn a_breaking_change_committed_in_a_clone_fails_the_gate() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Err(reason) = git(&repo, &["rev-parse", "--verify", "HEAD"]) {
        println!("SKIPPED: the source tree is not a git repository with a commit ({reason})");
        return;
    }
    let temp = std::env::temp_dir().join(format!("hrms-schema-gate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    let clone = temp.join("repo");
    git(&repo, &["clone", "--quiet", ".", &clone.to_string_lossy()]).expect("cloned");
    let dir = clone.join("events/schemas");
    let base = git(&clone, &["rev-parse", "HEAD"]).expect("a commit");
    let file = dir.join("leave.approved.v1.json");
    let commit = |message: &str, edit: &dyn Fn(&mut Value)| {
        let mut schema: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("readable")).expect("JSON");
        edit(&mut schema);
        std::fs::write(&file, serde_json::to_string_pretty(&schema).expect("JSON")).expect("writable");
        let identity = ["-c", "user.name=gate test", "-c", "user.email=gate@example.invalid"];
        git(&clone, &[&identity[..], &["commit", "--quiet", "-am", message]].concat()).expect("committed");
    };

    commit("an optional field", &|s| {
        s["properties"]["note"] = serde_json::json!({ "type": ["string", "null"] });
    });
    let found = breaking_since(&dir, &base).expect("compared");
    assert_eq!(found, Vec::<String>::new(), "an optional field is compatible");

    commit("balance_after removed", &|s| {
        s["properties"].as_object_mut().expect("properties").remove("balance_after");
        let required = s["required"].as_array_mut().expect("required");
        required.retain(|name| name != "balance_after");
    });
    let found = breaking_since(&dir, &base).expect("compared");
    assert_eq!(found, ["leave.approved v1: field $.balance_after was removed"]);
    let message = verdict(&base, &found).expect_err("the gate fails");
    assert!(message.contains("needs a new `vN` type version"), "{message}");

    git(&clone, &["rm", "--quiet", "events/schemas/leave.rejected.v1.json"]).expect("removed");
    let found = breaking_since(&dir, &base).expect("compared");
    assert!(found.contains(&"leave.rejected v1: its schema file was removed".to_owned()), "{found:?}");

    let _ = std::fs::remove_dir_all(&temp);
}

#[test]
fn outside_a_git_work_tree_there_is_no_base() {
    if std::env::var_os("HRMS_SCHEMA_BASE").is_some() {
        return;
    }
    let outside = std::env::temp_dir().join(format!("hrms-no-git-{}", std::process::id()));
    std::fs::create_dir_all(&outside).expect("a directory");
    let found = base(&outside);
    let _ = std::fs::remove_dir_all(&outside);
    // A temporary directory inside some repository would have a base.
    if git(&std::env::temp_dir(), &["rev-parse", "--is-inside-work-tree"]).is_err() {
        assert!(found.is_err_and(|reason| reason.starts_with("not a git work tree")));
    }
}
