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
        // A team under the workspace's minimum group size (5) shows no style.
        let team: usize = row[col(&lh, "team_size")].parse().unwrap();
        let expected = if team < 5 {
            ""
        } else {
            l["style"].as_str().unwrap()
        };
        assert_eq!(row[col(&lh, "style")], expected, "{l}");
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
    // The workspace's admin sees names on the terminal as in files; pseudonyms with --as.
    for needle in ["mirror of ", "formal power", "compass", "paths to"] {
        assert!(mirror.contains(needle), "{needle} missing:\n{mirror}");
    }
    let findings = ok(&["--workspace", &w, "show", "findings", "--window", "all"]);
    assert!(findings.starts_with("findings (all):"), "{findings}");
    // --top N shows N findings (when there are that many) and counts the rest right.
    let (fh2, fr2) = read_csv(&dir.path().join("findings.csv"));
    let total = fr2.iter().filter(|r| r[0] == "all").count();
    let _ = fh2;
    assert!(total > 10, "{total}");
    let top = ok(&["--workspace", &w, "show", "findings", "--top", "10"]);
    let shown = top
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("  …"))
        .count();
    assert_eq!(shown, 10, "{top}");
    let more = top.lines().find(|l| l.starts_with("  …")).unwrap();
    assert!(
        more.starts_with(&format!("  … {} more", total - 10)),
        "{more} (of {total})"
    );
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
    assert!(out.contains("analyzed the survey answers alone"), "{out}");
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

/// Runs orgmirror as the workspace's admin seeing what `role` sees (`--as`).
pub(crate) fn as_role(role: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_orgmirror"))
        .args(["--as", role])
        .args(args)
        .current_dir(crate::repo_root())
        .output()
        .unwrap()
}
