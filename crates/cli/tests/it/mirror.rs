//! `analyze`, `show` and `export` as a user runs them, on a generated organization and on a
//! survey-only team.

use crate::{fails, ok, shared_data};

pub(crate) fn generated_workspace(dir: &std::path::Path) -> String {
    let input = dir.join("in");
    let ws = dir.join("ws");
    let (i, w) = (input.to_str().unwrap(), ws.to_str().unwrap());
    ok(&[
        "generate", "--people", "600", "--days", "30", "--seed", "5", "--out", i,
    ]);
    ok(&["init", w]);
    for (what, file) in [
        ("people", "people.csv"),
        ("events", "events.parquet"),
        ("survey", "survey.csv"),
    ] {
        ok(&[
            "--workspace",
            w,
            "ingest",
            what,
            &format!("{i}/{file}"),
            "-q",
        ]);
    }
    w.to_string()
}

pub(crate) fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn analyze_stores_every_table_and_exports_them_with_ids_and_privacy() {
    let dir = tempfile::tempdir().unwrap();
    let w = generated_workspace(dir.path());
    let out = ok(&[
        "--workspace",
        &w,
        "analyze",
        "--window",
        "all",
        "--window",
        "month",
        "-q",
    ]);
    assert!(
        out.contains("stored people, dyads, inferred_managers, groups, leaders, mirrors, findings"),
        "{out}"
    );
    assert!(out.contains("top findings (all):"), "{out}");
    let people_ids: Vec<String> = read_csv(&dir.path().join("in/people.csv"))
        .1
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    for table in [
        "people",
        "dyads",
        "inferred_managers",
        "groups",
        "leaders",
        "mirrors",
        "findings",
    ] {
        let file = dir.path().join(format!("{table}.csv"));
        ok(&[
            "--workspace",
            &w,
            "export",
            table,
            "--format",
            "csv",
            "--out",
            file.to_str().unwrap(),
        ]);
        let (header, rows) = read_csv(&file);
        assert!(!rows.is_empty(), "{table} is empty");
        assert_eq!(header[0], "window", "{table}");
        // People are named by the people file's ids.
        for col in ["person", "a", "b", "manager", "leader"] {
            if let Some(c) = header.iter().position(|h| h == col) {
                assert!(
                    rows.iter()
                        .all(|r| r[c].is_empty() || people_ids.contains(&r[c])),
                    "{table}.{col} holds an unknown id"
                );
            }
        }
    }
    // The documented dyad columns; the balance interval holds the balance; p is a probability.
    let (header, rows) = read_csv(&dir.path().join("dyads.csv"));
    let col = |n: &str| {
        header
            .iter()
            .position(|h| h == n)
            .unwrap_or_else(|| panic!("no {n}"))
    };
    for r in &rows {
        let f = |n: &str| r[col(n)].parse::<f64>().unwrap();
        assert!(f("balance_lo") <= f("balance") && f("balance") <= f("balance_hi"));
        assert!((0.0..=1.0).contains(&f("dominance_p")));
    }
    let (header, _) = read_csv(&dir.path().join("inferred_managers.csv"));
    assert_eq!(&header[1..4], ["person", "manager", "p"]);
    // Groups under the minimum size are suppressed in exports: no value for fewer than 5 people.
    let (header, rows) = read_csv(&dir.path().join("groups.csv"));
    let (m, v) = (
        header.iter().position(|h| h == "members").unwrap(),
        header.iter().position(|h| h == "value").unwrap(),
    );
    assert!(
        rows.iter()
            .all(|r| r[m].parse::<u32>().unwrap() >= 5 || r[v].is_empty())
    );
    // The planted coalition is found, member for member, and nothing else is called one.
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("in/truth.json")).unwrap())
            .unwrap();
    let mut planted: Vec<&str> = truth["coalitions"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    planted.sort_unstable();
    let (kind, person) = (
        header.iter().position(|h| h == "kind").unwrap(),
        header.iter().position(|h| h == "person").unwrap(),
    );
    let mut found: Vec<&str> = rows
        .iter()
        .filter(|r| r[0] == "all" && r[kind] == "coalition_member")
        .map(|r| r[person].as_str())
        .collect();
    found.sort_unstable();
    assert_eq!(found, planted);
    // Every planted paper-power manager is found (their reports go around them), and every
    // planted leader's style is read right (speaking time, directives, reciprocity).
    let (fh, fr) = read_csv(&dir.path().join("findings.csv"));
    let col = |h: &[String], n: &str| h.iter().position(|x| x == n).unwrap();
    let paper: Vec<&str> = fr
        .iter()
        .filter(|r| r[0] == "all" && r[col(&fh, "kind")] == "paper_power")
        .map(|r| r[col(&fh, "person")].as_str())
        .collect();
    for p in truth["paper_power"].as_array().unwrap() {
        assert!(
            paper.contains(&p.as_str().unwrap()),
            "{p} not found: {paper:?}"
        );
    }
    let (lh, lr) = read_csv(&dir.path().join("leaders.csv"));
    for l in truth["leaders"].as_array().unwrap() {
        let row = lr
            .iter()
            .find(|r| r[0] == "all" && r[col(&lh, "leader")] == l["leader"].as_str().unwrap())
            .unwrap_or_else(|| panic!("no leader row for {l}"));
        assert_eq!(row[col(&lh, "style")], l["style"].as_str().unwrap(), "{l}");
    }
    // Pseudonyms when asked; JSON and Parquet too.
    let pseudo = dir.path().join("people-pseudo.json");
    ok(&[
        "--workspace",
        &w,
        "export",
        "people",
        "--format",
        "json",
        "--pseudonymize",
        "--window",
        "all",
        "--out",
        pseudo.to_str().unwrap(),
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&pseudo).unwrap()).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 600);
    assert!(
        rows.iter()
            .all(|r| r["person"].as_str().unwrap().starts_with('p') && r["window"] == "all")
    );
    let parquet = dir.path().join("findings.parquet");
    ok(&[
        "--workspace",
        &w,
        "export",
        "findings",
        "--format",
        "parquet",
        "--out",
        parquet.to_str().unwrap(),
    ]);
    assert!(std::fs::metadata(&parquet).unwrap().len() > 0);
    // A personal mirror, with a path to someone, is recorded in the access log.
    let person = &people_ids[37];
    let target = &people_ids[0];
    let mirror = ok(&[
        "--workspace",
        &w,
        "show",
        "person",
        person,
        "--target",
        target,
    ]);
    for needle in ["mirror of p", "formal power", "compass", "paths to"] {
        assert!(mirror.contains(needle), "{needle} missing:\n{mirror}");
    }
    let findings = ok(&["--workspace", &w, "show", "findings", "--window", "all"]);
    assert!(findings.starts_with("findings (all):"), "{findings}");
    let err = fails(&["--workspace", &w, "show", "person", "nobody-here"]);
    assert!(err.contains("no person `nobody-here`"), "{err}");
    // Every person view and export is in the access log, with what was looked at.
    use store::Store;
    let log = store::SqliteStore::open(&dir.path().join("ws"))
        .unwrap()
        .access_log()
        .unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|(_, _, a, s)| (a.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        actions.iter().filter(|a| a.0 == "export").count(),
        9,
        "{actions:?}"
    );
    assert!(
        actions.contains(&("export", "people (pseudonymous ids)")),
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| a.0 == "show person").count(),
        1,
        "{actions:?}"
    );
}

#[test]
fn a_survey_only_team_gets_a_mirror() {
    let data = shared_data();
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("ws");
    let w = w.to_str().unwrap();
    ok(&["init", w]);
    let map = |f: &str| format!("examples/{f}");
    ok(&[
        "--workspace",
        w,
        "ingest",
        "people",
        data.join("krackhardt/people.csv").to_str().unwrap(),
        "--map",
        &map("krackhardt-people.toml"),
    ]);
    ok(&[
        "--workspace",
        w,
        "ingest",
        "survey",
        data.join("krackhardt/advice.csv").to_str().unwrap(),
        "--map",
        &map("krackhardt-advice.toml"),
    ]);
    let out = ok(&["--workspace", w, "analyze", "-q"]);
    assert!(out.contains("analyzing the survey answers alone"), "{out}");
    let file = dir.path().join("dyads.csv");
    ok(&[
        "--workspace",
        w,
        "export",
        "dyads",
        "--out",
        file.to_str().unwrap(),
    ]);
    let (header, rows) = read_csv(&file);
    let (a, b, p) = (
        header.iter().position(|h| h == "a").unwrap(),
        header.iter().position(|h| h == "b").unwrap(),
        header.iter().position(|h| h == "dominance_p").unwrap(),
    );
    // Over every pair at different levels (1 = CEO, 2 = VP, 3 = manager), the more senior is
    // held the more powerful far more often than chance (0.82 measured; 0.5 is a coin).
    let level: std::collections::HashMap<String, u32> =
        read_csv(&data.join("krackhardt/people.csv"))
            .1
            .into_iter()
            .map(|r| (r[0].clone(), r[3].parse().unwrap()))
            .collect();
    let (mut right, mut pairs) = (0.0, 0.0);
    for r in &rows {
        let (la, lb) = (level[&r[a]], level[&r[b]]);
        if la == lb {
            continue;
        }
        let p_a: f64 = r[p].parse().unwrap();
        let p_senior = if la < lb { p_a } else { 1.0 - p_a };
        pairs += 1.0;
        right += if p_senior > 0.5 {
            1.0
        } else if p_senior == 0.5 {
            0.5
        } else {
            0.0
        };
    }
    assert!(pairs >= 50.0 && right / pairs >= 0.75, "{right} of {pairs}");
}

/// Runs orgmirror as `viewer` (the access roles and log read $ORGMIRROR_VIEWER).
pub(crate) fn as_viewer(viewer: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_orgmirror"))
        .args(args)
        .env("ORGMIRROR_VIEWER", viewer)
        .current_dir(crate::repo_root())
        .output()
        .unwrap()
}

#[test]
fn only_identified_viewers_see_people_by_id() {
    let data = shared_data();
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("ws");
    let w = w.to_str().unwrap();
    let run = |who: &str, args: &[&str]| {
        let mut all = vec!["--workspace", w];
        all.extend(args);
        let out = as_viewer(who, &all);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The one who creates the workspace is identified; nobody else is.
    assert!(as_viewer("owner", &["init", w]).status.success());
    let people = data.join("krackhardt/people.csv");
    let advice = data.join("krackhardt/advice.csv");
    for (what, file, map) in [
        ("people", &people, "examples/krackhardt-people.toml"),
        ("survey", &advice, "examples/krackhardt-advice.toml"),
    ] {
        let (okay, _, err) = run(
            "owner",
            &["ingest", what, file.to_str().unwrap(), "--map", map],
        );
        assert!(okay, "{err}");
    }
    assert!(run("owner", &["analyze", "-q"]).0);
    let out = dir.path().join("people.csv");
    let out = out.to_str().unwrap();
    // An unknown viewer gets pseudonyms or nothing.
    let (okay, _, err) = run("guest", &["export", "people", "--out", out]);
    assert!(
        !okay && err.contains("guest sees people by pseudonym only"),
        "{err}"
    );
    let (okay, _, err) = run(
        "guest",
        &["export", "people", "--pseudonymize", "--out", out],
    );
    assert!(okay, "{err}");
    let pseudonym = read_csv(std::path::Path::new(out)).1[0][1].clone();
    assert!(pseudonym.starts_with('p'), "{pseudonym}");
    let (okay, _, err) = run("guest", &["show", "person", "1"]);
    assert!(!okay && err.contains("by pseudonym only"), "{err}");
    assert!(run("guest", &["show", "person", &pseudonym]).0);
    // Guests cannot grant themselves; the owner can, and then ids are theirs to see.
    let (okay, _, err) = run("guest", &["grant", "guest", "--role", "identified"]);
    assert!(!okay && err.contains("may not grant"), "{err}");
    assert!(run("owner", &["grant", "guest", "--role", "identified"]).0);
    let (okay, _, err) = run("guest", &["export", "people", "--out", out]);
    assert!(okay, "{err}");
    assert_eq!(read_csv(std::path::Path::new(out)).1[0][1], "1");
    // Every grant and look is in the access log, with who did it.
    use store::Store;
    let log = store::SqliteStore::open(&dir.path().join("ws"))
        .unwrap()
        .access_log()
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.1 == "owner" && e.2 == "grant" && e.3 == "guest: identified")
    );
    assert!(log.iter().any(|e| e.1 == "guest" && e.2 == "show person"));
}
