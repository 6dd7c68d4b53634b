//! `orgmirror report`: arguments, converted once into the application's request.

use std::path::PathBuf;

#[derive(clap::Args, Clone)]
pub struct ReportArgs {
    /// Folder for the HTML files (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// A personal mirror of this person (pseudonym, or for a viewer who sees identities an id or
    /// email) instead of the org mirror. Repeat for several.
    #[arg(long)]
    pub person: Vec<String>,
    /// all, or a window analyzed (e.g. 2024-03).
    #[arg(long, default_value = "all")]
    pub window: String,
    /// Suppress group figures over fewer people than this (at least the workspace's minimum).
    #[arg(long)]
    pub min_group: Option<usize>,
    /// At most this many people in the network picture (the most influential, and everyone named
    /// in a finding, when there are more).
    #[arg(long, default_value_t = 20_000)]
    pub max_nodes: usize,
    /// At most this many ties in the network picture (the strongest).
    #[arg(long, default_value_t = 150_000)]
    pub max_edges: usize,
}

impl ReportArgs {
    pub fn request(&self) -> app::reports::ReportRequest {
        app::reports::ReportRequest {
            out: self.out.clone(),
            person: self.person.clone(),
            window: self.window.clone(),
            min_group: self.min_group,
            max_nodes: self.max_nodes,
            max_edges: self.max_edges,
        }
    }
}

/// One line per page written.
pub fn print_pages(
    out: &mut impl std::io::Write,
    pages: &[app::reports::Page],
) -> anyhow::Result<()> {
    for p in pages {
        match &p.person {
            None => writeln!(
                out,
                "org mirror: {} ({} people, {} of {} ties drawn, {} findings, {:.1}s)",
                p.path.display(),
                p.nodes_shown,
                p.ties_shown,
                p.ties,
                p.findings,
                p.seconds
            )?,
            Some(who) => writeln!(out, "personal mirror of {who}: {}", p.path.display())?,
        }
    }
    Ok(())
}
