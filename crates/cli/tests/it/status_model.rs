//! The workspace's own calibration of the status model, and survey-only mirrors that do not
//! pretend to know how people spend their time (the left-out scores on every real set are
//! checked by `orgmirror-dev validate`, crates/devtools/tests).

use crate::{ok, repo_root, shared_data};
use serde_json::Value;

#[test]
fn a_workspace_calibrates_on_its_own_chart_and_survey_mirrors_say_what_a_survey_shows() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("k");
    let ws = ws.to_str().unwrap();
    ok(&["init", ws]);
    let data = shared_data();
    let examples = repo_root().join("examples");
    let ingest = |what: &str, file: &str, map: &str| {
        ok(&[
            "--workspace",
            ws,
            "ingest",
            what,
            data.join(file).to_str().unwrap(),
            "--map",
            examples.join(map).to_str().unwrap(),
        ]);
    };
    ingest("people", "krackhardt/people.csv", "krackhardt-people.toml");
    ingest("survey", "krackhardt/advice.csv", "krackhardt-advice.toml");
    let status = |name: &str| -> Vec<f64> {
        let out = dir.path().join(name);
        ok(&[
            "--workspace",
            ws,
            "export",
            "people",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ]);
        let rows: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_f64().unwrap())
            .collect()
    };
    // Calibration reads the stored analysis.
    let err = crate::fails(&["--workspace", ws, "calibrate"]);
    assert!(err.contains("run `orgmirror analyze` first"), "{err}");
    ok(&["--workspace", ws, "analyze", "--window", "all"]);
    let shipped = status("shipped.json");
    let out = ok(&["--workspace", ws, "calibrate"]);
    assert!(
        out.contains("status model fitted on 21 people (84 pairs"),
        "{out}"
    );
    assert!(out.contains("cross-validated"), "{out}");
    assert_eq!(
        status("unchanged.json"),
        shipped,
        "calibrate changes nothing stored but the weights"
    );
    let weights = std::path::Path::new(ws).join("status-weights.json");
    let model: Value = serde_json::from_str(&std::fs::read_to_string(&weights).unwrap()).unwrap();
    assert_eq!(model["fitted_on"][0], "workspace");
    // The next analyze reads the workspace's own weights.
    ok(&["--workspace", ws, "analyze", "--window", "all"]);
    assert_ne!(status("own.json"), shipped);
    // Survey only: no mirror speaks of attention or time spent as if it had been measured.
    let json = dir.path().join("mirrors.json");
    ok(&[
        "--workspace",
        ws,
        "export",
        "mirrors",
        "--format",
        "json",
        "--out",
        json.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(!text.contains("of your attention"), "{text}");
    assert!(!text.contains("no contact with you"), "{text}");
    assert!(
        text.contains("colleagues you named in the survey"),
        "{text}"
    );
    let out = ok(&["--workspace", ws, "calibrate", "--reset"]);
    assert!(out.contains("shipped weights"), "{out}");
    assert!(!weights.exists());
}
