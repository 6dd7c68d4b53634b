//! Ingest: reads people (HRIS exports), interactions (CSV, JSON Lines, Parquet) and relational
//! survey answers into a workspace. Every run is all-or-nothing: rows are checked, repaired or
//! rejected with file, line, field and reason, and only a run that finishes is committed.
//! Interactions stream through with bounded memory; identities are pseudonymized on the way in;
//! subjects and bodies are never read, even when a file has them.

mod diag;
mod error;
mod events;
mod idset;
mod mapping;
mod people;
mod source;
mod survey;
pub mod value;

pub use diag::{Diagnostics, IngestReport, Outcome};
pub use error::{IngestError, RowError};
pub use events::{ingest_events, ingest_records};
pub use mapping::{EventsMapping, FieldSpec, Mapping, PeopleMapping, SurveyMapping};
pub use people::ingest_people;
pub use source::{Cell, Format, Problem, RecordSource};

use source::{Row, RowReader};
pub use survey::ingest_survey;

use std::path::{Path, PathBuf};

/// Options shared by every ingest kind.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    pub mapping: Mapping,
    /// Folder of the mapping file (join files are found relative to it).
    pub mapping_dir: Option<PathBuf>,
    pub format: Option<Format>,
    /// Fail on the first rejected row.
    pub strict: bool,
}

/// Progress of a long run, in bytes of the input file.
pub trait Progress {
    fn start(&self, total_bytes: u64);
    fn update(&self, done_bytes: u64);
    fn finish(&self);
}

/// A progress sink that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn update(&self, _: u64) {}
    fn finish(&self) {}
}

/// Where a run lists its problems while it runs (moved next to the history when it commits).
fn listing_path(store: &dyn store::Store) -> Result<PathBuf, IngestError> {
    Ok(store.staging_path("rejects")?.with_extension("csv"))
}

/// Moves a finished listing to `ingest/run-NNNNNN.rejects.csv` under the workspace root.
fn file_listing(listing: Option<PathBuf>, workspace: &Path, run: i64) -> Option<PathBuf> {
    let listing = listing?;
    let dir = workspace.join("ingest");
    std::fs::create_dir_all(&dir).ok()?;
    let dest = dir.join(format!("run-{run:06}.rejects.csv"));
    std::fs::rename(&listing, &dest).ok()?;
    // The listing names people (the ids and addresses of rows it explains): private, as the
    // rest of the workspace.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        let _ = std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o600));
    }
    Some(dest)
}

/// Splits a multi-value cell (`a;b`, `a, b`).
fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A stable 63-bit id for an external id text: the number itself when it is one, else a hash.
fn stable_id(text: &str) -> u64 {
    match text.parse::<u64>() {
        Ok(v) if v < (1 << 62) => v,
        _ => {
            let h = blake3::hash(text.as_bytes());
            let mut b = [0u8; 8];
            b.copy_from_slice(&h.as_bytes()[..8]);
            (u64::from_le_bytes(b) >> 2) | (1 << 62)
        }
    }
}

/// The stable id of an id cell: integers as they are (when non-negative and below 2^62),
/// anything else hashed from its text. `None` when empty.
/// Ids from an export's own identifiers (a Message-ID, a Slack `ts`, a calendar UID) as keyed
/// hashes under the workspace's key, for a connector's `event_id`, `thread_id` and `in_reply_to`
/// (an integer cell, kept as it is): stable within the workspace (overlapping archives meet on
/// them), never the identifier itself.
pub fn keyed_ids(store: &dyn store::Store) -> Box<dyn Fn(&str) -> i64> {
    let hash = store.keyed_hasher();
    Box::new(move |text: &str| (hash(text) & ((1 << 62) - 1)) as i64)
}

fn cell_id(cell: &Cell) -> Option<u64> {
    match cell {
        Cell::Int(v) if (0..(1 << 62)).contains(v) => Some(*v as u64),
        other => other.text().map(|t| stable_id(&t)),
    }
}

/// Runs one ingest with its diagnostics; when the run fails, its listing of rows is removed
/// (nothing of a failed run is kept).
fn with_diagnostics(
    store: &mut dyn store::Store,
    strict: bool,
    run: impl FnOnce(&mut dyn store::Store, &mut Diagnostics) -> Result<IngestReport, IngestError>,
) -> Result<IngestReport, IngestError> {
    let mut diag = Diagnostics::new(strict, listing_path(store)?);
    let result = run(store, &mut diag);
    if result.is_err() {
        diag.discard();
    }
    result
}

/// Reads the next readable row into `row`, rejecting unreadable ones on the way (bad JSON,
/// invalid UTF-8, lines too long) and counting every row read. `Ok(false)` at the end.
fn next_readable(
    reader: &mut RowReader,
    row: &mut Row,
    diag: &mut Diagnostics,
    rows_read: &mut u64,
    progress: &dyn Progress,
) -> Result<bool, IngestError> {
    loop {
        let next = reader.next_row(row);
        for e in reader.take_skipped() {
            *rows_read += 1;
            diag.skip(e)?;
        }
        match next {
            Ok(false) => return Ok(false),
            Ok(true) => {
                *rows_read += 1;
                if rows_read.is_multiple_of(4096) {
                    progress.update(reader.bytes_read());
                }
                return Ok(true);
            }
            Err(Ok(e)) => {
                *rows_read += 1;
                diag.reject(e)?;
            }
            Err(Err(e)) => return Err(e),
        }
    }
}
