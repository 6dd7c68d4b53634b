//! `orgmirror-dev fit-status`: the shipped status weights, fitted on every labelled real
//! organization in `../shared/data` (each weighing the same, with the held-out temperature) and
//! written with a note of what fitted them and how each set fares left out
//! (`scripts/fit-status.sh`).

use crate::validate_real::{Paths, RealSet, fit_without, load_sets, status_report};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Clone)]
pub struct FitArgs {
    /// Folder of the real data sets.
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Mapping files of the real data sets.
    #[arg(long, default_value = "examples")]
    pub mappings: PathBuf,
    /// Where the shipped weights go.
    #[arg(long, default_value = "crates/mirror/status-weights.json")]
    pub out: PathBuf,
    /// Scratch folder for the real data sets' workspaces (replaced).
    #[arg(long, default_value = "target/calibrate")]
    pub dir: PathBuf,
}

pub fn fit(args: &FitArgs, out: &mut impl Write) -> Result<()> {
    let (sets, _) = load_sets(&Paths {
        data: args.data.clone(),
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
        "fitted by scripts/fit-status.sh (orgmirror-dev fit-status) on {} (each weighing the same; \
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
