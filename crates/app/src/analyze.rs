//! The mirror model over the workspace: aggregation, then every window, tables committed as one.

use crate::Session;
use crate::ingest::AggregateRequest;
use crate::progress::Progress;
use anyhow::{Context, Result, bail};
use mirror::input::Org;
use mirror::{WindowResult, analyze_window, org_from_people};
use std::path::PathBuf;
use store::{SqliteStore, Store, TableCommit};
use vocab::Window;

/// Analysis settings as a front end gives them.
#[derive(Clone, Debug)]
pub struct AnalyzeRequest {
    /// all, month, quarter, YYYY-MM, YYYY-Qn or YYYY-MM-DD..YYYY-MM-DD.
    pub windows: Vec<String>,
    pub seed: u64,
    /// Above this many people, betweenness is sampled (with its error bound stated).
    pub exact_betweenness_max: usize,
}

impl Default for AnalyzeRequest {
    fn default() -> AnalyzeRequest {
        AnalyzeRequest {
            windows: vec!["all".into(), "month".into()],
            seed: 42,
            exact_betweenness_max: 5000,
        }
    }
}

/// What one analysis computed and stored.
pub struct Analysis {
    pub org: Org,
    /// Window `all`'s result when it was analyzed, else the first window's; the others were
    /// written to the tables as they were analyzed, and dropped.
    pub results: Vec<WindowResult>,
    /// Every window analyzed, in table order.
    pub windows: Vec<String>,
    /// Interactions aggregated, pair rows, windows (none for a survey-only workspace).
    pub aggregated: Option<(u64, u64, usize)>,
    /// Seconds and peak memory per stage (aggregation, reading and writing tables, and the
    /// model's stages), summed over windows; the peak is the largest.
    pub stages: Vec<mirror::profile::Stage>,
    /// Seconds of the people stage's parts, summed over windows (no peaks).
    pub people_parts: Vec<mirror::profile::Stage>,
    /// What the data could not show, per window ("WINDOW: note").
    pub notes: Vec<String>,
    /// Windows asked for that had no interactions (not analyzed).
    pub empty_windows: Vec<String>,
}

/// The process's memory, for the stage profile.
const MEMORY: mirror::profile::MemoryProbe = mirror::profile::MemoryProbe {
    reset: store::memory::reset_peak,
    peak: store::memory::peak_bytes,
};

/// Where `orgmirror calibrate` keeps a workspace's own status weights.
pub fn status_weights_path(store: &SqliteStore) -> PathBuf {
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

impl Session {
    /// Aggregates and runs the mirror model over every window (admins only); the results replace
    /// the previous analysis as one.
    pub fn analyze(&mut self, args: &AnalyzeRequest, progress: &dyn Progress) -> Result<Analysis> {
        self.policy.require_manager(&mut self.store, "analyze")?;
        let _lock = self.store.lock("analyze")?;
        let mut app_stages = mirror::profile::Stages::new(Some(MEMORY));
        let min_group = self.policy.min_group;
        let people = self.store.people()?;
        let org = org_from_people(&people);
        let survey = self.store.survey_answers()?;
        let segments: Vec<PathBuf> = self.store.segments()?.into_iter().map(|s| s.path).collect();
        // A survey-only workspace (a team's ONA survey) has no interactions: one window, all.
        // Windows are read from the pairs table one at a time, the next while the current one is
        // analyzed, so memory holds at most two windows' pairs.
        type Activities = Vec<Vec<vocab::Activity>>;
        let mut aggregated = None;
        let mut empty_windows = Vec::new();

        let (labels, mut stream, activity): (
            Vec<String>,
            Option<crate::tables::PairWindowsAhead>,
            Activities,
        ) = if segments.is_empty() {
            if survey.is_empty() {
                bail!("nothing to analyze: ingest events or survey answers first");
            }
            (vec!["all".to_string()], None, vec![Vec::new()])
        } else {
            let opts = AggregateRequest {
                windows: args.windows.clone(),
                ..Default::default()
            }
            .options()?;
            // Activity (when and how people send) is counted in the aggregation's pass, for
            // every window the requested specs give; the windows with pairs are kept below.
            let managers: Vec<Option<u32>> = (0..org.n())
                .map(|p| {
                    org.chart
                        .as_ref()
                        .and_then(|c| c.manager(p))
                        .map(|m| m as u32)
                })
                .collect();
            let mut counter =
                aggregate::activity::Counter::new(&org.time_zones, &managers, &opts.windows);
            let summary = self.aggregate_counting(&opts, &mut counter, progress)?;
            app_stages.lap("aggregate");
            aggregated = Some((summary.events, summary.pair_rows, summary.windows.len()));
            empty_windows = empty_asked(&args.windows, &summary.windows);
            let pairs_path = self
                .store
                .table_path("pairs")?
                .context("the pairs table is missing after aggregation")?;
            let labels = crate::tables::PairWindows::labels(&pairs_path)?;
            let parsed: Vec<Window> = labels
                .iter()
                .map(|label| Window::parse(label).map_err(anyhow::Error::msg))
                .collect::<Result<_>>()?;
            let activity = counter.finish_for(&parsed);
            (
                labels,
                Some(crate::tables::PairWindowsAhead::start(
                    crate::tables::PairWindows::open(&pairs_path)?,
                )?),
                activity,
            )
        };
        let model = mirror::Options {
            seed: args.seed,
            exact_betweenness_max: args.exact_betweenness_max,
            min_group,
            status: status_model(&self.store)?,
            memory: Some(MEMORY),
            ..Default::default()
        };
        // Each window's tables are written as soon as it is analyzed, and its result dropped
        // (only `all`'s, or the first window's, is kept for the caller): memory holds one window's
        // results and pairs (and the next window's pairs, read meanwhile), not every window's.
        let mut writers: Vec<(
            &'static str,
            PathBuf,
            store::table::TableWriter,
            &'static str,
        )> = Vec::new();
        let bar = progress.stage("analyze", false);
        bar.set_length(labels.len() as u64);
        let mut kept: Vec<WindowResult> = Vec::new();
        let mut windows: Vec<String> = Vec::new();
        // The model's stages summed over windows, and this loop's own (reading a window, writing
        // its tables).
        let mut model_totals: Vec<mirror::profile::Stage> = Vec::new();
        let mut people_parts: Vec<mirror::profile::Stage> = Vec::new();
        let mut io = mirror::profile::Stages::new(Some(MEMORY));
        let mut notes: Vec<String> = Vec::new();
        // The last window of each kind (month, quarter, …) with its people, for change.
        let mut last_of_kind: Vec<(
            std::mem::Discriminant<Window>,
            String,
            Vec<mirror::people::PersonRow>,
        )> = Vec::new();
        for (i, (expected, act)) in labels.iter().zip(&activity).enumerate() {
            let (label, pairs) = match stream.as_mut() {
                Some(s) => s
                    .next_window()?
                    .context("the pairs table changed while it was read")?,
                None => (expected.clone(), Vec::<mirror::input::Pair>::new().into()),
            };
            if label != *expected {
                bail!(
                    "the pairs table changed while it was read: window {label}, expected {expected}"
                );
            }
            bar.set_message(&label);
            io.lap("read_pairs");
            // Change is measured against the previous window of the same kind (month to month,
            // quarter to quarter); `all` has none.
            let kind = Window::parse(&label)
                .ok()
                .map(|w| std::mem::discriminant(&w));
            let previous = last_of_kind
                .iter()
                .filter(|_| label != "all")
                .find(|x| Some(x.0) == kind)
                .map(|x| (x.1.as_str(), x.2.as_slice()));
            let act = (!segments.is_empty()).then_some(act.as_slice());
            let r = analyze_window(&org, &label, pairs, &survey, act, &model, previous);
            io.lap("model");
            // One table at a time: built, written, dropped.
            for build in mirror::tables::BUILDERS {
                let t = build(std::slice::from_ref(&r));
                let at = match writers.iter().position(|w| w.0 == t.name) {
                    Some(at) => at,
                    None => {
                        let path = self.store.staging_path(t.name)?;
                        let w = store::table::TableWriter::create(&path, t.name, &t.defs, &[])?;
                        writers.push((t.name, path, w, t.description));
                        writers.len() - 1
                    }
                };
                if t.rows() > 0 {
                    writers[at].2.write_row_group(&t.cols)?;
                }
            }
            io.lap("write_tables");
            mirror::profile::Stages::add_totals(&mut model_totals, &r.stages);
            mirror::profile::Stages::add_totals(&mut people_parts, &r.network.parts);
            notes.extend(r.notes().iter().map(|n| format!("{}: {n}", r.window)));
            windows.push(r.window.clone());
            if let Some(k) = kind.filter(|_| label != "all") {
                last_of_kind.retain(|x| x.0 != k);
                last_of_kind.push((k, r.window.clone(), r.people.clone()));
            }
            // Kept: window `all` when there is one, else the first window. (A month kept while
            // `all` is analyzed would hold its pairs and results for nothing.)
            let has_all = labels.iter().any(|l| l == "all");
            if label == "all" || (!has_all && kept.is_empty()) {
                kept = vec![r];
            }
            bar.set_position(i as u64 + 1);
        }
        bar.done();
        let mut io_totals = Vec::new();
        mirror::profile::Stages::add_totals(&mut io_totals, &io.stages);
        let mut staged = Vec::new();
        for (name, path, w, description) in writers {
            let rows = w.finish()?;
            staged.push((name.to_string(), path, rows, description.to_string()));
        }
        // Stages in the order they run: aggregation, reading pairs, the model's, writing.
        let mut stage_totals = app_stages.stages;
        let of = |name: &str| io_totals.iter().find(|s| s.name == name).cloned();
        stage_totals.extend(of("read_pairs"));
        stage_totals.extend(model_totals);
        stage_totals.extend(of("write_tables"));
        self.store.commit_tables(TableCommit {
            what: "analyze".into(),
            tables: staged,
            summary: serde_json::json!({
                "windows": windows,
                "min_group": min_group,
                "seed": args.seed,
                "stages": stage_totals,
                "people_parts": people_parts,
                "notes": notes,
            }),
        })?;
        Ok(Analysis {
            org,
            results: kept,
            windows,
            aggregated,
            stages: stage_totals,
            people_parts,
            notes,
            empty_windows,
        })
    }
}

/// The result tables an analysis stores.
pub use mirror::tables::TABLES;

impl Analysis {
    /// A personal mirror worth reading first (the demo's): the one who yields in the strongest
    /// relationship out of balance in window `all`, else its first leader; by pseudonym.
    pub fn telling_person(&self) -> Option<String> {
        use mirror::findings::FindingKind;
        let all = self.results.iter().find(|r| r.window == "all")?;
        let person = all
            .findings
            .iter()
            .find(|f| {
                matches!(
                    f.kind,
                    FindingKind::UnbalancedRelationship | FindingKind::PowerAgainstStatus
                )
            })
            .and_then(|f| f.other)
            .or_else(|| all.leaders.first().map(|l| l.leader))
            .unwrap_or(0);
        self.org.pseudonyms.get(person as usize).cloned()
    }
}

/// Fixed windows asked for (YYYY-MM, YYYY-Qn, ranges) that aggregation produced no pairs for.
fn empty_asked(asked: &[String], produced: &[(String, u64)]) -> Vec<String> {
    asked
        .iter()
        .flat_map(|w| w.split(','))
        .filter(|w| !matches!(*w, "all" | "month" | "quarter"))
        .filter(|w| !produced.iter().any(|(p, n)| p == w && *n > 0))
        .map(str::to_string)
        .collect()
}
