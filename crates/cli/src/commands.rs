//! What each subcommand does: open the workspace, call the library crates, print a summary.

use crate::progress::Bar;
use crate::{Cli, Command, FileFormat, GenFormat, IngestWhat, PairingArg, ShowWhat};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use store::table::{ColumnData, ColumnDef, ColumnType, TableWriter};
use store::{EventReader, SqliteStore, Store, TableCommit};
use vocab::WindowSpec;

fn workspace_dir(cli_dir: &Option<PathBuf>) -> PathBuf {
    cli_dir.clone().unwrap_or_else(|| PathBuf::from("."))
}

fn open(cli_dir: &Option<PathBuf>) -> Result<SqliteStore> {
    Ok(SqliteStore::open(&workspace_dir(cli_dir))?)
}

/// Creates a workspace whose creator (the current viewer) may see people by id.
pub(crate) fn new_workspace(dir: &std::path::Path) -> Result<SqliteStore> {
    let mut store = SqliteStore::init(dir)?;
    let me = crate::analyze::viewer();
    store.grant(&me, "identified", &me)?;
    Ok(store)
}

pub fn run(cli: Cli) -> Result<()> {
    let quiet = cli.quiet;
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Init { dir } => {
            let dir = dir.or(cli.workspace).unwrap_or_else(|| PathBuf::from("."));
            new_workspace(&dir)?;
            let me = crate::analyze::viewer();
            writeln!(
                out,
                "created workspace {}; {me} sees people by id, everyone else by pseudonym until `orgmirror grant`",
                dir.display()
            )?;
        }
        Command::Grant { viewer, role } => {
            let mut store = open(&cli.workspace)?;
            let me = crate::analyze::viewer();
            let roles = store.roles()?;
            let bootstrap = !roles.iter().any(|r| r.1 == "identified");
            if !bootstrap && !crate::analyze::identified(&store, &me)? {
                bail!("{me} may not grant roles: only an identified viewer may (ask one of them)");
            }
            let role = match role {
                crate::AccessRole::Identified => "identified",
                crate::AccessRole::Pseudonymous => "pseudonymous",
            };
            store.grant(&viewer, role, &me)?;
            writeln!(
                out,
                "{viewer} is now {role} (granted by {me}, in the access log)"
            )?;
        }
        Command::Ingest {
            what,
            file,
            mapping,
            strict,
            format,
            json,
        } => {
            let mut store = open(&cli.workspace)?;
            let report = ingest_file(
                &mut store,
                what,
                &file,
                mapping.as_deref(),
                strict,
                format,
                quiet,
            )?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                write!(out, "{}", report.summary())?;
            }
        }
        Command::Generate {
            people,
            days,
            seed,
            events,
            out: dir,
            format,
            metadata_only,
        } => {
            let summary = generate(
                people,
                days,
                seed,
                events,
                &dir,
                format,
                metadata_only,
                quiet,
            )?;
            writeln!(
                out,
                "generated {} people in {} departments, {} interactions ({} event rows), {} survey answers",
                summary.people,
                summary.departments,
                summary.events,
                summary.event_rows,
                summary.survey_answers
            )?;
            for f in &summary.files {
                writeln!(out, "  {}", f.display())?;
            }
        }
        Command::Aggregate {
            windows,
            pairing,
            max_meeting_size,
            reply_window_days,
        } => {
            let mut store = open(&cli.workspace)?;
            let opts = aggregate_options(&windows, pairing, max_meeting_size, reply_window_days)?;
            let summary = aggregate(&mut store, &opts, quiet)?;
            print_aggregate(&mut out, &summary)?;
        }
        Command::Metrics(args) => {
            let (path, directed) = (args.out.clone(), args.directed);
            let report = crate::metrics::run(&args, quiet)?;
            // With the table on standard output, the summary goes to standard error.
            let mut summary: Box<dyn Write> = if path == Path::new("-") {
                Box::new(std::io::stderr())
            } else {
                Box::new(&mut out)
            };
            writeln!(
                summary,
                "{} rows: {} nodes, {} {} ties{}",
                report.rows,
                report.nodes,
                report.edges,
                if directed { "directed" } else { "undirected" },
                if report.self_loops > 0 {
                    format!(" ({} self-loops left out)", report.self_loops)
                } else {
                    String::new()
                }
            )?;
            for note in &report.notes {
                writeln!(summary, "  {note}")?;
            }
            if path != Path::new("-") {
                writeln!(summary, "wrote {}", path.display())?;
            }
        }
        Command::Status => {
            let store = open(&cli.workspace)?;
            status(&store, &mut out)?;
        }
        Command::Analyze(args) => {
            let mut store = open(&cli.workspace)?;
            crate::analyze::analyze(&mut store, &args, quiet, &mut out)?;
        }
        Command::Show { what } => {
            let mut store = open(&cli.workspace)?;
            match what {
                ShowWhat::Person { id, window, target } => crate::analyze::show_person(
                    &mut store,
                    &id,
                    &window,
                    target.as_deref(),
                    &mut out,
                )?,
                ShowWhat::Findings { window, top } => {
                    crate::analyze::show_findings(&store, &window, top, &mut out)?
                }
            }
        }
        Command::Validate(args) => crate::validate::validate(&args, quiet, &mut out)?,
        Command::Calibrate(args) => match &args.shared_data {
            Some(data) => crate::calibrate::shared(&args, data, &mut out)?,
            None => {
                let mut store = open(&cli.workspace)?;
                crate::calibrate::workspace(&mut store, &args, quiet, &mut out)?
            }
        },
        Command::Export(args) => {
            let mut store = open(&cli.workspace)?;
            crate::analyze::export(&mut store, &args, &mut out)?;
        }
        Command::Report(args) => {
            let mut store = open(&cli.workspace)?;
            crate::report::report(&mut store, &args, &mut out)?;
        }
        Command::Demo {
            dir,
            people,
            days,
            seed,
        } => demo(&dir, people, days, seed, quiet, &mut out)?,
    }
    Ok(())
}

pub(crate) fn ingest_file(
    store: &mut SqliteStore,
    what: IngestWhat,
    file: &Path,
    mapping: Option<&Path>,
    strict: bool,
    format: Option<FileFormat>,
    quiet: bool,
) -> Result<ingest::IngestReport> {
    let mut opts = ingest::IngestOptions {
        strict,
        ..Default::default()
    };
    if let Some(m) = mapping {
        opts.mapping = ingest::Mapping::load(m)?;
        opts.mapping_dir = m.parent().map(Path::to_path_buf);
    }
    opts.format = format.map(|f| match f {
        FileFormat::Csv => ingest::Format::Csv,
        FileFormat::Tsv => ingest::Format::Tsv,
        FileFormat::Whitespace => ingest::Format::Whitespace,
        FileFormat::Jsonl => ingest::Format::Jsonl,
        FileFormat::Parquet => ingest::Format::Parquet,
    });
    let bar = Bar::new(quiet, "ingest", true);
    let report = match what {
        IngestWhat::People => ingest::ingest_people(store, file, &opts, &bar),
        IngestWhat::Events => ingest::ingest_events(store, file, &opts, &bar),
        IngestWhat::Survey => ingest::ingest_survey(store, file, &opts, &bar),
    };
    bar.done();
    Ok(report?)
}

/// Ingests the people, events and survey files `generate` wrote into `input`.
pub(crate) fn ingest_generated(
    store: &mut SqliteStore,
    input: &Path,
    quiet: bool,
) -> Result<Vec<ingest::IngestReport>> {
    [
        (IngestWhat::People, "people.csv"),
        (IngestWhat::Events, "events.parquet"),
        (IngestWhat::Survey, "survey.csv"),
    ]
    .into_iter()
    .map(|(what, file)| ingest_file(store, what, &input.join(file), None, false, None, quiet))
    .collect()
}

/// A synthetic organization, in the full mode or with only what a real export carries
/// (`metadata_only`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn generate(
    people: usize,
    days: u32,
    seed: u64,
    events: Option<u64>,
    dir: &Path,
    format: GenFormat,
    metadata_only: bool,
    quiet: bool,
) -> Result<synth::GenerateSummary> {
    let mut cfg = synth::GenerateConfig::new(people, days, seed);
    cfg.events = events;
    cfg.metadata_only = metadata_only;
    cfg.format = match format {
        GenFormat::Parquet => synth::EventFormat::Parquet,
        GenFormat::Csv => synth::EventFormat::Csv,
    };
    let bar = Bar::new(quiet, "generate", false);
    bar.set_length(days as u64);
    let summary = synth::generate(&cfg, dir, &|d, _| bar.set_position(d as u64));
    bar.done();
    Ok(summary?)
}

pub(crate) fn aggregate_options(
    windows: &[String],
    pairing: PairingArg,
    max_meeting_size: usize,
    reply_window_days: u32,
) -> Result<aggregate::AggregateOptions> {
    let mut specs = Vec::new();
    for w in windows {
        for part in w.split(',') {
            let spec = WindowSpec::parse(part).map_err(anyhow::Error::msg)?;
            if !specs.contains(&spec) {
                specs.push(spec);
            }
        }
    }
    if max_meeting_size < 2 {
        bail!("--max-meeting-size must be at least 2");
    }
    Ok(aggregate::AggregateOptions {
        windows: specs,
        max_meeting_size,
        reply_window_ms: reply_window_days as i64 * 86_400_000,
        pairing: match pairing {
            PairingArg::Auto => aggregate::Pairing::Auto,
            PairingArg::Thread => aggregate::Pairing::Thread,
            PairingArg::NextMessage => aggregate::Pairing::NextMessage,
        },
    })
}

const PEOPLE_COLUMNS: &[ColumnDef] = &[
    ColumnDef::new("person", ColumnType::I32),
    ColumnDef::new("pseudo", ColumnType::Str),
    ColumnDef::new("registered", ColumnType::I32),
    ColumnDef::nullable("manager", ColumnType::I32),
    ColumnDef::nullable("department", ColumnType::Str),
    ColumnDef::nullable("title", ColumnType::Str),
    ColumnDef::nullable("level", ColumnType::I32),
    ColumnDef::nullable("time_zone", ColumnType::Str),
];

/// The people table for analysts: pseudonyms and org fields, never names or emails.
fn write_people_table(people: &store::PeopleTable, path: &Path) -> Result<u64> {
    let mut w = TableWriter::create(path, "people", PEOPLE_COLUMNS, &[])?;
    let ps = &people.people;
    let manager = |p: &store::StoredPerson| {
        p.person
            .manager
            .as_deref()
            .and_then(|m| people.lookup(m))
            .map(|i| i.0 as i32)
    };
    w.write_row_group(&[
        ColumnData::I32(ps.iter().map(|p| p.idx.0 as i32).collect()),
        ColumnData::Str(ps.iter().map(|p| p.pseudo.clone()).collect()),
        ColumnData::I32(ps.iter().map(|p| p.registered as i32).collect()),
        ColumnData::OptI32(ps.iter().map(manager).collect()),
        ColumnData::OptStr(ps.iter().map(|p| p.person.department.clone()).collect()),
        ColumnData::OptStr(ps.iter().map(|p| p.person.title.clone()).collect()),
        ColumnData::OptI32(
            ps.iter()
                .map(|p| p.person.level.map(|l| l as i32))
                .collect(),
        ),
        ColumnData::OptStr(ps.iter().map(|p| p.person.time_zone.clone()).collect()),
    ])?;
    Ok(w.finish()?)
}

pub(crate) fn aggregate(
    store: &mut SqliteStore,
    opts: &aggregate::AggregateOptions,
    quiet: bool,
) -> Result<aggregate::AggregateSummary> {
    let segments = store.segments()?;
    if segments.is_empty() {
        bail!("no interactions in the workspace: run `orgmirror ingest events FILE` first");
    }
    let paths: Vec<PathBuf> = segments.iter().map(|s| s.path.clone()).collect();
    let mut reader = EventReader::open(&paths)?;
    let people = store.people()?;
    let has_hierarchy = people.people.iter().any(|p| p.person.manager.is_some());
    let org = if has_hierarchy {
        Some(people.org_chart().context("the stored hierarchy")?)
    } else {
        None
    };
    let pairs_path = store.staging_path("pairs")?;
    let latencies_path = store.staging_path("latencies")?;
    let people_path = store.staging_path("people")?;
    let bar = Bar::new(quiet, "aggregate", false);
    bar.set_length(reader.total_rows());
    let result = aggregate::aggregate(
        &mut reader,
        org.as_ref(),
        opts,
        &pairs_path,
        &latencies_path,
        &|n| bar.set_position(n),
    );
    bar.done();
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            for p in [&pairs_path, &latencies_path] {
                let _ = std::fs::remove_file(p);
                let _ = std::fs::remove_file(p.with_extension("parquet.partial"));
            }
            return Err(e.into());
        }
    };
    let n_people = write_people_table(&people, &people_path)?;
    store.commit_tables(TableCommit {
        what: "aggregate".into(),
        tables: vec![
            (
                "pairs".into(),
                pairs_path,
                summary.pair_rows,
                "per-window weighted directed pair table (one column per layer)".into(),
            ),
            (
                "latencies".into(),
                latencies_path,
                summary.latency_samples,
                "paired reply latencies".into(),
            ),
            (
                "roster".into(),
                people_path,
                n_people,
                "people with pseudonymous ids and org fields".into(),
            ),
        ],
        summary: serde_json::to_value(&summary)?,
    })?;
    Ok(summary)
}

fn print_aggregate(out: &mut impl Write, s: &aggregate::AggregateSummary) -> Result<()> {
    writeln!(
        out,
        "aggregated {} interactions ({} rows{}) into {} pair rows over {} windows; {} reply latencies paired by {}",
        s.events,
        s.rows,
        if s.undated_rows > 0 {
            format!(", {} undated", s.undated_rows)
        } else {
            String::new()
        },
        s.pair_rows,
        s.windows.len(),
        s.latency_samples,
        match s.pairing {
            aggregate::Pairing::NextMessage => "next message back",
            _ => "thread (in_reply_to)",
        }
    )?;
    if s.large_meetings > 0 {
        writeln!(
            out,
            "  {} meetings over the size limit counted organizer–attendee pairs only",
            s.large_meetings
        )?;
    }
    let shown: Vec<String> = s
        .windows
        .iter()
        .take(14)
        .map(|(w, n)| format!("{w}: {n}"))
        .collect();
    writeln!(
        out,
        "  pairs per window: {}{}",
        shown.join(", "),
        if s.windows.len() > 14 { ", ..." } else { "" }
    )?;
    Ok(())
}

fn status(store: &SqliteStore, out: &mut impl Write) -> Result<()> {
    let people = store.people()?;
    let registered = people.people.iter().filter(|p| p.registered).count();
    writeln!(out, "workspace {}", store.root().display())?;
    writeln!(
        out,
        "  people: {} ({} from people files, {} seen only in interactions or survey)",
        people.len(),
        registered,
        people.len() - registered
    )?;
    let mut departments: Vec<&str> = people
        .people
        .iter()
        .filter_map(|p| p.person.department.as_deref())
        .collect();
    departments.sort_unstable();
    departments.dedup();
    if !departments.is_empty() {
        writeln!(out, "  departments: {}", departments.len())?;
    }
    let segments = store.segments()?;
    let rows: u64 = segments.iter().map(|s| s.rows).sum();
    let events: u64 = segments.iter().map(|s| s.events).sum();
    let span = |ms: Option<i64>| {
        ms.map(vocab::window::date_label)
            .unwrap_or_else(|| "-".into())
    };
    let min = segments.iter().filter_map(|s| s.min_time_ms).min();
    let max = segments.iter().filter_map(|s| s.max_time_ms).max();
    writeln!(
        out,
        "  interactions: {events} ({rows} rows in {} segments), {} to {}",
        segments.len(),
        span(min),
        span(max)
    )?;
    writeln!(out, "  survey answers: {}", store.survey_answers()?.len())?;
    for run in store.ingest_runs()? {
        writeln!(
            out,
            "  run {}: {} {} — {} accepted, {} rejected, {} repaired",
            run.id, run.kind, run.source, run.accepted, run.rejected, run.repaired
        )?;
    }
    for name in ["pairs", "latencies", "roster"] {
        if let Some(path) = store.table_path(name)? {
            writeln!(out, "  table {name}: {}", path.display())?;
        }
    }
    Ok(())
}

fn demo(
    dir: &Path,
    people: usize,
    days: u32,
    seed: u64,
    quiet: bool,
    out: &mut impl Write,
) -> Result<()> {
    let marker = dir.join(".orgmirror-demo");
    if dir.exists() {
        if !marker.exists() {
            bail!(
                "{} exists and is not an earlier demo; choose another --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("removing the earlier demo in {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(&marker, "made by `orgmirror demo`; safe to delete\n")?;
    let input = dir.join("input");
    let ws = dir.join("workspace");
    writeln!(
        out,
        "1. generating a synthetic organization of {people} people over {days} days (seed {seed}) in {}",
        input.display()
    )?;
    let g = generate(
        people,
        days,
        seed,
        None,
        &input,
        GenFormat::Parquet,
        false,
        quiet,
    )?;
    writeln!(
        out,
        "   {} people, {} departments, {} interactions ({} rows), {} survey answers, planted truth in truth.json",
        g.people, g.departments, g.events, g.event_rows, g.survey_answers
    )?;
    writeln!(out, "2. creating the workspace {}", ws.display())?;
    let mut store = new_workspace(&ws)?;
    writeln!(out, "3. ingesting")?;
    for report in ingest_generated(&mut store, &input, quiet)? {
        for line in report.summary().lines() {
            writeln!(out, "   {line}")?;
        }
    }
    writeln!(
        out,
        "4. analyzing: pair tables per window (all + months), then the mirror model"
    )?;
    let args = crate::analyze::AnalyzeArgs {
        windows: vec!["all".into(), "month".into()],
        min_group: 5,
        seed,
        exact_betweenness_max: 5000,
        top: 12,
    };
    let mut buf = Vec::new();
    let analysis = crate::analyze::analyze(&mut store, &args, quiet, &mut buf)?;
    for line in String::from_utf8_lossy(&buf).lines() {
        writeln!(out, "   {line}")?;
    }
    // A personal mirror worth reading: the one who yields in the strongest unbalanced
    // relationship, else the first leader.
    let all = analysis
        .results
        .iter()
        .find(|r| r.window == "all")
        .context("the window `all` was analyzed")?;
    let person = all
        .findings
        .iter()
        .find(|f| matches!(f.kind, "unbalanced_relationship" | "power_against_status"))
        .and_then(|f| f.other)
        .or_else(|| all.leaders.first().map(|l| l.leader))
        .unwrap_or(0);
    let pseudonym = analysis.org.pseudonyms[person as usize].clone();
    writeln!(
        out,
        "5. one personal mirror (`orgmirror show person {pseudonym}`)"
    )?;
    let mut buf = Vec::new();
    crate::analyze::show_person(&mut store, &pseudonym, "all", None, &mut buf)?;
    for line in String::from_utf8_lossy(&buf).lines() {
        writeln!(out, "   {line}")?;
    }
    let reports = dir.join("reports");
    writeln!(
        out,
        "6. reports (`orgmirror report --out DIR`, `orgmirror report --person ID --out DIR`)"
    )?;
    let mut buf = Vec::new();
    let mut report_args = crate::report::ReportArgs {
        out: reports.clone(),
        person: Vec::new(),
        window: "all".into(),
        min_group: 5,
        max_nodes: 20_000,
        max_edges: 150_000,
    };
    let org_page = crate::report::report(&mut store, &report_args, &mut buf)?;
    report_args.person = vec![pseudonym.clone()];
    let person_page = crate::report::report(&mut store, &report_args, &mut buf)?;
    for line in String::from_utf8_lossy(&buf).lines() {
        writeln!(out, "   {line}")?;
    }
    writeln!(
        out,
        "\nOpen the org mirror:      {}\nOpen a personal mirror:   {}",
        absolute(&org_page[0]).display(),
        absolute(&person_page[0]).display()
    )?;
    writeln!(
        out,
        "\nNext: `orgmirror --workspace {ws} show findings`, `orgmirror --workspace {ws} show person ID`, \
         `orgmirror --workspace {ws} export people --format csv --out people.csv`, \
         `orgmirror --workspace {ws} export graph --format gexf --out graph.gexf` (Gephi); tables are in {}.",
        ws.join("tables").display(),
        ws = ws.display()
    )?;
    Ok(())
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
