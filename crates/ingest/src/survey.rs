//! Survey ingest: relational answers (respondent, question, named colleague, optional weight and
//! time). Survey data is only ever shown through computed, thresholded results.

use crate::diag::{Diagnostics, IngestReport};
use crate::error::{IngestError, RowError};
use crate::events::{Resolver, unknown_policy};
use crate::mapping::{Binder, Slot, SurveyMapping};
use crate::source::{Row, RowReader};
use crate::value::{FIRST_YEAR, check_day, check_weight, parse_day, parse_number};
use crate::{IngestOptions, Progress, file_listing, next_readable, with_diagnostics};
use std::collections::HashSet;
use std::path::Path;
use store::{IngestCommit, IngestKind, Store};
use vocab::{Question, SurveyAnswer};

/// Ingests survey answers. A respondent naming themselves is skipped, and so is the same
/// colleague named twice for the same question.
pub fn ingest_survey(
    store: &mut dyn Store,
    file: &Path,
    opts: &IngestOptions,
    progress: &dyn Progress,
) -> Result<IngestReport, IngestError> {
    // From the start of the run to its commit: no other run changes the workspace meanwhile.
    let _lock = store.lock("ingest survey")?;
    with_diagnostics(store, opts.strict, |store, diag| {
        run(store, file, opts, progress, diag)
    })
}

fn run(
    store: &mut dyn Store,
    file: &Path,
    opts: &IngestOptions,
    progress: &dyn Progress,
    diag: &mut Diagnostics,
) -> Result<IngestReport, IngestError> {
    let mapping: SurveyMapping = opts.mapping.survey.clone().unwrap_or_default();
    let policy = unknown_policy(mapping.unknown_people.as_deref(), file)?;
    let source = opts.mapping.source_options(file, opts.format)?;
    let mut binder = Binder::default();
    for (name, spec, required) in [
        ("respondent", &mapping.respondent, true),
        ("question", &mapping.question, true),
        ("colleague", &mapping.colleague, true),
        ("weight", &mapping.weight, false),
        ("time", &mapping.time, false),
    ] {
        binder.field(name, spec.as_ref(), required);
    }
    let mut reader = RowReader::open(file, &source, &binder.wanted)?;
    let slots: Vec<Slot> = binder.bind(&reader)?;
    let table = store.people()?;
    let people_seen = table.len();
    let mut resolver = Resolver {
        table,
        added: Vec::new(),
        policy,
        store: &*store,
        recent: Default::default(),
    };
    let mut answers: Vec<SurveyAnswer> = Vec::new();
    let mut seen = HashSet::new();
    let mut rows_read = 0u64;
    let mut row = Row::default();
    progress.start(reader.total_bytes());
    while next_readable(&mut reader, &mut row, diag, &mut rows_read, progress)? {
        let line = row.line;
        let col = |i: usize, d: &str| slots[i].column().unwrap_or(d).to_string();
        let bad = |i: usize, d: &str, reason: &'static str, detail: String| {
            RowError::new(file, line, &col(i, d), reason, detail)
        };
        let (Some(respondent), Some(question), Some(colleague)) = (
            slots[0].text(&row),
            slots[1].text(&row),
            slots[2].text(&row),
        ) else {
            let missing = [(0, "respondent"), (1, "question"), (2, "colleague")]
                .into_iter()
                .find(|(i, _)| slots[*i].text(&row).is_none())
                .expect("one is missing");
            diag.reject(bad(
                missing.0,
                missing.1,
                "missing_value",
                format!("no {}", missing.1),
            ))?;
            continue;
        };
        let weight = if slots[3].text(&row).is_some() {
            match parse_number(&slots[3].cell(&row))
                .map_err(|e| ("bad_number", e))
                .and_then(check_weight)
            {
                Ok(w) => w,
                Err((reason, detail)) => {
                    diag.reject(bad(3, "weight", reason, detail))?;
                    continue;
                }
            }
        } else {
            1.0
        };
        let day = if slots[4].text(&row).is_some() {
            match parse_day(&slots[4].cell(&row))
                .map_err(|e| ("bad_timestamp", e))
                .and_then(|d| check_day(d, FIRST_YEAR))
            {
                Ok(d) => Some(d),
                Err((reason, detail)) => {
                    diag.reject(bad(4, "time", reason, detail))?;
                    continue;
                }
            }
        } else {
            None
        };
        let question = Question::parse(&question);
        let (respondent, colleague) = (respondent.into_owned(), colleague.into_owned());
        let Some((r, r_new)) = resolver.resolve(&respondent) else {
            diag.reject(bad(
                0,
                "respondent",
                "unknown_person",
                format!("`{respondent}` is not in the people table"),
            ))?;
            continue;
        };
        let Some((c, c_new)) = resolver.resolve(&colleague) else {
            diag.reject(bad(
                2,
                "colleague",
                "unknown_person",
                format!("`{colleague}` is not in the people table"),
            ))?;
            continue;
        };
        for (new, i, who) in [(r_new, 0, &respondent), (c_new, 2, &colleague)] {
            if new {
                diag.repair(bad(
                    i,
                    "person",
                    "unknown_person_added",
                    format!("`{who}` was not in the people table; added as unregistered"),
                ))?;
            }
        }
        if r == c {
            diag.skip(bad(
                2,
                "colleague",
                "self_nomination",
                "respondent named themselves".into(),
            ))?;
            continue;
        }
        if !seen.insert((r, question.clone(), c)) {
            diag.skip(bad(
                2,
                "colleague",
                "duplicate_answer",
                "the same colleague was already named for this question".into(),
            ))?;
            continue;
        }
        answers.push(SurveyAnswer {
            respondent: r,
            question,
            colleague: c,
            weight,
            day,
        });
    }
    progress.finish();
    if answers.is_empty() {
        return Err(IngestError::NothingUsable {
            file: file.to_path_buf(),
            rejected: diag.n_rejected(),
            reasons: diag.reasons(),
        });
    }
    let listing = diag.finish()?;
    let added = resolver.added;
    let people_added = added.len() as u64;
    let n = answers.len() as u64;
    let summary = serde_json::json!({
        "rejected": diag.rejected, "repaired": diag.repaired, "skipped": diag.skipped,
        "answers": n, "people_added": people_added,
    });
    let run = store.commit_ingest(IngestCommit {
        kind: IngestKind::Survey,
        source: file.display().to_string(),
        // Streamed, never loaded whole; the same bytes ingested again are refused.
        content_hash: store::file_hash(file)?,
        people: added,
        people_seen,
        survey: answers,
        segment: None,
        accepted: n,
        rejected: diag.n_rejected(),
        repaired: diag.n_repaired(),
        summary,
    })?;
    let rejects_file = file_listing(listing, store.local_dir(), run);
    Ok(IngestReport {
        people_added,
        answers: n,
        ..IngestReport::base("survey", file, run, rows_read, n, diag, rejects_file)
    })
}
