//! Node metrics of a plain edge list (`orgmirror metrics`), for analysts who would otherwise reach
//! for igraph or networkx. Reads the file, builds the graph, calls the graph crate, writes one
//! CSV row per node. Needs no workspace.
//!
//! Conventions follow networkx wherever libraries differ; they are listed in the README under
//! "Metrics on an edge list".

use crate::progress::{Progress, Stage};
use anyhow::{Context, Result, bail};
use graph::Graph;
use graph::betweenness::{
    ApproximateOptions, BetweennessOptions, approximate_betweenness, betweenness,
};
use graph::closeness::{closeness, harmonic};
use graph::clustering::clustering;
use graph::community::{CommunityOptions, Symmetrize, leiden};
use graph::components::{strong_components, weak_components};
use graph::constraint::structural_holes;
use graph::core::core_numbers;
use graph::degree::{in_degree, in_strength, node_reciprocity, out_degree, out_strength};
use graph::page_rank::{PageRankOptions, page_rank};
use graph::paths::Length;
use graph::spectral::{PowerOptions, eigenvector, hits, katz, spectral_radius};
use rustc_hash::FxHashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EdgeFormat {
    /// Comma-separated with a header row.
    Csv,
    /// Tab-separated with a header row.
    Tsv,
    /// Whitespace-separated `source target [weight]`, no header; `#` and `%` lines are comments.
    Whitespace,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BetweennessMode {
    /// Exact below about 10^10 edge visits (n·m), sampled above.
    Auto,
    Exact,
    Sampled,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LengthArg {
    /// Every edge is one step; weights do not shorten paths.
    Hops,
    /// The weight column is a distance (networkx's `weight=`/`distance=`).
    Weight,
}

/// What to compute, from where, to where.
#[derive(Debug, Clone)]
pub struct MetricsRequest {
    /// `source,target[,weight]` CSV/TSV with a header, or a whitespace edge list.
    pub input: PathBuf,
    /// Where to write the node table (`-` for standard output).
    pub out: PathBuf,
    /// Edges point from source to target (default: undirected ties).
    pub directed: bool,
    /// Weight column (default: `weight` when present, else every edge weighs 1).
    pub weight_column: Option<String>,
    pub source_column: Option<String>,
    pub target_column: Option<String>,
    /// File format, when the extension does not tell (`.csv`, `.tsv`; else sniffed).
    pub format: Option<EdgeFormat>,
    /// What a path's length counts, for betweenness, closeness and harmonic.
    pub length: LengthArg,
    pub betweenness: BetweennessMode,
    /// Largest error of sampled betweenness (normalized units), with probability 0.9.
    pub epsilon: f64,
    /// Katz attenuation α (default: half of 1/λ_max, which always converges).
    pub katz_alpha: Option<f64>,
    /// Leiden modularity resolution.
    pub resolution: f64,
    /// Seed for Leiden and for sampled betweenness.
    pub seed: u64,
}

/// An edge list read from a file, nodes named as the file names them.
pub struct EdgeList {
    pub names: Vec<String>,
    /// (source, target, weight) over indices into `names`; self-loops already dropped.
    pub edges: Vec<(u32, u32, f64)>,
    pub rows: u64,
    pub self_loops: u64,
    pub weighted: bool,
}

/// Interns node names as they are met.
#[derive(Default)]
struct Names {
    index: FxHashMap<Box<[u8]>, u32>,
    names: Vec<Box<[u8]>>,
}

impl Names {
    fn id(&mut self, name: &[u8]) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.into());
        self.index.insert(name.into(), i);
        i
    }
}

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.read.set(self.read.get() + k as u64);
        Ok(k)
    }
}

fn detect_format(path: &Path, given: Option<EdgeFormat>) -> Result<EdgeFormat> {
    if let Some(f) = given {
        return Ok(f);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    Ok(match ext.as_str() {
        "csv" => EdgeFormat::Csv,
        "tsv" => EdgeFormat::Tsv,
        _ => {
            // Sniff the first line that is not a comment.
            let reader = BufReader::new(
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
            );
            let mut format = EdgeFormat::Whitespace;
            for line in reader.lines().take(1000) {
                let line = line.with_context(|| format!("{}: not UTF-8 text", path.display()))?;
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') || t.starts_with('%') {
                    continue;
                }
                if t.contains(',') {
                    format = EdgeFormat::Csv;
                }
                break;
            }
            format
        }
    })
}

fn parse_weight(raw: &[u8], path: &Path, line: u64, column: &str) -> Result<f64> {
    let text = std::str::from_utf8(raw).unwrap_or("").trim();
    let w: f64 = text.parse().map_err(|_| {
        anyhow::anyhow!(
            "{}:{line}: field {column}: {:?} is not a number",
            path.display(),
            String::from_utf8_lossy(raw)
        )
    })?;
    if !(w.is_finite() && w >= 0.0) {
        bail!(
            "{}:{line}: field {column}: weight {w} must be a finite number ≥ 0",
            path.display()
        );
    }
    Ok(w)
}

/// Reads `source,target[,weight]` rows (CSV/TSV with a header) or a whitespace edge list.
pub fn read_edge_list(args: &MetricsRequest, bar: &dyn Stage) -> Result<EdgeList> {
    let path = &args.input;
    let format = detect_format(path, args.format)?;
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    bar.set_length(file.metadata().map(|m| m.len()).unwrap_or(0));
    let read = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let counting = Counting {
        inner: file,
        read: read.clone(),
    };
    let mut names = Names::default();
    let mut edges = Vec::new();
    let (mut rows, mut self_loops) = (0u64, 0u64);
    let mut push = |u: u32, v: u32, w: f64, edges: &mut Vec<(u32, u32, f64)>| {
        rows += 1;
        if u == v {
            self_loops += 1;
        } else {
            edges.push((u, v, w));
        }
        if rows.is_multiple_of(1 << 16) {
            bar.set_position(read.get());
        }
    };
    let weighted;
    match format {
        EdgeFormat::Csv | EdgeFormat::Tsv => {
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(if format == EdgeFormat::Tsv {
                    b'\t'
                } else {
                    b','
                })
                .trim(csv::Trim::All)
                .comment(Some(b'#'))
                .from_reader(BufReader::with_capacity(1 << 20, counting));
            let header = reader
                .byte_headers()
                .with_context(|| format!("{}: cannot read the header row", path.display()))?
                .clone();
            let columns: Vec<String> = header
                .iter()
                .map(|h| String::from_utf8_lossy(h).trim().to_string())
                .collect();
            let find = |name: &str| columns.iter().position(|c| c.eq_ignore_ascii_case(name));
            let need = |given: &Option<String>, default: &str, flag: &str| -> Result<usize> {
                let name = given.as_deref().unwrap_or(default);
                find(name).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}:1: no column {name:?} (columns: {}); name it with {flag}",
                        path.display(),
                        columns.join(", ")
                    )
                })
            };
            let s = need(&args.source_column, "source", "--source-column")?;
            let t = need(&args.target_column, "target", "--target-column")?;
            let w = match &args.weight_column {
                Some(name) => Some(need(&Some(name.clone()), name, "--weight-column")?),
                None => find("weight"),
            };
            weighted = w.is_some();
            let weight_name = w.map(|i| columns[i].clone()).unwrap_or_default();
            let mut record = csv::ByteRecord::new();
            loop {
                match reader.read_byte_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => bail!("{}: {e}", path.display()),
                }
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let field = |i: usize, name: &str| -> Result<&[u8]> {
                    match record.get(i) {
                        Some(f) if !f.is_empty() => Ok(f),
                        _ => bail!("{}:{line}: field {name}: empty", path.display()),
                    }
                };
                let u = names.id(field(s, &columns[s])?);
                let v = names.id(field(t, &columns[t])?);
                let weight = match w {
                    Some(i) => parse_weight(field(i, &weight_name)?, path, line, &weight_name)?,
                    None => 1.0,
                };
                push(u, v, weight, &mut edges);
            }
        }
        EdgeFormat::Whitespace => {
            if args.source_column.is_some()
                || args.target_column.is_some()
                || args.weight_column.is_some()
            {
                bail!(
                    "{}: a whitespace edge list has no header, so no named columns; \
                     its columns are source, target and an optional weight",
                    path.display()
                );
            }
            let mut reader = BufReader::with_capacity(1 << 20, counting);
            let mut buf = Vec::new();
            let mut line = 0u64;
            let mut has_weight: Option<bool> = None;
            loop {
                buf.clear();
                if reader
                    .read_until(b'\n', &mut buf)
                    .with_context(|| format!("cannot read {}", path.display()))?
                    == 0
                {
                    break;
                }
                line += 1;
                let mut fields = buf
                    .split(|b| b.is_ascii_whitespace())
                    .filter(|f| !f.is_empty());
                let Some(first) = fields.next() else {
                    continue;
                };
                if first.starts_with(b"#") || first.starts_with(b"%") {
                    continue;
                }
                let Some(second) = fields.next() else {
                    bail!(
                        "{}:{line}: field target: missing (a row is `source target [weight]`)",
                        path.display()
                    );
                };
                let third = fields.next();
                if fields.next().is_some() {
                    bail!(
                        "{}:{line}: more than three fields (a row is `source target [weight]`)",
                        path.display()
                    );
                }
                match (has_weight, third.is_some()) {
                    (None, x) => has_weight = Some(x),
                    (Some(a), b) if a != b => bail!(
                        "{}:{line}: field weight: {} where earlier rows {}",
                        path.display(),
                        if b { "present" } else { "missing" },
                        if a { "have one" } else { "have none" }
                    ),
                    _ => {}
                }
                let u = names.id(first);
                let v = names.id(second);
                let weight = match third {
                    Some(raw) => parse_weight(raw, path, line, "weight")?,
                    None => 1.0,
                };
                push(u, v, weight, &mut edges);
            }
            weighted = has_weight == Some(true);
        }
    }
    bar.set_position(read.get());
    if names.names.is_empty() {
        bail!("{}: no edges", path.display());
    }
    // Nodes in numeric order when every name is an integer, else in byte order.
    let numeric: Option<Vec<i128>> = names
        .names
        .iter()
        .map(|n| std::str::from_utf8(n).ok()?.parse::<i128>().ok())
        .collect();
    let mut order: Vec<u32> = (0..names.names.len() as u32).collect();
    match &numeric {
        Some(keys) => order.sort_by_key(|&i| keys[i as usize]),
        None => order.sort_by(|&a, &b| names.names[a as usize].cmp(&names.names[b as usize])),
    }
    let mut rank = vec![0u32; order.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    for e in edges.iter_mut() {
        e.0 = rank[e.0 as usize];
        e.1 = rank[e.1 as usize];
    }
    let names = order
        .iter()
        .map(|&i| String::from_utf8_lossy(&names.names[i as usize]).into_owned())
        .collect();
    Ok(EdgeList {
        names,
        edges,
        rows,
        self_loops,
        weighted,
    })
}

/// A metric column: values per node, NaN or None written as an empty cell.
enum Column {
    Float(Vec<f64>),
    Int(Vec<u32>),
    Maybe(Vec<Option<f64>>),
}

pub struct MetricsReport {
    pub nodes: usize,
    pub edges: usize,
    pub rows: u64,
    pub self_loops: u64,
    pub notes: Vec<String>,
}

/// Betweenness is exact up to this many edge visits (n·m), sampled above.
const EXACT_BETWEENNESS_BUDGET: f64 = 1e10;

pub fn run(args: &MetricsRequest, progress: &dyn Progress) -> Result<MetricsReport> {
    let bar = progress.stage("reading", true);
    let list = read_edge_list(args, bar.as_ref())?;
    bar.done();
    let n = list.names.len();
    let mut notes = Vec::new();
    // An undirected graph is held as a directed one with every tie both ways; rows u,v and v,u
    // (and repeated rows) add up to one tie.
    let g = if args.directed {
        Graph::from_edges(n, list.edges).map_err(anyhow::Error::msg)?
    } else {
        let mut both = Vec::with_capacity(list.edges.len() * 2);
        for &(u, v, w) in &list.edges {
            both.push((u, v, w));
            both.push((v, u, w));
        }
        Graph::from_edges(n, both).map_err(anyhow::Error::msg)?
    };
    let ties = if args.directed { g.m() } else { g.m() / 2 };
    let length = match args.length {
        LengthArg::Hops => Length::Hops,
        LengthArg::Weight => Length::Weight,
    };

    let steps = 15;
    let bar = progress.stage("metrics", false);
    bar.set_length(steps);
    let mut step = 0;
    let mut next = |what: &str| {
        bar.set_message(what);
        bar.set_position(step);
        step += 1;
    };
    let mut columns: Vec<(&str, Column)> = Vec::new();
    next("degree");
    if args.directed {
        let (i, o) = (in_degree(&g).0, out_degree(&g).0);
        let total = i.iter().zip(&o).map(|(a, b)| a + b).collect();
        columns.push(("degree", Column::Float(total)));
        columns.push(("in_degree", Column::Float(i)));
        columns.push(("out_degree", Column::Float(o)));
        let (i, o) = (in_strength(&g).0, out_strength(&g).0);
        let total = i.iter().zip(&o).map(|(a, b)| a + b).collect();
        columns.push(("strength", Column::Float(total)));
        columns.push(("in_strength", Column::Float(i)));
        columns.push(("out_strength", Column::Float(o)));
        columns.push(("reciprocity", Column::Maybe(node_reciprocity(&g))));
    } else {
        columns.push(("degree", Column::Float(out_degree(&g).0)));
        columns.push(("strength", Column::Float(out_strength(&g).0)));
    }
    next("pagerank");
    let pr = page_rank(
        &g,
        &PageRankOptions {
            tolerance: 1e-10,
            max_iterations: 10_000,
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("pagerank: {e:?}"))?;
    columns.push(("pagerank", Column::Float(pr.0)));
    let power = PowerOptions {
        tolerance: 1e-10,
        max_iterations: 10_000,
    };
    next("eigenvector");
    match eigenvector(&g, &power) {
        Ok(s) => columns.push(("eigenvector", Column::Float(s.0))),
        Err(_) => {
            notes.push(
                "eigenvector: did not converge in 10000 iterations; column left empty".into(),
            );
            columns.push(("eigenvector", Column::Maybe(vec![None; n])));
        }
    }
    next("hits");
    match hits(&g, &power) {
        Ok((h, a)) => {
            columns.push(("hub", Column::Float(h.0)));
            columns.push(("authority", Column::Float(a.0)));
        }
        Err(_) => {
            notes.push("hits: did not converge in 10000 iterations; columns left empty".into());
            columns.push(("hub", Column::Maybe(vec![None; n])));
            columns.push(("authority", Column::Maybe(vec![None; n])));
        }
    }
    next("katz");
    let alpha = match args.katz_alpha {
        Some(a) => a,
        None => {
            let lambda = spectral_radius(&g, &power);
            if lambda > 0.0 { 0.5 / lambda } else { 0.1 }
        }
    };
    match katz(&g, alpha, 1.0, &power) {
        Ok(s) => columns.push(("katz", Column::Float(s.0))),
        Err(_) => {
            notes.push(format!(
                "katz: α = {alpha:.6} does not converge (it must be below 1/λ_max); column left empty"
            ));
            columns.push(("katz", Column::Maybe(vec![None; n])));
        }
    }
    if args.katz_alpha.is_none() {
        notes.push(format!("katz: α = {alpha:.6} (half of 1/λ_max)"));
    }
    next("betweenness");
    let work = n as f64 * g.m() as f64;
    let sampled = match args.betweenness {
        BetweennessMode::Exact => false,
        BetweennessMode::Sampled => true,
        BetweennessMode::Auto => work > EXACT_BETWEENNESS_BUDGET,
    };
    if sampled {
        let a = approximate_betweenness(
            &g,
            &ApproximateOptions {
                length,
                normalized: true,
                epsilon: args.epsilon,
                delta: 0.1,
                seed: args.seed,
            },
        )
        .map_err(anyhow::Error::msg)?;
        notes.push(format!(
            "betweenness: sampled ({} shortest paths, Riondato–Kornaropoulos); every value within \
             ±{:.3e} of the exact one with probability 0.9",
            a.samples, a.error_bound
        ));
        columns.push(("betweenness", Column::Float(a.scores.0)));
    } else {
        let b = betweenness(
            &g,
            &BetweennessOptions {
                length,
                normalized: true,
            },
        );
        columns.push(("betweenness", Column::Float(b.0)));
    }
    next("closeness");
    columns.push(("closeness", Column::Float(closeness(&g, length).0)));
    next("harmonic");
    columns.push(("harmonic", Column::Float(harmonic(&g, length).0)));
    next("constraint");
    let holes = structural_holes(&g);
    columns.push(("constraint", Column::Float(holes.constraint.0)));
    columns.push(("effective_size", Column::Float(holes.effective_size.0)));
    columns.push(("efficiency", Column::Float(holes.efficiency.0)));
    columns.push(("hierarchy", Column::Float(holes.hierarchy.0)));
    next("clustering");
    columns.push(("clustering", Column::Float(clustering(&g, false).0)));
    if list.weighted {
        columns.push(("clustering_weighted", Column::Float(clustering(&g, true).0)));
    }
    next("core");
    columns.push(("core", Column::Int(core_numbers(&g))));
    next("components");
    columns.push(("component", Column::Int(weak_components(&g))));
    if args.directed {
        columns.push(("strong_component", Column::Int(strong_components(&g))));
    }
    next("community");
    let p = leiden(
        &g,
        &CommunityOptions {
            resolution: args.resolution,
            seed: args.seed,
            symmetrize: if args.directed {
                Symmetrize::Sum
            } else {
                Symmetrize::AsGiven
            },
            ..Default::default()
        },
    )
    .map_err(anyhow::Error::msg)?;
    notes.push(format!(
        "community: Leiden, {} communities, modularity {:.4} (resolution {}, seed {})",
        p.count, p.quality, args.resolution, args.seed
    ));
    columns.push(("community", Column::Int(p.labels)));
    next("writing");
    write_nodes(&args.out, &list.names, &columns)?;
    bar.done();
    Ok(MetricsReport {
        nodes: n,
        edges: ties,
        rows: list.rows,
        self_loops: list.self_loops,
        notes,
    })
}

fn write_nodes(out: &Path, names: &[String], columns: &[(&str, Column)]) -> Result<()> {
    let sink: Box<dyn Write> = if out == Path::new("-") {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(File::create(out).with_context(|| format!("cannot create {}", out.display()))?)
    };
    let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, sink));
    let mut header = vec!["node"];
    header.extend(columns.iter().map(|c| c.0));
    w.write_record(&header)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for (v, name) in names.iter().enumerate() {
        row.clear();
        row.push(name.clone());
        for (_, c) in columns {
            row.push(match c {
                Column::Float(x) if x[v].is_nan() => String::new(),
                // Adding 0.0 turns −0 into 0.
                Column::Float(x) => (x[v] + 0.0).to_string(),
                Column::Int(x) => x[v].to_string(),
                Column::Maybe(x) => x[v].map(|f| (f + 0.0).to_string()).unwrap_or_default(),
            });
        }
        w.write_record(&row)?;
    }
    w.flush()
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}
