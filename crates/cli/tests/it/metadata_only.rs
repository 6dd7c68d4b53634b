//! `generate --metadata-only` as a user runs it: only what a real export carries, loaded and
//! analyzed like any real export (no survey, no mapping).

use crate::{init_with_generated, ok};

#[test]
fn metadata_only_files_load_and_analyze_without_a_survey() {
    let dir = tempfile::tempdir().unwrap();
    let (input, ws) = (dir.path().join("in"), dir.path().join("ws"));
    let (i, w) = (input.to_str().unwrap(), ws.to_str().unwrap());
    let out = ok(&[
        "generate",
        "--people",
        "200",
        "--days",
        "20",
        "--seed",
        "4",
        "--out",
        i,
        "--format",
        "csv",
        "--metadata-only",
    ]);
    assert!(out.contains("0 survey answers"), "{out}");
    let mut files: Vec<String> = std::fs::read_dir(&input)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["events.csv", "people.csv", "truth.json"]);
    let events = std::fs::read_to_string(input.join("events.csv")).unwrap();
    let mut kinds: Vec<&str> = events
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).unwrap())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds, ["accept", "decline", "meeting", "message"]);
    init_with_generated(w, i, "events.csv");
    let out = ok(&["--workspace", w, "analyze", "--window", "all"]);
    // Without request kinds, requests come from threads, and the run says so.
    assert!(
        out.contains(
            "the data carries no request kinds: requests are read as messages that opened a thread"
        ),
        "{out}"
    );
}
