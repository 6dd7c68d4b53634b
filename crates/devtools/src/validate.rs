//! `orgmirror validate`: how well the mirror finds what is planted in generated organizations
//! (generated in the full mode, with only what a real export carries, or both), and how it does
//! on real data against plain baselines. Prints a table and can write JSON.

use anyhow::{Context, Result};
use app::analyze::{Analysis, AnalyzeRequest};
use app::ingest::Kind;
use mirror::WindowResult;
use mirror::findings::FindingKind;
use mirror::input::Org;
use rustc_hash::{FxHashMap, FxHashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Which generator mode the planted dynamics are measured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidateMode {
    /// Every kind, speaking times and the survey.
    Full,
    /// Only what a real mail and calendar export carries (`generate --metadata-only`).
    MetadataOnly,
    /// Both, side by side.
    Both,
}

impl ValidateMode {
    /// The generator modes to run, as (name in output, metadata_only).
    fn runs(self) -> &'static [(&'static str, bool)] {
        match self {
            ValidateMode::Full => &[("full", false)],
            ValidateMode::MetadataOnly => &[("metadata_only", true)],
            ValidateMode::Both => &[("full", false), ("metadata_only", true)],
        }
    }
}

#[derive(clap::Args, Clone)]
pub struct ValidateArgs {
    /// Generated organizations: S (1,000 people, 90 days), M (10,000 people, 60 days).
    #[arg(long = "size", default_values_t = vec!["S".to_string()])]
    pub sizes: Vec<String>,
    /// Seeds per size (1, 2, ...).
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Generator mode of the synthetic organizations: full, metadata-only, or both.
    #[arg(long, value_enum, default_value = "both")]
    pub mode: ValidateMode,
    /// Folder of the real data sets and the mapping files' data (default ../shared/data).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Folder of the mapping files (default examples).
    #[arg(long, default_value = "examples")]
    pub mappings: PathBuf,
    #[arg(long)]
    pub no_synthetic: bool,
    #[arg(long)]
    pub no_real: bool,
    /// Where to work (replaced).
    #[arg(long, default_value = "target/validate")]
    pub dir: PathBuf,
    /// Write every number as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Default, Clone, Copy, serde::Serialize)]
struct Counts {
    tp: u64,
    fp: u64,
    fn_: u64,
}

impl Counts {
    fn add(&mut self, predicted: &FxHashSet<(u32, u32)>, truth: &FxHashSet<(u32, u32)>) {
        self.tp += predicted.intersection(truth).count() as u64;
        self.fp += predicted.difference(truth).count() as u64;
        self.fn_ += truth.difference(predicted).count() as u64;
    }
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

fn one(x: u32) -> (u32, u32) {
    (x, u32::MAX)
}

fn pair(a: u32, b: u32) -> (u32, u32) {
    (a.min(b), a.max(b))
}

/// Predicted and planted sets for every dynamic of one generated organization.
fn score_synthetic(
    org: &Org,
    r: &WindowResult,
    truth: &synth::Truth,
    into: &mut FxHashMap<&'static str, Counts>,
) {
    let idx: FxHashMap<&str, u32> = org
        .ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i as u32))
        .collect();
    let id = |s: &str| idx.get(s).copied();
    let set = |it: &mut dyn Iterator<Item = (u32, u32)>| it.collect::<FxHashSet<_>>();
    let found = |kind: &str| {
        set(&mut r
            .findings
            .iter()
            .filter(|f| f.kind.as_str() == kind)
            .filter_map(|f| f.person.map(one)))
    };
    let role = |name: &str| {
        set(&mut r
            .people
            .iter()
            .filter(|p| p.roles.iter().any(|x| x.name == name))
            .map(|p| one(p.person)))
    };
    let mut add =
        |name: &'static str, predicted: FxHashSet<(u32, u32)>, planted: FxHashSet<(u32, u32)>| {
            into.entry(name).or_default().add(&predicted, &planted);
        };
    add(
        "hidden_influencers",
        found("hidden_influencer"),
        set(&mut truth
            .hidden_influencers
            .iter()
            .filter_map(|h| id(&h.person).map(one))),
    );
    add(
        "paper_power",
        found("paper_power"),
        set(&mut truth.paper_power.iter().filter_map(|p| id(p).map(one))),
    );
    // Unbalanced pairs between people of the same level band (as planted), and which side holds
    // power: a pair counts only when found with the right holder.
    let same_band = |a: u32, b: u32| {
        org.chart
            .as_ref()
            .is_some_and(|c| c.level(a as usize) == c.level(b as usize))
    };
    add(
        "unbalanced_pairs",
        set(&mut r
            .findings
            .iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    FindingKind::UnbalancedRelationship | FindingKind::PowerAgainstStatus
                )
            })
            .filter_map(|f| Some((f.person?, f.other?)))
            .filter(|&(a, b)| same_band(a, b))),
        set(&mut truth
            .unbalanced_pairs
            .iter()
            .filter_map(|u| Some((id(&u.holder)?, id(&u.yielder)?)))),
    );
    for style in ["power_over", "power_with"] {
        add(
            if style == "power_over" {
                "leaders_power_over"
            } else {
                "leaders_power_with"
            },
            set(&mut r
                .leaders
                .iter()
                .filter(|l| l.style == style)
                .map(|l| one(l.leader))),
            set(&mut truth
                .leaders
                .iter()
                .filter(|l| l.style == style)
                .filter_map(|l| id(&l.leader).map(one))),
        );
    }
    let dept = |name: &str| {
        org.departments
            .iter()
            .position(|d| d == name)
            .map(|d| one(d as u32))
    };
    add(
        "silos",
        set(&mut r
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Silo)
            .filter_map(|f| f.group.as_deref().and_then(dept))),
        set(&mut truth.siloed_departments.iter().filter_map(|d| dept(d))),
    );
    // Coalition members: people of the groups reported as coalitions.
    let reported: FxHashSet<&str> = r
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Coalition)
        .filter_map(|f| f.group.as_deref())
        .collect();
    add(
        "coalition_members",
        set(&mut r
            .groups
            .iter()
            .filter(|g| g.kind == "coalition_member" && reported.contains(g.group.as_str()))
            .filter_map(|g| g.person.map(one))),
        set(&mut truth
            .coalitions
            .iter()
            .flat_map(|c| c.members.iter())
            .filter_map(|m| id(m).map(one))),
    );
    add(
        "caretakers",
        role("caretaker"),
        set(&mut truth.caretakers.iter().filter_map(|p| id(p).map(one))),
    );
    add(
        "bottlenecks",
        role("bottleneck"),
        set(&mut truth.bottlenecks.iter().filter_map(|p| id(p).map(one))),
    );
    add(
        "allies",
        set(&mut r
            .mirrors
            .iter()
            .filter(|m| m.section == "ally")
            .filter_map(|m| Some(pair(m.person, m.other?)))),
        set(&mut truth
            .allies
            .iter()
            .filter_map(|a| Some(pair(id(&a.a)?, id(&a.b)?)))),
    );
}

fn fresh(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

fn run_analysis(s: &mut app::Session, seed: u64) -> Result<Analysis> {
    let req = AnalyzeRequest {
        windows: vec!["all".into()],
        seed,
        ..Default::default()
    };
    s.analyze(&req, &app::Silent)
}

/// Generates one organization in `dir/input` and scores what `analyze` finds in it.
fn run_synthetic(
    dir: &Path,
    (people, days, seed): (usize, u32, u64),
    metadata_only: bool,
    counts: &mut FxHashMap<&'static str, Counts>,
    tree: &mut TreeScores,
) -> Result<()> {
    fresh(dir)?;
    let input = dir.join("input");
    let bars = app::Silent;
    let mut cfg = synth::GenerateConfig::new(people, days, seed);
    cfg.metadata_only = metadata_only;
    let summary = app::ingest::generate(&cfg, &input, &bars)?;
    let mut store = crate::validate_real::new_session(&dir.join("workspace"))?;
    // Exactly the files this run wrote: the metadata-only mode writes no survey.
    for file in &summary.files {
        let what = match file.file_name().and_then(|n| n.to_str()) {
            Some("people.csv") => Kind::People,
            Some("events.parquet") => Kind::Events,
            Some("survey.csv") => Kind::Survey,
            _ => continue,
        };
        store.ingest(what, file, &Default::default(), &bars)?;
    }
    let a = run_analysis(&mut store, seed)?;
    let truth: synth::Truth =
        serde_json::from_str(&std::fs::read_to_string(input.join("truth.json"))?)?;
    score_synthetic(&a.org, &a.results[0], &truth, counts);
    tree_scores(&a.org, &a.results[0], tree);
    Ok(())
}

/// Reading the generated formal tree: for direct (manager, report) pairs and for all (ancestor,
/// descendant) pairs, the sum of scores (TRUTH.md: the boss above by `dominance_p` where the two
/// met, else by status) and the number of pairs, for the status model and each plain baseline.
#[derive(Default, Clone)]
struct TreeScores {
    /// (method, direct score, ancestor score)
    sums: Vec<(&'static str, f64, f64)>,
    direct: u64,
    ancestor: u64,
    met_direct: u64,
}

fn tree_scores(org: &Org, r: &WindowResult, into: &mut TreeScores) {
    let Some(chart) = org.chart.as_ref() else {
        return;
    };
    let dominance: FxHashMap<(u32, u32), f64> = r
        .dyads
        .iter()
        .map(|d| ((d.a, d.b), d.dominance_p))
        .collect();
    let status: Vec<f64> = r.people.iter().map(|p| p.status).collect();
    let mut methods: Vec<(&'static str, Vec<f64>)> = vec![("status model", status.clone())];
    methods.extend(crate::validate_real::baselines(r));
    if into.sums.is_empty() {
        into.sums = methods.iter().map(|(n, _)| (*n, 0.0, 0.0)).collect();
    }
    let ours = |boss: usize, sub: usize| -> f64 {
        let key = (boss.min(sub) as u32, boss.max(sub) as u32);
        match dominance.get(&key) {
            Some(&p) => {
                let p = if boss < sub { p } else { 1.0 - p };
                mirror::status::pair_score(p, 0.5)
            }
            None => mirror::status::pair_score(status[boss], status[sub]),
        }
    };
    for sub in 0..org.n() {
        let mut up = chart.manager(sub);
        let mut direct = true;
        while let Some(boss) = up {
            for (k, (_, score)) in methods.iter().enumerate() {
                let s = if k == 0 {
                    ours(boss, sub)
                } else {
                    mirror::status::pair_score(score[boss], score[sub])
                };
                if direct {
                    into.sums[k].1 += s;
                }
                into.sums[k].2 += s;
            }
            if direct {
                into.direct += 1;
                let key = (boss.min(sub) as u32, boss.max(sub) as u32);
                into.met_direct += dominance.contains_key(&key) as u64;
            }
            into.ancestor += 1;
            direct = false;
            up = chart.manager(boss);
        }
    }
}

fn write_tree(
    out: &mut impl Write,
    modes: &[(&'static str, TreeScores)],
) -> Result<serde_json::Value> {
    let mut json = serde_json::Map::new();
    writeln!(
        out,
        "  reading the formal tree (status weights fitted on real data only): boss above, direct pairs / all ancestor pairs"
    )?;
    for (mode, t) in modes {
        let cells: Vec<String> = t
            .sums
            .iter()
            .map(|(n, d, a)| {
                format!(
                    "{n} {:.3}/{:.3}",
                    d / t.direct.max(1) as f64,
                    a / t.ancestor.max(1) as f64
                )
            })
            .collect();
        writeln!(
            out,
            "  {mode:<14} {} direct ({} met), {} ancestor pairs: {}",
            t.direct,
            t.met_direct,
            t.ancestor,
            cells.join(", ")
        )?;
        let m: serde_json::Map<String, serde_json::Value> = t
            .sums
            .iter()
            .map(|(n, d, a)| {
                (
                    n.to_string(),
                    serde_json::json!({"direct": d / t.direct.max(1) as f64, "ancestor": a / t.ancestor.max(1) as f64}),
                )
            })
            .collect();
        json.insert(
            mode.to_string(),
            serde_json::json!({"direct_pairs": t.direct, "direct_met": t.met_direct, "ancestor_pairs": t.ancestor, "accuracy": m}),
        );
    }
    Ok(json.into())
}

fn counts_json(counts: &FxHashMap<&'static str, Counts>) -> serde_json::Value {
    let mut json = serde_json::Map::new();
    let mut names: Vec<&&str> = counts.keys().collect();
    names.sort();
    for name in names {
        let c = counts[*name];
        json.insert(
            name.to_string(),
            serde_json::json!({"precision": c.precision(), "recall": c.recall(), "f1": c.f1(), "tp": c.tp, "fp": c.fp, "fn": c.fn_}),
        );
    }
    json.into()
}

/// One row per dynamic, precision / recall / F1 (tp/fp/fn) for each mode side by side.
fn write_table(
    out: &mut impl Write,
    modes: &[(&'static str, FxHashMap<&'static str, Counts>)],
) -> Result<()> {
    write!(out, "  {:<22}", "dynamic")?;
    for (mode, _) in modes {
        write!(out, " | {:<34}", format!("{mode}: precision recall F1"))?;
    }
    writeln!(out)?;
    let mut names: Vec<&'static str> = modes.iter().flat_map(|(_, c)| c.keys().copied()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        write!(out, "  {name:<22}")?;
        for (_, counts) in modes {
            let c = counts.get(name).copied().unwrap_or_default();
            let cell = format!(
                "{:>9.3} {:>6.3} {:>5.3}  {}/{}/{}",
                c.precision(),
                c.recall(),
                c.f1(),
                c.tp,
                c.fp,
                c.fn_
            );
            write!(out, " | {cell:<34}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

pub fn validate(args: &ValidateArgs, out: &mut impl Write) -> Result<()> {
    let mut report = serde_json::Map::new();
    if !args.no_synthetic {
        for size in &args.sizes {
            let (people, days) = match size.to_ascii_uppercase().as_str() {
                "S" => (1000, 90),
                "M" => (10_000, 60),
                other => anyhow::bail!("unknown size {other}: S or M"),
            };
            let mut modes = Vec::new();
            let mut trees = Vec::new();
            for &(mode, metadata_only) in args.mode.runs() {
                let mut counts: FxHashMap<&'static str, Counts> = FxHashMap::default();
                let mut tree = TreeScores::default();
                for seed in 1..=args.seeds {
                    let dir = args.dir.join(format!("{size}-{mode}-{seed}"));
                    run_synthetic(
                        &dir,
                        (people, days, seed),
                        metadata_only,
                        &mut counts,
                        &mut tree,
                    )?;
                }
                modes.push((mode, counts));
                trees.push((mode, tree));
            }
            writeln!(
                out,
                "synthetic {size} ({people} people, {days} days), seeds 1..={}:",
                args.seeds
            )?;
            write_table(out, &modes)?;
            let tree_json = write_tree(out, &trees)?;
            report.insert(format!("synthetic_{size}_tree"), tree_json);
            let json: serde_json::Map<String, serde_json::Value> = modes
                .iter()
                .map(|(mode, counts)| (mode.to_string(), counts_json(counts)))
                .collect();
            report.insert(format!("synthetic_{size}"), json.into());
        }
    }
    if !args.no_real {
        let real = crate::validate_real::run(args, out)?;
        report.insert("real".into(), real);
    }
    if let Some(path) = &args.json {
        std::fs::write(
            path,
            serde_json::to_string_pretty(&serde_json::Value::Object(report))?,
        )?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}
