//! Data out: stored tables and the people graph in files other tools open, named and suppressed
//! as the policy decides, recorded in the access log before they are written.

use crate::Session;
use anyhow::{Context, Result, bail};
use mirror::input::Pair;
use std::io::Write;
use std::path::Path;
use store::Store;
use store::table::{ColumnData, ColumnDef, ColumnType, TableWriter};

/// File formats of exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Parquet,
    /// The graph only: GraphML for networkx, igraph, Gephi and yEd.
    Graphml,
    /// The graph only: GEXF 1.2 for Gephi and networkx.
    Gexf,
}

/// An export of a stored table or of the people graph.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    /// A table name, or `graph`.
    pub table: String,
    pub format: Format,
    /// Only this window (the graph: default `all`).
    pub window: Option<String>,
    /// Name people by pseudonym even for a viewer who may see identities.
    pub pseudonymize: bool,
    /// A larger minimum group size than the workspace's (never smaller).
    pub min_group: Option<usize>,
    /// For the graph: the layer whose weight makes an edge.
    pub layer: String,
}

/// What an export wrote.
#[derive(Clone, Debug, Default)]
pub struct Exported {
    pub rows: u64,
    /// For the graph: nodes and edges, and where a table-format node file went.
    pub nodes: u64,
    pub nodes_path: Option<std::path::PathBuf>,
}

impl Session {
    /// Writes a table or the graph to `path`.
    pub fn export(&mut self, req: &ExportRequest, path: &Path) -> Result<Exported> {
        self.policy.require_org(&mut self.store, "exports")?;
        let pseudonymize = req.pseudonymize || !self.policy.identities();
        if !req.pseudonymize && !self.policy.identities() {
            let me = self.policy.viewer.clone();
            self.policy
                .record(&mut self.store, "refused: export with ids", &req.table)?;
            return Err(crate::Refused(format!(
                "{me} sees people by pseudonym only: add --pseudonymize, or ask an admin to run `orgmirror grant {me} --role identified`"
            ))
            .into());
        }
        let min_group = self.policy.group_floor(&mut self.store, req.min_group)?;
        if req.table == "graph" {
            let window = req.window.as_deref().unwrap_or("all");
            return self.export_graph(req.format, path, window, &req.layer, pseudonymize);
        }
        if matches!(req.format, Format::Graphml | Format::Gexf) {
            bail!(
                "GraphML and GEXF hold the people graph: use `export graph --format {}`; tables go to csv, json or parquet",
                if matches!(req.format, Format::Graphml) {
                    "graphml"
                } else {
                    "gexf"
                }
            );
        }
        let schema = crate::policy::schema(&req.table)?;
        let org = self.org()?;
        let mut cols = self.load(&req.table)?.0;
        let rows = cols.first().map_or(0, |c| c.1.len());
        let keep: Vec<bool> = match (&req.window, cols.iter().find(|c| c.0 == "window")) {
            (Some(w), Some((_, ColumnData::Str(v)))) => v.iter().map(|x| x == w).collect(),
            _ => vec![true; rows],
        };
        // Suppress group figures below the minimum group size.
        let small: Vec<bool> = {
            let size = schema
                .group_size
                .and_then(|g| cols.iter().find(|c| c.0 == g))
                .map(|c| c.1.clone());
            match size {
                Some(ColumnData::OptI32(v)) => v
                    .iter()
                    .map(|m| m.is_some_and(|m| (m as usize) < min_group))
                    .collect(),
                Some(ColumnData::I32(v)) => v.iter().map(|&m| (m as usize) < min_group).collect(),
                Some(ColumnData::I64(v)) => v.iter().map(|&m| (m as usize) < min_group).collect(),
                _ => vec![false; rows],
            }
        };
        let keep: Vec<bool> = if schema.drop_small {
            keep.iter().zip(&small).map(|(&k, &s)| k && !s).collect()
        } else {
            keep
        };
        let ids = if pseudonymize {
            &org.pseudonyms
        } else {
            &org.ids
        };
        // People inside evidence text are named as in the person columns.
        let naming = report::Naming {
            labels: ids.clone(),
            identified: !pseudonymize,
        };
        for (name, data) in cols.iter_mut() {
            if matches!(name.as_str(), "evidence" | "role_evidence") {
                render(data, &naming);
            }
            if schema.person_columns.contains(&name.as_str()) {
                let named: Vec<Option<String>> = match data {
                    ColumnData::I32(v) => v.iter().map(|&p| ids.get(p as usize).cloned()).collect(),
                    ColumnData::OptI32(v) => v
                        .iter()
                        .map(|p| p.and_then(|p| ids.get(p as usize).cloned()))
                        .collect(),
                    _ => continue,
                };
                *data = ColumnData::OptStr(named);
            }
            if schema.suppressed.contains(&name.as_str()) {
                suppress(data, &small);
            }
        }
        let filtered: Vec<(String, ColumnData)> = cols
            .into_iter()
            .map(|(n, d)| (n, report::frame::filter(d, &keep)))
            .collect();
        self.policy.record(
            &mut self.store,
            "export",
            &format!(
                "{} ({} ids)",
                req.table,
                if pseudonymize {
                    "pseudonymous"
                } else {
                    "external"
                }
            ),
        )?;
        let written = write_export(&filtered, req.format, path)?;
        Ok(Exported {
            rows: written,
            ..Default::default()
        })
    }
    /// `orgmirror export graph`: the window's people graph in one layer, as GraphML, GEXF, or (CSV,
    /// JSON, Parquet) an edge table at `out` and a node table beside it (`NAME.nodes.EXT`).
    fn export_graph(
        &mut self,
        format: Format,
        path: &Path,
        window: &str,
        layer: &str,
        pseudonymize: bool,
    ) -> Result<Exported> {
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
        let org = self.org()?;
        let labels = if pseudonymize {
            org.pseudonyms.clone()
        } else {
            org.ids.clone()
        };
        let people = self.load("people")?;
        let nodes = report::graphfile::nodes(&org, &labels, &people, window);
        let pairs = self.window_pairs(window)?.into_plain();
        self.policy.record(
            &mut self.store,
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
        let description = format!(
            "orgmirror people graph: window {window}, layer {layer} (edge weight), one edge per directed pair; {} ids",
            if pseudonymize {
                "pseudonymous"
            } else {
                "external"
            }
        );
        let written = match format {
            Format::Graphml | Format::Gexf => {
                let write = if matches!(format, Format::Graphml) {
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
            Format::Csv | Format::Json | Format::Parquet => {
                let kept: Vec<Pair> = report::graphfile::edges(pairs.into_iter(), weight, org.n())
                    .map(|(p, _)| p)
                    .collect();
                let mut cols: Vec<(String, ColumnData)> = vec![
                    (
                        "source".into(),
                        ColumnData::Str(
                            kept.iter().map(|p| labels[p.a as usize].clone()).collect(),
                        ),
                    ),
                    (
                        "target".into(),
                        ColumnData::Str(
                            kept.iter().map(|p| labels[p.b as usize].clone()).collect(),
                        ),
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
                let edges = write_export(&cols, format, path)?;
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
                let n = write_export(&node_cols, format, &nodes_path)?;
                return Ok(Exported {
                    rows: edges,
                    nodes: n,
                    nodes_path: Some(nodes_path),
                });
            }
        };
        Ok(Exported {
            rows: written.edges as u64,
            nodes: written.nodes as u64,
            nodes_path: None,
        })
    }
}

impl Session {
    /// The pairs of one window (empty for a survey-only workspace).
    pub(crate) fn window_pairs(&self, window: &str) -> Result<mirror::input::PairList> {
        let Some(path) = self.store.table_path("pairs")? else {
            return Ok(Vec::<Pair>::new().into());
        };
        let mut windows = crate::tables::PairWindows::open(&path)?;
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
        &self,
        window: &str,
        only: Option<&rustc_hash::FxHashSet<u32>>,
    ) -> Result<Vec<(u32, u32, f64)>> {
        let Some(path) = self.store.table_path("pairs")? else {
            return Ok(Vec::new());
        };
        let frame = crate::tables::read_where(
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
}

/// Evidence text with its `{person:N}` references named.
fn render(data: &mut ColumnData, naming: &report::Naming) {
    match data {
        ColumnData::Str(v) => v.iter_mut().for_each(|x| *x = naming.text(x)),
        ColumnData::OptStr(v) => v.iter_mut().flatten().for_each(|x| *x = naming.text(x)),
        ColumnData::Dict { values, codes } => {
            *data = ColumnData::Str(
                codes
                    .iter()
                    .map(|&c| naming.text(&values[c as usize]))
                    .collect(),
            )
        }
        _ => {}
    }
}

/// Empties the cells of rows whose group is too small.
fn suppress(data: &mut ColumnData, small: &[bool]) {
    match data {
        ColumnData::OptF64(v) => {
            for (x, &s) in v.iter_mut().zip(small) {
                if s {
                    *x = None;
                }
            }
        }
        ColumnData::F64(v) => {
            *data = ColumnData::OptF64(
                v.iter()
                    .zip(small)
                    .map(|(&x, &s)| (!s).then_some(x))
                    .collect(),
            )
        }
        ColumnData::Str(v) => {
            *data = ColumnData::OptStr(
                v.iter()
                    .zip(small)
                    .map(|(x, &s)| (!s).then(|| x.clone()))
                    .collect(),
            )
        }
        ColumnData::OptStr(v) => {
            for (x, &s) in v.iter_mut().zip(small) {
                if s {
                    *x = None;
                }
            }
        }
        ColumnData::Dict { values, codes } => {
            *data = ColumnData::OptStr(
                codes
                    .iter()
                    .zip(small)
                    .map(|(&c, &s)| (!s).then(|| values[c as usize].clone()))
                    .collect(),
            )
        }
        _ => {}
    }
}

fn cell(d: &ColumnData, i: usize) -> serde_json::Value {
    use serde_json::Value;
    let num = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    match d {
        ColumnData::I32(v) => v[i].into(),
        ColumnData::I64(v) => v[i].into(),
        ColumnData::F32(v) => num(v[i] as f64),
        ColumnData::F64(v) => num(v[i]),
        ColumnData::Str(v) => v[i].clone().into(),
        ColumnData::OptI32(v) => v[i].map_or(Value::Null, Into::into),
        ColumnData::OptI64(v) => v[i].map_or(Value::Null, Into::into),
        ColumnData::OptF32(v) => v[i].map_or(Value::Null, |x| num(x as f64)),
        ColumnData::OptF64(v) => v[i].map_or(Value::Null, num),
        ColumnData::OptStr(v) => v[i].clone().map_or(Value::Null, Into::into),
        ColumnData::Dict { values, codes } => values[codes[i] as usize].clone().into(),
    }
}

pub fn write_export(cols: &[(String, ColumnData)], format: Format, path: &Path) -> Result<u64> {
    let rows = cols.first().map_or(0, |c| c.1.len());
    match format {
        Format::Graphml | Format::Gexf => {
            bail!("GraphML and GEXF hold the people graph only (`export graph`)")
        }
        Format::Csv => {
            let mut w = csv::Writer::from_path(path)
                .with_context(|| format!("writing {}", path.display()))?;
            w.write_record(cols.iter().map(|c| c.0.as_str()))?;
            for i in 0..rows {
                w.write_record(cols.iter().map(|(_, d)| match cell(d, i) {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s,
                    v => v.to_string(),
                }))?;
            }
            w.flush()?;
        }
        Format::Json => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("writing {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            writeln!(w, "[")?;
            for i in 0..rows {
                let obj: serde_json::Map<String, serde_json::Value> =
                    cols.iter().map(|(n, d)| (n.clone(), cell(d, i))).collect();
                let sep = if i + 1 < rows { "," } else { "" };
                writeln!(w, "{}{sep}", serde_json::Value::Object(obj))?;
            }
            writeln!(w, "]")?;
            w.flush()?;
        }
        Format::Parquet => {
            let defs: Vec<ColumnDef> = cols
                .iter()
                .map(|(n, d)| {
                    let name = interned(n);
                    let (ty, nullable) = match d {
                        ColumnData::I32(_) => (ColumnType::I32, false),
                        ColumnData::I64(_) => (ColumnType::I64, false),
                        ColumnData::F32(_) => (ColumnType::F32, false),
                        ColumnData::F64(_) => (ColumnType::F64, false),
                        ColumnData::Str(_) | ColumnData::Dict { .. } => (ColumnType::Str, false),
                        ColumnData::OptI32(_) => (ColumnType::I32, true),
                        ColumnData::OptI64(_) => (ColumnType::I64, true),
                        ColumnData::OptF32(_) => (ColumnType::F32, true),
                        ColumnData::OptF64(_) => (ColumnType::F64, true),
                        ColumnData::OptStr(_) => (ColumnType::Str, true),
                    };
                    if nullable {
                        ColumnDef::nullable(name, ty)
                    } else {
                        ColumnDef::new(name, ty)
                    }
                })
                .collect();
            let mut w = TableWriter::create(path, "export", &defs, &[])?;
            if rows > 0 {
                w.write_row_group(&cols.iter().map(|c| c.1.clone()).collect::<Vec<_>>())?;
            }
            w.finish()?;
        }
    }
    Ok(rows as u64)
}

/// A column name that lives as long as the program, for the table writer's schema: each distinct
/// name is kept once, so repeated exports (a server's) do not grow memory.
fn interned(name: &str) -> &'static str {
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<rustc_hash::FxHashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&n) = names.get(name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(n);
    n
}
