//! `orgmirror analyze`, `show` and `export`: the mirror model over the workspace, a quick look at
//! its results, and its tables in files. Person-level reads are written to the access log.

use crate::progress::Bar;
use crate::{ExportFormat, PairingArg};
use anyhow::{Context, Result, bail};
use mirror::input::{Evidence, Org, PairWindows};
use mirror::{WindowResult, analyze_window, org_from_people};
use std::io::Write;
use std::path::{Path, PathBuf};
use store::table::{ColumnData, ColumnDef, ColumnType, TableWriter};
use store::{EventReader, SqliteStore, Store, TableCommit};
use vocab::Window;

#[derive(clap::Args, Clone)]
pub struct AnalyzeArgs {
    /// all, month, quarter, YYYY-MM, YYYY-Qn or YYYY-MM-DD..YYYY-MM-DD; repeat for several.
    #[arg(long = "window", default_values_t = vec!["all".to_string(), "month".to_string()])]
    pub windows: Vec<String>,
    /// Group figures over fewer people than this are suppressed in exports and views.
    #[arg(long, default_value_t = 5)]
    pub min_group: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Above this many people, betweenness is sampled (with its error bound stated).
    #[arg(long, default_value_t = 5000)]
    pub exact_betweenness_max: usize,
    /// Findings to print at the end.
    #[arg(long, default_value_t = 12)]
    pub top: usize,
}

/// Whether `viewer` may see people by the people file's ids.
pub(crate) fn identified(store: &SqliteStore, viewer: &str) -> Result<bool> {
    Ok(store.role(viewer)?.as_deref() == Some("identified"))
}

/// Who is looking, for the access log and access roles.
pub(crate) fn viewer() -> String {
    std::env::var("ORGMIRROR_VIEWER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into())
}

pub struct Analysis {
    pub org: Org,
    pub results: Vec<WindowResult>,
}

/// Where `orgmirror calibrate` keeps a workspace's own status weights.
pub fn status_weights_path(store: &SqliteStore) -> std::path::PathBuf {
    store.root().join("status-weights.json")
}

/// The workspace's own status weights if `orgmirror calibrate` stored some, else the shipped ones.
pub fn status_model(store: &SqliteStore) -> Result<mirror::status::StatusModel> {
    let path = status_weights_path(store);
    match std::fs::read_to_string(&path) {
        Ok(text) => mirror::status::StatusModel::from_json(&text)
            .with_context(|| format!("{}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(mirror::status::StatusModel::shipped())
        }
        Err(e) => Err(e).with_context(|| format!("{}", path.display())),
    }
}

pub fn analyze(
    store: &mut SqliteStore,
    args: &AnalyzeArgs,
    quiet: bool,
    out: &mut impl Write,
) -> Result<Analysis> {
    let people = store.people()?;
    let org = org_from_people(&people);
    let survey = store.survey_answers()?;
    let segments: Vec<PathBuf> = store.segments()?.into_iter().map(|s| s.path).collect();
    // A survey-only workspace (a team's ONA survey) has no interactions: one window, all.
    // Windows are read from the pairs table one at a time, so memory holds one window's pairs.
    type Activities = Vec<Vec<mirror::activity::Activity>>;
    let (labels, mut stream, activity): (Vec<String>, Option<PairWindows>, Activities) =
        if segments.is_empty() {
            if survey.is_empty() {
                bail!("nothing to analyze: ingest events or survey answers first");
            }
            writeln!(
                out,
                "no interactions stored: analyzing the survey answers alone"
            )?;
            (vec!["all".to_string()], None, vec![Vec::new()])
        } else {
            let opts = crate::commands::aggregate_options(&args.windows, PairingArg::Auto, 50, 30)?;
            let summary = crate::commands::aggregate(store, &opts, quiet)?;
            writeln!(
                out,
                "aggregated {} interactions into {} pair rows over {} windows",
                summary.events,
                summary.pair_rows,
                summary.windows.len()
            )?;
            let pairs_path = store
                .table_path("pairs")?
                .context("the pairs table is missing after aggregation")?;
            let labels = PairWindows::labels(&pairs_path)?;
            let parsed: Vec<Window> = labels
                .iter()
                .map(|label| Window::parse(label).map_err(anyhow::Error::msg))
                .collect::<Result<_>>()?;
            let bar = Bar::new(quiet, "activity", false);
            let managers: Vec<Option<u32>> = (0..org.n())
                .map(|p| {
                    org.chart
                        .as_ref()
                        .and_then(|c| c.manager(p))
                        .map(|m| m as u32)
                })
                .collect();
            let activity = mirror::activity::activity(
                EventReader::open(&segments)?,
                &org.time_zones,
                &managers,
                &parsed,
            )?;
            bar.done();
            (labels, Some(PairWindows::open(&pairs_path)?), activity)
        };
    let model = mirror::Options {
        seed: args.seed,
        exact_betweenness_max: args.exact_betweenness_max,
        min_group: args.min_group,
        status: status_model(store)?,
        ..Default::default()
    };
    let bar = Bar::new(quiet, "analyze", false);
    bar.set_length(labels.len() as u64);
    let mut results: Vec<WindowResult> = Vec::new();
    for (i, (expected, act)) in labels.iter().zip(&activity).enumerate() {
        let (label, pairs) = match stream.as_mut() {
            Some(s) => s
                .next_window()?
                .context("the pairs table changed while it was read")?,
            None => (expected.clone(), Vec::new()),
        };
        if label != *expected {
            bail!("the pairs table changed while it was read: window {label}, expected {expected}");
        }
        bar.set_message(&label);
        // Change is measured against the previous window of the same kind (month to month,
        // quarter to quarter); `all` has none.
        let kind = |l: &str| Window::parse(l).ok().map(|w| std::mem::discriminant(&w));
        let previous = results
            .iter()
            .rev()
            .filter(|_| label != "all")
            .find(|r| kind(&r.window) == kind(&label))
            .map(|r| (r.window.as_str(), r.people.as_slice()));
        let act = (!segments.is_empty()).then_some(act.as_slice());
        let r = analyze_window(&org, &label, pairs, &survey, act, &model, previous);
        results.push(r);
        bar.set_position(i as u64 + 1);
    }
    bar.done();
    let tables = mirror::tables::all(&results);
    let mut staged = Vec::new();
    for t in &tables {
        let path = store.staging_path(t.name)?;
        let rows = t.write(&path)?;
        staged.push((t.name.to_string(), path, rows, t.description.to_string()));
    }
    let stage_totals: Vec<(String, f64)> = {
        let mut totals: Vec<(String, f64)> = Vec::new();
        for r in &results {
            for (s, t) in &r.stages {
                match totals.iter_mut().find(|x| x.0 == *s) {
                    Some(x) => x.1 += t,
                    None => totals.push((s.to_string(), *t)),
                }
            }
        }
        totals
    };
    let notes: Vec<String> = results
        .iter()
        .flat_map(|r| r.notes().iter().map(move |n| format!("{}: {n}", r.window)))
        .collect();
    store.commit_tables(TableCommit {
        what: "analyze".into(),
        tables: staged,
        summary: serde_json::json!({
            "windows": results.iter().map(|r| &r.window).collect::<Vec<_>>(),
            "min_group": args.min_group,
            "seed": args.seed,
            "stages_s": stage_totals,
            "notes": notes,
        }),
    })?;
    writeln!(
        out,
        "analyzed {} people over {} windows; stored {}",
        org.n(),
        results.len(),
        mirror::tables::TABLES.join(", ")
    )?;
    writeln!(
        out,
        "  time per stage: {}",
        stage_totals
            .iter()
            .map(|(s, t)| format!("{s} {t:.2}s"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    for n in &notes {
        writeln!(out, "  note: {n}")?;
    }
    if let Some(r) = results
        .iter()
        .find(|r| r.window == "all")
        .or(results.last())
    {
        writeln!(out, "\ntop findings ({}):", r.window)?;
        print_findings(out, &org, &r.findings, args.top)?;
    }
    Ok(Analysis { org, results })
}

fn name(org: &Org, p: Option<u32>) -> String {
    p.map_or(String::new(), |p| org.pseudonyms[p as usize].clone())
}

/// One line per finding, at most `top` of each kind, people by pseudonym.
pub fn print_findings(
    out: &mut impl Write,
    org: &Org,
    findings: &[mirror::findings::Finding],
    top: usize,
) -> Result<()> {
    let mut shown: Vec<(&str, usize)> = Vec::new();
    let per_kind = top.div_ceil(4).max(1);
    let mut printed = 0;
    for f in findings {
        let count = match shown.iter_mut().find(|s| s.0 == f.kind) {
            Some(s) => {
                s.1 += 1;
                s.1
            }
            None => {
                shown.push((f.kind, 1));
                1
            }
        };
        if count > per_kind || printed >= top {
            continue;
        }
        printed += 1;
        let who = match (f.person, f.other, &f.group) {
            (Some(a), Some(b), _) => format!("{} over {}", name(org, Some(a)), name(org, Some(b))),
            (Some(a), None, Some(g)) => format!("{} ({g})", name(org, Some(a))),
            (Some(a), None, None) => name(org, Some(a)),
            (None, _, Some(g)) => g.clone(),
            _ => String::new(),
        };
        writeln!(
            out,
            "  {:<24} {:<30} {} (confidence {:.2})",
            f.kind.replace('_', " "),
            who,
            f.evidence,
            f.confidence
        )?;
    }
    let total: usize = shown.iter().map(|s| s.1).sum();
    if total > printed {
        writeln!(
            out,
            "  … {} more: {}",
            total - printed,
            shown
                .iter()
                .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    Ok(())
}

/// Resolves a person named on the command line (external id, email or pseudonym).
/// A person named by pseudonym, or (for an identified viewer) by id or email.
pub(crate) fn person_index(store: &SqliteStore, org: &Org, text: &str) -> Result<u32> {
    if let Some(i) = org.pseudonyms.iter().position(|p| p == text) {
        return Ok(i as u32);
    }
    let me = viewer();
    if identified(store, &me)? {
        if let Some(i) = store.people()?.lookup(text) {
            return Ok(i.0);
        }
        bail!("no person `{text}` in the workspace (give an id, an email or a pseudonym)")
    }
    bail!(
        "no person with pseudonym `{text}`; {me} sees people by pseudonym only (an identified viewer can run `orgmirror grant {me} --role identified`)"
    )
}

pub fn show_person(
    store: &mut SqliteStore,
    who: &str,
    window: &str,
    target: Option<&str>,
    out: &mut impl Write,
) -> Result<()> {
    let org = org_from_people(&store.people()?);
    let me = person_index(store, &org, who)?;
    store.audit(&viewer(), "show person", &org.pseudonyms[me as usize])?;
    let people = crate::report::load(store, "people")?;
    let row = (0..people.rows())
        .find(|&i| people.text("window", i) == window && people.int("person", i) == Some(me as i64))
        .with_context(|| format!("no analysis of window {window}"))?;
    writeln!(
        out,
        "mirror of {} (window {window})",
        org.pseudonyms[me as usize]
    )?;
    let pct = |c: &str| {
        people
            .num(c, row)
            .map_or("n/a".into(), |v| format!("{:.0}th percentile", 100.0 * v))
    };
    writeln!(out, "  formal power   {}", pct("formal_pct"))?;
    writeln!(out, "  informal power {}", pct("informal_pct"))?;
    if let Some(gap) = people.num("power_gap", row) {
        writeln!(out, "  power gap      {gap:+.2}")?;
    }
    let roles = people.text("role_evidence", row);
    if !roles.is_empty() {
        writeln!(out, "  roles          {roles}")?;
    }
    let m = crate::report::load(store, "mirrors")?;
    let mut section = String::new();
    for i in 0..m.rows() {
        if m.text("window", i) != window || m.int("person", i) != Some(me as i64) {
            continue;
        }
        let s = m.text("section", i);
        if s != section {
            let heading = if s == "compass_named" {
                "compass".to_string()
            } else {
                s.replace('_', " ")
            };
            writeln!(out, "\n{heading}")?;
            // The compass says what it was built from (attention, or survey names).
            match s.as_str() {
                "compass" => writeln!(out, "  (share of your attention and requests)")?,
                "compass_named" => writeln!(
                    out,
                    "  (share of the colleagues you named in the survey: there are no interaction records, so this is whom you turn to, not how you spend your time)"
                )?,
                _ => {}
            }
            section = s.clone();
        }
        let other = m
            .int("other", i)
            .map(|o| org.pseudonyms[o as usize].clone());
        match s.as_str() {
            "compass" | "compass_named" => writeln!(
                out,
                "  {:<12} {:>5.1}%  {}",
                m.text("label", i),
                100.0 * m.num("value", i).unwrap_or(0.0),
                bar(m.num("value", i).unwrap_or(0.0))
            )?,
            "suggestion" => writeln!(
                out,
                "  {}. {}",
                m.int("rank", i).unwrap_or(0) + 1,
                m.text("evidence", i)
            )?,
            _ => writeln!(
                out,
                "  {:<10} {:<26} {}",
                other.unwrap_or_default(),
                format!(
                    "{} ({:+.2})",
                    m.text("label", i),
                    m.num("value", i).unwrap_or(0.0)
                ),
                m.text("evidence", i)
            )?,
        }
    }
    if let Some(t) = target {
        let target_idx = person_index(store, &org, t)?;
        let pairs_path = store.table_path("pairs")?.context("no pairs table")?;
        let mut windows = PairWindows::open(&pairs_path)?;
        let mut pairs = Vec::new();
        while let Some((l, p)) = windows.next_window()? {
            if l == window {
                pairs = p;
                break;
            }
        }
        let ev = Evidence::new(pairs, &store.survey_answers()?);
        let (contact, _) = mirror::people::build_graphs(&org, &ev);
        let undirected = contact.to_undirected().without_self_loops();
        writeln!(out, "\npaths to {}", org.pseudonyms[target_idx as usize])?;
        let paths = mirror::mirrors::paths_to(&ev, &undirected, me, target_idx);
        if paths.is_empty() {
            writeln!(
                out,
                "  nobody you have a two-way tie with is in contact with them"
            )?;
        }
        for (c, _, why) in paths {
            writeln!(out, "  via {:<10} {why}", org.pseudonyms[c as usize])?;
        }
    }
    Ok(())
}

fn bar(share: f64) -> String {
    "█".repeat((share * 40.0).round() as usize)
}

pub fn show_findings(
    store: &SqliteStore,
    window: &str,
    top: usize,
    out: &mut impl Write,
) -> Result<()> {
    let org = org_from_people(&store.people()?);
    let f = crate::report::load(store, "findings")?;
    let findings: Vec<mirror::findings::Finding> = (0..f.rows())
        .filter(|&i| f.text("window", i) == window)
        .map(|i| mirror::findings::Finding {
            kind: leak(f.text("kind", i)),
            person: f.int("person", i).map(|p| p as u32),
            other: f.int("other", i).map(|p| p as u32),
            group: Some(f.text("group", i)).filter(|g| !g.is_empty()),
            value: f.num("value", i).unwrap_or(0.0),
            confidence: f.num("confidence", i).unwrap_or(0.0),
            evidence: f.text("evidence", i),
        })
        .collect();
    if findings.is_empty() {
        bail!("no findings for window {window}");
    }
    writeln!(out, "findings ({window}):")?;
    print_findings(out, &org, &findings, top)
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[derive(clap::Args, Clone)]
pub struct ExportArgs {
    /// people, dyads, inferred_managers, groups, leaders, mirrors, findings, pairs, latencies,
    /// or graph (the people graph of one window and layer).
    pub table: String,
    #[arg(long, default_value = "csv")]
    pub format: ExportFormat,
    #[arg(long)]
    pub out: PathBuf,
    /// Only this window.
    #[arg(long)]
    pub window: Option<String>,
    /// Name people by their keyed pseudonym instead of the people file's id.
    #[arg(long)]
    pub pseudonymize: bool,
    /// Group figures over fewer people than this are left empty.
    #[arg(long, default_value_t = 5)]
    pub min_group: usize,
    /// For `export graph`: the layer whose weight makes an edge (contact, communication,
    /// meetings, requests, help, introductions, feedback); every layer's weight is an attribute.
    #[arg(long, default_value = "contact")]
    pub layer: String,
}

pub fn export(store: &mut SqliteStore, args: &ExportArgs, out: &mut impl Write) -> Result<()> {
    let me = viewer();
    if !args.pseudonymize && !identified(store, &me)? {
        bail!(
            "{me} sees people by pseudonym only: add --pseudonymize, or ask an identified viewer to run `orgmirror grant {me} --role identified`"
        );
    }
    if args.table == "graph" {
        let window = args.window.as_deref().unwrap_or("all");
        return crate::report::export_graph(
            store,
            args.format,
            &args.out,
            window,
            &args.layer,
            args.pseudonymize,
            out,
        );
    }
    if matches!(args.format, ExportFormat::Graphml | ExportFormat::Gexf) {
        bail!(
            "GraphML and GEXF hold the people graph: use `export graph --format {}`; tables go to csv, json or parquet",
            if matches!(args.format, ExportFormat::Graphml) {
                "graphml"
            } else {
                "gexf"
            }
        );
    }
    let org = org_from_people(&store.people()?);
    let mut cols = crate::report::load(store, &args.table)?.0;
    let rows = cols.first().map_or(0, |c| c.1.len());
    let keep: Vec<bool> = match (&args.window, cols.iter().find(|c| c.0 == "window")) {
        (Some(w), Some((_, ColumnData::Str(v)))) => v.iter().map(|x| x == w).collect(),
        _ => vec![true; rows],
    };
    // Suppress group figures below the minimum group size.
    let small: Vec<bool> = {
        let size = cols
            .iter()
            .find(|c| c.0 == "members" || c.0 == "team_size")
            .map(|c| c.1.clone());
        match size {
            Some(ColumnData::I32(v)) => v.iter().map(|&m| (m as usize) < args.min_group).collect(),
            _ => vec![false; rows],
        }
    };
    let suppressible: &[&str] = match args.table.as_str() {
        "groups" => &["value"],
        "leaders" => &[
            "directive_ratio",
            "autonomy",
            "airtime",
            "reciprocity",
            "leaderfulness",
            "position",
        ],
        _ => &[],
    };
    let ids = if args.pseudonymize {
        &org.pseudonyms
    } else {
        &org.ids
    };
    let person_cols = mirror::tables::PERSON_COLUMNS;
    for (name, data) in cols.iter_mut() {
        if person_cols.contains(&name.as_str()) {
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
        if suppressible.contains(&name.as_str())
            && let ColumnData::OptF64(v) = data
        {
            for (x, &s) in v.iter_mut().zip(&small) {
                if s {
                    *x = None;
                }
            }
        } else if suppressible.contains(&name.as_str())
            && let ColumnData::F64(v) = data
        {
            *data = ColumnData::OptF64(
                v.iter()
                    .zip(&small)
                    .map(|(&x, &s)| (!s).then_some(x))
                    .collect(),
            );
        }
    }
    let filtered: Vec<(String, ColumnData)> = cols
        .into_iter()
        .map(|(n, d)| (n, report::frame::filter(d, &keep)))
        .collect();
    let written = write_export(&filtered, args.format, &args.out)?;
    store.audit(
        &viewer(),
        "export",
        &format!(
            "{} ({} ids)",
            args.table,
            if args.pseudonymize {
                "pseudonymous"
            } else {
                "external"
            }
        ),
    )?;
    writeln!(
        out,
        "wrote {written} rows of {} to {}",
        args.table,
        args.out.display()
    )?;
    Ok(())
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

pub fn write_export(
    cols: &[(String, ColumnData)],
    format: ExportFormat,
    path: &Path,
) -> Result<u64> {
    let rows = cols.first().map_or(0, |c| c.1.len());
    match format {
        ExportFormat::Graphml | ExportFormat::Gexf => {
            bail!("GraphML and GEXF hold the people graph only (`export graph`)")
        }
        ExportFormat::Csv => {
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
        ExportFormat::Json => {
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
        ExportFormat::Parquet => {
            let defs: Vec<ColumnDef> = cols
                .iter()
                .map(|(n, d)| {
                    let name: &'static str = leak(n.clone());
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
