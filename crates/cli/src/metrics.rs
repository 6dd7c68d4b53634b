//! `orgmirror metrics`: arguments, converted once into the application's request.

use app::metrics::{BetweennessMode, EdgeFormat, LengthArg, MetricsRequest};
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum EdgeFormatArg {
    /// Comma-separated with a header row.
    Csv,
    /// Tab-separated with a header row.
    Tsv,
    /// Whitespace-separated `source target [weight]`, no header; `#` and `%` lines are comments.
    Whitespace,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum BetweennessArg {
    /// Exact below about 10^10 edge visits (n·m), sampled above.
    Auto,
    /// Brandes' exact algorithm, whatever the size.
    Exact,
    /// Riondato–Kornaropoulos sampling within --epsilon.
    Sampled,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum PathLength {
    /// Every edge is one step; weights do not shorten paths.
    Hops,
    /// The weight column is a distance (networkx's `weight=`/`distance=`).
    Weight,
}

/// The `metrics` subcommand's arguments.
#[derive(Clone, clap::Args)]
pub struct MetricsArgs {
    /// `source,target[,weight]` CSV/TSV with a header, or a whitespace edge list.
    #[arg(value_name = "EDGES")]
    pub input: PathBuf,
    /// Where to write the node table (`-` for standard output).
    #[arg(long)]
    pub out: PathBuf,
    /// Edges point from source to target (default: undirected ties).
    #[arg(long)]
    pub directed: bool,
    /// Weight column (default: `weight` when present, else every edge weighs 1).
    #[arg(long, value_name = "NAME")]
    pub weight_column: Option<String>,
    /// Source column (default: `source`).
    #[arg(long, value_name = "NAME")]
    pub source_column: Option<String>,
    /// Target column (default: `target`).
    #[arg(long, value_name = "NAME")]
    pub target_column: Option<String>,
    /// File format, when the extension does not tell (`.csv`, `.tsv`; else sniffed).
    #[arg(long)]
    pub format: Option<EdgeFormatArg>,
    /// What a path's length counts, for betweenness, closeness and harmonic.
    #[arg(long, default_value = "hops")]
    pub length: PathLength,
    /// Betweenness: exact, sampled within --epsilon, or auto by size.
    #[arg(long, default_value = "auto")]
    pub betweenness: BetweennessArg,
    /// Largest error of sampled betweenness (normalized units), with probability 0.9.
    #[arg(long, default_value_t = 0.01)]
    pub epsilon: f64,
    /// Katz attenuation α (default: half of 1/λ_max, which always converges).
    #[arg(long)]
    pub katz_alpha: Option<f64>,
    /// Leiden modularity resolution.
    #[arg(long, default_value_t = 1.0)]
    pub resolution: f64,
    /// Seed for Leiden and for sampled betweenness.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl MetricsArgs {
    pub fn request(&self) -> MetricsRequest {
        MetricsRequest {
            input: self.input.clone(),
            out: self.out.clone(),
            directed: self.directed,
            weight_column: self.weight_column.clone(),
            source_column: self.source_column.clone(),
            target_column: self.target_column.clone(),
            format: self.format.map(|f| match f {
                EdgeFormatArg::Csv => EdgeFormat::Csv,
                EdgeFormatArg::Tsv => EdgeFormat::Tsv,
                EdgeFormatArg::Whitespace => EdgeFormat::Whitespace,
            }),
            length: match self.length {
                PathLength::Hops => LengthArg::Hops,
                PathLength::Weight => LengthArg::Weight,
            },
            betweenness: match self.betweenness {
                BetweennessArg::Auto => BetweennessMode::Auto,
                BetweennessArg::Exact => BetweennessMode::Exact,
                BetweennessArg::Sampled => BetweennessMode::Sampled,
            },
            epsilon: self.epsilon,
            katz_alpha: self.katz_alpha,
            resolution: self.resolution,
            seed: self.seed,
        }
    }
}
