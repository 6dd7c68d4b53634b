//! What each subcommand does: open a session on the workspace, call the application, print.

use crate::engine;
use crate::progress::Bars;
use crate::{Cli, Command, FileFormat, GenFormat, IngestWhat, PairingArg, RunsWhat, ShowWhat};
use anyhow::{Context, Result, bail};
use app::Session;
use std::io::Write;
use std::path::{Path, PathBuf};

fn workspace_dir(cli_dir: &Option<PathBuf>) -> PathBuf {
    cli_dir.clone().unwrap_or_else(|| PathBuf::from("."))
}

/// The workspace, for the operating-system user running orgmirror (in a narrower role with
/// `--as`).
fn open(
    cli_dir: &Option<PathBuf>,
    view_as: &Option<String>,
    key: &Option<PathBuf>,
) -> Result<Session> {
    let mut s = Session::open_with(&workspace_dir(cli_dir), &viewer(), key.as_deref())?;
    if let Some(role) = view_as {
        s.view_as(app::Role::parse(role)?)?;
    }
    Ok(s)
}

/// Who is looking: the operating-system user running orgmirror (no environment variable can say
/// otherwise; a server authenticates its viewers itself).
pub fn viewer() -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata("/proc/self") {
            let uid = meta.uid();
            let name = std::fs::read_to_string("/etc/passwd")
                .ok()
                .and_then(|text| {
                    text.lines().find_map(|line| {
                        let mut f = line.split(':');
                        let name = f.next()?;
                        let id = f.nth(1)?;
                        (id.parse::<u32>().ok()? == uid).then(|| name.to_string())
                    })
                });
            return name.unwrap_or_else(|| format!("uid {uid}"));
        }
    }
    "local user".to_string()
}

/// A table file's format; a mail layout is no table format.
fn table_format(f: FileFormat) -> Result<app::ingest::FileFormat> {
    Ok(match f {
        FileFormat::Csv => app::ingest::FileFormat::Csv,
        FileFormat::Tsv => app::ingest::FileFormat::Tsv,
        FileFormat::Whitespace => app::ingest::FileFormat::Whitespace,
        FileFormat::Jsonl => app::ingest::FileFormat::Jsonl,
        FileFormat::Parquet => app::ingest::FileFormat::Parquet,
        FileFormat::Maildir | FileFormat::Mbox => {
            bail!("--format maildir and mbox go with `ingest mail`")
        }
    })
}

/// A table input's kind (mail is read by its connector).
fn table_kind(w: IngestWhat) -> app::ingest::Kind {
    match w {
        IngestWhat::People => app::ingest::Kind::People,
        IngestWhat::Events
        | IngestWhat::Mail
        | IngestWhat::Calendar
        | IngestWhat::Chat
        | IngestWhat::Viva => app::ingest::Kind::Events,
        IngestWhat::Survey => app::ingest::Kind::Survey,
    }
}

impl From<PairingArg> for app::ingest::Pairing {
    fn from(p: PairingArg) -> app::ingest::Pairing {
        match p {
            PairingArg::Auto => app::ingest::Pairing::Auto,
            PairingArg::Thread => app::ingest::Pairing::Thread,
            PairingArg::NextMessage => app::ingest::Pairing::NextMessage,
        }
    }
}

impl From<crate::ExportFormat> for app::export::Format {
    fn from(f: crate::ExportFormat) -> app::export::Format {
        match f {
            crate::ExportFormat::Csv => app::export::Format::Csv,
            crate::ExportFormat::Json => app::export::Format::Json,
            crate::ExportFormat::Parquet => app::export::Format::Parquet,
            crate::ExportFormat::Graphml => app::export::Format::Graphml,
            crate::ExportFormat::Gexf => app::export::Format::Gexf,
        }
    }
}

/// The generator's settings from the command line.
#[allow(clippy::too_many_arguments)]
pub(crate) fn generate_config(
    people: usize,
    days: u32,
    seed: u64,
    events: Option<u64>,
    format: GenFormat,
    metadata_only: bool,
) -> app::ingest::GenerateConfig {
    let mut cfg = app::ingest::GenerateConfig::new(people, days, seed);
    cfg.events = events;
    cfg.metadata_only = metadata_only;
    cfg.format = match format {
        GenFormat::Parquet => app::ingest::EventFormat::Parquet,
        GenFormat::Csv => app::ingest::EventFormat::Csv,
    };
    cfg
}

pub fn run(cli: Cli) -> Result<()> {
    let quiet = cli.quiet;
    let bars = Bars { quiet };
    let mut out = std::io::stdout().lock();
    let key = cli
        .key_file
        .clone()
        .or_else(|| std::env::var_os("ORGMIRROR_KEY_FILE").map(PathBuf::from));
    match cli.command {
        Command::Init { dir, min_group } => {
            let dir = dir.or(cli.workspace).unwrap_or_else(|| PathBuf::from("."));
            let me = viewer();
            let s = Session::init_with(&dir, &me, min_group, key.as_deref())?;
            if let Some(k) = &key {
                writeln!(
                    out,
                    "identity key: {} (keep it apart from the workspace; without it people are pseudonyms only)",
                    k.display()
                )?;
            }
            writeln!(
                out,
                "created workspace {}; {me} is its admin and sees people by id, everyone else by pseudonym until `orgmirror grant`; groups under {} people are never shown",
                dir.display(),
                s.policy().min_group
            )?;
        }
        Command::Grant {
            viewer: who,
            role,
            person,
        } => {
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            let role = match (role, person) {
                (crate::AccessRole::Admin, None) => app::Role::Admin,
                (crate::AccessRole::Identified, None) => app::Role::Identified,
                (crate::AccessRole::Pseudonymous, None) => app::Role::Analyst,
                (crate::AccessRole::Member, Some(p)) => app::Role::Member(p),
                (crate::AccessRole::Leader, Some(p)) => app::Role::Leader(p),
                (crate::AccessRole::Member | crate::AccessRole::Leader, None) => {
                    bail!("a member or leader is linked to one person: add --person PSEUDONYM")
                }
                (_, Some(_)) => bail!("--person goes with --role member or leader only"),
            };
            let stored = role.as_stored();
            s.grant(&who, role)?;
            writeln!(
                out,
                "{who} is now {stored} (granted by {}, in the access log)",
                s.viewer()
            )?;
        }
        Command::Settings { min_group } => {
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            if let Some(m) = min_group {
                s.raise_min_group(m)?;
            }
            writeln!(
                out,
                "minimum group size: {} (raise with `orgmirror settings --min-group N`; it is never lowered)",
                s.policy().min_group
            )?;
        }
        Command::Ingest {
            what,
            file,
            mapping,
            strict,
            format,
            json,
            include_lists,
            include_automated,
        } => {
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            let export = matches!(
                what,
                IngestWhat::Calendar | IngestWhat::Chat | IngestWhat::Viva
            );
            if export && (mapping.is_some() || format.is_some()) {
                bail!(
                    "`ingest calendar`, `chat` and `viva` read the export as it is: no --map or --format"
                );
            }
            let outcome = if export {
                let req = app::ingest::IngestRequest {
                    strict,
                    ..Default::default()
                };
                match what {
                    IngestWhat::Calendar => s.ingest_calendar(&file, &req, &bars),
                    IngestWhat::Chat => s.ingest_chat(&file, &req, &bars),
                    _ => s.ingest_viva(&file, &req, &bars),
                }
                .map(|(r, unmatched)| (r, Some(unmatched)))
            } else if what == IngestWhat::Mail {
                if mapping.is_some() {
                    bail!("a mail archive needs no --map: its headers say who wrote to whom");
                }
                let layout = match format {
                    None => None,
                    Some(FileFormat::Maildir) => Some(app::ingest::MailFormat::Maildir),
                    Some(FileFormat::Mbox) => Some(app::ingest::MailFormat::Mbox),
                    Some(_) => bail!("`ingest mail` reads --format maildir or mbox"),
                };
                let opts = app::ingest::MailOptions {
                    include_lists,
                    include_automated,
                };
                let req = app::ingest::IngestRequest {
                    strict,
                    ..Default::default()
                };
                s.ingest_mail(&file, layout, opts, &req, &bars)
                    .map(|(r, unmatched)| (r, Some(unmatched)))
            } else {
                let req = app::ingest::IngestRequest {
                    mapping,
                    strict,
                    format: format.map(table_format).transpose()?,
                };
                s.ingest(table_kind(what), &file, &req, &bars)
                    .map(|r| (r, None))
            };
            let (report, unmatched) = match outcome {
                Ok(r) => r,
                Err(e) => match app::ingest::already_ingested(&e) {
                    Some((run, source)) => {
                        writeln!(
                            out,
                            "skipped {}: the same input was already ingested as run {run} ({source}); nothing was stored",
                            file.display()
                        )?;
                        return Ok(());
                    }
                    None => return Err(e),
                },
            };
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                write!(out, "{}", report.summary())?;
                if let Some(unmatched) = unmatched.filter(|u| !u.is_empty()) {
                    let shown: Vec<String> = unmatched
                        .iter()
                        .take(10)
                        .map(|(a, n)| format!("{a} ({n})"))
                        .collect();
                    writeln!(
                        out,
                        "  {} addresses matched nobody in the people file; most frequent: {}",
                        unmatched.len(),
                        shown.join(", ")
                    )?;
                }
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
            let cfg = generate_config(people, days, seed, events, format, metadata_only);
            let summary = app::ingest::generate(&cfg, &dir, &bars)?;
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
            engine,
            segments,
        } => {
            let engine = engine::parse(&engine, segments)?;
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            let req = app::ingest::AggregateRequest {
                windows,
                pairing: pairing.into(),
                max_meeting_size,
                reply_window_days,
            };
            let summary = engine::aggregate(&mut s, &req, engine, &bars)?;
            print_aggregate(&mut out, &summary)?;
        }
        Command::Metrics(args) => {
            let (path, directed) = (args.out.clone(), args.directed);
            let report = app::metrics::run(&args.request(), &bars)?;
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
        Command::Runs { what } => {
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            match what {
                None => {
                    for run in s.runs()? {
                        writeln!(
                            out,
                            "{:>4}  {:<7} {}  {} accepted, {} rejected, {} repaired",
                            run.id, run.kind, run.source, run.accepted, run.rejected, run.repaired
                        )?;
                    }
                }
                Some(RunsWhat::Remove { id }) => {
                    let r = s.remove_run(id)?;
                    writeln!(
                        out,
                        "removed run {} ({} {}): {} rows; run `orgmirror analyze` to bring the results up to date",
                        r.id, r.kind, r.source, r.rows
                    )?;
                }
            }
        }
        Command::Status => {
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            print_status(&mut out, &s.status()?)?;
        }
        Command::Analyze(args) => {
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            let a = s.analyze(&args.request(), &bars)?;
            crate::analyze::print_analysis(&mut out, &a)?;
            if let Some(w) = a.windows.iter().find(|w| *w == "all").or(a.windows.last()) {
                let f = s.findings(w, args.top)?;
                writeln!(out, "\ntop findings ({}):", f.window)?;
                crate::analyze::print_findings(&mut out, &f)?;
            }
        }
        Command::Show { what } => {
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            match what {
                ShowWhat::Person { id, window, target } => {
                    let m = s.person_mirror(&id, &window)?;
                    crate::analyze::print_person(&mut out, &m)?;
                    if let Some(t) = target {
                        let paths = s.paths_to(&id, &t, &window)?;
                        crate::analyze::print_paths(&mut out, &s.name_of(&t)?, &paths)?;
                    }
                }
                ShowWhat::Team { leader, window } => {
                    let t = s.team_view(&leader, &window)?;
                    crate::analyze::print_team(&mut out, &t)?;
                }
                ShowWhat::Findings { window, top } => {
                    let f = s.findings(&window, top)?;
                    writeln!(out, "findings ({window}):")?;
                    crate::analyze::print_findings(&mut out, &f)?;
                }
            }
        }
        Command::Calibrate(args) => {
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            crate::calibrate::workspace(&mut s, &args, &bars, &mut out)?
        }
        Command::Export(args) => {
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            let e = s.export(&args.request(), &args.out)?;
            if let Some(nodes) = &e.nodes_path {
                writeln!(out, "wrote {} nodes to {}", e.nodes, nodes.display())?;
            }
            if args.table == "graph" {
                writeln!(
                    out,
                    "wrote the {} graph of window {}: {} nodes, {} edges to {}",
                    args.layer,
                    args.window.as_deref().unwrap_or("all"),
                    e.nodes,
                    e.rows,
                    args.out.display()
                )?;
            } else {
                writeln!(
                    out,
                    "wrote {} rows of {} to {}",
                    e.rows,
                    args.table,
                    args.out.display()
                )?;
            }
        }
        Command::Report(args) => {
            let mut s = open(&cli.workspace, &cli.view_as, &key)?;
            let pages = s.report(&args.request())?;
            crate::report::print_pages(&mut out, &pages)?;
        }
        Command::Serve(a) => {
            crate::serve::serve(workspace_dir(&cli.workspace), cli.key_file.clone(), a)?
        }
        Command::User { what, database } => crate::serve::user(
            workspace_dir(&cli.workspace),
            cli.key_file.clone(),
            database,
            what,
            &mut out,
        )?,
        Command::Survey { what, database } => crate::serve::survey(
            workspace_dir(&cli.workspace),
            cli.key_file.clone(),
            database,
            what,
            quiet,
            &mut out,
        )?,
        Command::Demo {
            dir,
            people,
            days,
            seed,
        } => demo(&dir, people, days, seed, quiet, &mut out)?,
    }
    Ok(())
}

fn print_aggregate(out: &mut impl Write, s: &app::ingest::AggregateSummary) -> Result<()> {
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
            app::ingest::Pairing::NextMessage => "next message back",
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

fn print_status(out: &mut impl Write, s: &app::ingest::WorkspaceStatus) -> Result<()> {
    writeln!(out, "workspace {}", s.root.display())?;
    writeln!(
        out,
        "  people: {} ({} from people files, {} seen only in interactions or survey)",
        s.people,
        s.registered,
        s.people - s.registered
    )?;
    if s.departments > 0 {
        writeln!(out, "  departments: {}", s.departments)?;
    }
    let span = |ms: Option<i64>| {
        ms.map(app::ingest::date_label)
            .unwrap_or_else(|| "-".into())
    };
    writeln!(
        out,
        "  interactions: {} ({} rows in {} segments), {} to {}",
        s.events,
        s.rows,
        s.segments,
        span(s.first_ms),
        span(s.last_ms)
    )?;
    writeln!(out, "  survey answers: {}", s.survey_answers)?;
    writeln!(out, "  minimum group size: {}", s.min_group)?;
    if s.stale {
        writeln!(
            out,
            "  the analysis predates a change of data: run `orgmirror analyze`"
        )?;
    }
    for run in &s.runs {
        writeln!(
            out,
            "  run {}: {} {} — {} accepted, {} rejected, {} repaired",
            run.id, run.kind, run.source, run.accepted, run.rejected, run.repaired
        )?;
    }
    for (name, path) in &s.tables {
        writeln!(out, "  table {name}: {}", path.display())?;
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
    let bars = Bars { quiet };
    let cfg = generate_config(people, days, seed, None, GenFormat::Parquet, false);
    let g = app::ingest::generate(&cfg, &input, &bars)?;
    writeln!(
        out,
        "   {} people, {} departments, {} interactions ({} rows), {} survey answers, planted truth in truth.json",
        g.people, g.departments, g.events, g.event_rows, g.survey_answers
    )?;
    writeln!(out, "2. creating the workspace {}", ws.display())?;
    let mut s = Session::init(&ws, &viewer(), app::policy::DEFAULT_MIN_GROUP)?;
    writeln!(out, "3. ingesting")?;
    for report in s.ingest_generated(&input, &bars)? {
        for line in report.summary().lines() {
            writeln!(out, "   {line}")?;
        }
    }
    writeln!(
        out,
        "4. analyzing: pair tables per window (all + months), then the mirror model"
    )?;
    let req = app::analyze::AnalyzeRequest {
        seed,
        ..Default::default()
    };
    let mut buf = Vec::new();
    let analysis = s.analyze(&req, &bars)?;
    crate::analyze::print_analysis(&mut buf, &analysis)?;
    writeln!(buf, "\ntop findings (all):")?;
    crate::analyze::print_findings(&mut buf, &s.findings("all", 12)?)?;
    for line in String::from_utf8_lossy(&buf).lines() {
        writeln!(out, "   {line}")?;
    }
    let pseudonym = analysis
        .telling_person()
        .context("the window `all` was analyzed")?;
    writeln!(
        out,
        "5. one personal mirror (`orgmirror show person {pseudonym}`)"
    )?;
    let mut buf = Vec::new();
    crate::analyze::print_person(&mut buf, &s.person_mirror(&pseudonym, "all")?)?;
    for line in String::from_utf8_lossy(&buf).lines() {
        writeln!(out, "   {line}")?;
    }
    let reports = dir.join("reports");
    writeln!(
        out,
        "6. reports (`orgmirror report --out DIR`, `orgmirror report --person ID --out DIR`)"
    )?;
    let mut buf = Vec::new();
    let mut request = app::reports::ReportRequest::new(reports.clone());
    let org_page = s.report(&request)?;
    request.person = vec![pseudonym.clone()];
    let person_page = s.report(&request)?;
    crate::report::print_pages(&mut buf, &org_page)?;
    crate::report::print_pages(&mut buf, &person_page)?;
    for line in String::from_utf8_lossy(&buf).lines() {
        writeln!(out, "   {line}")?;
    }
    writeln!(
        out,
        "\nOpen the org mirror:      {}\nOpen a personal mirror:   {}",
        absolute(&org_page[0].path).display(),
        absolute(&person_page[0].path).display()
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
