//! `orgmirror metrics` on real edge lists, checked against networkx's values (stored by the graph
//! crate's `tests/reference/make_reference.py`).

use super::{fails, ok, orgmirror, repo_root, shared_data};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

fn networkx() -> Value {
    let path = repo_root().join("crates/graph/tests/reference/networkx.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The node table as column name → values by node name.
fn read_table(path: &Path) -> HashMap<String, HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "node");
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        for (h, c) in header.iter().zip(&cells).skip(1) {
            out.entry(h.to_string())
                .or_default()
                .insert(cells[0].to_string(), c.to_string());
        }
    }
    out
}

fn compare(table: &HashMap<String, HashMap<String, String>>, column: &str, want: &Value, tol: f64) {
    let col = table
        .get(column)
        .unwrap_or_else(|| panic!("no column {column}"));
    for (v, w) in want.as_array().unwrap().iter().enumerate() {
        let got = &col[&v.to_string()];
        match w.as_f64() {
            None => assert_eq!(got, "", "{column}[{v}] should be empty"),
            Some(w) => {
                let g: f64 = got
                    .parse()
                    .unwrap_or_else(|_| panic!("{column}[{v}] = {got:?}"));
                assert!(
                    (g - w).abs() <= tol * w.abs().max(1.0),
                    "{column}[{v}]: {g} vs networkx {w}"
                );
            }
        }
    }
}

#[test]
fn karate_as_an_undirected_csv_matches_networkx() {
    let r = networkx();
    let g = &r["graphs"]["karate_weighted"];
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("karate.csv");
    // One row per tie, columns in an unusual order and with unusual names.
    let mut csv = String::from("w,from,to\n");
    for e in g["edges"].as_array().unwrap() {
        let (u, v) = (e[0].as_u64().unwrap(), e[1].as_u64().unwrap());
        if u < v {
            csv.push_str(&format!("{},{u},{v}\n", e[2].as_f64().unwrap()));
        }
    }
    std::fs::write(&input, csv).unwrap();
    let out = dir.path().join("nodes.csv");
    let summary = ok(&[
        "metrics",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--source-column",
        "from",
        "--target-column",
        "to",
        "--weight-column",
        "w",
    ]);
    assert!(
        summary.contains("34 nodes, 78 undirected ties"),
        "{summary}"
    );
    let t = read_table(&out);
    assert!(
        !t.contains_key("in_degree"),
        "an undirected table has no in/out"
    );
    compare(&t, "degree", &g["out_degree"], 0.0);
    compare(&t, "strength", &g["out_strength"], 1e-12);
    compare(&t, "pagerank", &g["pagerank"], 1e-8);
    compare(&t, "eigenvector", &g["eigenvector"], 1e-7);
    compare(&t, "hub", &g["hits_hubs"], 1e-7);
    compare(&t, "authority", &g["hits_authorities"], 1e-7);
    compare(&t, "katz", &g["katz"], 1e-7);
    compare(&t, "betweenness", &g["betweenness_hops"], 1e-12);
    compare(&t, "closeness", &g["closeness_hops"], 1e-12);
    compare(&t, "harmonic", &g["harmonic_hops"], 1e-12);
    compare(&t, "constraint", &g["constraint"], 1e-12);
    compare(&t, "effective_size", &g["effective_size"], 1e-12);
    compare(&t, "clustering", &g["clustering"], 1e-12);
    compare(&t, "clustering_weighted", &g["clustering_weighted"], 1e-12);
    compare(&t, "core", &g["core_number"], 0.0);
    // Weights as distances, as networkx's weight= reads them.
    ok(&[
        "metrics",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--source-column",
        "from",
        "--target-column",
        "to",
        "--weight-column",
        "w",
        "--length",
        "weight",
    ]);
    let t = read_table(&out);
    compare(&t, "betweenness", &g["betweenness_weight_as_length"], 1e-12);
    compare(&t, "closeness", &g["closeness_weight_as_length"], 1e-12);
}

#[test]
fn email_eu_core_as_a_whitespace_list_matches_networkx() {
    let r = networkx();
    let g = &r["graphs"]["email_eu_core"];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eu.csv");
    let input = shared_data().join("email-eu-core/edges.txt");
    let summary = ok(&[
        "metrics",
        input.to_str().unwrap(),
        "--directed",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(
        summary.contains("25571 rows: 1005 nodes, 24929 directed ties (642 self-loops left out)"),
        "{summary}"
    );
    let t = read_table(&out);
    compare(&t, "in_degree", &g["in_degree"], 0.0);
    compare(&t, "out_degree", &g["out_degree"], 0.0);
    compare(&t, "pagerank", &g["pagerank"], 1e-8);
    compare(&t, "betweenness", &g["betweenness_hops"], 1e-12);
    compare(&t, "closeness", &g["closeness_hops"], 1e-12);
    compare(&t, "harmonic", &g["harmonic_hops"], 1e-12);
    compare(&t, "clustering", &g["clustering"], 1e-12);
    compare(&t, "core", &g["core_number"], 0.0);
    // Components: same grouping as networkx.
    for (column, key) in [
        ("component", "weak_components"),
        ("strong_component", "strong_components"),
    ] {
        let labels = &t[column];
        for group in r["graphs"]["email_eu_core"][key].as_array().unwrap() {
            let ids: Vec<&String> = group
                .as_array()
                .unwrap()
                .iter()
                .map(|v| &labels[&v.as_u64().unwrap().to_string()])
                .collect();
            assert!(ids.windows(2).all(|w| w[0] == w[1]), "{column}");
        }
    }
    let communities: std::collections::HashSet<&String> = t["community"].values().collect();
    assert!(communities.len() > 5, "{} communities", communities.len());
    // Sampled betweenness stays within the bound it reports.
    let summary = ok(&[
        "metrics",
        input.to_str().unwrap(),
        "--directed",
        "--out",
        out.to_str().unwrap(),
        "--betweenness",
        "sampled",
        "--epsilon",
        "0.02",
    ]);
    let bound: f64 = summary
        .split("within ±")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("{summary}"))
        .parse()
        .unwrap();
    // ε = 0.02 in units of n(n−1) pairs, printed to 4 digits in networkx units, (n−1)(n−2).
    assert!(bound > 0.0 && bound <= 0.0201, "{bound}");
    compare(
        &read_table(&out),
        "betweenness",
        &g["betweenness_hops"],
        bound,
    );
}

#[test]
fn the_table_goes_to_standard_output_and_is_the_same_every_run() {
    let input = shared_data().join("krackhardt/advice.csv");
    let text = std::fs::read_to_string(&input).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The data set's own columns are not named source/target.
    let err = fails(&["metrics", input.to_str().unwrap(), "--out", "-"]);
    assert!(
        err.contains("advice.csv:1: no column \"source\" (columns: from_vid, to_vid)"),
        "{err}"
    );
    let renamed = dir.path().join("advice.csv");
    let body: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&renamed, format!("source,target\n{body}")).unwrap();
    let run = || {
        orgmirror(&[
            "metrics",
            renamed.to_str().unwrap(),
            "--out",
            "-",
            "--directed",
        ])
    };
    let (a, b) = (run(), run());
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let table = String::from_utf8(a.stdout).unwrap();
    assert_eq!(table.lines().count(), 22, "header and 21 managers");
    assert!(String::from_utf8(a.stderr).unwrap().contains("21 nodes"));
}

#[test]
fn bad_rows_are_named_by_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let out = dir.path().join("o.csv");
    let o = out.to_str().unwrap();
    let f = write("w.csv", "source,target,weight\na,b,1\nb,c,lots\n");
    let err = fails(&["metrics", &f, "--out", o]);
    assert!(
        err.contains("w.csv:3: field weight: \"lots\" is not a number"),
        "{err}"
    );
    let f = write("n.csv", "source,target,weight\na,b,-2\n");
    let err = fails(&["metrics", &f, "--out", o]);
    assert!(err.contains("n.csv:2: field weight: weight -2"), "{err}");
    let f = write("e.csv", "source,target\na,\n");
    let err = fails(&["metrics", &f, "--out", o]);
    assert!(err.contains("e.csv:2: field target: empty"), "{err}");
    let f = write("x.txt", "# comment\n1 2\n2 3 4 5\n");
    let err = fails(&["metrics", &f, "--out", o]);
    assert!(err.contains("x.txt:3: more than three fields"), "{err}");
    let f = write("y.txt", "1 2 0.5\n2 3\n");
    let err = fails(&["metrics", &f, "--out", o]);
    assert!(err.contains("y.txt:2: field weight: missing"), "{err}");
    let f = write("z.txt", "");
    let err = fails(&["metrics", &f, "--out", o]);
    assert!(err.contains("no edges"), "{err}");
    assert!(!out.exists(), "nothing written on bad input");
    // Names that are not numbers sort as text; a sniffed CSV without a .csv extension works.
    let f = write("names.edges", "source,target\nzoe,adam\nadam,mia\n");
    let table = ok(&["metrics", &f, "--out", "-", "-q"]);
    let nodes: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(nodes, ["adam", "mia", "zoe"]);
}
