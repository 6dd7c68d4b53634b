//! Data in: ingest runs, the generator, aggregation, and what the workspace holds.

use crate::Session;
use crate::progress::{Bytes, Progress};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use store::{EventReader, Store, TableCommit};
use vocab::WindowSpec;

/// What an input file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    People,
    Events,
    Survey,
}

/// One ingest run's settings.
#[derive(Clone, Debug, Default)]
pub struct IngestRequest {
    pub mapping: Option<PathBuf>,
    pub strict: bool,
    pub format: Option<ingest::Format>,
}

/// How pairs of messages become replies.
pub use aggregate::{AggregateSummary, Pairing};
/// Mail archives' layouts and what to keep.
pub use connectors::mail::{MailFormat, MailOptions};
/// An input file's format (when its extension does not tell).
pub use ingest::{Format as FileFormat, IngestReport};
/// The generator's settings.
pub use synth::{EventFormat, GenerateConfig, GenerateSummary};
/// A date as the workspace prints it (YYYY-MM-DD, UTC).
pub use vocab::window::date_label;

/// Aggregation settings as a front end gives them.
#[derive(Clone, Debug)]
pub struct AggregateRequest {
    /// all, month, quarter, YYYY-MM, YYYY-Qn or a date range; comma lists allowed.
    pub windows: Vec<String>,
    pub pairing: Pairing,
    pub max_meeting_size: usize,
    pub reply_window_days: u32,
}

/// Another engine for the aggregation: from the segment files, the org chart (for relation
/// classes) and the options, it writes the `pairs` and `latencies` tables at the two paths.
pub type AggregateEngine<'a> = &'a dyn Fn(
    &[PathBuf],
    Option<&vocab::OrgChart>,
    &aggregate::AggregateOptions,
    &std::path::Path,
    &std::path::Path,
) -> Result<aggregate::AggregateSummary>;

impl Default for AggregateRequest {
    fn default() -> AggregateRequest {
        AggregateRequest {
            windows: vec!["all".into(), "month".into()],
            pairing: Pairing::Auto,
            max_meeting_size: 50,
            reply_window_days: 30,
        }
    }
}

impl AggregateRequest {
    pub fn options(&self) -> Result<aggregate::AggregateOptions> {
        let mut specs = Vec::new();
        for w in &self.windows {
            for part in w.split(',') {
                let spec = WindowSpec::parse(part).map_err(anyhow::Error::msg)?;
                if !specs.contains(&spec) {
                    specs.push(spec);
                }
            }
        }
        if self.max_meeting_size < 2 {
            bail!("--max-meeting-size must be at least 2");
        }
        Ok(aggregate::AggregateOptions {
            windows: specs,
            max_meeting_size: self.max_meeting_size,
            reply_window_ms: self.reply_window_days as i64 * 86_400_000,
            pairing: self.pairing,
        })
    }
}

/// A synthetic organization, in the full mode or with only what a real export carries
/// (`cfg.metadata_only`). Needs no workspace.
pub fn generate(
    cfg: &synth::GenerateConfig,
    dir: &Path,
    progress: &dyn Progress,
) -> Result<synth::GenerateSummary> {
    let bar = progress.stage("generate", false);
    bar.set_length(cfg.days as u64);
    let summary = synth::generate(cfg, dir, &|d, _| bar.set_position(d as u64));
    bar.done();
    Ok(summary?)
}

/// One row of `orgmirror runs`.
pub use store::IngestRunRecord as Run;
pub use store::RemovedRun;

/// The run that already stored this file, when an ingest was skipped for that reason.
pub fn already_ingested(e: &anyhow::Error) -> Option<(i64, String)> {
    e.chain().find_map(|c| {
        let store = c.downcast_ref::<store::StoreError>().or_else(|| match c
            .downcast_ref::<ingest::IngestError>()
        {
            Some(ingest::IngestError::Store(s)) => Some(s),
            _ => None,
        })?;
        match store {
            store::StoreError::AlreadyIngested { run, input } => Some((*run, input.clone())),
            _ => None,
        }
    })
}

/// What the workspace holds.
#[derive(Clone, Debug)]
pub struct WorkspaceStatus {
    pub root: PathBuf,
    pub people: usize,
    pub registered: usize,
    pub departments: usize,
    pub events: u64,
    pub rows: u64,
    pub segments: usize,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub survey_answers: usize,
    pub runs: Vec<Run>,
    pub min_group: usize,
    /// The analysis predates a change of data (an ingest or a removed run).
    pub stale: bool,
    pub tables: Vec<(String, PathBuf)>,
}

impl Session {
    /// Ingests one file (admins only): all of it or nothing.
    pub fn ingest(
        &mut self,
        kind: Kind,
        file: &Path,
        req: &IngestRequest,
        progress: &dyn Progress,
    ) -> Result<ingest::IngestReport> {
        self.policy.require_manager(&mut self.store, "ingest")?;
        let mut opts = ingest::IngestOptions {
            strict: req.strict,
            format: req.format,
            ..Default::default()
        };
        if let Some(m) = &req.mapping {
            opts.mapping = ingest::Mapping::load(m)?;
            opts.mapping_dir = m.parent().map(Path::to_path_buf);
        }
        let stage = progress.stage("ingest", true);
        let bar = Bytes(stage.as_ref());
        let report = match kind {
            Kind::People => ingest::ingest_people(&mut self.store, file, &opts, &bar),
            Kind::Events => ingest::ingest_events(&mut self.store, file, &opts, &bar),
            Kind::Survey => ingest::ingest_survey(&mut self.store, file, &opts, &bar),
        };
        stage.done();
        Ok(report?)
    }

    /// Ingests a mail archive (a Maildir folder or an mbox file), headers only (admins only):
    /// senders and To/Cc/Bcc recipients resolved against the people file, replies tied to what
    /// they answer, lists and automated mail left out unless asked for. Returns the report and
    /// the addresses that matched nobody, most frequent first.
    pub fn ingest_mail(
        &mut self,
        path: &Path,
        format: Option<connectors::mail::MailFormat>,
        opts: connectors::mail::MailOptions,
        req: &IngestRequest,
        progress: &dyn Progress,
    ) -> Result<(ingest::IngestReport, Vec<(String, u64)>)> {
        self.ingest_export(path, req, progress, |dir, ids| {
            Ok(Box::new(connectors::mail::MailSource::open(
                path, format, dir, ids, opts,
            )?))
        })
    }

    /// Ingests a Slack export (the official folder or zip): messages, thread replies, mentions
    /// and reactions, never their text; bots and channel events left out.
    pub fn ingest_chat(
        &mut self,
        path: &Path,
        req: &IngestRequest,
        progress: &dyn Progress,
    ) -> Result<(ingest::IngestReport, Vec<(String, u64)>)> {
        self.ingest_export(path, req, progress, |dir, ids| {
            Ok(Box::new(connectors::chat::SlackSource::open(
                path, dir, ids,
            )?))
        })
    }

    /// Ingests calendars (`.ics` files or a folder of them, iTIP messages too): meetings with
    /// their organizer and attendees, declines and accepts as answers to the organizer,
    /// recurrence expanded with a bound, cancelled instances dropped; never a summary,
    /// description or location.
    pub fn ingest_calendar(
        &mut self,
        path: &Path,
        req: &IngestRequest,
        progress: &dyn Progress,
    ) -> Result<(ingest::IngestReport, Vec<(String, u64)>)> {
        self.ingest_export(path, req, progress, |dir, ids| {
            Ok(Box::new(connectors::calendar::CalendarSource::open(
                path, dir, ids, None,
            )?))
        })
    }

    /// Ingests a Viva Insights person-to-person query without a mapping.
    pub fn ingest_viva(
        &mut self,
        path: &Path,
        req: &IngestRequest,
        progress: &dyn Progress,
    ) -> Result<(ingest::IngestReport, Vec<(String, u64)>)> {
        self.ingest_export(path, req, progress, |dir, ids| {
            Ok(Box::new(connectors::viva::VivaSource::open(
                path, dir, ids,
            )?))
        })
    }

    /// A connector's source, opened with the workspace's directory of people and keyed ids,
    /// through ingest's sink (admins only); the unmatched addresses come back with the report.
    fn ingest_export(
        &mut self,
        path: &Path,
        req: &IngestRequest,
        progress: &dyn Progress,
        open: impl FnOnce(connectors::Directory, connectors::Ids) -> Result<Box<dyn Export>>,
    ) -> Result<(ingest::IngestReport, Vec<(String, u64)>)> {
        self.policy.require_manager(&mut self.store, "ingest")?;
        let dir = connectors::Directory::from_people(&self.store.people()?);
        let ids = ingest::keyed_ids(&self.store);
        let unmatched = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let source = Reporting {
            inner: open(dir, ids)?,
            unmatched: unmatched.clone(),
        };
        let report = self.ingest_source(path, Box::new(source), req, progress)?;
        let unmatched = unmatched.borrow().clone();
        Ok((report, unmatched))
    }

    /// One connector's records through ingest's sink.
    fn ingest_source(
        &mut self,
        path: &Path,
        source: Box<dyn ingest::RecordSource>,
        req: &IngestRequest,
        progress: &dyn Progress,
    ) -> Result<ingest::IngestReport> {
        let opts = ingest::IngestOptions {
            strict: req.strict,
            ..Default::default()
        };
        let stage = progress.stage("ingest", true);
        let bar = Bytes(stage.as_ref());
        let report = ingest::ingest_records(&mut self.store, path, source, &opts, &bar);
        stage.done();
        Ok(report?)
    }

    /// Survey answers collected by pseudonym (a server's campaign): `(respondent, question,
    /// colleague, weight)` with the day they were closed and where they come from (`source`,
    /// e.g. "campaign 3"), stored as one survey ingest run. The
    /// ids are written to a private file only for the ingest's moment, then removed.
    pub fn ingest_collected_answers(
        &mut self,
        answers: &[(String, String, String, f64)],
        day: &str,
        source: &str,
        progress: &dyn Progress,
    ) -> Result<ingest::IngestReport> {
        self.policy.require_manager(&mut self.store, "ingest")?;
        let org = self.org()?;
        let index: rustc_hash::FxHashMap<&str, usize> = org
            .pseudonyms
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        let id = |p: &str| -> Result<&str> {
            index
                .get(p)
                .map(|&i| org.ids[i].as_str())
                .with_context(|| format!("no person with pseudonym `{p}`"))
        };
        let dir = self.store.root().join(".orgmirror").join("collected");
        std::fs::create_dir_all(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let path = dir.join(format!("answers-{}.csv", std::process::id()));
        let written = (|| -> Result<()> {
            let mut w = csv::Writer::from_path(&path)?;
            // `source` (e.g. the campaign) is a column the ingest ignores: it keeps two
            // collections with the same answers on the same day from being taken for one file
            // ingested twice.
            w.write_record([
                "respondent",
                "question",
                "colleague",
                "weight",
                "time",
                "source",
            ])?;
            for (r, q, c, weight) in answers {
                w.write_record([id(r)?, q.as_str(), id(c)?, &weight.to_string(), day, source])?;
            }
            w.flush()?;
            Ok(())
        })();
        let out = written
            .and_then(|()| self.ingest(Kind::Survey, &path, &IngestRequest::default(), progress));
        let _ = std::fs::remove_file(&path);
        out
    }

    /// Ingests the people, events and survey files `generate` wrote into `input`.
    pub fn ingest_generated(
        &mut self,
        input: &Path,
        progress: &dyn Progress,
    ) -> Result<Vec<ingest::IngestReport>> {
        [
            (Kind::People, "people.csv"),
            (Kind::Events, "events.parquet"),
            (Kind::Survey, "survey.csv"),
        ]
        .into_iter()
        .map(|(kind, file)| {
            self.ingest(kind, &input.join(file), &IngestRequest::default(), progress)
        })
        .collect()
    }

    /// Builds the per-window pair and latency tables from the stored interactions (admins only).
    pub fn aggregate(
        &mut self,
        req: &AggregateRequest,
        progress: &dyn Progress,
    ) -> Result<aggregate::AggregateSummary> {
        self.aggregate_on(req, None, progress)
    }

    /// [`Session::aggregate`] on another engine: `engine` writes the pair and latency tables
    /// from the segments (the same tables the streaming path writes; the CLI passes the
    /// DataFusion or Ballista engine when built with them); `None` is the streaming path.
    pub fn aggregate_on(
        &mut self,
        req: &AggregateRequest,
        engine: Option<AggregateEngine>,
        progress: &dyn Progress,
    ) -> Result<aggregate::AggregateSummary> {
        self.policy.require_manager(&mut self.store, "aggregate")?;
        let opts = req.options()?;
        let _lock = self.store.lock("aggregate")?;
        self.aggregate_with_engine(&opts, engine, None, progress)
    }

    /// Aggregates on the local path, counting activity for `counter` in the same pass.
    pub(crate) fn aggregate_counting(
        &mut self,
        opts: &aggregate::AggregateOptions,
        counter: &mut aggregate::activity::Counter,
        progress: &dyn Progress,
    ) -> Result<aggregate::AggregateSummary> {
        self.aggregate_with_engine(opts, None, Some(counter), progress)
    }

    fn aggregate_with_engine(
        &mut self,
        opts: &aggregate::AggregateOptions,
        engine: Option<AggregateEngine>,
        counter: Option<&mut aggregate::activity::Counter>,
        progress: &dyn Progress,
    ) -> Result<aggregate::AggregateSummary> {
        let store = &mut self.store;
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
        let bar = progress.stage("aggregate", false);
        bar.set_length(reader.total_rows());
        let result = match engine {
            None => aggregate::aggregate_counting(
                &mut reader,
                org.as_ref(),
                opts,
                &pairs_path,
                &latencies_path,
                &|n| bar.set_position(n),
                counter,
            )
            .map_err(anyhow::Error::from),
            Some(engine) => {
                drop(reader);
                engine(&paths, org.as_ref(), opts, &pairs_path, &latencies_path)
            }
        };
        bar.done();
        let summary = match result {
            Ok(s) => s,
            Err(e) => {
                for p in [&pairs_path, &latencies_path] {
                    let _ = std::fs::remove_file(p);
                    let _ = std::fs::remove_file(p.with_extension("parquet.partial"));
                }
                return Err(e);
            }
        };
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
            ],
            summary: serde_json::to_value(&summary)?,
        })?;
        Ok(summary)
    }

    /// The ingest runs, oldest first (admins only: their sources often name people).
    pub fn runs(&mut self) -> Result<Vec<Run>> {
        self.policy
            .require_manager(&mut self.store, "list ingest runs")?;
        Ok(self.store.ingest_runs()?)
    }

    /// Removes an events or survey run (admins only); the analysis is then stale until the next
    /// `analyze`.
    pub fn remove_run(&mut self, id: i64) -> Result<RemovedRun> {
        self.policy
            .require_manager(&mut self.store, "remove runs")?;
        let _lock = self.store.lock("runs remove")?;
        let removed = self.store.remove_run(id)?;
        self.policy
            .record(&mut self.store, "remove run", &format!("{id}"))?;
        Ok(removed)
    }

    /// What the workspace holds (no person-level data; the ingest runs, whose sources often
    /// name people, only for admins).
    pub fn status(&mut self) -> Result<WorkspaceStatus> {
        self.policy
            .require_org(&mut self.store, "the workspace's status")?;
        let manages = self.policy.manages(&self.store)?;
        let store = &self.store;
        let people = store.people()?;
        let mut departments: Vec<&str> = people
            .people
            .iter()
            .filter_map(|p| p.person.department.as_deref())
            .collect();
        departments.sort_unstable();
        departments.dedup();
        let segments = store.segments()?;
        let mut tables = Vec::new();
        for name in ["pairs", "latencies", "people", "findings"] {
            if let Some(path) = store.table_path(name)? {
                tables.push((name.to_string(), path));
            }
        }
        Ok(WorkspaceStatus {
            root: store.root().to_path_buf(),
            people: people.len(),
            registered: people.people.iter().filter(|p| p.registered).count(),
            departments: departments.len(),
            events: segments.iter().map(|s| s.events).sum(),
            rows: segments.iter().map(|s| s.rows).sum(),
            segments: segments.len(),
            first_ms: segments.iter().filter_map(|s| s.min_time_ms).min(),
            last_ms: segments.iter().filter_map(|s| s.max_time_ms).max(),
            survey_answers: store.survey_answers()?.len(),
            runs: if manages {
                store.ingest_runs()?
            } else {
                Vec::new()
            },
            min_group: self.policy.min_group,
            stale: store.results_stale("analyze")?,
            tables,
        })
    }
}

/// A connector's source, which knows its directory of people.
trait Export: ingest::RecordSource {
    fn directory(&self) -> &connectors::Directory;
}

impl Export for connectors::mail::MailSource {
    fn directory(&self) -> &connectors::Directory {
        connectors::mail::MailSource::directory(self)
    }
}

impl Export for connectors::calendar::CalendarSource {
    fn directory(&self) -> &connectors::Directory {
        connectors::calendar::CalendarSource::directory(self)
    }
}

impl Export for connectors::chat::SlackSource {
    fn directory(&self) -> &connectors::Directory {
        connectors::chat::SlackSource::directory(self)
    }
}

impl Export for connectors::viva::VivaSource {
    fn directory(&self) -> &connectors::Directory {
        connectors::viva::VivaSource::directory(self)
    }
}

/// A source that hands its unmatched addresses back when it is done.
struct Reporting {
    inner: Box<dyn Export>,
    unmatched: std::rc::Rc<std::cell::RefCell<Vec<(String, u64)>>>,
}

impl ingest::RecordSource for Reporting {
    fn columns(&self) -> Vec<String> {
        self.inner.columns()
    }

    fn next_record(
        &mut self,
        cells: &mut Vec<ingest::Cell>,
    ) -> std::result::Result<Option<u64>, ingest::Problem> {
        let next = self.inner.next_record(cells);
        if matches!(next, Ok(None)) {
            *self.unmatched.borrow_mut() = self.inner.directory().unmatched();
        }
        next
    }

    fn total_bytes(&self) -> u64 {
        self.inner.total_bytes()
    }

    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }
}
