//! Ingest errors. A [`RowError`] is one bad row (the run can go on without it); an
//! [`IngestError`] stops the run, and nothing of it is stored.

use std::path::{Path, PathBuf};

/// One row that was rejected, repaired or skipped, with where and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowError {
    pub file: PathBuf,
    /// 1-based line of a text file, or row of a Parquet file.
    pub line: u64,
    /// The mapped field (or column) at fault; empty when the whole row is.
    pub field: String,
    /// A short stable code (`bad_timestamp`, `unknown_person`, ...), used for counting.
    pub reason: &'static str,
    /// What a person needs to fix it.
    pub detail: String,
}

impl RowError {
    pub fn new(
        file: &Path,
        line: u64,
        field: &str,
        reason: &'static str,
        detail: String,
    ) -> RowError {
        RowError {
            file: file.to_path_buf(),
            line,
            field: field.to_string(),
            reason,
            detail,
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        write!(f, "{} ({})", self.detail, self.reason)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{}: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the file is empty", file.display())]
    Empty { file: PathBuf },
    #[error("{}:{line}: {reason}", file.display())]
    Csv {
        file: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("{}: {reason}", file.display())]
    Format { file: PathBuf, reason: String },
    #[error("{}:1: field `{field}`: column `{column}` is not in the file (its columns: {available}); give a mapping with --map (docs/INPUTS.md lists every column and mapping key)", file.display())]
    MissingColumn {
        file: PathBuf,
        field: String,
        column: String,
        available: String,
    },
    #[error("{}: mapping: {reason}", file.display())]
    Mapping { file: PathBuf, reason: String },
    #[error("{0} (stopped by --strict; nothing was stored)")]
    Strict(RowError),
    #[error("{}: the formal hierarchy has a management cycle: {}; nothing was stored", file.display(), members.join(" -> "))]
    Cycle { file: PathBuf, members: Vec<String> },
    #[error("{}: no row could be used ({rejected} rejected or left out{}); nothing was stored", file.display(), why(reasons))]
    NothingUsable {
        file: PathBuf,
        rejected: u64,
        /// Rows left out, by reason (rejected or skipped), most frequent first.
        reasons: Vec<(String, u64)>,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl IngestError {
    pub fn io(file: &Path, source: std::io::Error) -> IngestError {
        IngestError::Io {
            file: file.to_path_buf(),
            source,
        }
    }
}

fn why(reasons: &[(String, u64)]) -> String {
    if reasons.is_empty() {
        return String::new();
    }
    format!(
        "; {}",
        reasons
            .iter()
            .take(4)
            .map(|(r, n)| format!("{r} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
