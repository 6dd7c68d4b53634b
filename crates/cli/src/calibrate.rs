//! `orgmirror calibrate`: fit the status model on the workspace's own chart (the shipped weights
//! are fitted by `orgmirror-dev fit-status`, `scripts/fit-status.sh`).
//!
//! With `--people hris.csv` the formal chart is loaded first (or the chart already stored is
//! used): fit on the organization's own hierarchy (every pair of people at different levels),
//! with the features of the stored analysis (window `all`), report the fit (in-sample and
//! five-fold cross-validated by people), and store the weights in the workspace
//! (`status-weights.json`), where the next `analyze` takes them over the shipped ones. Nothing
//!   else stored changes.

use anyhow::Result;
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
