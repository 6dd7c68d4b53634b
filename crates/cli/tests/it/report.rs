//! Reports opened as a person would open them (headless Chromium through playwright-core) and
//! graph exports opened with networkx, igraph and pyarrow. `scripts/test.sh` installs all three;
//! without them these tests fail and say what to run.

use crate::mirror::{as_role, generated_workspace, read_csv};
use crate::{ok, repo_root};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> PathBuf {
    let p = std::env::var_os("ORGMIRROR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/py/bin/python"));
    assert!(
        p.exists(),
        "{} is missing: run `bash scripts/test.sh` (it makes a Python with networkx, igraph and pyarrow)",
        p.display()
    );
    p
}

fn browser_ready() {
    let modules = repo_root().join("tests/browser/node_modules/playwright-core");
    assert!(
        modules.exists(),
        "playwright-core is not installed: run `bash scripts/test.sh` (npm ci in tests/browser)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's chromium (`apt-get install chromium`; scripts/test.sh does it)"
    );
}

/// Where screenshots go: under target/, kept after the run (CI keeps them as artifacts); emptied
/// first, so call it once per run.
fn screenshot_dir() -> PathBuf {
    let d = repo_root().join("target/report-screenshots");
    // Only this run's pictures.
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn json_rows(path: &Path) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect()
}

fn export_json(
    w: &str,
    table: &str,
    dir: &Path,
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let path = dir.join(format!("{table}.json"));
    ok(&[
        "--workspace",
        w,
        "export",
        table,
        "--format",
        "json",
        "--window",
        "all",
        "--pseudonymize",
        "--out",
        path.to_str().unwrap(),
    ]);
    json_rows(&path)
}

fn s<'a>(r: &'a serde_json::Map<String, serde_json::Value>, k: &str) -> &'a str {
    r.get(k).and_then(|v| v.as_str()).unwrap_or("")
}

fn ordinal(v: f64) -> String {
    let n = (100.0 * v).round() as u32;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[test]
fn reports_open_in_a_browser_with_the_stored_numbers() {
    browser_ready();
    let dir = tempfile::tempdir().unwrap();
    let w = generated_workspace(dir.path());
    ok(&["--workspace", &w, "analyze", "-q"]);
    let reports = dir.path().join("reports");
    let r = reports.to_str().unwrap();
    // Pseudonymous view: names are pseudonyms on every page.
    let viewer = |args: &[&str]| {
        let out = as_role("pseudonymous", args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let said = viewer(&["--workspace", &w, "report", "--out", r]);
    assert!(said.contains("org-mirror.html"), "{said}");

    // The person with the most suggestions gets a personal mirror.
    let tables = dir.path().join("tables");
    std::fs::create_dir_all(&tables).unwrap();
    let mirrors = export_json(&w, "mirrors", &tables);
    let mut per_person: HashMap<String, usize> = HashMap::new();
    for m in &mirrors {
        if s(m, "section") == "suggestion" {
            *per_person.entry(s(m, "person").to_string()).or_default() += 1;
        }
    }
    let mut ranked: Vec<(&String, &usize)> = per_person.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let person = ranked[0].0.clone();
    viewer(&["--workspace", &w, "report", "--person", &person, "--out", r]);
    // A larger minimum group size suppresses small departments in every picture and table.
    let strict = dir.path().join("strict");
    viewer(&[
        "--workspace",
        &w,
        "report",
        "--min-group",
        "200",
        "--out",
        strict.to_str().unwrap(),
    ]);
    let strict_html = std::fs::read_to_string(strict.join("org-mirror.html")).unwrap();
    assert!(
        strict_html.contains("class=\"suppressed\""),
        "hatched cells"
    );
    assert!(strict_html.contains("with fewer than 200 people are not shown"));
    let org_page = reports.join("org-mirror.html");
    let person_page = reports.join(format!("mirror-{person}.html"));
    let html = std::fs::read_to_string(&org_page).unwrap();
    assert!(
        !html.contains("E000"),
        "a pseudonymous viewer's report names no ids"
    );
    for remote in ["src=\"http", "href=\"http", "url(http", "import("] {
        assert!(!html.contains(remote), "the page loads nothing ({remote})");
    }

    let shots = screenshot_dir();
    let out = Command::new("node")
        .arg(repo_root().join("tests/browser/check.mjs"))
        .arg(&shots)
        .arg(&org_page)
        .arg(&person_page)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "browser check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (org, me) = (&seen[0], &seen[1]);
    for page in [org, me] {
        assert_eq!(page["consoleErrors"], serde_json::json!([]), "{page}");
        assert_eq!(page["pageErrors"], serde_json::json!([]), "{page}");
        assert_eq!(
            page["requests"],
            serde_json::json!([]),
            "nothing fetched: {page}"
        );
        assert!(page["svgs"].as_u64().unwrap() >= 2, "charts drawn: {page}");
    }
    // The network picture rendered: a real share of the canvas is inked, in WebGL.
    let net = &org["net"];
    assert_eq!(net["renderer"], "webgl", "{net}");
    let inked = net["inked"].as_f64().unwrap() / net["pixels"].as_f64().unwrap();
    assert!(inked > 0.03, "network picture nearly empty: {net}");
    assert!(
        net["hover"]
            .as_str()
            .is_some_and(|h| h.contains("informal power")),
        "{net}"
    );
    assert!(
        net["found"]
            .as_str()
            .unwrap()
            .starts_with(net["searched"].as_str().unwrap()),
        "{net}"
    );

    // Key numbers on the page are the stored tables' numbers.
    let keys = &org["keys"];
    let people = export_json(&w, "people", &tables);
    assert_eq!(keys["people"], people.len().to_string());
    let findings = export_json(&w, "findings", &tables);
    assert_eq!(keys["findings"], findings.len().to_string());
    let kind = |k: &str| {
        findings
            .iter()
            .filter(|f| s(f, "kind") == k)
            .count()
            .to_string()
    };
    assert_eq!(keys["hidden_influencers"], kind("hidden_influencer"));
    assert_eq!(keys["paper_power"], kind("paper_power"));
    let leaders = export_json(&w, "leaders", &tables);
    for style in ["power_over", "mixed", "power_with"] {
        let n = leaders
            .iter()
            .filter(|l| s(l, "style") == style && l["team_size"].as_i64().unwrap() >= 5)
            .count();
        assert_eq!(keys[format!("leaders_{style}")], n.to_string(), "{style}");
    }
    let groups = export_json(&w, "groups", &tables);
    let nmi = groups
        .iter()
        .find(|g| s(g, "measure") == "nmi_communities_departments")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    assert_eq!(keys["nmi"], format!("{nmi:.2}"));
    let coalitions = groups
        .iter()
        .filter(|g| s(g, "kind") == "coalition" && s(g, "measure") == "density_ratio")
        .count();
    assert_eq!(keys["coalitions"], coalitions.to_string());
    let dyads = export_json(&w, "dyads", &tables);
    assert_eq!(keys["pairs"], dyads.len().to_string());
    // Ties: distinct pairs with contact in the exported graph.
    let edges_csv = dir.path().join("contact.csv");
    ok(&[
        "--workspace",
        &w,
        "export",
        "graph",
        "--format",
        "csv",
        "--pseudonymize",
        "--out",
        edges_csv.to_str().unwrap(),
    ]);
    let (_, edges) = read_csv(&edges_csv);
    let mut undirected: Vec<(String, String)> = edges
        .iter()
        .filter(|e| e[0] != e[1])
        .map(|e| {
            (
                e[0].clone().min(e[1].clone()),
                e[0].clone().max(e[1].clone()),
            )
        })
        .collect();
    undirected.sort();
    undirected.dedup();
    assert_eq!(keys["ties"], undirected.len().to_string());

    // The personal mirror shows this person's rows.
    let keys = &me["keys"];
    assert_eq!(keys["person"], person);
    let mine: Vec<_> = mirrors
        .iter()
        .filter(|m| s(m, "person") == person)
        .collect();
    let count = |section: &str| mine.iter().filter(|m| s(m, "section") == section).count() as u64;
    assert_eq!(keys["suggestions"].as_u64(), Some(count("suggestion")));
    for (key, section) in [
        ("allies", "ally"),
        ("missing_partners", "missing_partner"),
        ("out_of_balance", "out_of_balance"),
    ] {
        if count(section) > 0 {
            assert_eq!(keys[key].as_u64(), Some(count(section)), "{key}");
        }
    }
    let row = people.iter().find(|p| s(p, "person") == person).unwrap();
    assert_eq!(
        keys["informal_pct"],
        ordinal(row["informal_pct"].as_f64().unwrap())
    );
    // Screenshots are on disk for people to look at.
    for shot in ["org-mirror.png", "org-mirror-network.png"] {
        let len = std::fs::metadata(shots.join(shot)).unwrap().len();
        assert!(len > 20_000, "{shot} is {len} bytes");
    }
}

#[test]
fn graph_exports_open_in_networkx_igraph_and_pyarrow() {
    let py = python();
    let dir = tempfile::tempdir().unwrap();
    let w = generated_workspace(dir.path());
    ok(&["--workspace", &w, "analyze", "-q", "--window", "all"]);
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    for (format, file) in [
        ("graphml", "g.graphml"),
        ("gexf", "g.gexf"),
        ("csv", "g.csv"),
        ("parquet", "g.parquet"),
    ] {
        ok(&[
            "--workspace",
            &w,
            "export",
            "graph",
            "--format",
            format,
            "--layer",
            "communication",
            "--out",
            &path(file),
        ]);
    }
    ok(&[
        "--workspace",
        &w,
        "export",
        "people",
        "--format",
        "parquet",
        "--out",
        &path("people.parquet"),
    ]);
    // What orgmirror's own CSV says: edges, total weight, one edge and one node.
    let (head, edges) = read_csv(Path::new(&path("g.csv")));
    assert_eq!(&head[..3], ["source", "target", "weight"]);
    let weight_sum: f64 = edges.iter().map(|e| e[2].parse::<f64>().unwrap()).sum();
    let probe_edge = edges
        .iter()
        .max_by(|a, b| {
            a[2].parse::<f64>()
                .unwrap()
                .total_cmp(&b[2].parse().unwrap())
        })
        .unwrap()
        .clone();
    let (nhead, nodes) = read_csv(Path::new(&path("g.nodes.csv")));
    let col = |name: &str| nhead.iter().position(|h| h == name).unwrap();
    let probe = nodes
        .iter()
        .find(|n| !n[col("informal_pct")].is_empty() && !n[col("department")].is_empty())
        .unwrap()
        .clone();

    let out = Command::new(&py)
        .arg(repo_root().join("tests/interop/check_graph.py"))
        .args([
            path("g.graphml"),
            path("g.gexf"),
            probe[0].clone(),
            probe_edge[0].clone(),
            probe_edge[1].clone(),
            path("g.parquet"),
            path("g.nodes.parquet"),
            path("people.parquet"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check_graph.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for reader in ["networkx_graphml", "networkx_gexf", "igraph_graphml"] {
        let g = &seen[reader];
        assert_eq!(g["directed"], true, "{reader}");
        assert_eq!(g["nodes"].as_u64(), Some(nodes.len() as u64), "{reader}");
        assert_eq!(g["edges"].as_u64(), Some(edges.len() as u64), "{reader}");
        let sum = g["weight_sum"].as_f64().unwrap();
        assert!(
            (sum - weight_sum).abs() <= 1e-9 * weight_sum,
            "{reader}: {sum} vs {weight_sum}"
        );
        let e = &g["edge"];
        assert_eq!(e["weight"].as_f64(), probe_edge[2].parse().ok(), "{reader}");
        assert_eq!(
            e["communication"].as_f64(),
            probe_edge[2].parse().ok(),
            "{reader}"
        );
        let n = &g["node"];
        assert_eq!(n["department"], probe[col("department")], "{reader}");
        assert_eq!(
            n["informal_pct"].as_f64(),
            probe[col("informal_pct")].parse().ok(),
            "{reader}"
        );
        assert_eq!(
            n["level"].as_f64(),
            probe[col("level")].parse().ok(),
            "{reader}: level"
        );
    }
    let parquet = &seen["parquet"];
    assert_eq!(
        parquet[path("g.parquet")]["rows"].as_u64(),
        Some(edges.len() as u64)
    );
    assert_eq!(
        parquet[path("g.nodes.parquet")]["rows"].as_u64(),
        Some(nodes.len() as u64)
    );
    let people = &parquet[path("people.parquet")];
    assert_eq!(people["rows"].as_u64(), Some(nodes.len() as u64));
    assert!(
        people["columns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "informal_pct")
    );

    // GraphML and GEXF are for the graph; tables say so.
    let err = crate::fails(&[
        "--workspace",
        &w,
        "export",
        "people",
        "--format",
        "graphml",
        "--out",
        &path("x.graphml"),
    ]);
    assert!(err.contains("export graph"), "{err}");
    let err = crate::fails(&[
        "--workspace",
        &w,
        "export",
        "graph",
        "--layer",
        "gossip",
        "--out",
        &path("x.csv"),
    ]);
    assert!(err.contains("no layer `gossip`"), "{err}");
}
