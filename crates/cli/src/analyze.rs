//! `orgmirror analyze`, `show` and `export`: arguments, converted once into the application's
//! requests, and the printing of what the application returns.

use crate::ExportFormat;
use anyhow::Result;
use app::analyze::{Analysis, AnalyzeRequest};
use app::views::{Findings, PathStep, PersonMirror};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Clone)]
pub struct AnalyzeArgs {
    /// all, month, quarter, YYYY-MM, YYYY-Qn or YYYY-MM-DD..YYYY-MM-DD; repeat for several.
    #[arg(long = "window", default_values_t = vec!["all".to_string(), "month".to_string()])]
    pub windows: Vec<String>,
    /// Seed of the randomized steps (community detection, sampled betweenness).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Above this many people, betweenness is sampled (with its error bound stated).
    #[arg(long, default_value_t = 5000)]
    pub exact_betweenness_max: usize,
    /// Findings to print at the end.
    #[arg(long, default_value_t = 12)]
    pub top: usize,
}

impl AnalyzeArgs {
    pub fn request(&self) -> AnalyzeRequest {
        AnalyzeRequest {
            windows: self.windows.clone(),
            seed: self.seed,
            exact_betweenness_max: self.exact_betweenness_max,
        }
    }
}

/// What an analysis did, its notes, and its strongest findings.
pub fn print_analysis(out: &mut impl Write, a: &Analysis) -> Result<()> {
    match a.aggregated {
        Some((events, pairs, windows)) => writeln!(
            out,
            "aggregated {events} interactions into {pairs} pair rows over {windows} windows"
        )?,
        None => writeln!(
            out,
            "no interactions stored: analyzed the survey answers alone"
        )?,
    }
    for w in &a.empty_windows {
        writeln!(
            out,
            "  window {w} was asked for but holds no interactions: not analyzed"
        )?;
    }
    writeln!(
        out,
        "analyzed {} people over {} windows; stored {}",
        a.org.n(),
        a.windows.len(),
        app::analyze::TABLES.join(", ")
    )?;
    writeln!(
        out,
        "  time (peak memory) per stage: {}",
        a.stages
            .iter()
            .map(|s| format!(
                "{} {:.2}s ({})",
                s.name,
                s.secs,
                app::human_bytes(s.peak_bytes)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    if !a.people_parts.is_empty() {
        writeln!(
            out,
            "  people stage by part: {}",
            a.people_parts
                .iter()
                .map(|s| format!("{} {:.2}s", s.name, s.secs))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    for n in &a.notes {
        writeln!(out, "  note: {n}")?;
    }
    Ok(())
}

/// One line per finding shown, then how many of each kind are not.
pub fn print_findings(out: &mut impl Write, f: &Findings) -> Result<()> {
    for x in &f.shown {
        let who = match (&x.person, &x.other, &x.group) {
            (Some(a), Some(b), _) => format!("{a} over {b}"),
            (Some(a), None, Some(g)) => format!("{a} ({g})"),
            (Some(a), None, None) => a.clone(),
            (None, _, Some(g)) => g.clone(),
            _ => String::new(),
        };
        writeln!(
            out,
            "  {:<24} {:<30} {} (confidence {:.2})",
            x.kind.replace('_', " "),
            who,
            x.evidence,
            x.confidence
        )?;
    }
    let total: usize = f.counts.iter().map(|c| c.1).sum();
    if total > f.shown.len() {
        let hidden: Vec<String> = f
            .counts
            .iter()
            .filter_map(|(k, n)| {
                let shown = f.shown.iter().filter(|x| &x.kind == k).count();
                (*n > shown).then(|| format!("{} {}", n - shown, k.replace('_', " ")))
            })
            .collect();
        writeln!(
            out,
            "  … {} more (--top to see them): {}",
            total - f.shown.len(),
            hidden.join(", ")
        )?;
    }
    Ok(())
}

fn bar(share: f64) -> String {
    "█".repeat((share * 40.0).round() as usize)
}

pub fn print_person(out: &mut impl Write, m: &PersonMirror) -> Result<()> {
    writeln!(out, "mirror of {} (window {})", m.name, m.window)?;
    let pct = |v: Option<f64>| {
        v.map_or("n/a".into(), |v| {
            format!("{} percentile", app::ordinal((100.0 * v).round() as u32))
        })
    };
    writeln!(out, "  formal power   {}", pct(m.formal_pct))?;
    writeln!(out, "  informal power {}", pct(m.informal_pct))?;
    if let Some(gap) = m.power_gap {
        writeln!(out, "  power gap      {gap:+.2}")?;
    }
    if !m.roles.is_empty() {
        writeln!(out, "  roles          {}", m.roles)?;
    }
    for s in &m.sections {
        let heading = if s.section == "compass_named" {
            "compass".to_string()
        } else {
            s.section.replace('_', " ")
        };
        writeln!(out, "\n{heading}")?;
        // The compass says what it was built from (attention, or survey names).
        match s.section.as_str() {
            "compass" => writeln!(out, "  (share of your attention and requests)")?,
            "compass_named" => writeln!(
                out,
                "  (share of the colleagues you named in the survey: there are no interaction records, so this is whom you turn to, not how you spend your time)"
            )?,
            _ => {}
        }
        for r in &s.rows {
            match s.section.as_str() {
                "compass" | "compass_named" => writeln!(
                    out,
                    "  {:<12} {:>5.1}%  {}",
                    r.label,
                    100.0 * r.value,
                    bar(r.value)
                )?,
                "suggestion" => writeln!(out, "  {}. {}", r.rank.unwrap_or(0) + 1, r.evidence)?,
                _ => writeln!(
                    out,
                    "  {:<10} {:<26} {}",
                    r.other.clone().unwrap_or_default(),
                    format!("{} ({:+.2})", r.label, r.value),
                    r.evidence
                )?,
            }
        }
    }
    Ok(())
}

pub fn print_team(out: &mut impl Write, t: &app::views::TeamView) -> Result<()> {
    writeln!(
        out,
        "team of {} (window {}): {} people, {} ({:+.2} on the power-over ↔ power-with scale, from {:.0} events)",
        t.leader,
        t.window,
        t.team_size,
        t.style.replace('_', " "),
        t.position,
        t.evidence_events
    )?;
    let show = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.2}"));
    for (name, v) in [
        ("directive ratio", t.directive_ratio),
        ("autonomy", t.autonomy),
        ("airtime", t.airtime),
        ("reciprocity", t.reciprocity),
        ("leaderfulness", t.leaderfulness),
    ] {
        writeln!(out, "  {name:<16} {}", show(v))?;
    }
    Ok(())
}

pub fn print_paths(out: &mut impl Write, target: &str, paths: &[PathStep]) -> Result<()> {
    writeln!(out, "\npaths to {target}")?;
    if paths.is_empty() {
        writeln!(
            out,
            "  nobody you have a two-way tie with is in contact with them"
        )?;
    }
    for p in paths {
        writeln!(out, "  via {:<10} {}", p.via, p.why)?;
    }
    Ok(())
}

#[derive(clap::Args, Clone)]
pub struct ExportArgs {
    /// people, dyads, inferred_managers, groups, leaders, mirrors, findings, pairs, latencies,
    /// or graph (the people graph of one window and layer).
    pub table: String,
    /// File format (GraphML and GEXF for `graph` only).
    #[arg(long, default_value = "csv")]
    pub format: ExportFormat,
    /// The file to write (for the graph as a table, the nodes go beside it as NAME.nodes.EXT).
    #[arg(long)]
    pub out: PathBuf,
    /// Only this window.
    #[arg(long)]
    pub window: Option<String>,
    /// Name people by their keyed pseudonym instead of the people file's id.
    #[arg(long)]
    pub pseudonymize: bool,
    /// Leave empty group figures over fewer people than this (at least the workspace's minimum).
    #[arg(long)]
    pub min_group: Option<usize>,
    /// For `export graph`: the layer whose weight makes an edge (contact, communication,
    /// meetings, requests, help, introductions, feedback); every layer's weight is an attribute.
    #[arg(long, default_value = "contact")]
    pub layer: String,
}

impl ExportArgs {
    pub fn request(&self) -> app::export::ExportRequest {
        app::export::ExportRequest {
            table: self.table.clone(),
            format: self.format.into(),
            window: self.window.clone(),
            pseudonymize: self.pseudonymize,
            min_group: self.min_group,
            layer: self.layer.clone(),
        }
    }
}
