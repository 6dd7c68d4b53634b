//! The status model on the shared real data: every set scored by a fit that did not see it,
//! next to the plain baselines on the same pairs (the numbers of docs/VALIDATION.md), the
//! workspace's own calibration, and survey-only mirrors that do not pretend to know how people
//! spend their time.

use crate::{ok, repo_root, shared_data};
use serde_json::Value;

fn validate_real(dir: &tempfile::TempDir) -> Value {
    let json = dir.path().join("v.json");
    ok(&[
        "validate",
        "--no-synthetic",
        "--data",
        shared_data().to_str().unwrap(),
        "--mappings",
        repo_root().join("examples").to_str().unwrap(),
        "--dir",
        dir.path().join("work").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    v["real"].clone()
}

#[test]
fn left_out_status_model_against_its_baselines_on_every_real_set() {
    let dir = tempfile::tempdir().unwrap();
    let real = validate_real(&dir);
    let status = &real["status"];
    let get = |set: &str, key: &str| status[set][key].as_f64().unwrap_or(f64::NAN);
    // Where the left-out model beats every plain baseline (docs/VALIDATION.md).
    for set in ["lazega_status", "lazega_seniority", "cross_parker"] {
        assert!(
            get(set, "model_lodo") > get(set, "best_baseline_accuracy"),
            "{set}: {}",
            status[set]
        );
    }
    assert!(get("krackhardt", "model_lodo") >= get("krackhardt", "best_baseline_accuracy"));
    assert!(get("krackhardt", "model_lodo") >= 0.95);
    assert!(get("lazega_status", "model_lodo") >= 0.90);
    // Where it falls short of the best baseline, by no more than the shortfall documented.
    for (set, shortfall) in [("enron", 0.065), ("kudu", 0.06), ("faculty_hiring", 0.01)] {
        assert!(
            get(set, "model_lodo") >= get(set, "best_baseline_accuracy") - shortfall,
            "{set}: {}",
            status[set]
        );
    }
    // Far above chance everywhere, and never worse than the old hand-weighted dominance on
    // Enron (0.485).
    for set in [
        "enron",
        "krackhardt",
        "lazega_status",
        "lazega_seniority",
        "cross_parker",
        "kudu",
        "faculty_hiring",
    ] {
        assert!(get(set, "model_lodo") > 0.74, "{set}: {}", status[set]);
        let cal = &status[set]["calibration"];
        assert!(cal["gap"].as_f64().unwrap() < 0.13, "{set}: {cal}");
        assert!(cal["brier"].as_f64().unwrap() < 0.2, "{set}: {cal}");
        let count: u64 = cal["bins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b[1].as_u64().unwrap())
            .sum();
        assert_eq!(count, status[set]["pairs"].as_u64().unwrap());
    }
    assert!(get("enron", "model_lodo") > 0.485 + 0.2);
    // Managers from Krackhardt's advice answers: better than the level-aware baseline.
    let m = &real["krackhardt_inferred_manager"];
    assert!(
        m["right"].as_u64().unwrap() > m["baseline_right"].as_u64().unwrap(),
        "{m}"
    );
}

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
