//! Every data set of shared/data loads through its mapping file in examples/, with its known
//! quirks counted in the summary.

use crate::{ok, repo_root, shared_data};
use serde_json::Value;

fn ingest(ws: &str, what: &str, file: &str, mapping: &str) -> Value {
    let file = shared_data().join(file);
    let mapping = repo_root().join("examples").join(mapping);
    let out = ok(&[
        "--workspace",
        ws,
        "ingest",
        what,
        file.to_str().unwrap(),
        "--map",
        mapping.to_str().unwrap(),
        "--json",
    ]);
    serde_json::from_str(&out).unwrap()
}

fn workspace(dir: &tempfile::TempDir, name: &str) -> String {
    let ws = dir.path().join(name);
    ok(&["init", ws.to_str().unwrap()]);
    ws.to_str().unwrap().to_string()
}

#[test]
fn krackhardt_managers_with_their_reporting_lines() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(&dir, "k");
    let r = ingest(
        &ws,
        "people",
        "krackhardt/people.csv",
        "krackhardt-people.toml",
    );
    assert_eq!(r["accepted"], 21);
    assert_eq!(
        r["repaired"],
        serde_json::json!({}),
        "every manager in reports_to.csv is a known person"
    );
    for (file, map, n) in [
        ("krackhardt/advice.csv", "krackhardt-advice.toml", 190),
        (
            "krackhardt/friendship.csv",
            "krackhardt-friendship.toml",
            102,
        ),
    ] {
        let r = ingest(&ws, "survey", file, map);
        assert_eq!(r["answers"], n);
        assert_eq!(r["people_added"], 0);
    }
    let status = ok(&["--workspace", &ws, "status"]);
    assert!(status.contains("survey answers: 292"), "{status}");
}

#[test]
fn lazega_law_firm_with_three_networks() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(&dir, "l");
    let r = ingest(&ws, "people", "lazega/people.csv", "lazega-people.toml");
    assert_eq!(r["accepted"], 71);
    for (net, n) in [("advice", 892), ("friendship", 575), ("cowork", 1104)] {
        let r = ingest(
            &ws,
            "survey",
            &format!("lazega/{net}.csv"),
            &format!("lazega-{net}.toml"),
        );
        assert_eq!(r["answers"], n, "{net}");
    }
}

#[test]
fn email_eu_core_undated_edges_with_self_loops() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(&dir, "e");
    let r = ingest(
        &ws,
        "people",
        "email-eu-core/departments.txt",
        "email-eu-core-people.toml",
    );
    assert_eq!(r["accepted"], 1005);
    let r = ingest(
        &ws,
        "events",
        "email-eu-core/edges.txt",
        "email-eu-core-events.toml",
    );
    assert_eq!(r["rows_read"], 25571);
    assert_eq!(r["skipped"]["self_loop"], 642);
    assert_eq!(r["rows_stored"], 25571 - 642);
    // Counted independently: 19 people of departments.txt appear in no edge but a self-loop.
    assert_eq!(r["people_without_interactions"], 19);
    let out = ok(&["--workspace", &ws, "aggregate"]);
    assert!(out.contains("24929 undated"), "{out}");
}

#[test]
fn enron_emails_with_every_known_quirk() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(&dir, "n");
    let r = ingest(
        &ws,
        "people",
        "enron-igraphdata/people.csv",
        "enron-people.toml",
    );
    assert_eq!(r["accepted"], 184);
    let r = ingest(
        &ws,
        "events",
        "enron-igraphdata/emails.csv",
        "enron-events.toml",
    );
    assert_eq!(r["rows_read"], 125_409);
    assert_eq!(r["skipped"]["timestamp_out_of_range"], 174);
    // Self-loops are 16,483 rows in the file; 73 of them carry a bogus time and go first.
    assert_eq!(r["skipped"]["self_loop"], 16_410);
    // Every bcc row repeats a cc row: at least that many duplicates are dropped.
    assert!(r["skipped"]["duplicate_recipient"].as_u64().unwrap() >= 22_193 - 174);
    assert_eq!(
        r["repaired"]["timestamp_without_zone"],
        r["rows_read"].as_u64().unwrap() - 174
    );
    assert_eq!(r["rejected"], serde_json::json!({}));
    let out = ok(&[
        "--workspace",
        &ws,
        "aggregate",
        "--window",
        "all",
        "--window",
        "quarter",
    ]);
    assert!(out.contains("paired by next message back"), "{out}");
}

#[test]
fn viva_insights_person_to_person_export() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(&dir, "v");
    let r = ingest(
        &ws,
        "people",
        "vivainsights-p2p/p2p_data.csv",
        "viva-people.toml",
    );
    assert_eq!(r["people_added"], 548);
    let r = ingest(
        &ws,
        "events",
        "vivainsights-p2p/p2p_data.csv",
        "viva-events.toml",
    );
    assert_eq!(r["rows_stored"], 11_550);
    assert_eq!(r["rejected"], serde_json::json!({}));
}
