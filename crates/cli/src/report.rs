//! `orgmirror report` (the org mirror and personal mirrors as HTML) and the graph export
//! (GraphML, GEXF, or an edge and node table), both from the stored tables.

use crate::ExportFormat;
use crate::analyze::{identified, person_index, viewer};
use anyhow::{Context, Result, bail};
use mirror::input::{Evidence, Org, Pair, PairWindows};
use mirror::org_from_people;
use report::{Frame, Naming};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use store::table::ColumnData;
use store::{SqliteStore, Store};

#[derive(clap::Args, Clone)]
pub struct ReportArgs {
    /// Folder for the HTML files (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// A personal mirror of this person (pseudonym, or for an identified viewer an id or email)
    /// instead of the org mirror. Repeat for several.
    #[arg(long)]
    pub person: Vec<String>,
    /// all, or a window analyzed (e.g. 2024-03).
    #[arg(long, default_value = "all")]
    pub window: String,
    /// Group figures over fewer people than this are suppressed.
    #[arg(long, default_value_t = 5)]
    pub min_group: usize,
    /// At most this many people in the network picture (the most influential, and everyone named
    /// in a finding, when there are more).
    #[arg(long, default_value_t = 20_000)]
    pub max_nodes: usize,
    /// At most this many ties in the network picture (the strongest).
    #[arg(long, default_value_t = 150_000)]
    pub max_edges: usize,
}

/// A stored result table.
pub(crate) fn load(store: &SqliteStore, table: &str) -> Result<Frame> {
    let path = store
        .table_path(table)?
        .with_context(|| format!("no {table} table: run `orgmirror analyze` first"))?;
    Ok(Frame::read(&path)?)
}

/// The pairs of one window (empty for a survey-only workspace).
pub(crate) fn window_pairs(store: &SqliteStore, window: &str) -> Result<Vec<Pair>> {
    let Some(path) = store.table_path("pairs")? else {
        return Ok(Vec::new());
    };
    let mut windows = PairWindows::open(&path)?;
    let mut seen = Vec::new();
    while let Some((label, pairs)) = windows.next_window()? {
        if label == window {
            return Ok(pairs);
        }
        seen.push(label);
    }
    bail!(
        "no window {window} in the pairs table (windows: {})",
        seen.join(", ")
    )
}

/// The directed contacts of one window, (a, b, weight = max(events, meeting weight)), read with
/// only the columns they need; with `only`, just the pairs that touch one of those people.
pub(crate) fn window_contacts(
    store: &SqliteStore,
    window: &str,
    only: Option<&rustc_hash::FxHashSet<u32>>,
) -> Result<Vec<(u32, u32, f64)>> {
    let Some(path) = store.table_path("pairs")? else {
        return Ok(Vec::new());
    };
    let frame = Frame::read_where(
        &path,
        Some(&["window", "a", "b", "n", "w_meetings"]),
        Some(window),
        |g, i| {
            only.is_none_or(|s| {
                g.person("a", i).is_some_and(|a| s.contains(&a))
                    || g.person("b", i).is_some_and(|b| s.contains(&b))
            })
        },
    )?;
    Ok((0..frame.rows())
        .filter_map(|i| {
            let w = frame
                .num("n", i)
                .unwrap_or(0.0)
                .max(frame.num("w_meetings", i).unwrap_or(0.0));
            Some((frame.person("a", i)?, frame.person("b", i)?, w))
        })
        .collect())
}

/// How people are named for this viewer: names for an identified viewer, pseudonyms otherwise.
fn naming(store: &SqliteStore, org: &Org) -> Result<Naming> {
    if identified(store, &viewer())? {
        let people = store.people()?;
        let names: Vec<Option<String>> = people
            .people
            .iter()
            .map(|p| p.person.name.clone())
            .collect();
        Ok(Naming::new(org, Some(&names)))
    } else {
        Ok(Naming::new(org, None))
    }
}

fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub fn report(
    store: &mut SqliteStore,
    args: &ReportArgs,
    out: &mut impl Write,
) -> Result<Vec<PathBuf>> {
    let started = Instant::now();
    let org = org_from_people(&store.people()?);
    let names = naming(store, &org)?;
    let people = load(store, "people")?;
    if people.in_window(&args.window).is_empty() {
        bail!(
            "no analysis of window {} (analyzed: {})",
            args.window,
            people.windows().join(", ")
        );
    }
    // Only the window's dyads, and only the columns the pages use.
    let dyads = Frame::read_some(
        &store
            .table_path("dyads")?
            .context("no dyads table: run `orgmirror analyze` first")?,
        Some(&[
            "window",
            "a",
            "b",
            "relation",
            "balance",
            "balance_lo",
            "balance_hi",
        ]),
        Some(&args.window),
    )?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let source = format!("{} people in {}", org.n(), store.root().display());
    let mut written = Vec::new();
    if args.person.is_empty() {
        let groups = load(store, "groups")?;
        let leaders = load(store, "leaders")?;
        let findings = load(store, "findings")?;
        let (html, summary) = report::org::org_report(&report::org::OrgInputs {
            org: &org,
            naming: &names,
            window: &args.window,
            min_group: args.min_group,
            people: &people,
            dyads: &dyads,
            groups: &groups,
            leaders: &leaders,
            findings: &findings,
            ties: &window_contacts(store, &args.window, None)?,
            max_nodes: args.max_nodes,
            max_edges: args.max_edges,
            source: &source,
        });
        let path = args.out.join("org-mirror.html");
        std::fs::write(&path, html).with_context(|| format!("writing {}", path.display()))?;
        store.audit(&viewer(), "report org", &args.window)?;
        writeln!(
            out,
            "org mirror: {} ({} people, {} of {} ties drawn, {} findings, {:.1}s)",
            path.display(),
            summary.nodes_shown,
            summary.ties_shown,
            summary.ties,
            summary.findings,
            started.elapsed().as_secs_f64()
        )?;
        written.push(path);
    } else {
        let mirrors = load(store, "mirrors")?;
        let survey = store.survey_answers()?;
        for who in &args.person {
            let me = person_index(store, &org, who)?;
            // Paths to power need only the pairs that touch this person or the people with the
            // most informal power (the candidates a path could lead to).
            let mut touch: rustc_hash::FxHashSet<u32> = report::person::power_candidates(
                &people,
                &args.window,
                report::person::PATH_CANDIDATES,
            )
            .into_iter()
            .collect();
            touch.insert(me);
            let pairs: Vec<Pair> = window_contacts(store, &args.window, Some(&touch))?
                .into_iter()
                .map(|(a, b, n)| Pair {
                    a,
                    b,
                    n,
                    ..Default::default()
                })
                .collect();
            let evidence = Evidence::new(pairs, &survey);
            store.audit(&viewer(), "report person", &org.pseudonyms[me as usize])?;
            let html = report::person::person_report(&report::person::PersonInputs {
                org: &org,
                naming: &names,
                window: &args.window,
                person: me,
                people: &people,
                dyads: &dyads,
                mirrors: &mirrors,
                evidence: &evidence,
                source: &source,
            });
            let path = args.out.join(format!(
                "mirror-{}.html",
                file_safe(&org.pseudonyms[me as usize])
            ));
            std::fs::write(&path, html).with_context(|| format!("writing {}", path.display()))?;
            writeln!(
                out,
                "personal mirror of {}: {}",
                names.of(me),
                path.display()
            )?;
            written.push(path);
        }
    }
    Ok(written)
}

/// `orgmirror export graph`: the window's people graph in one layer, as GraphML, GEXF, or (CSV,
/// JSON, Parquet) an edge table at `out` and a node table beside it (`NAME.nodes.EXT`).
pub fn export_graph(
    store: &mut SqliteStore,
    format: ExportFormat,
    path: &Path,
    window: &str,
    layer: &str,
    pseudonymize: bool,
    out: &mut impl Write,
) -> Result<()> {
    let Some(weight) = report::graphfile::layer(layer) else {
        bail!(
            "no layer `{layer}`; choose one of {}",
            report::graphfile::LAYERS
                .iter()
                .map(|l| l.0)
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let org = org_from_people(&store.people()?);
    let labels = if pseudonymize {
        org.pseudonyms.clone()
    } else {
        org.ids.clone()
    };
    let people = load(store, "people")?;
    let nodes = report::graphfile::nodes(&org, &labels, &people, window);
    let pairs = window_pairs(store, window)?;
    let description = format!(
        "orgmirror people graph: window {window}, layer {layer} (edge weight), one edge per directed pair; {} ids",
        if pseudonymize {
            "pseudonymous"
        } else {
            "external"
        }
    );
    let written = match format {
        ExportFormat::Graphml | ExportFormat::Gexf => {
            let write = if matches!(format, ExportFormat::Graphml) {
                report::graphfile::write_graphml
            } else {
                report::graphfile::write_gexf
            };
            let mut w = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("writing {}", path.display()))?,
            );
            let n = write(&mut w, &nodes, &mut pairs.into_iter(), weight, &description)?;
            w.flush()?;
            n
        }
        ExportFormat::Csv | ExportFormat::Json | ExportFormat::Parquet => {
            let kept: Vec<Pair> = report::graphfile::edges(pairs.into_iter(), weight, org.n())
                .map(|(p, _)| p)
                .collect();
            let mut cols: Vec<(String, ColumnData)> = vec![
                (
                    "source".into(),
                    ColumnData::Str(kept.iter().map(|p| labels[p.a as usize].clone()).collect()),
                ),
                (
                    "target".into(),
                    ColumnData::Str(kept.iter().map(|p| labels[p.b as usize].clone()).collect()),
                ),
                (
                    "weight".into(),
                    ColumnData::F64(kept.iter().map(weight).collect()),
                ),
            ];
            for (name, f) in report::graphfile::LAYERS {
                cols.push((
                    name.to_string(),
                    ColumnData::F64(kept.iter().map(f).collect()),
                ));
            }
            let edges = crate::analyze::write_export(&cols, format, path)?;
            let node_cols: Vec<(String, ColumnData)> =
                std::iter::once(("id".to_string(), ColumnData::Str(nodes.ids.clone())))
                    .chain(nodes.attrs.into_iter().map(|(name, v)| {
                        let data = match v {
                            report::graphfile::Values::Str(s) => ColumnData::Str(s),
                            report::graphfile::Values::Num(x) => ColumnData::OptF64(x),
                            report::graphfile::Values::Int(x) => ColumnData::OptI64(x),
                        };
                        (name, data)
                    }))
                    .collect();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("csv");
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("graph");
            let nodes_path = path.with_file_name(format!("{stem}.nodes.{ext}"));
            let n = crate::analyze::write_export(&node_cols, format, &nodes_path)?;
            writeln!(out, "wrote {n} nodes to {}", nodes_path.display())?;
            report::graphfile::Written {
                nodes: n as usize,
                edges: edges as usize,
            }
        }
    };
    store.audit(
        &viewer(),
        "export",
        &format!(
            "graph {window} {layer} ({} ids)",
            if pseudonymize {
                "pseudonymous"
            } else {
                "external"
            }
        ),
    )?;
    writeln!(
        out,
        "wrote the {layer} graph of window {window}: {} nodes, {} edges to {}",
        written.nodes,
        written.edges,
        path.display()
    )?;
    Ok(())
}
