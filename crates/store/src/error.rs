//! Store errors, saying whose fault it is: the user's (a missing or foreign workspace), the
//! disk's, or ours.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: not an orgmirror workspace (run `orgmirror init {path}` first)")]
    NotAWorkspace { path: PathBuf },
    #[error("{path}: already an orgmirror workspace")]
    AlreadyAWorkspace { path: PathBuf },
    /// People's identities are sealed and this run was given no identity key.
    #[error(
        "identities need the workspace's identity key: give it with --key-file (or ORGMIRROR_KEY_FILE)"
    )]
    NoIdentityKey,
    /// The identity key given is not this workspace's.
    #[error("{path}: not this workspace's identity key")]
    WrongIdentityKey { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("workspace database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{path}: damaged: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("another process changed the workspace during this run ({0}); run it again")]
    Conflict(String),
    /// The same bytes were already ingested as this kind of run; nothing was written.
    #[error("already ingested as run {run} ({input}); nothing was stored")]
    AlreadyIngested { run: i64, input: String },
    /// Another process holds the workspace lock.
    #[error("workspace busy: another orgmirror is running {what} (pid {pid})")]
    Busy { what: String, pid: String },
    /// A stored file no longer has the bytes it had when it was committed.
    #[error("workspace damaged: {} (checksum mismatch)", path.display())]
    Damaged { path: PathBuf },
    #[error("no run {0} in the workspace (see `orgmirror status`)")]
    NoSuchRun(i64),
    /// The run exists but removing it would break the workspace.
    #[error("run {run} cannot be removed: {reason}")]
    NotRemovable { run: i64, reason: String },
    /// A table name is already used by results of another kind (a bug in the caller).
    #[error(
        "internal error (a bug in orgmirror): table `{name}` belongs to {owner} results, not {what}"
    )]
    TableKind {
        name: String,
        owner: String,
        what: String,
    },
    #[error("internal error (a bug in orgmirror): {0}")]
    Internal(String),
}

impl StoreError {
    pub fn io(path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub fn parquet(path: &Path, source: parquet::errors::ParquetError) -> StoreError {
        StoreError::Parquet {
            path: path.to_path_buf(),
            source,
        }
    }
    pub fn corrupt(path: &Path, reason: &str) -> StoreError {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }
    pub fn internal(what: impl Into<String>) -> StoreError {
        StoreError::Internal(what.into())
    }
}
