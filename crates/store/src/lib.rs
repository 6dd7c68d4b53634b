//! The orgmirror workspace: where ingested people, identities, survey answers, interactions and
//! results live. Metadata sits in an embedded SQLite database; interactions and result tables in
//! Parquet files that pandas, DuckDB or Spark open directly.
//!
//! Everything a front end needs goes through the [`Store`] trait, so that a server database can
//! take the embedded one's place without the ingest or analysis code changing.

#[cfg(test)]
mod crash_tests;
mod error;
mod files;
pub mod identity;
mod keys;
mod lock;
pub mod memory;
pub mod segment;
pub mod table;
mod workspace;

pub use error::StoreError;
pub use files::file_hash;
pub use lock::WorkspaceLock;
pub use segment::{EventReader, SegmentStats, SegmentWriter};
pub use workspace::{
    IngestCommit, IngestKind, IngestRunRecord, PeopleTable, RemovedRun, SegmentInfo, SqliteStore,
    StoredPerson, TableCommit,
};

use std::path::PathBuf;
use vocab::SurveyAnswer;

/// Operations the front ends need from a workspace. Every write is one atomic commit: either all of
/// an ingest run is stored, or none of it.
pub trait Store {
    /// The local folder where runs keep their files (listings of rejected rows, exports).
    fn local_dir(&self) -> &std::path::Path;
    /// Everyone known to the workspace, registered or only seen in interactions.
    fn people(&self) -> Result<PeopleTable, StoreError>;
    /// The keyed pseudonym of an external id (same id and workspace key, same pseudonym).
    fn pseudonym(&self, external_id: &str) -> String;
    /// A keyed hash under the workspace's key, for ids taken from an export (Message-IDs, chat
    /// timestamps, calendar UIDs): the same text gives the same id in this workspace, and the id
    /// does not give the text back.
    fn keyed_hasher(&self) -> Box<dyn Fn(&str) -> u64>;
    /// A fresh path where an ingest run may write its interaction segment before committing.
    fn staging_path(&self, what: &str) -> Result<PathBuf, StoreError>;
    /// Applies an ingest run atomically and returns its run id. Refused with
    /// [`StoreError::AlreadyIngested`] when a run of the same kind had the same content hash.
    fn commit_ingest(&mut self, commit: IngestCommit) -> Result<i64, StoreError>;
    /// Interaction segments in commit order, each checked against its checksum
    /// ([`StoreError::Damaged`] when its bytes changed since the commit).
    fn segments(&self) -> Result<Vec<SegmentInfo>, StoreError>;
    fn survey_answers(&self) -> Result<Vec<SurveyAnswer>, StoreError>;
    fn ingest_runs(&self) -> Result<Vec<IngestRunRecord>, StoreError>;
    /// Registers result tables written at staging paths as one generation of `commit.what`
    /// results: every table of the previous generation of that `what` is replaced at once (its
    /// files deleted after the commit). A name already used by another `what` is refused
    /// ([`StoreError::TableKind`]), so one kind of results never overwrites another's tables.
    fn commit_tables(&mut self, commit: TableCommit) -> Result<i64, StoreError>;
    /// Records that `viewer` looked at person-level data (`action` on `subject`).
    fn audit(&mut self, viewer: &str, action: &str, subject: &str) -> Result<(), StoreError>;
    /// The viewer's access role ("identified" or "pseudonymous"), if one was granted.
    fn role(&self, viewer: &str) -> Result<Option<String>, StoreError>;
    /// Every (viewer, role) granted.
    fn roles(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// Sets `viewer`'s role (recorded in the access log as granted by `by`).
    fn grant(&mut self, viewer: &str, role: &str, by: &str) -> Result<(), StoreError>;
    /// Every recorded access, oldest first: (time UTC, viewer, action, subject).
    fn access_log(&self) -> Result<Vec<(String, String, String, String)>, StoreError>;
    /// The current path of a named result table, if one was committed, checked against its
    /// checksum ([`StoreError::Damaged`] when its bytes changed since the commit).
    fn table_path(&self, name: &str) -> Result<Option<PathBuf>, StoreError>;
    /// A workspace setting (the application's policy decides what each means and who changes it).
    fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores a workspace setting, recorded in the access log as changed by `by`.
    fn set_setting(&mut self, key: &str, value: &str, by: &str) -> Result<(), StoreError>;
    /// Takes the workspace lock for a run that changes the workspace (`what` is shown to a
    /// second run, which gets [`StoreError::Busy`]). Released when the guard is dropped.
    /// Ingest runs take it themselves; callers of aggregate, analyze, `remove_run` and calibrate
    /// take it around the whole operation.
    fn lock(&self, what: &str) -> Result<WorkspaceLock, StoreError>;
    /// Removes an events run (its segment) or a survey run (its answers) and the run's record, in
    /// one transaction; the segment file is deleted after the commit. People runs are refused
    /// ([`StoreError::NotRemovable`]). Results computed before become stale
    /// ([`Store::results_stale`]).
    fn remove_run(&mut self, id: i64) -> Result<RemovedRun, StoreError>;
    /// Whether the newest generation of `what` results was computed before the ingested data last
    /// changed (an ingest or a removed run): readers then say "results predate a change of data;
    /// run analyze". False when there are no such results.
    fn results_stale(&self, what: &str) -> Result<bool, StoreError>;
}
