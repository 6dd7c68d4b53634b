//! The real-data half of `orgmirror validate`: dominance against known ranks (Enron positions,
//! Krackhardt's levels, Lazega's partners and associates and seniority), inferred managers
//! against Krackhardt's reporting lines, and communities against email-Eu-core's departments,
//! each next to plain baselines (volume, degree, PageRank, HITS) or igraph's Leiden.

use crate::IngestWhat;
use crate::analyze::{AnalyzeArgs, analyze};
use crate::commands::ingest_file;
use crate::validate::ValidateArgs;
use anyhow::Result;
use graph::page_rank::{PageRankOptions, page_rank};
use graph::spectral::{PowerOptions, hits};
use mirror::WindowResult;
use std::io::Write;
use store::{SqliteStore, Store};

/// igraph's Leiden on email-Eu-core (tests/reference/make_validation_reference.py).
const REFERENCE: &str = include_str!("../tests/reference/validation_reference.json");

fn load(
    args: &ValidateArgs,
    name: &str,
    files: &[(IngestWhat, &str, &str)],
) -> Result<(SqliteStore, crate::analyze::Analysis)> {
    let dir = args.dir.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let mut store = crate::commands::new_workspace(&dir)?;
    for (what, file, mapping) in files {
        ingest_file(
            &mut store,
            *what,
            &args.data.join(file),
            Some(&args.mappings.join(mapping)),
            false,
            None,
            true,
        )?;
    }
    let a = analyze(
        &mut store,
        &AnalyzeArgs {
            windows: vec!["all".into()],
            min_group: 5,
            seed: 42,
            exact_betweenness_max: 5000,
            top: 0,
        },
        true,
        &mut std::io::sink(),
    )?;
    Ok((store, a))
}

/// Share of pairs (higher rank, lower rank) where each method puts the higher one above (ties
/// count half): ours (dominance probability) and the baselines.
fn rank_accuracy(r: &WindowResult, rank: &[Option<f64>]) -> serde_json::Value {
    let n = rank.len();
    let g = &r.network.contact;
    let pr = page_rank(g, &PageRankOptions::default())
        .map(|s| s.0)
        .unwrap_or_default();
    let auth = hits(g, &PowerOptions::default())
        .map(|h| h.1.0)
        .unwrap_or_default();
    let volume: Vec<f64> = r
        .people
        .iter()
        .map(|p| p.events_in + p.events_out)
        .collect();
    let degree: Vec<f64> = r.people.iter().map(|p| p.contacts as f64).collect();
    let baselines: [(&str, &[f64]); 4] = [
        ("volume", &volume),
        ("degree", &degree),
        ("pagerank", &pr),
        ("hits_authority", &auth),
    ];
    let mut ours = 0.0;
    let mut base = [0.0; 4];
    let mut pairs = 0usize;
    let score = |x: f64, y: f64| {
        if x > y {
            1.0
        } else if x == y {
            0.5
        } else {
            0.0
        }
    };
    for d in &r.dyads {
        let (a, b) = (d.a as usize, d.b as usize);
        if a >= n || b >= n {
            continue;
        }
        let (Some(ra), Some(rb)) = (rank[a], rank[b]) else {
            continue;
        };
        if ra == rb {
            continue;
        }
        // Lower rank number = more senior.
        let (hi, lo, p_hi) = if ra < rb {
            (a, b, d.dominance_p)
        } else {
            (b, a, 1.0 - d.dominance_p)
        };
        pairs += 1;
        ours += score(p_hi, 0.5);
        for (k, (_, s)) in baselines.iter().enumerate() {
            if let (Some(x), Some(y)) = (s.get(hi), s.get(lo)) {
                base[k] += score(*x, *y);
            }
        }
    }
    let acc = |x: f64| {
        if pairs > 0 {
            x / pairs as f64
        } else {
            f64::NAN
        }
    };
    let mut m = serde_json::Map::new();
    m.insert("pairs".into(), pairs.into());
    m.insert("dominance".into(), acc(ours).into());
    for (k, (name, _)) in baselines.iter().enumerate() {
        m.insert(name.to_string(), acc(base[k]).into());
    }
    m.into()
}

fn print_accuracy(out: &mut impl Write, what: &str, v: &serde_json::Value) -> Result<()> {
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    writeln!(
        out,
        "  {what:<44} pairs {:>5}  dominance {:.3} | volume {:.3}, degree {:.3}, PageRank {:.3}, HITS {:.3}",
        v["pairs"],
        f("dominance"),
        f("volume"),
        f("degree"),
        f("pagerank"),
        f("hits_authority")
    )?;
    Ok(())
}

pub fn run(args: &ValidateArgs, out: &mut impl Write) -> Result<serde_json::Value> {
    let mut report = serde_json::Map::new();
    writeln!(out, "real data ({}):", args.data.display())?;
    // Enron: positions as ranks.
    let (_, a) = load(
        args,
        "enron",
        &[
            (
                IngestWhat::People,
                "enron-igraphdata/people.csv",
                "enron-people.toml",
            ),
            (
                IngestWhat::Events,
                "enron-igraphdata/emails.csv",
                "enron-events.toml",
            ),
        ],
    )?;
    let rank: Vec<Option<f64>> = a
        .org
        .titles
        .iter()
        .map(|t| {
            let t = t.as_deref()?.to_ascii_lowercase();
            let tier = |p: &str| t.starts_with(p);
            if tier("ceo")
                || tier("president")
                || tier("vice president")
                || tier("managing director")
            {
                Some(1.0)
            } else if tier("director")
                || tier("manager")
                || tier("employee")
                || tier("trader")
                || tier("in house lawyer")
            {
                Some(2.0)
            } else {
                None
            }
        })
        .collect();
    let v = rank_accuracy(&a.results[0], &rank);
    print_accuracy(
        out,
        "Enron: CEO/President/VP/MD over Director/Manager/Employee/Trader",
        &v,
    )?;
    report.insert("enron_tiers".into(), v);
    // Krackhardt: levels 1-3, advice network; reporting lines.
    let (_, a) = load(
        args,
        "krackhardt",
        &[
            (
                IngestWhat::People,
                "krackhardt/people.csv",
                "krackhardt-people.toml",
            ),
            (
                IngestWhat::Survey,
                "krackhardt/advice.csv",
                "krackhardt-advice.toml",
            ),
        ],
    )?;
    let chart = a.org.chart.as_ref().expect("Krackhardt has a hierarchy");
    let rank: Vec<Option<f64>> = (0..a.org.n())
        .map(|p| Some(chart.level(p) as f64))
        .collect();
    let v = rank_accuracy(&a.results[0], &rank);
    print_accuracy(out, "Krackhardt advice: higher level over lower", &v)?;
    report.insert("krackhardt_levels".into(), v);
    let r = &a.results[0];
    let with_manager: Vec<usize> = (0..a.org.n())
        .filter(|&p| chart.manager(p).is_some())
        .collect();
    let right = with_manager
        .iter()
        .filter(|&&p| {
            r.inferred_managers
                .iter()
                .any(|m| m.person as usize == p && Some(m.manager as usize) == chart.manager(p))
        })
        .count();
    // Baseline: the most-named advisor at a higher level.
    let named_most = with_manager
        .iter()
        .filter(|&&p| {
            let mut best: Option<(f64, usize)> = None;
            for q in 0..a.org.n() {
                let w = r
                    .evidence
                    .named(p as u32, q as u32, vocab::Question::Advice)
                    * (chart.level(q) < chart.level(p)) as u8 as f64;
                if w > 0.0 && best.is_none_or(|b| w > b.0) {
                    best = Some((w, q));
                }
            }
            best.map(|b| b.1) == chart.manager(p)
        })
        .count();
    writeln!(
        out,
        "  {:<44} {right}/{} right ({:.3}); baseline (first higher-level advisor named) {named_most}/{} ({:.3})",
        "Krackhardt: inferred manager from advice alone",
        with_manager.len(),
        right as f64 / with_manager.len() as f64,
        with_manager.len(),
        named_most as f64 / with_manager.len() as f64
    )?;
    report.insert(
        "krackhardt_inferred_manager".into(),
        serde_json::json!({"right": right, "people": with_manager.len(), "baseline_right": named_most}),
    );
    // Lazega: partners over associates; seniority.
    let (store, a) = load(
        args,
        "lazega",
        &[
            (
                IngestWhat::People,
                "lazega/people.csv",
                "lazega-people.toml",
            ),
            (
                IngestWhat::Survey,
                "lazega/advice.csv",
                "lazega-advice.toml",
            ),
            (
                IngestWhat::Survey,
                "lazega/cowork.csv",
                "lazega-cowork.toml",
            ),
        ],
    )?;
    let chart = a.org.chart.as_ref().expect("Lazega has levels");
    let rank: Vec<Option<f64>> = (0..a.org.n())
        .map(|p| Some(chart.level(p) as f64))
        .collect();
    let v = rank_accuracy(&a.results[0], &rank);
    print_accuracy(out, "Lazega advice+cowork: partner over associate", &v)?;
    report.insert("lazega_status".into(), v);
    let people = store.people()?;
    let seniority: Vec<Option<f64>> = people
        .people
        .iter()
        .map(|p| {
            p.person
                .attributes
                .get("seniority")
                .and_then(|s| s.parse::<f64>().ok())
                .map(|s| -s)
        })
        .collect();
    let v = rank_accuracy(&a.results[0], &seniority);
    print_accuracy(out, "Lazega: more senior over less senior", &v)?;
    report.insert("lazega_seniority".into(), v);
    // email-Eu-core: communities against departments, next to igraph's Leiden.
    let (_, a) = load(
        args,
        "email-eu-core",
        &[
            (
                IngestWhat::People,
                "email-eu-core/departments.txt",
                "email-eu-core-people.toml",
            ),
            (
                IngestWhat::Events,
                "email-eu-core/edges.txt",
                "email-eu-core-events.toml",
            ),
        ],
    )?;
    let measure = |m: &str| {
        a.results[0]
            .groups
            .iter()
            .find(|g| g.kind == "org" && g.measure == m)
            .and_then(|g| g.value)
            .unwrap_or(f64::NAN)
    };
    let reference: serde_json::Value = serde_json::from_str(REFERENCE)?;
    let ig = &reference["email_eu_core"];
    writeln!(
        out,
        "  {:<44} NMI {:.3}, ARI {:.3}; igraph Leiden (mean of 30 seeds) NMI {:.3}, ARI {:.3}",
        "email-Eu-core: communities vs departments",
        measure("nmi_communities_departments"),
        measure("ari_communities_departments"),
        ig["leiden_nmi_mean"].as_f64().unwrap_or(f64::NAN),
        ig["leiden_ari_mean"].as_f64().unwrap_or(f64::NAN)
    )?;
    report.insert(
        "email_eu_core_departments".into(),
        serde_json::json!({
            "nmi": measure("nmi_communities_departments"),
            "ari": measure("ari_communities_departments"),
            "igraph_leiden_nmi": ig["leiden_nmi_mean"],
            "igraph_leiden_ari": ig["leiden_ari_mean"],
        }),
    );
    Ok(report.into())
}
