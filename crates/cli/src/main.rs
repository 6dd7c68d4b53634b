//! The orgmirror command line. The only crate that knows about argv, terminals and exit codes.

mod alloc;
mod analyze;
mod calibrate;
mod commands;
mod engine;
mod metrics;
pub(crate) mod progress;
mod report;
mod serve;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: alloc::HugePages = alloc::HugePages;

#[derive(Parser)]
#[command(
    name = "orgmirror",
    version,
    about = "A mirror of an organization's power and relationship dynamics, from metadata only."
)]
pub struct Cli {
    /// Workspace folder (default: the current folder).
    #[arg(long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// No progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The workspace's identity key, when it is kept outside the workspace (also
    /// $ORGMIRROR_KEY_FILE); with `init`, where to make it.
    #[arg(long, global = true, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// See what a narrower role sees (an admin writing a pseudonymous report to share, or
    /// checking what an analyst sees): identified, pseudonymous, leader:PSEUDONYM or
    /// member:PSEUDONYM.
    #[arg(long = "as", global = true, value_name = "ROLE")]
    pub view_as: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IngestWhat {
    /// The people file (HRIS): ids, names, e-mails, managers, departments.
    People,
    /// Interactions in orgmirror's columns (or mapped with --map): CSV, JSON Lines, Parquet.
    Events,
    /// Relational survey answers.
    Survey,
    /// A mail archive, headers only: a Maildir folder or an mbox file.
    Mail,
    /// Calendars: .ics files or a folder of them (iTIP messages too), never their text.
    Calendar,
    /// A Slack export (the official folder or zip), never the message text.
    Chat,
    /// A Viva Insights person-to-person query (CSV), without a mapping.
    Viva,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    Csv,
    Tsv,
    Whitespace,
    Jsonl,
    Parquet,
    /// A mail folder (cur/, new/, Maildir++ folders).
    Maildir,
    /// A mail file of messages, each after a `From ` line.
    Mbox,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
    Parquet,
    /// The graph only (`export graph`): GraphML for networkx, igraph, Gephi and yEd.
    Graphml,
    /// The graph only (`export graph`): GEXF 1.2 for Gephi and networkx.
    Gexf,
}

#[derive(Subcommand)]
pub enum ShowWhat {
    /// One person's mirror: power, compass, relationships out of balance, allies, missing
    /// partners and suggestions (recorded in the access log).
    Person {
        /// Id from the people file, an email, or a pseudonym.
        id: String,
        /// The window analyzed (all, or e.g. 2024-03).
        #[arg(long, default_value = "all")]
        window: String,
        /// Someone to reach: who could take you there.
        #[arg(long)]
        target: Option<String>,
    },
    /// A team's leadership figures (its leader's style and its components), for a team of at
    /// least the minimum group size (recorded in the access log).
    Team {
        /// The leader: pseudonym, or for a viewer who sees identities an id or email.
        leader: String,
        /// The window analyzed (all, or e.g. 2024-03).
        #[arg(long, default_value = "all")]
        window: String,
    },
    /// The org's findings, strongest first.
    Findings {
        /// The window analyzed (all, or e.g. 2024-03).
        #[arg(long, default_value = "all")]
        window: String,
        /// How many findings to show (each kind in turn).
        #[arg(long, default_value_t = 20)]
        top: usize,
    },
}

#[derive(Subcommand)]
pub enum RunsWhat {
    /// Remove an events or survey run and what it stored (admins only); analyze again after.
    Remove {
        /// The run's number (from `orgmirror runs`).
        id: i64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GenFormat {
    Parquet,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PairingArg {
    Auto,
    Thread,
    NextMessage,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AccessRole {
    /// Manages data, settings and grants, and sees people by the people file's ids
    Admin,
    /// Sees the organization and exports people by the people file's ids
    Identified,
    /// Sees the organization with pseudonyms only
    Pseudonymous,
    /// Sees their own mirror and their team's aggregates (with --person)
    Leader,
    /// Sees only their own mirror (with --person)
    Member,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a workspace (an embedded database and a folder of Parquet files).
    Init {
        /// Folder to create it in (default: the current folder).
        dir: Option<PathBuf>,
        /// Figures about groups of fewer people than this are never shown (raise it later with
        /// `orgmirror settings`; it is never lowered).
        #[arg(long, default_value_t = app::policy::DEFAULT_MIN_GROUP)]
        min_group: usize,
    },
    /// Give a viewer a role: admin, identified (people by id), pseudonymous, leader (their own
    /// mirror and their team's figures) or member (their own mirror only); admins only.
    /// Recorded in the access log.
    Grant {
        /// The viewer's operating-system user name
        viewer: String,
        #[arg(long, value_enum)]
        role: AccessRole,
        /// For a member or a leader: the pseudonym of the person they are
        #[arg(long)]
        person: Option<String>,
    },
    /// Show the workspace's settings, or raise its minimum group size (admins only).
    Settings {
        /// New minimum group size (never lower than the current one).
        #[arg(long)]
        min_group: Option<usize>,
    },
    /// Load people, interactions or survey answers, or a real export (mail, calendar, Slack,
    /// Viva Insights), into the workspace (all-or-nothing; docs/INPUTS.md has every input).
    Ingest {
        /// What the file holds.
        what: IngestWhat,
        /// CSV, TSV, whitespace edge list, JSON Lines or Parquet (any codec).
        file: PathBuf,
        /// Column mapping (TOML) for files whose columns are not orgmirror's own names.
        #[arg(long = "map", value_name = "MAPPING.toml")]
        mapping: Option<PathBuf>,
        /// Stop at the first rejected row.
        #[arg(long)]
        strict: bool,
        /// File format, when the extension does not tell.
        #[arg(long)]
        format: Option<FileFormat>,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Mail: keep mailing-list traffic (List-Id, Precedence list or bulk).
        #[arg(long)]
        include_lists: bool,
        /// Mail: keep automated mail (Auto-Submitted, Precedence junk).
        #[arg(long)]
        include_automated: bool,
    },
    /// Write a synthetic organization with planted dynamics and its ground truth.
    Generate {
        /// People in the organization.
        #[arg(long)]
        people: usize,
        /// Days simulated.
        #[arg(long)]
        days: u32,
        /// Seed: the same seed and settings write the same files.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Target number of event rows (default: people × days × 6).
        #[arg(long)]
        events: Option<u64>,
        /// Folder to write people.csv, events.*, survey.csv and truth.json into.
        #[arg(long)]
        out: PathBuf,
        /// Format of the events file.
        #[arg(long, default_value = "parquet")]
        format: GenFormat,
        /// Only what a real mail and calendar export carries (kinds message, meeting, accept,
        /// decline; no speaking time; no survey), with behaviour matched to real mail (Enron).
        #[arg(long)]
        metadata_only: bool,
    },
    /// Build the per-window pair tables and reply latencies from the stored interactions.
    Aggregate {
        /// all, month, quarter, YYYY-MM, YYYY-Qn or YYYY-MM-DD..YYYY-MM-DD; repeat for several.
        #[arg(long = "window", default_values_t = vec!["all".to_string(), "month".to_string()])]
        windows: Vec<String>,
        /// How replies pair with what they answer: by thread ids (in_reply_to), with the next
        /// message back, or auto (threads when the data has reply ids).
        #[arg(long, default_value = "auto")]
        pairing: PairingArg,
        /// Meetings larger than this count only organizer–attendee pairs.
        #[arg(long, default_value_t = 50)]
        max_meeting_size: usize,
        /// Days a reply may take; requests unanswered for longer count as ignored.
        #[arg(long, default_value_t = 30)]
        reply_window_days: u32,
        /// Where the aggregation runs: local (the streaming pass), datafusion (in process), or
        /// ballista://HOST:PORT (a cluster; docs/SCALE.md). The last two need orgmirror built
        /// with `--features datafusion` or `--features ballista`; all three write the same tables.
        #[arg(long, default_value = "local")]
        engine: String,
        /// Read the segments from an object store instead of the workspace's folder (datafusion
        /// and ballista engines): s3://BUCKET/PREFIX (S3 or S3-compatible; credentials and
        /// endpoint from AWS_* variables) or file:///PATH, holding the workspace's segment files
        /// by name (docs/SCALE.md).
        #[arg(long, value_name = "URL")]
        segments: Option<String>,
    },
    /// What the workspace holds.
    Status,
    /// List the ingest runs, or remove one (`runs remove N`; events and survey runs).
    Runs {
        #[command(subcommand)]
        what: Option<RunsWhat>,
    },
    /// Aggregate and run the mirror model: people, dyads, inferred managers, groups, leaders,
    /// personal mirrors and findings, per window, stored in the workspace.
    Analyze(analyze::AnalyzeArgs),
    /// A quick look at stored results.
    Show {
        #[command(subcommand)]
        what: ShowWhat,
    },
    /// Write a stored table to CSV, JSON or Parquet, or the people graph (`export graph`) to
    /// GraphML, GEXF, CSV, JSON or Parquet; people named by id (or pseudonym).
    Export(analyze::ExportArgs),
    /// Write the org mirror (or with --person, personal mirrors) as self-contained HTML.
    Report(report::ReportArgs),
    /// Fit the status model on this workspace's own formal chart and store the weights in the
    /// workspace (the next analyze uses them; --reset goes back to the shipped ones).
    Calibrate(calibrate::CalibrateArgs),
    /// Node metrics of an edge list (no workspace needed): one CSV row per node with degree,
    /// strength, PageRank, eigenvector, HITS, Katz, betweenness, closeness, harmonic, Burt's
    /// structural holes, clustering, k-core, component and Leiden community. networkx's
    /// conventions (see README, "Metrics on an edge list").
    Metrics(metrics::MetricsArgs),
    /// Serve the mirror to the people it is about: each account sees its own mirror, leaders
    /// their teams, analysts the organization (docs/SERVER.md).
    Serve(serve::ServeArgs),
    /// Manage the server's accounts (the workspace's admins only).
    User {
        #[command(subcommand)]
        what: serve::UserWhat,
        /// The server's PostgreSQL database, when it uses one.
        #[arg(long, value_name = "URL", env = "ORGMIRROR_DATABASE", global = true)]
        database: Option<String>,
    },
    /// Relational survey campaigns served by `orgmirror serve` (the workspace's admins only).
    Survey {
        #[command(subcommand)]
        what: serve::SurveyWhat,
        /// The server's PostgreSQL database, when it uses one.
        #[arg(long, value_name = "URL", env = "ORGMIRROR_DATABASE", global = true)]
        database: Option<String>,
    },
    /// Generate an organization, ingest it into a fresh workspace, aggregate, and report.
    Demo {
        /// Where to put the demo (replaced if it is an earlier demo).
        #[arg(long, default_value = "target/orgmirror-demo")]
        dir: PathBuf,
        /// People in the generated organization.
        #[arg(long, default_value_t = 1000)]
        people: usize,
        /// Days simulated.
        #[arg(long, default_value_t = 90)]
        days: u32,
        /// Seed of the generator and the analysis.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(err) = commands::run(cli) {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            std::process::exit(0);
        }
        let text = format!("{err:#}").replace('\n', " ");
        eprintln!("orgmirror: error: {text}");
        std::process::exit(2);
    }
}
