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

use crate::validate_real::{Paths, RealSet, fit_without, load_sets, status_report};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

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

pub fn workspace(
    s: &mut app::Session,
    args: &CalibrateArgs,
    progress: &dyn app::Progress,
    out: &mut impl Write,
) -> Result<()> {
    if args.reset {
        if s.reset_calibration()? {
            writeln!(
                out,
                "removed the workspace's weights; analyze uses the shipped weights"
            )?;
        } else {
            writeln!(
                out,
                "no workspace weights; analyze uses the shipped weights"
            )?;
        }
        return Ok(());
    }
    if let Some(file) = &args.people {
        let req = app::ingest::IngestRequest {
            mapping: args.mapping.clone(),
            ..Default::default()
        };
        s.ingest(app::ingest::Kind::People, file, &req, progress)?;
    }
    let c = s.calibrate()?;
    writeln!(
        out,
        "status model fitted on {} people ({} pairs at different levels)",
        c.people, c.pairs
    )?;
    writeln!(
        out,
        "  higher level above: in-sample {:.3}, cross-validated {:.3} (calibration gap {:.3}, Brier {:.3}); shipped weights {:.3}",
        c.in_sample, c.cross_validated, c.calibration_gap, c.brier, c.shipped
    )?;
    for (name, w) in &c.weights {
        writeln!(out, "  {name:<16} {w:>8.3}")?;
    }
    writeln!(out, "  {:<16} {:>8.3}", "pair balance", c.pair_weight)?;
    writeln!(
        out,
        "wrote {}; run analyze to use it (calibrate --reset to go back)",
        c.path.display()
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
