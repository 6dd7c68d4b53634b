//! The command line as a user runs it.

mod engine_flag;
mod metadata_only;
mod metrics;
mod mirror;
mod real_data;
mod report;
mod serve;
mod status_model;
mod survey_load;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn shared_data() -> PathBuf {
    let dir = repo_root().join("../shared/data");
    assert!(
        dir.exists(),
        "{} is missing: the shared data sets must sit beside the repository",
        dir.display()
    );
    dir
}

pub fn orgmirror(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgmirror"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap()
}

/// Runs and expects success; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = orgmirror(args);
    assert!(
        out.status.success(),
        "orgmirror {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs and expects exit status 2 with one line on stderr; returns it.
pub fn fails(args: &[&str]) -> String {
    let out = orgmirror(args);
    assert_eq!(out.status.code(), Some(2), "orgmirror {args:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("orgmirror: error: "), "{err}");
    err
}

#[test]
fn demo_generates_ingests_aggregates_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let d = demo.to_str().unwrap();
    let out = ok(&["demo", "--dir", d, "--people", "300", "--days", "20"]);
    for needle in [
        "300 people",
        "ingested events",
        "aggregated",
        "top findings (all):",
        "mirror of ",
        "compass",
        "suggestion",
    ] {
        assert!(out.contains(needle), "demo output lacks `{needle}`:\n{out}");
    }
    // It ends by writing an org mirror and a personal mirror and saying where they are.
    for label in ["Open the org mirror:", "Open a personal mirror:"] {
        let line = out.lines().find(|l| l.starts_with(label)).unwrap();
        let path = line[label.len()..].trim();
        let html = std::fs::read_to_string(path).unwrap();
        assert!(
            html.contains("<svg") && html.ends_with("</html>\n"),
            "{path}"
        );
    }
    // A second run replaces the earlier demo; a folder that is not a demo is left alone.
    ok(&["demo", "--dir", d, "--people", "100", "--days", "5", "-q"]);
    std::fs::create_dir_all(dir.path().join("mine")).unwrap();
    let err = fails(&["demo", "--dir", dir.path().join("mine").to_str().unwrap()]);
    assert!(err.contains("not an earlier demo"), "{err}");
}

/// A new workspace `w` with the people and events of the generated folder `i` (no mapping),
/// every row accepted and every actor known from people.csv.
pub fn init_with_generated(w: &str, i: &str, events: &str) {
    ok(&["init", w]);
    ok(&[
        "--workspace",
        w,
        "ingest",
        "people",
        &format!("{i}/people.csv"),
    ]);
    let report: serde_json::Value = serde_json::from_str(&ok(&[
        "--workspace",
        w,
        "ingest",
        "events",
        &format!("{i}/{events}"),
        "--json",
    ]))
    .unwrap();
    assert_eq!(report["rejected"], serde_json::json!({}), "{report}");
    assert_eq!(report["people_added"], 0, "every actor is in people.csv");
}

#[test]
fn generated_files_load_without_a_mapping_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["parquet", "csv"] {
        let input = dir.path().join(format!("in-{format}"));
        let ws = dir.path().join(format!("ws-{format}"));
        let (i, w) = (input.to_str().unwrap(), ws.to_str().unwrap());
        ok(&[
            "generate", "--people", "150", "--days", "10", "--seed", "3", "--out", i, "--format",
            format,
        ]);
        init_with_generated(w, i, &format!("events.{format}"));
        ok(&[
            "--workspace",
            w,
            "ingest",
            "survey",
            &format!("{i}/survey.csv"),
        ]);
        let out = ok(&[
            "--workspace",
            w,
            "aggregate",
            "--window",
            "all",
            "--window",
            "2024-01-01..2024-01-08",
        ]);
        assert!(out.contains("2024-01-01..2024-01-08"), "{out}");
        let status = ok(&["--workspace", w, "status"]);
        assert!(
            status.contains("people: 150 (150 from people files"),
            "{status}"
        );
    }
    // Both formats hold the same interactions.
    let rows = |f: &str| -> String {
        let s = ok(&[
            "--workspace",
            dir.path().join(format!("ws-{f}")).to_str().unwrap(),
            "status",
        ]);
        s.lines()
            .find(|l| l.contains("interactions:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(rows("parquet"), rows("csv"));
}

#[test]
fn errors_are_one_line_with_exit_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().to_str().unwrap();
    let err = fails(&["--workspace", w, "status"]);
    assert!(err.contains("not an orgmirror workspace"), "{err}");
    ok(&["init", w]);
    let err = fails(&["init", w]);
    assert!(err.contains("already"), "{err}");
    let err = fails(&[
        "--workspace",
        w,
        "ingest",
        "people",
        "/nonexistent/people.csv",
    ]);
    assert!(err.contains("/nonexistent/people.csv"), "{err}");
    let err = fails(&["--workspace", w, "aggregate"]);
    assert!(err.contains("ingest events"), "{err}");
    let err = fails(&["--workspace", w, "aggregate", "--window", "2024-13"]);
    assert!(err.contains("2024-13"), "{err}");
    let err = fails(&["generate", "--people", "5", "--days", "3", "--out", w]);
    assert!(err.contains("too small"), "{err}");
}
