//! `orgmirror-dev`: how well the mirror sees, and the shipped status weights. Built for the
//! people who build orgmirror (`cargo run -p devtools --release -- validate`); not part of the
//! `orgmirror` binary users install.

mod fit;
mod validate;
mod validate_real;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "orgmirror-dev",
    version,
    about = "Measure the mirror and fit its shipped status weights (developer tools)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure the mirror: planted dynamics found in generated organizations (precision,
    /// recall, F1) and real data against baselines.
    Validate(validate::ValidateArgs),
    /// Fit the shipped status weights on the real data sets (scripts/fit-status.sh).
    FitStatus(fit::FitArgs),
}

fn main() {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    let result = match cli.command {
        Command::Validate(args) => validate::validate(&args, &mut out),
        Command::FitStatus(args) => fit::fit(&args, &mut out),
    };
    if let Err(err) = result {
        let text = format!("{err:#}").replace('\n', " ");
        eprintln!("orgmirror-dev: error: {text}");
        std::process::exit(2);
    }
}
