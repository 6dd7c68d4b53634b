//! ARCHITECTURE.md's dependency arrows and layer invariants, checked against the code: the
//! crates' dependencies from `cargo metadata`, and the sources of the crates that must do no IO
//! or hold no policy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The arrows written in ARCHITECTURE.md: the block after "<!-- dependencies -->".
fn documented() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    let start = text
        .find("<!-- dependencies -->")
        .expect("ARCHITECTURE.md has a <!-- dependencies --> block");
    let block = &text[start..];
    let body = block
        .split("```")
        .nth(1)
        .expect("the dependencies block is fenced");
    body.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(name, deps)| {
            let mut d: Vec<String> = deps.split_whitespace().map(str::to_string).collect();
            d.sort();
            (name.trim().to_string(), d)
        })
        .collect()
}

/// The workspace crates' normal (not dev, not build) dependencies on each other.
fn actual() -> BTreeMap<String, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let names: Vec<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    packages
        .iter()
        .map(|p| {
            let mut deps: Vec<String> = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_string())
                .filter(|d| names.contains(&d.as_str()))
                .collect();
            deps.sort();
            deps.dedup();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

#[test]
fn crates_depend_on_each_other_as_architecture_says() {
    assert_eq!(
        actual(),
        documented(),
        "cargo metadata (left) against ARCHITECTURE.md (right)"
    );
}

#[test]
fn front_ends_hold_no_analysis_and_the_model_and_pages_do_no_io() {
    let deps = actual();
    // The front ends reach everything through app (the command line also starts the server).
    assert_eq!(deps["cli"], ["app", "server"]);
    assert_eq!(deps["server"], ["app"]);
    // Nothing below the application depends on it; only front ends do.
    for (name, d) in &deps {
        if !matches!(name.as_str(), "cli" | "server" | "devtools") {
            assert!(
                !d.iter().any(|x| x == "app"),
                "{name} depends on app: only front ends may"
            );
        }
    }
    // mirror and report: values in, values out.
    let io = [
        "std::fs",
        "File::",
        "read_table",
        "RowGroups::open",
        "TableWriter::create",
        "EventReader",
        "std::io::stdin",
        "std::env::var",
    ];
    for krate in ["mirror", "report"] {
        for file in sources(&repo().join("crates").join(krate).join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            for call in io {
                assert!(
                    !code.contains(call),
                    "{} does IO ({call}); {krate} takes values and returns values",
                    file.display()
                );
            }
        }
    }
    // One policy module writes the access log and grants.
    for file in sources(&repo().join("crates/app/src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        if file.ends_with("policy.rs") {
            continue;
        }
        for call in [".audit(", "store.grant(", ".set_setting("] {
            assert!(
                !text.contains(call),
                "{} calls {call}: only app::policy writes the log and settings",
                file.display()
            );
        }
    }
}

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}
