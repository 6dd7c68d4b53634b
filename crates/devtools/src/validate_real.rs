//! The real-data half of `orgmirror validate` (TRUTH.md): the status model against known ranks
//! (Enron positions, Krackhardt's levels, Lazega's partners and seniority, Cross & Parker's grades,
//! Apache Kudu's committee, CS departments' USN ranks) on every rank-ordered pair, each set scored
//! by a fit that left it out, with its calibration and next to the plain baselines (volume,
//! degree, in-degree, in-strength, PageRank, HITS hub and authority); inferred managers against
//! Krackhardt's reporting lines; and communities against email-Eu-core's departments next to
//! igraph's Leiden.

use crate::validate::ValidateArgs;
use anyhow::Result;
use app::analyze::{Analysis, AnalyzeRequest};
use app::ingest::Kind as IngestWhat;
use graph::degree;
use graph::page_rank::{PageRankOptions, page_rank};
use graph::spectral::{PowerOptions, hits};
use mirror::WindowResult;
use mirror::input::Org;
use mirror::status::{self, Features, FitOptions, Labelled, StatusModel};
use std::io::Write;
use std::rc::Rc;
use store::Store;

/// igraph's Leiden on email-Eu-core (tests/reference/make_validation_reference.py).
const REFERENCE: &str = include_str!("../tests/reference/validation_reference.json");

/// Where the real data, its mapping files and the scratch workspaces are.
pub(crate) struct Paths {
    pub data: std::path::PathBuf,
    pub mappings: std::path::PathBuf,
    pub dir: std::path::PathBuf,
}

impl From<&ValidateArgs> for Paths {
    fn from(a: &ValidateArgs) -> Paths {
        Paths {
            data: a.data.clone(),
            mappings: a.mappings.clone(),
            dir: a.dir.clone(),
        }
    }
}

fn load(
    args: &Paths,
    name: &str,
    files: &[(IngestWhat, &str, &str)],
) -> Result<(app::Session, Analysis)> {
    let dir = args.dir.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let mut store = new_session(&dir)?;
    for (what, file, mapping) in files {
        let req = app::ingest::IngestRequest {
            mapping: Some(args.mappings.join(mapping)),
            ..Default::default()
        };
        store.ingest(*what, &args.data.join(file), &req, &app::Silent)?;
    }
    let a = store.analyze(
        &AnalyzeRequest {
            windows: vec!["all".into()],
            ..Default::default()
        },
        &app::Silent,
    )?;
    Ok((store, a))
}

/// A fresh workspace for validation, its admin the one running it.
pub(crate) fn new_session(dir: &std::path::Path) -> Result<app::Session> {
    app::Session::init(dir, "orgmirror-dev", app::policy::DEFAULT_MIN_GROUP)
}

/// A real data set with a known order: its analysis, the truth, and the fold it belongs to for
/// leave-one-data-set-out fitting.
pub(crate) struct RealSet {
    pub name: &'static str,
    what: &'static str,
    /// Sets in one fold are left out together (two truths of one organization).
    fold: &'static str,
    /// False for a second truth of an organization already fitted on.
    fit: bool,
    rank: Vec<Option<f64>>,
    org: Rc<Org>,
    result: Rc<WindowResult>,
}

impl RealSet {
    fn labelled(&self) -> Labelled {
        Labelled {
            name: self.name.to_string(),
            features: Features::from_values(
                self.result
                    .people
                    .iter()
                    .map(|p| p.status_features)
                    .collect(),
            ),
            balances: self
                .result
                .dyads
                .iter()
                .map(|d| (d.a, d.b, d.balance))
                .collect(),
            rank: self.rank.clone(),
        }
    }
}

/// The plain baselines of TRUTH.md on the contact graph: (name, score per person).
pub(crate) fn baselines(r: &WindowResult) -> Vec<(&'static str, Vec<f64>)> {
    let g = &r.network.contact;
    let n = g.n();
    let in_strength = degree::in_strength(g).0;
    let out_strength = degree::out_strength(g).0;
    let pr = page_rank(g, &PageRankOptions::default())
        .map(|s| s.0)
        .unwrap_or_else(|_| vec![0.0; n]);
    let (hub, auth) = match hits(g, &PowerOptions::default()) {
        Ok((h, a)) => (h.0, a.0),
        Err(_) => (vec![0.0; n], vec![0.0; n]),
    };
    vec![
        (
            "volume",
            in_strength
                .iter()
                .zip(&out_strength)
                .map(|(a, b)| a + b)
                .collect(),
        ),
        (
            "degree",
            r.people.iter().map(|p| p.contacts as f64).collect(),
        ),
        ("in_degree", degree::in_degree(g).0),
        ("in_strength", in_strength),
        ("pagerank", pr),
        ("hits_hub", hub),
        ("hits_authority", auth),
    ]
}

/// Accuracy of a status model on a set's rank-ordered pairs (TRUTH.md: senior above when the
/// probability exceeds ½, a tie counts half), and its (P(a above b), a is senior) predictions
/// for calibration, each pair seen from a side chosen by a hash of the two indices (seen always
/// from the senior, or by index order where indices follow rank, every outcome would be the same).
fn model_accuracy(model: &StatusModel, set: &RealSet) -> (f64, Vec<(f64, bool)>) {
    let lab = set.labelled();
    let s = model.strengths(&lab.features);
    let pairs = status::ordered_pairs(&lab);
    let mut total = 0.0;
    let mut predictions = Vec::with_capacity(pairs.len());
    for &(_, bal, hi, lo) in &pairs {
        let p = model.p_above(s[hi as usize], s[lo as usize], bal);
        total += status::pair_score(p, 0.5);
        predictions.push(if status::pair_side(hi, lo) {
            (p, true)
        } else {
            (1.0 - p, false)
        });
    }
    (total / pairs.len().max(1) as f64, predictions)
}

fn baseline_accuracy(score: &[f64], rank: &[Option<f64>]) -> f64 {
    let ranked: Vec<(usize, f64)> = rank
        .iter()
        .enumerate()
        .filter_map(|(p, r)| r.map(|r| (p, r)))
        .collect();
    let (mut total, mut pairs) = (0.0, 0usize);
    for (i, &(a, ra)) in ranked.iter().enumerate() {
        for &(b, rb) in &ranked[i + 1..] {
            if ra == rb {
                continue;
            }
            let (hi, lo) = if ra < rb { (a, b) } else { (b, a) };
            total += status::pair_score(score[hi], score[lo]);
            pairs += 1;
        }
    }
    total / pairs.max(1) as f64
}

/// Rank-ordered pairs and how many of them interacted.
fn pair_counts(set: &RealSet) -> (usize, usize) {
    let lab = set.labelled();
    let pairs = status::ordered_pairs(&lab);
    let touched: rustc_hash::FxHashSet<(u32, u32)> =
        set.result.dyads.iter().map(|d| (d.a, d.b)).collect();
    let met = pairs
        .iter()
        .filter(|&&(_, _, a, b)| touched.contains(&(a.min(b), a.max(b))))
        .count();
    (pairs.len(), met)
}

/// Fits on every set that may be fitted on, except those of one fold.
pub(crate) fn fit_without(sets: &[RealSet], fold: Option<&str>) -> StatusModel {
    let train: Vec<Labelled> = sets
        .iter()
        .filter(|s| s.fit && Some(s.fold) != fold)
        .map(RealSet::labelled)
        .collect();
    status::fit_calibrated(&train, &FitOptions::default())
}

pub(crate) fn status_report(
    sets: &[RealSet],
    shipped: &StatusModel,
    out: &mut impl Write,
) -> Result<serde_json::Value> {
    let mut report = serde_json::Map::new();
    writeln!(
        out,
        "  status: share of rank-ordered pairs with the senior above (all pairs; leave-one-data-set-out fit)"
    )?;
    for set in sets {
        let lodo = fit_without(sets, Some(set.fold));
        let (acc, predictions) = model_accuracy(&lodo, set);
        let (in_sample, _) = model_accuracy(shipped, set);
        let rel = status::reliability(&predictions);
        let (pairs, met) = pair_counts(set);
        let base: Vec<(&str, f64)> = baselines(&set.result)
            .into_iter()
            .map(|(name, score)| (name, baseline_accuracy(&score, &set.rank)))
            .collect();
        let best = base
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("baselines");
        writeln!(
            out,
            "  {:<44} pairs {pairs:>5} ({met} met)  model {acc:.3} (shipped, in-sample {in_sample:.3}) | best baseline {} {:.3}; calibration gap {:.3}, Brier {:.3}",
            set.what, best.0, best.1, rel.gap, rel.brier
        )?;
        writeln!(
            out,
            "  {:<44} {}",
            "",
            base.iter()
                .map(|(n, a)| format!("{n} {a:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        let mut m = serde_json::Map::new();
        m.insert("what".into(), set.what.into());
        m.insert("pairs".into(), pairs.into());
        m.insert("pairs_met".into(), met.into());
        m.insert("model_lodo".into(), acc.into());
        m.insert("model_shipped_in_sample".into(), in_sample.into());
        m.insert("lodo_weights".into(), serde_json::to_value(&lodo.weights)?);
        m.insert("lodo_pair_weight".into(), lodo.pair_weight.into());
        for (n, a) in &base {
            m.insert(n.to_string(), (*a).into());
        }
        let lab = set.labelled();
        let features: serde_json::Map<String, serde_json::Value> = status::FEATURES
            .iter()
            .enumerate()
            .filter(|(k, _)| lab.features.present[*k])
            .map(|(k, name)| {
                let score: Vec<f64> = lab.features.values.iter().map(|v| v[k]).collect();
                (
                    name.to_string(),
                    baseline_accuracy(&score, &set.rank).into(),
                )
            })
            .collect();
        m.insert("feature_accuracy".into(), features.into());
        m.insert("best_baseline".into(), best.0.into());
        m.insert("best_baseline_accuracy".into(), best.1.into());
        m.insert("calibration".into(), serde_json::to_value(&rel)?);
        report.insert(set.name.into(), m.into());
    }
    Ok(report.into())
}

/// Two tiers of Enron positions: CEO, President, Vice President, Managing Director over Director,
/// Manager, Employee, Trader, In House Lawyer (unknown positions are left out).
fn enron_tiers(org: &Org) -> Vec<Option<f64>> {
    org.titles
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
        .collect()
}

fn levels(org: &Org) -> Vec<Option<f64>> {
    let chart = org.chart.as_ref();
    (0..org.n())
        .map(|p| chart.map(|c| c.level(p) as f64))
        .collect()
}

/// A numeric attribute of the people file as a rank (`negate`: higher is more senior).
fn attribute_rank(s: &app::Session, key: &str, negate: bool) -> Result<Vec<Option<f64>>> {
    Ok(s.store()
        .people()?
        .people
        .iter()
        .map(|p| {
            p.person
                .attributes
                .get(key)
                .and_then(|s| s.trim().parse::<f64>().ok())
                .map(|s| if negate { -s } else { s })
        })
        .collect())
}

/// The labelled real organizations, analyzed: (sets, Krackhardt's analysis for managers,
/// email-Eu-core's for communities).
pub(crate) fn load_sets(args: &Paths) -> Result<(Vec<RealSet>, Analysis)> {
    use IngestWhat::{Events, People, Survey};
    let mut sets = Vec::new();
    let (_, mut a) = load(
        args,
        "enron",
        &[
            (People, "enron-igraphdata/people.csv", "enron-people.toml"),
            (Events, "enron-igraphdata/emails.csv", "enron-events.toml"),
        ],
    )?;
    sets.push(RealSet {
        name: "enron",
        what: "Enron: CEO/President/VP/MD over the rest",
        fold: "enron",
        fit: true,
        rank: enron_tiers(&a.org),
        result: Rc::new(a.results.remove(0)),
        org: Rc::new(a.org),
    });
    let (_, krackhardt) = load(
        args,
        "krackhardt",
        &[
            (People, "krackhardt/people.csv", "krackhardt-people.toml"),
            (Survey, "krackhardt/advice.csv", "krackhardt-advice.toml"),
        ],
    )?;
    sets.push(RealSet {
        name: "krackhardt",
        what: "Krackhardt advice: higher level over lower",
        fold: "krackhardt",
        fit: true,
        rank: levels(&krackhardt.org),
        org: Rc::new(krackhardt.org),
        result: Rc::new(krackhardt.results.into_iter().next().expect("window all")),
    });
    let (store, mut a) = load(
        args,
        "lazega",
        &[
            (People, "lazega/people.csv", "lazega-people.toml"),
            (Survey, "lazega/advice.csv", "lazega-advice.toml"),
            (Survey, "lazega/cowork.csv", "lazega-cowork.toml"),
        ],
    )?;
    let seniority = attribute_rank(&store, "seniority", true)?;
    let result = Rc::new(a.results.remove(0));
    let org = Rc::new(a.org);
    sets.push(RealSet {
        name: "lazega_status",
        what: "Lazega advice+cowork: partner over associate",
        fold: "lazega",
        fit: true,
        rank: levels(&org),
        org: org.clone(),
        result: result.clone(),
    });
    sets.push(RealSet {
        name: "lazega_seniority",
        what: "Lazega: more senior over less senior",
        fold: "lazega",
        fit: false,
        rank: seniority,
        org,
        result,
    });
    let (_, mut a) = load(
        args,
        "cross-parker",
        &[
            (
                People,
                "cross_parker_consulting/people.csv",
                "cross-parker-people.toml",
            ),
            (
                Survey,
                "cross_parker_consulting/advice.csv",
                "cross-parker-advice.toml",
            ),
            (
                Survey,
                "cross_parker_consulting/expertise_value.csv",
                "cross-parker-expertise.toml",
            ),
        ],
    )?;
    sets.push(RealSet {
        name: "cross_parker",
        what: "Cross & Parker consulting: higher grade over lower",
        fold: "cross_parker",
        fit: true,
        rank: levels(&a.org),
        result: Rc::new(a.results.remove(0)),
        org: Rc::new(a.org),
    });
    let (_, mut a) = load(
        args,
        "kudu",
        &[
            (People, "kudu_reviews/people.csv", "kudu-people.toml"),
            (Events, "kudu_reviews/reviews.csv", "kudu-reviews.toml"),
        ],
    )?;
    let committee = levels(&a.org)
        .into_iter()
        .map(|l| l.map(|l| if l <= 2.0 { 1.0 } else { 2.0 }))
        .collect();
    sets.push(RealSet {
        name: "kudu",
        what: "Kudu: committee (PMC) above contributor",
        fold: "kudu",
        fit: true,
        rank: committee,
        result: Rc::new(a.results.remove(0)),
        org: Rc::new(a.org),
    });
    let (store, mut a) = load(
        args,
        "faculty-hiring",
        &[
            (
                People,
                "faculty_hiring_cs/institutions.csv",
                "faculty-hiring-people.toml",
            ),
            (
                Events,
                "faculty_hiring_cs/hires.csv",
                "faculty-hiring-events.toml",
            ),
        ],
    )?;
    sets.push(RealSet {
        name: "faculty_hiring",
        what: "CS faculty hiring: better USN 2010 rank above",
        fold: "faculty_hiring",
        fit: true,
        rank: attribute_rank(&store, "usn2010_rank", false)?,
        result: Rc::new(a.results.remove(0)),
        org: Rc::new(a.org),
    });
    let (_, eu) = load(
        args,
        "email-eu-core",
        &[
            (
                People,
                "email-eu-core/departments.txt",
                "email-eu-core-people.toml",
            ),
            (
                Events,
                "email-eu-core/edges.txt",
                "email-eu-core-events.toml",
            ),
        ],
    )?;
    Ok((sets, eu))
}

pub fn run(args: &ValidateArgs, out: &mut impl Write) -> Result<serde_json::Value> {
    let mut report = serde_json::Map::new();
    writeln!(out, "real data ({}):", args.data.display())?;
    let (sets, eu) = load_sets(&Paths::from(args))?;
    let shipped = StatusModel::shipped();
    report.insert("status".into(), status_report(&sets, &shipped, out)?);
    // Krackhardt: reporting lines.
    let a = sets
        .iter()
        .find(|s| s.name == "krackhardt")
        .expect("Krackhardt is loaded");
    let chart = a.org.chart.as_ref().expect("Krackhardt has a hierarchy");
    let r = &a.result;
    let with_manager: Vec<usize> = (0..a.org.n())
        .filter(|&p| chart.manager(p).is_some())
        .collect();
    // Managers inferred with dominance from a status model that did not see Krackhardt.
    let lodo = fit_without(&sets, Some("krackhardt"));
    let strengths = lodo.strengths(&a.labelled().features);
    let dyads: Vec<mirror::dyads::Dyad> = r
        .dyads
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d.dominance_p =
                lodo.p_above(strengths[d.a as usize], strengths[d.b as usize], d.balance);
            d
        })
        .collect();
    let inferred = mirror::hierarchy::infer_managers(
        a.org.n(),
        &dyads,
        &r.network.undirected,
        &a.org.department,
    );
    let manager_predictions: Vec<(f64, bool)> = inferred
        .iter()
        .filter(|m| chart.manager(m.person as usize).is_some())
        .map(|m| {
            (
                m.p,
                chart.manager(m.person as usize) == Some(m.manager as usize),
            )
        })
        .collect();
    let manager_reliability = status::reliability(&manager_predictions);
    let right = manager_predictions.iter().filter(|x| x.1).count();
    // Ceiling: people whose manager is among their contacts at all.
    let reachable = with_manager
        .iter()
        .filter(|&&p| {
            let m = chart.manager(p).expect("has a manager");
            r.network.undirected.weight(p, m).is_some()
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
        "  {:<44} {right}/{} right ({:.3}; ceiling {reachable}, whose manager is a contact); baseline (first higher-level advisor named) {named_most}/{} ({:.3}); p calibration gap {:.3}, Brier {:.3}",
        "Krackhardt: inferred manager from advice alone",
        with_manager.len(),
        right as f64 / with_manager.len() as f64,
        with_manager.len(),
        named_most as f64 / with_manager.len() as f64,
        manager_reliability.gap,
        manager_reliability.brier
    )?;
    report.insert(
        "krackhardt_inferred_manager".into(),
        serde_json::json!({
            "right": right,
            "people": with_manager.len(),
            "ceiling": reachable,
            "baseline_right": named_most,
            "status_model": "fitted without Krackhardt",
            "calibration": manager_reliability,
        }),
    );
    // email-Eu-core: communities against departments, next to igraph's Leiden.
    let a = eu;
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
