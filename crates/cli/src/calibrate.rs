//! `orgmirror calibrate`: fit the status model.
//!
//! - In a workspace (`--people hris.csv` to load the formal chart first, or the chart already
//!   stored): fit on the organization's own hierarchy (every pair of people at different levels),
//!   with the features of the stored analysis (window `all`), report the fit (in-sample and
//!   five-fold cross-validated by people), and store the weights in the workspace
//!   (`status-weights.json`), where the next `analyze` takes them over the shipped ones. Nothing
//!   else stored changes.
//! - `--shared-data DIR --out FILE`: fit the shipped weights on every labelled real organization
//!   in `../shared/data` (each weighing the same, with the held-out temperature) and write them
//!   with a note of what fitted them and how each set fares left out (`scripts/fit-status.sh`).

use crate::IngestWhat;
use crate::analyze::status_weights_path;
use crate::validate_real::{Paths, RealSet, fit_without, load_sets, status_report};
use anyhow::{Context, Result, bail};
use mirror::status::{self, Features, FitOptions, Labelled, StatusModel};
use std::io::Write;
use std::path::PathBuf;
use store::{SqliteStore, Store};

#[derive(clap::Args, Clone)]
pub struct CalibrateArgs {
    /// An HR file with the formal chart (id, manager, level, ...) to ingest first.
    #[arg(long, value_name = "FILE")]
    pub people: Option<PathBuf>,
    /// Column mapping (TOML) for the people file.
    #[arg(long = "map", value_name = "MAPPING.toml")]
    pub mapping: Option<PathBuf>,
    /// Remove the workspace's own weights (back to the shipped ones).
    #[arg(long)]
    pub reset: bool,
    /// Fit the shipped weights on the real data sets in this folder instead (no workspace).
    #[arg(long, value_name = "DIR")]
    pub shared_data: Option<PathBuf>,
    /// Mapping files of the real data sets (with --shared-data).
    #[arg(long, default_value = "examples")]
    pub mappings: PathBuf,
    /// Where the shipped weights go (with --shared-data).
    #[arg(long, default_value = "crates/mirror/status-weights.json")]
    pub out: PathBuf,
    /// Scratch folder for the real data sets' workspaces (replaced).
    #[arg(long, default_value = "target/calibrate")]
    pub dir: PathBuf,
}

/// Five-fold cross-validation by people: pairs whose two people are both in the held-out fifth,
/// predicted by a fit on pairs with neither in it.
fn cross_validated(set: &Labelled) -> (f64, usize, status::Reliability) {
    let n = set.rank.len();
    let fold = |p: usize| (p.wrapping_mul(0x9E37_79B9) >> 7) % 5;
    let (mut right, mut pairs) = (0.0, 0usize);
    let mut predictions = Vec::new();
    for k in 0..5 {
        let keep = |p: usize, inside: bool| (fold(p) == k) == inside;
        let part = |inside: bool| Labelled {
            name: set.name.clone(),
            features: set.features.clone(),
            balances: set.balances.clone(),
            rank: (0..n)
                .map(|p| set.rank[p].filter(|_| keep(p, inside)))
                .collect(),
        };
        let model = status::fit(&[part(false)], &FitOptions::default());
        let test = part(true);
        let s = model.strengths(&test.features);
        for (_, bal, hi, lo) in status::ordered_pairs(&test) {
            let p = model.p_above(s[hi as usize], s[lo as usize], bal);
            right += status::pair_score(p, 0.5);
            pairs += 1;
            predictions.push(if status::pair_side(hi, lo) {
                (p, true)
            } else {
                (1.0 - p, false)
            });
        }
    }
    (
        right / pairs.max(1) as f64,
        pairs,
        status::reliability(&predictions),
    )
}

pub fn workspace(
    store: &mut SqliteStore,
    args: &CalibrateArgs,
    quiet: bool,
    out: &mut impl Write,
) -> Result<()> {
    let path = status_weights_path(store);
    if args.reset {
        match std::fs::remove_file(&path) {
            Ok(()) => writeln!(
                out,
                "removed {}; analyze uses the shipped weights",
                path.display()
            )?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => writeln!(
                out,
                "no workspace weights; analyze uses the shipped weights"
            )?,
            Err(e) => return Err(e).with_context(|| path.display().to_string()),
        }
        return Ok(());
    }
    if let Some(file) = &args.people {
        crate::commands::ingest_file(
            store,
            IngestWhat::People,
            file,
            args.mapping.as_deref(),
            false,
            None,
            quiet,
        )?;
    }
    // The features of the stored analysis (window `all`): calibrating changes nothing stored
    // but the weights file.
    let people = crate::report::load(store, "people")?;
    let org = mirror::org_from_people(&store.people()?);
    let Some(chart) = org.chart.as_ref().filter(|_| org.has_hierarchy()) else {
        bail!(
            "calibrate needs the formal chart: the people file gives no managers (ingest one with --people)"
        );
    };
    let mut values = vec![[0.5; status::K]; org.n()];
    let mut seen = 0usize;
    for i in (0..people.rows()).filter(|&i| people.str("window", i) == "all") {
        let Some(p) = people
            .person("person", i)
            .filter(|&p| (p as usize) < org.n())
        else {
            continue;
        };
        for (k, column) in status::FEATURE_COLUMNS.iter().enumerate() {
            values[p as usize][k] = people.num(column, i).unwrap_or(0.5);
        }
        seen += 1;
    }
    if seen == 0 {
        bail!(
            "calibrate reads the window `all` of the stored analysis: run `orgmirror analyze --window all` first"
        );
    }
    let dyads = crate::report::load(store, "dyads")?;
    let balances = (0..dyads.rows())
        .filter(|&i| dyads.str("window", i) == "all")
        .filter_map(|i| {
            Some((
                dyads.person("a", i)?,
                dyads.person("b", i)?,
                dyads.num("balance", i)?,
            ))
        })
        .collect();
    // Rank by the chart's level band (1 = top), for people in the chart's trees: someone with
    // neither a manager nor reports (a correspondent the people file does not place) is left out.
    let placed = |p: usize| chart.manager(p).is_some() || !chart.reports(p).is_empty();
    let set = Labelled {
        name: "workspace".into(),
        features: Features::from_values(values),
        balances,
        rank: (0..org.n())
            .map(|p| placed(p).then(|| chart.level(p) as f64))
            .collect(),
    };
    let pairs = status::ordered_pairs(&set).len();
    if pairs < 50 {
        bail!(
            "calibrate needs at least 50 pairs of people at different levels; the chart gives {pairs}"
        );
    }
    let shipped = StatusModel::shipped();
    let mut model = status::fit(std::slice::from_ref(&set), &FitOptions::default());
    let (cv, cv_pairs, cv_reliability) = cross_validated(&set);
    let (fit_acc, shipped_acc) = (
        status::accuracy(&model, &set),
        status::accuracy(&shipped, &set),
    );
    model.note = format!(
        "fitted by orgmirror calibrate on this workspace's chart ({} people, {pairs} pairs at different levels): \
         in-sample {fit_acc:.3}, five-fold cross-validated by people {cv:.3} ({cv_pairs} pairs; calibration gap {:.3}, Brier {:.3}); shipped weights {shipped_acc:.3}",
        org.n(),
        cv_reliability.gap,
        cv_reliability.brier
    );
    std::fs::write(&path, model.to_json()).with_context(|| path.display().to_string())?;
    writeln!(
        out,
        "status model fitted on {} people ({pairs} pairs at different levels)",
        org.n()
    )?;
    writeln!(
        out,
        "  higher level above: in-sample {fit_acc:.3}, cross-validated {cv:.3} (calibration gap {:.3}, Brier {:.3}); shipped weights {shipped_acc:.3}",
        cv_reliability.gap, cv_reliability.brier
    )?;
    for (name, w) in model.features.iter().zip(&model.weights) {
        writeln!(out, "  {name:<16} {w:>8.3}")?;
    }
    writeln!(out, "  {:<16} {:>8.3}", "pair balance", model.pair_weight)?;
    writeln!(
        out,
        "wrote {}; run analyze to use it (calibrate --reset to go back)",
        path.display()
    )?;
    Ok(())
}

pub fn shared(args: &CalibrateArgs, data: &std::path::Path, out: &mut impl Write) -> Result<()> {
    let (sets, _) = load_sets(&Paths {
        data: data.to_path_buf(),
        mappings: args.mappings.clone(),
        dir: args.dir.clone(),
    })?;
    let mut model = fit_without(&sets, None);
    let lodo = status_report(&sets, &model, &mut std::io::sink())?;
    let per_set: Vec<String> = sets
        .iter()
        .map(|s: &RealSet| {
            let v = &lodo[s.name];
            format!(
                "{} {:.3} (best baseline {:.3})",
                s.name,
                v["model_lodo"].as_f64().unwrap_or(f64::NAN),
                v["best_baseline_accuracy"].as_f64().unwrap_or(f64::NAN)
            )
        })
        .collect();
    model.note = format!(
        "fitted by scripts/fit-status.sh (orgmirror calibrate --shared-data) on {} (each weighing the same; \
         lazega_seniority is evaluated, not fitted); L2 {}; held-out temperature {:.3}. \
         Share of rank-ordered pairs with the senior above when each set is left out of the fit: {}",
        model.fitted_on.join(", "),
        model.l2,
        model.temperature,
        per_set.join(", ")
    );
    std::fs::write(&args.out, model.to_json()).with_context(|| args.out.display().to_string())?;
    writeln!(out, "{}", model.note)?;
    writeln!(out, "wrote {}", args.out.display())?;
    Ok(())
}
