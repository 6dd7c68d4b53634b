//! Diagnostics of one ingest run: every rejected, repaired or skipped row counted by reason,
//! listed in a rejects file (file, line, field, reason, detail), and the first few kept for the
//! summary. `--strict` turns the first rejected row into an error.

use crate::error::{IngestError, RowError};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;

/// Repairs are listed only this many times per reason (a zone-less export would otherwise list
/// every row); they are always counted.
const LISTED_REPAIRS_PER_REASON: u64 = 5;
const KEPT_EXAMPLES: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The row was bad and was left out.
    Rejected,
    /// The row was kept after a fix (e.g. a zone assumed).
    Repaired,
    /// The row was fine but deliberately left out (self-loop, duplicate, out of range).
    Skipped,
}

pub struct Diagnostics {
    strict: bool,
    pub rejected: BTreeMap<&'static str, u64>,
    pub repaired: BTreeMap<&'static str, u64>,
    pub skipped: BTreeMap<&'static str, u64>,
    pub examples: Vec<(Outcome, RowError)>,
    listing: Option<(PathBuf, csv::Writer<File>)>,
    listing_path: PathBuf,
    listed: u64,
}

impl Diagnostics {
    pub fn new(strict: bool, listing_path: PathBuf) -> Diagnostics {
        Diagnostics {
            strict,
            rejected: BTreeMap::new(),
            repaired: BTreeMap::new(),
            skipped: BTreeMap::new(),
            examples: Vec::new(),
            listing: None,
            listing_path,
            listed: 0,
        }
    }

    fn list(&mut self, outcome: Outcome, e: &RowError) -> Result<(), IngestError> {
        if self.listing.is_none() {
            let file = File::create(&self.listing_path)
                .map_err(|err| IngestError::io(&self.listing_path, err))?;
            let mut w = csv::Writer::from_writer(file);
            w.write_record(["outcome", "file", "line", "field", "reason", "detail"])
                .map_err(|err| IngestError::io(&self.listing_path, err.into()))?;
            self.listing = Some((self.listing_path.clone(), w));
        }
        let (path, w) = self.listing.as_mut().expect("just opened");
        let outcome = match outcome {
            Outcome::Rejected => "rejected",
            Outcome::Repaired => "repaired",
            Outcome::Skipped => "skipped",
        };
        w.write_record([
            outcome,
            &e.file.display().to_string(),
            &e.line.to_string(),
            &e.field,
            e.reason,
            &e.detail,
        ])
        .map_err(|err| IngestError::io(path, err.into()))?;
        self.listed += 1;
        Ok(())
    }

    fn keep(&mut self, outcome: Outcome, e: RowError) {
        if self.examples.len() < KEPT_EXAMPLES {
            self.examples.push((outcome, e));
        }
    }

    /// A bad row, left out. Under `--strict` it ends the run.
    pub fn reject(&mut self, e: RowError) -> Result<(), IngestError> {
        if self.strict {
            return Err(IngestError::Strict(e));
        }
        *self.rejected.entry(e.reason).or_default() += 1;
        self.list(Outcome::Rejected, &e)?;
        self.keep(Outcome::Rejected, e);
        Ok(())
    }

    /// A row kept after a fix.
    pub fn repair(&mut self, e: RowError) -> Result<(), IngestError> {
        let count = self.repaired.entry(e.reason).or_default();
        *count += 1;
        if *count <= LISTED_REPAIRS_PER_REASON {
            self.list(Outcome::Repaired, &e)?;
            self.keep(Outcome::Repaired, e);
        }
        Ok(())
    }

    /// A row deliberately left out.
    pub fn skip(&mut self, e: RowError) -> Result<(), IngestError> {
        *self.skipped.entry(e.reason).or_default() += 1;
        self.list(Outcome::Skipped, &e)?;
        self.keep(Outcome::Skipped, e);
        Ok(())
    }

    pub fn n_rejected(&self) -> u64 {
        self.rejected.values().sum()
    }
    pub fn n_repaired(&self) -> u64 {
        self.repaired.values().sum()
    }
    pub fn n_skipped(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Rows rejected or skipped, by reason, most frequent first.
    pub fn reasons(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .rejected
            .iter()
            .chain(self.skipped.iter())
            .map(|(r, n)| (r.to_string(), *n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Flushes the listing; returns its path if anything was listed.
    pub fn finish(&mut self) -> Result<Option<PathBuf>, IngestError> {
        match self.listing.take() {
            None => Ok(None),
            Some((path, mut w)) => {
                w.flush().map_err(|e| IngestError::io(&path, e))?;
                Ok(Some(path))
            }
        }
    }

    /// Removes the listing (used when the run fails and stores nothing).
    pub fn discard(&mut self) {
        self.listing = None;
        let _ = std::fs::remove_file(&self.listing_path);
    }
}

/// What one ingest run did, for the summary and for scripts (`--json`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestReport {
    pub run: i64,
    pub kind: &'static str,
    pub file: PathBuf,
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: BTreeMap<&'static str, u64>,
    pub repaired: BTreeMap<&'static str, u64>,
    pub skipped: BTreeMap<&'static str, u64>,
    pub people_added: u64,
    pub people_updated: u64,
    /// People of the people table who appear in none of this file's stored interactions.
    pub people_without_interactions: u64,
    /// Interactions (events) and rows stored; survey answers stored.
    pub events: u64,
    pub rows_stored: u64,
    pub answers: u64,
    /// Columns of a people file that no field and no named attribute uses: dropped unread.
    pub dropped_columns: Vec<String>,
    /// Where every rejected, skipped and (first few) repaired row is listed.
    pub rejects_file: Option<PathBuf>,
    pub examples: Vec<(Outcome, String)>,
}

impl IngestReport {
    /// The fields every kind of run fills the same way; the counts of its own are zero.
    pub(crate) fn base(
        kind: &'static str,
        file: &std::path::Path,
        run: i64,
        rows_read: u64,
        accepted: u64,
        diag: &Diagnostics,
        rejects_file: Option<PathBuf>,
    ) -> IngestReport {
        IngestReport {
            run,
            kind,
            file: file.to_path_buf(),
            rows_read,
            accepted,
            rejected: diag.rejected.clone(),
            repaired: diag.repaired.clone(),
            skipped: diag.skipped.clone(),
            people_added: 0,
            people_updated: 0,
            people_without_interactions: 0,
            events: 0,
            rows_stored: 0,
            answers: 0,
            dropped_columns: Vec::new(),
            rejects_file,
            examples: diag
                .examples
                .iter()
                .map(|(o, e)| (*o, e.to_string()))
                .collect(),
        }
    }

    /// A few lines a person reads after an ingest.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "ingested {} from {}: {} rows read, {} accepted",
            self.kind,
            self.file.display(),
            self.rows_read,
            self.accepted
        );
        let total = |m: &BTreeMap<&str, u64>| m.values().sum::<u64>();
        for (label, map) in [
            ("rejected", &self.rejected),
            ("repaired", &self.repaired),
            ("skipped", &self.skipped),
        ] {
            out += &format!(", {} {label}", total(map));
        }
        out.push('\n');
        match self.kind {
            "events" => {
                out += &format!(
                    "  stored {} interactions ({} rows)",
                    self.events, self.rows_stored
                )
            }
            "survey" => out += &format!("  stored {} survey answers", self.answers),
            _ => {}
        }
        out += &format!(
            "{}people added {}, updated {}\n",
            if self.kind == "people" { "  " } else { "; " },
            self.people_added,
            self.people_updated
        );
        if !self.dropped_columns.is_empty() {
            out += &format!(
                "  dropped columns (not mapped to a field or attribute): {}\n",
                self.dropped_columns.join(", ")
            );
        }
        for (label, map) in [
            ("rejected", &self.rejected),
            ("repaired", &self.repaired),
            ("skipped", &self.skipped),
        ] {
            if !map.is_empty() {
                let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k} {v}")).collect();
                out += &format!("  {label}: {}\n", parts.join(", "));
            }
        }
        for (outcome, text) in self.examples.iter().take(5) {
            let label = match outcome {
                Outcome::Rejected => "rejected",
                Outcome::Repaired => "repaired",
                Outcome::Skipped => "skipped",
            };
            out += &format!("  {label}: {text}\n");
        }
        if let Some(path) = &self.rejects_file {
            out += &format!("  every listed row: {}\n", path.display());
        }
        out
    }
}
