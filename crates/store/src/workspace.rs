//! The embedded workspace: a directory with an SQLite database (people, identities, survey
//! answers, ingest history, table registry), a pseudonymization key, and Parquet files.
//!
//! Layout:
//! ```text
//! DIR/orgmirror.sqlite     metadata, identities, history
//! DIR/.orgmirror/key       the keyed-hash key for pseudonyms (never printed)
//! DIR/.orgmirror/lock      held by the run that is changing the workspace (pid and what)
//! DIR/events/seg-NNNNNN.parquet   interaction segments, one per ingest run
//! DIR/tables/run-NNNNNN/NAME.parquet   result tables (aggregates, later analyses)
//! DIR/staging/             files being written by a run that has not committed
//! ```
//!
//! The folder and everything in it is private to its owner (folders 0700, files 0600). Every
//! segment and table has a BLAKE3 checksum recorded when it is committed and checked when its
//! path is handed out ([`Store::segments`], [`Store::table_path`]).

use crate::files::{file_hash, private_dir, private_file, verify_file};
use crate::identity::{DEFAULT_KEY_FILE, IdentityKey};
use crate::keys::{hex, random_key, unhex};
use crate::lock::WorkspaceLock;
use crate::segment::SegmentStats;
use crate::{Store, StoreError};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use vocab::{OrgChart, Person, PersonIdx, Question, RoleTag, SurveyAnswer};

const DB_FILE: &str = "orgmirror.sqlite";
const KEY_FILE: &str = ".orgmirror/key";
const LOCK_FILE: &str = ".orgmirror/lock";
/// 2: ingest runs record their input's content hash; segments and tables a checksum; tables
/// belong to the kind of results (`what`) that committed them; table runs record the data
/// version they were computed from.
const SCHEMA_VERSION: &str = "3";

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE people(
  idx INTEGER PRIMARY KEY,
  pseudo TEXT NOT NULL UNIQUE,
  manager_idx INTEGER,
  title TEXT, department TEXT, level INTEGER, time_zone TEXT,
  start_day INTEGER, end_day INTEGER,
  tags TEXT NOT NULL DEFAULT '',
  attributes TEXT NOT NULL DEFAULT '{}',
  registered INTEGER NOT NULL,
  run INTEGER NOT NULL);
CREATE TABLE identities(
  idx INTEGER PRIMARY KEY,
  external_id TEXT NOT NULL UNIQUE,
  name TEXT,
  emails TEXT NOT NULL DEFAULT '');
CREATE TABLE aliases(alias TEXT PRIMARY KEY, idx INTEGER NOT NULL);
CREATE TABLE survey(run INTEGER NOT NULL, respondent INTEGER NOT NULL, question TEXT NOT NULL,
  colleague INTEGER NOT NULL, weight REAL NOT NULL, day INTEGER);
CREATE TABLE ingest_runs(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL,
  accepted INTEGER NOT NULL, rejected INTEGER NOT NULL, repaired INTEGER NOT NULL,
  summary TEXT NOT NULL, committed_at TEXT NOT NULL DEFAULT (datetime('now')),
  content_hash TEXT);
CREATE TABLE segments(id INTEGER PRIMARY KEY, run INTEGER NOT NULL, path TEXT NOT NULL,
  rows INTEGER NOT NULL, events INTEGER NOT NULL, min_time INTEGER, max_time INTEGER,
  arrived_sorted INTEGER NOT NULL, checksum TEXT);
CREATE TABLE table_runs(id INTEGER PRIMARY KEY, what TEXT NOT NULL, summary TEXT NOT NULL,
  committed_at TEXT NOT NULL DEFAULT (datetime('now')), data_version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE tables(name TEXT PRIMARY KEY, path TEXT NOT NULL, run INTEGER NOT NULL,
  rows INTEGER NOT NULL, description TEXT NOT NULL, checksum TEXT, what TEXT NOT NULL DEFAULT '');
";

/// Indices every schema version ends with (run after a migration too).
const INDICES: &str = "
CREATE UNIQUE INDEX IF NOT EXISTS ingest_runs_content ON ingest_runs(kind, content_hash)
  WHERE content_hash IS NOT NULL;
";

/// From schema 1 to 2: new columns; each table's `what` from the run that committed it; the
/// aggregate's roster, which was called `people` and replaced the analysis's `people` table, is
/// renamed `roster`. Checksums of files already stored are recorded by [`migrate`].
const MIGRATE_1_TO_2: &str = "
ALTER TABLE ingest_runs ADD COLUMN content_hash TEXT;
ALTER TABLE segments ADD COLUMN checksum TEXT;
ALTER TABLE table_runs ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tables ADD COLUMN checksum TEXT;
ALTER TABLE tables ADD COLUMN what TEXT NOT NULL DEFAULT '';
UPDATE tables SET what = COALESCE((SELECT what FROM table_runs WHERE table_runs.id = tables.run), '');
UPDATE tables SET name = 'roster' WHERE name = 'people' AND what = 'aggregate';
UPDATE meta SET value = '2' WHERE key = 'schema_version';
";

/// Who looked at person-level data, and how (added after schema 1; created when missing).
const ACCESS_LOG: &str = "
CREATE TABLE IF NOT EXISTS access_log(id INTEGER PRIMARY KEY,
  at TEXT NOT NULL DEFAULT (datetime('now')), viewer TEXT NOT NULL, action TEXT NOT NULL,
  subject TEXT NOT NULL);
";

/// Who may see people by the people file's ids ("identified") rather than only by pseudonym
/// (added after schema 1; created when missing).
const ACCESS_ROLES: &str = "
CREATE TABLE IF NOT EXISTS access_roles(viewer TEXT PRIMARY KEY, role TEXT NOT NULL,
  granted_by TEXT NOT NULL, at TEXT NOT NULL DEFAULT (datetime('now')));
";

/// One person as stored. `person.manager` holds the manager's external id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPerson {
    pub idx: PersonIdx,
    pub pseudo: String,
    pub person: Person,
    /// True when the person came from a people file; false when only seen in interactions or
    /// survey answers.
    pub registered: bool,
}

/// Everyone in the workspace, with lookups by external id and by alias (lower-cased email).
#[derive(Debug, Clone, Default)]
pub struct PeopleTable {
    pub people: Vec<StoredPerson>,
    by_external: rustc_hash::FxHashMap<String, u32>,
    by_alias: rustc_hash::FxHashMap<String, u32>,
}

impl PeopleTable {
    pub fn from_people(people: Vec<StoredPerson>) -> PeopleTable {
        let mut table = PeopleTable {
            people: Vec::new(),
            by_external: rustc_hash::FxHashMap::with_capacity_and_hasher(
                people.len(),
                Default::default(),
            ),
            by_alias: rustc_hash::FxHashMap::default(),
        };
        for p in people {
            table.insert(p);
        }
        table
    }

    /// Adds or replaces a person (by index).
    pub fn insert(&mut self, p: StoredPerson) {
        let i = p.idx.0;
        self.by_external.insert(p.person.id.clone(), i);
        for email in &p.person.emails {
            self.by_alias.entry(email.to_ascii_lowercase()).or_insert(i);
        }
        if (i as usize) < self.people.len() {
            self.people[i as usize] = p;
        } else {
            assert_eq!(i as usize, self.people.len(), "people indices are dense");
            self.people.push(p);
        }
    }

    pub fn len(&self) -> usize {
        self.people.len()
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// Finds a person by external id, or by an email alias (case-insensitive).
    pub fn lookup(&self, text: &str) -> Option<PersonIdx> {
        if let Some(&i) = self.by_external.get(text) {
            return Some(PersonIdx(i));
        }
        if text.contains('@') {
            return self
                .by_alias
                .get(&text.to_ascii_lowercase())
                .map(|&i| PersonIdx(i));
        }
        None
    }

    pub fn get(&self, idx: PersonIdx) -> &StoredPerson {
        &self.people[idx.index()]
    }

    /// The formal hierarchy over every person in the table (people without a manager are roots).
    pub fn org_chart(&self) -> Result<OrgChart, vocab::HierarchyError> {
        let managers = self
            .people
            .iter()
            .map(|p| {
                p.person
                    .manager
                    .as_deref()
                    .and_then(|m| self.by_external.get(m).copied())
            })
            .collect();
        let levels: Vec<Option<u32>> = self.people.iter().map(|p| p.person.level).collect();
        OrgChart::from_managers(managers, &levels).map_err(|cycles| {
            let positions = cycles.into_iter().next().unwrap_or_default();
            let ids = positions
                .iter()
                .map(|&p| self.people[p].person.id.clone())
                .collect();
            vocab::HierarchyError::Cycle { positions, ids }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestKind {
    People,
    Events,
    Survey,
}

impl IngestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IngestKind::People => "people",
            IngestKind::Events => "events",
            IngestKind::Survey => "survey",
        }
    }
}

/// Everything one ingest run stores, applied in one transaction.
#[derive(Debug)]
pub struct IngestCommit {
    pub kind: IngestKind,
    pub source: String,
    /// BLAKE3 of the input file's bytes (hex, [`crate::file_hash`]). A run of the same kind
    /// with the same hash is refused ([`StoreError::AlreadyIngested`]): ingesting a file twice,
    /// or again after a crash right after its commit, stores it once.
    pub content_hash: String,
    /// New people (index = next free index, in order) and changed people (full new state).
    pub people: Vec<StoredPerson>,
    /// The number of people the run saw when it started; a different count at commit time
    /// means another run committed in between, and this one is refused.
    pub people_seen: usize,
    pub survey: Vec<SurveyAnswer>,
    /// A finished segment at a staging path.
    pub segment: Option<(PathBuf, SegmentStats)>,
    pub accepted: u64,
    pub rejected: u64,
    pub repaired: u64,
    pub summary: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IngestRunRecord {
    pub id: i64,
    pub kind: String,
    pub source: String,
    /// None for runs committed before content hashes were recorded.
    pub content_hash: Option<String>,
    pub accepted: u64,
    pub rejected: u64,
    pub repaired: u64,
    pub summary: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentInfo {
    pub run: i64,
    pub path: PathBuf,
    pub rows: u64,
    pub events: u64,
    pub min_time_ms: Option<i64>,
    pub max_time_ms: Option<i64>,
}

/// What [`Store::remove_run`] removed.
#[derive(Debug, Clone, PartialEq)]
pub struct RemovedRun {
    pub id: i64,
    pub kind: String,
    pub source: String,
    /// The run's interaction segment (deleted after the commit), for an events run.
    pub segment: Option<PathBuf>,
    /// Interaction rows (events run) or survey answers (survey run) removed.
    pub rows: u64,
}

/// Result tables written at staging paths, registered together as one generation of `what`
/// results (e.g. "aggregate", "analyze"). A generation replaces every table of the previous
/// generation of the same `what` at once; a table name belongs to one `what` only.
#[derive(Debug)]
pub struct TableCommit {
    pub what: String,
    /// (name, staging path, rows, description)
    pub tables: Vec<(String, PathBuf, u64, String)>,
    pub summary: serde_json::Value,
}

/// The embedded workspace.
pub struct SqliteStore {
    root: PathBuf,
    conn: Connection,
    key: [u8; 32],
    /// The identity key, when the front end gave one (or the workspace keeps its own).
    identity: Option<crate::identity::IdentityKey>,
    /// Files whose checksum was verified by this process: (path, checksum) → (length, mtime)
    /// then; a file whose length or mtime has changed since is verified again.
    verified: RefCell<HashMap<(PathBuf, String), (u64, std::time::SystemTime)>>,
}

/// Length and modification time, to notice a file changed after it was verified.
fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// The data version: bumped by every change of ingested data (an ingest, a removed run).
fn data_version(conn: &Connection) -> Result<i64, StoreError> {
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'data_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

fn bump_data_version(conn: &Connection) -> Result<(), StoreError> {
    let next = data_version(conn)? + 1;
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('data_version', ?1)
         ON CONFLICT(key) DO UPDATE SET value = ?1",
        [next.to_string()],
    )?;
    Ok(())
}

/// Makes the database files private (SQLite creates its -wal and -shm with the database's mode).
fn private_db(root: &Path) -> Result<(), StoreError> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = root.join(format!("{DB_FILE}{suffix}"));
        if path.exists() {
            private_file(&path)?;
        }
    }
    Ok(())
}

/// Deletes files under `events/` or `tables/` that no committed row names: left by a run that
/// crashed between moving its files in and committing, or after committing and before deleting
/// the files it replaced. Called inside an IMMEDIATE transaction, which no other commit can run
/// beside, so no file of a commit in progress is taken for a leftover.
fn sweep_files(root: &Path, tx: &Connection, dir: &str) -> Result<u64, StoreError> {
    let table = if dir == "events" {
        "segments"
    } else {
        "tables"
    };
    let known: std::collections::HashSet<PathBuf> = tx
        .prepare(&format!("SELECT path FROM {table}"))?
        .query_map([], |r| r.get::<_, String>(0))?
        .map(|rel| rel.map(|rel| root.join(rel)))
        .collect::<Result<_, _>>()?;
    let mut removed = 0;
    let top = root.join(dir);
    let Ok(entries) = std::fs::read_dir(&top) else {
        return Ok(0);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            let Ok(inner) = std::fs::read_dir(&path) else {
                continue;
            };
            for file in inner.flatten() {
                if !known.contains(&file.path()) && std::fs::remove_file(file.path()).is_ok() {
                    removed += 1;
                }
            }
            let _ = std::fs::remove_dir(&path); // only when empty
        } else if !known.contains(&path) && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Test-only crash points: with `ORGMIRROR_FAILPOINT=NAME` set, the process aborts at the commit
/// point NAME (`ingest-before-transaction`, `ingest-after-rename`, `ingest-after-commit`,
/// `tables-before-transaction`, `tables-after-rename`, `tables-after-commit`).
#[inline]
fn failpoint(name: &str) {
    #[cfg(any(test, feature = "failpoints"))]
    if std::env::var("ORGMIRROR_FAILPOINT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
    #[cfg(not(any(test, feature = "failpoints")))]
    let _ = name;
}

/// Upgrades an older workspace's schema in one transaction.
fn migrate(
    root: &Path,
    conn: &mut Connection,
    version: &str,
    identity_key: &Path,
) -> Result<(), StoreError> {
    if !matches!(version, "1" | "2") {
        return Err(StoreError::corrupt(
            &root.join(DB_FILE),
            &format!(
                "unknown schema version {version} (this orgmirror knows {SCHEMA_VERSION}; \
                 a newer orgmirror made this workspace?)"
            ),
        ));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let again: Option<String> = tx
        .query_row(
            "SELECT value FROM meta WHERE key='schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if again.as_deref() == Some(SCHEMA_VERSION) {
        return Ok(()); // another process migrated it meanwhile
    }
    if version == "1" {
        migrate_1_to_2(root, &tx)?;
    }
    migrate_2_to_3(identity_key, &tx)?;
    tx.commit()?;
    // The plaintext the migration replaced must not stay in free pages or the log.
    conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}

/// Checksums, generations and run hashes.
fn migrate_1_to_2(root: &Path, tx: &rusqlite::Transaction) -> Result<(), StoreError> {
    tx.execute_batch(MIGRATE_1_TO_2)?;
    // Files stored before checksums are taken as they are now.
    for table in ["segments", "tables"] {
        let files: Vec<(i64, String)> = tx
            .prepare(&format!("SELECT rowid, path FROM {table}"))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (rowid, rel) in files {
            let path = root.join(&rel);
            if path.exists() {
                tx.execute(
                    &format!("UPDATE {table} SET checksum = ?1 WHERE rowid = ?2"),
                    params![file_hash(&path)?, rowid],
                )?;
            }
        }
    }
    tx.execute_batch(INDICES)?;
    Ok(())
}

/// Identities sealed under an identity key kept in the workspace (move it out with `--key-file`
/// later); the aliases table, which nothing reads (look-ups go through the sealed e-mails), is
/// emptied, and the freed pages are wiped.
fn migrate_2_to_3(identity_key: &Path, tx: &rusqlite::Transaction) -> Result<(), StoreError> {
    let identity = IdentityKey::read_or_create(identity_key)?;
    let rows: Vec<(i64, String, Option<String>, String)> = tx
        .prepare("SELECT idx, external_id, name, emails FROM identities")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    tx.execute("DELETE FROM aliases", [])?;
    for (idx, id, name, emails) in rows {
        if crate::identity::is_sealed(&id) {
            continue;
        }
        tx.execute(
            "UPDATE identities SET external_id = ?1, name = ?2, emails = ?3 WHERE idx = ?4",
            params![
                identity.seal(&id, &format!("{idx}/external_id")),
                name.as_deref()
                    .map(|n| identity.seal(n, &format!("{idx}/name"))),
                if emails.is_empty() {
                    String::new()
                } else {
                    identity.seal(&emails, &format!("{idx}/emails"))
                },
                idx
            ],
        )?;
    }
    tx.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('identity_key_check', ?1)",
        [identity.check()],
    )?;
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        [SCHEMA_VERSION],
    )?;
    Ok(())
}

static STAGING_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The keyed pseudonym of an external id.
fn pseudonym_of(key: &[u8; 32], external_id: &str) -> String {
    let hash = blake3::keyed_hash(key, external_id.as_bytes());
    format!("p{}", hex(&hash.as_bytes()[..8]))
}

impl SqliteStore {
    /// Creates a workspace in `root` (created if missing; must not already be a workspace), its
    /// identity key kept inside it.
    pub fn init(root: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::init_with(root, None)
    }

    /// Creates a workspace whose identity key is at `identity_key` (read if the file exists, as
    /// when one customer-held key serves several workspaces; else made there), or inside the
    /// workspace.
    pub fn init_with(root: &Path, identity_key: Option<&Path>) -> Result<SqliteStore, StoreError> {
        if root.join(DB_FILE).exists() {
            return Err(StoreError::AlreadyAWorkspace {
                path: root.to_path_buf(),
            });
        }
        for dir in ["", ".orgmirror", "events", "tables", "staging"] {
            private_dir(&root.join(dir))?;
        }
        let key_path = root.join(KEY_FILE);
        let key = random_key()?;
        {
            use std::io::Write;
            let mut file = crate::files::create_private(&key_path)?;
            file.write_all((hex(&key) + "\n").as_bytes())
                .map_err(|e| StoreError::io(&key_path, e))?;
        }
        // Created private before SQLite opens it, so its -wal and -shm are private too.
        crate::files::create_private(&root.join(DB_FILE))?;
        let conn = Connection::open(root.join(DB_FILE))?;
        // Deleted rows are overwritten, not left in free pages (identities, answers of a
        // removed run).
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON;")?;
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(SCHEMA)?;
        tx.execute_batch(INDICES)?;
        tx.execute_batch(ACCESS_LOG)?;
        tx.execute_batch(ACCESS_ROLES)?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('schema_version', ?1)",
            [SCHEMA_VERSION],
        )?;
        tx.commit()?;
        private_db(root)?;
        let identity = IdentityKey::read_or_create(
            &identity_key.map_or_else(|| root.join(DEFAULT_KEY_FILE), Path::to_path_buf),
        )?;
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('identity_key_check', ?1)",
            [identity.check()],
        )?;
        Ok(SqliteStore {
            root: root.to_path_buf(),
            conn,
            key,
            identity: Some(identity),
            verified: RefCell::default(),
        })
    }

    /// Opens an existing workspace, with its identity key in the workspace if it keeps one.
    pub fn open(root: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(root, None)
    }

    /// Opens an existing workspace with the identity key at `identity_key` (or the one the
    /// workspace keeps, if any). Without a key, people are known by pseudonym only.
    pub fn open_with(root: &Path, identity_key: Option<&Path>) -> Result<SqliteStore, StoreError> {
        let db = root.join(DB_FILE);
        if !db.exists() {
            return Err(StoreError::NotAWorkspace {
                path: root.to_path_buf(),
            });
        }
        let key_path = root.join(KEY_FILE);
        let text = std::fs::read_to_string(&key_path).map_err(|e| StoreError::io(&key_path, e))?;
        let key = unhex(&text).ok_or_else(|| StoreError::corrupt(&key_path, "bad key"))?;
        let mut conn = Connection::open(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch("PRAGMA secure_delete=ON;")?;
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key='schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match version.as_deref() {
            Some(SCHEMA_VERSION) => {}
            Some(old) => migrate(
                root,
                &mut conn,
                old,
                &identity_key.map_or_else(|| root.join(DEFAULT_KEY_FILE), Path::to_path_buf),
            )?,
            None => {
                return Err(StoreError::corrupt(
                    &root.join(DB_FILE),
                    "no schema version",
                ));
            }
        }
        conn.execute_batch(ACCESS_LOG)?;
        conn.execute_batch(ACCESS_ROLES)?;
        private_db(root)?;
        let check: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key='identity_key_check'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let path = identity_key.map_or_else(|| root.join(DEFAULT_KEY_FILE), Path::to_path_buf);
        let identity = if path.exists() {
            let k = IdentityKey::read(&path)?;
            if check.as_deref() != Some(k.check()) {
                return Err(StoreError::WrongIdentityKey { path });
            }
            Some(k)
        } else if identity_key.is_some() {
            return Err(StoreError::io(
                &path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no identity key here"),
            ));
        } else {
            None
        };
        Ok(SqliteStore {
            root: root.to_path_buf(),
            conn,
            key,
            identity,
            verified: RefCell::default(),
        })
    }

    /// Whether this store can read and write identities (it was given the identity key).
    pub fn has_identities(&self) -> bool {
        self.identity.is_some()
    }

    /// Checks a stored file against its recorded checksum, once per process unless the file
    /// changed since (length or modification time).
    fn verify_stored(&self, path: &Path, checksum: Option<String>) -> Result<(), StoreError> {
        let Some(checksum) = checksum else {
            return Ok(());
        };
        let key = (path.to_path_buf(), checksum);
        let now = stamp(path);
        if now.is_some() && self.verified.borrow().get(&key) == now.as_ref() {
            return Ok(());
        }
        verify_file(path, Some(&key.1))?;
        if let Some(now) = now {
            self.verified.borrow_mut().insert(key, now);
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Deletes files that no committed row names (what a crashed commit left behind); returns
    /// how many. Commits do this themselves; this is for tools and tests.
    pub fn sweep(&mut self) -> Result<u64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = sweep_files(&self.root, &tx, "events")? + sweep_files(&self.root, &tx, "tables")?;
        tx.commit()?;
        Ok(n)
    }

    fn load_people(&self) -> Result<Vec<StoredPerson>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT p.idx, p.pseudo, p.manager_idx, p.title, p.department, p.level, p.time_zone,
                    p.start_day, p.end_day, p.tags, p.attributes, p.registered,
                    i.external_id, i.name, i.emails
             FROM people p JOIN identities i ON i.idx = p.idx ORDER BY p.idx",
        )?;
        let rows = stmt.query_map([], |r| {
            let tags: String = r.get(9)?;
            let attrs: String = r.get(10)?;
            let emails: String = r.get(14)?;
            let (id, name): (String, Option<String>) = (r.get(12)?, r.get(13)?);
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                Person {
                    id,
                    name,
                    emails: vec![emails],
                    manager: None,
                    title: r.get(3)?,
                    department: r.get(4)?,
                    level: r.get::<_, Option<i64>>(5)?.map(|v| v as u32),
                    time_zone: r.get(6)?,
                    start_day: r.get::<_, Option<i64>>(7)?.map(|v| v as i32),
                    end_day: r.get::<_, Option<i64>>(8)?.map(|v| v as i32),
                    tags: tags.split(',').filter_map(RoleTag::parse).collect(),
                    attributes: serde_json::from_str::<BTreeMap<String, String>>(&attrs)
                        .unwrap_or_default(),
                },
                r.get::<_, i64>(11)? != 0,
            ))
        })?;
        let mut people = Vec::new();
        let mut managers = Vec::new();
        for row in rows {
            let (idx, pseudo, manager_idx, mut person, registered) = row?;
            // Identities are sealed: opened with the key, or the person is their pseudonym.
            let sealed_emails = std::mem::take(&mut person.emails).concat();
            match &self.identity {
                Some(k) => {
                    let db = self.root.join(DB_FILE);
                    person.id = k.open(&person.id, &format!("{idx}/external_id"), &db)?;
                    person.name = person
                        .name
                        .map(|n| k.open(&n, &format!("{idx}/name"), &db))
                        .transpose()?;
                    let emails = if sealed_emails.is_empty() {
                        String::new()
                    } else {
                        k.open(&sealed_emails, &format!("{idx}/emails"), &db)?
                    };
                    person.emails = emails
                        .split('\n')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect();
                }
                None => {
                    person.id = pseudo.clone();
                    person.name = None;
                }
            }
            if idx as usize != people.len() {
                return Err(StoreError::corrupt(
                    &self.root.join(DB_FILE),
                    "people indices are not dense",
                ));
            }
            managers.push(manager_idx);
            people.push(StoredPerson {
                idx: PersonIdx(idx as u32),
                pseudo,
                person,
                registered,
            });
        }
        for (i, m) in managers.into_iter().enumerate() {
            if let Some(m) = m {
                let id = people
                    .get(m as usize)
                    .map(|p| p.person.id.clone())
                    .ok_or_else(|| {
                        StoreError::corrupt(&self.root.join(DB_FILE), "manager index out of range")
                    })?;
                people[i].person.manager = Some(id);
            }
        }
        Ok(people)
    }
}

impl Store for SqliteStore {
    fn local_dir(&self) -> &Path {
        &self.root
    }

    fn people(&self) -> Result<PeopleTable, StoreError> {
        Ok(PeopleTable::from_people(self.load_people()?))
    }

    fn keyed_hasher(&self) -> Box<dyn Fn(&str) -> u64> {
        let key = self.key;
        Box::new(move |text: &str| {
            let h = blake3::keyed_hash(&key, format!("id:{text}").as_bytes());
            u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
        })
    }

    fn pseudonym(&self, external_id: &str) -> String {
        pseudonym_of(&self.key, external_id)
    }

    fn staging_path(&self, what: &str) -> Result<PathBuf, StoreError> {
        let dir = self.root.join("staging");
        private_dir(&dir)?;
        let n = STAGING_COUNTER.fetch_add(1, Ordering::Relaxed);
        Ok(dir.join(format!("{what}-{}-{n}.parquet", std::process::id())))
    }

    fn commit_ingest(&mut self, commit: IngestCommit) -> Result<i64, StoreError> {
        failpoint("ingest-before-transaction");
        // Checksum of the segment as written, before it moves into the workspace.
        let segment_checksum = match &commit.segment {
            Some((staging, _)) => Some(file_hash(staging)?),
            None => None,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let earlier: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, source FROM ingest_runs WHERE kind = ?1 AND content_hash = ?2",
                params![commit.kind.as_str(), commit.content_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((run, input)) = earlier {
            return Err(StoreError::AlreadyIngested { run, input });
        }
        sweep_files(&self.root, &tx, "events")?;
        let count: i64 = tx.query_row("SELECT COUNT(*) FROM people", [], |r| r.get(0))?;
        if count as usize != commit.people_seen {
            return Err(StoreError::Conflict(format!(
                "{} people when the run started, {count} now",
                commit.people_seen
            )));
        }
        tx.execute(
            "INSERT INTO ingest_runs(kind, source, accepted, rejected, repaired, summary,
               content_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                commit.kind.as_str(),
                commit.source,
                commit.accepted as i64,
                commit.rejected as i64,
                commit.repaired as i64,
                commit.summary.to_string(),
                commit.content_hash
            ],
        )?;
        let run = tx.last_insert_rowid();
        {
            let ext_index: HashMap<&str, u32> = commit
                .people
                .iter()
                .map(|p| (p.person.id.as_str(), p.idx.0))
                .collect();
            let key = self.key;
            let identity = if commit.people.is_empty() {
                None
            } else {
                Some(self.identity.as_ref().ok_or(StoreError::NoIdentityKey)?)
            };
            let mut find_manager = tx.prepare("SELECT idx FROM people WHERE pseudo = ?1")?;
            let mut put_person = tx.prepare(
                "INSERT OR REPLACE INTO people(idx, pseudo, manager_idx, title, department, level,
                   time_zone, start_day, end_day, tags, attributes, registered, run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            let mut put_identity = tx.prepare(
                "INSERT OR REPLACE INTO identities(idx, external_id, name, emails) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for sp in &commit.people {
                let p = &sp.person;
                let manager_idx: Option<i64> = match p.manager.as_deref() {
                    None => None,
                    Some(m) => match ext_index.get(m) {
                        Some(&i) => Some(i as i64),
                        None => find_manager
                            .query_row([pseudonym_of(&key, m)], |r| r.get(0))
                            .optional()?,
                    },
                };
                let tags: Vec<&str> = p.tags.iter().map(|t| t.as_str()).collect();
                put_person.execute(params![
                    sp.idx.0 as i64,
                    sp.pseudo,
                    manager_idx,
                    p.title,
                    p.department,
                    p.level.map(|v| v as i64),
                    p.time_zone,
                    p.start_day.map(|v| v as i64),
                    p.end_day.map(|v| v as i64),
                    tags.join(","),
                    serde_json::to_string(&p.attributes).unwrap_or_else(|_| "{}".into()),
                    sp.registered as i64,
                    run
                ])?;
                let k = identity.expect("people need the identity key, checked above");
                let emails = p.emails.join("\n");
                put_identity.execute(params![
                    sp.idx.0 as i64,
                    k.seal(&p.id, &format!("{}/external_id", sp.idx.0)),
                    p.name
                        .as_deref()
                        .map(|n| k.seal(n, &format!("{}/name", sp.idx.0))),
                    if emails.is_empty() {
                        String::new()
                    } else {
                        k.seal(&emails, &format!("{}/emails", sp.idx.0))
                    }
                ])?;
            }
            let mut put_answer = tx.prepare(
                "INSERT INTO survey(run, respondent, question, colleague, weight, day)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for a in &commit.survey {
                put_answer.execute(params![
                    run,
                    a.respondent.0 as i64,
                    a.question.as_str(),
                    a.colleague.0 as i64,
                    a.weight as f64,
                    a.day.map(|d| d as i64)
                ])?;
            }
        }
        let count_after: i64 = tx.query_row("SELECT COUNT(*) FROM people", [], |r| r.get(0))?;
        let max_idx: Option<i64> = tx.query_row("SELECT MAX(idx) FROM people", [], |r| r.get(0))?;
        if max_idx.map_or(0, |m| m + 1) != count_after {
            return Err(StoreError::internal("people indices would not be dense"));
        }
        bump_data_version(&tx)?;
        let mut moved: Option<PathBuf> = None;
        let result = (|| -> Result<(), StoreError> {
            if let Some((staging, stats)) = &commit.segment {
                let rel = format!("events/seg-{run:06}.parquet");
                let dest = self.root.join(&rel);
                tx.execute(
                    "INSERT INTO segments(run, path, rows, events, min_time, max_time,
                       arrived_sorted, checksum)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        run,
                        rel,
                        stats.rows as i64,
                        stats.events as i64,
                        stats.min_time_ms,
                        stats.max_time_ms,
                        stats.arrived_sorted as i64,
                        segment_checksum
                    ],
                )?;
                std::fs::rename(staging, &dest).map_err(|e| StoreError::io(&dest, e))?;
                moved = Some(dest);
                failpoint("ingest-after-rename");
            }
            tx.commit()?;
            Ok(())
        })();
        if let Err(e) = result {
            // Back to staging, so the run's own clean-up finds it where it left it.
            if let (Some(dest), Some((staging, _))) = (moved, &commit.segment) {
                let _ = std::fs::rename(dest, staging);
            }
            return Err(e);
        }
        failpoint("ingest-after-commit");
        Ok(run)
    }

    fn segments(&self) -> Result<Vec<SegmentInfo>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT run, path, rows, events, min_time, max_time, checksum FROM segments ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                SegmentInfo {
                    run: r.get(0)?,
                    path: self.root.join(r.get::<_, String>(1)?),
                    rows: r.get::<_, i64>(2)? as u64,
                    events: r.get::<_, i64>(3)? as u64,
                    min_time_ms: r.get(4)?,
                    max_time_ms: r.get(5)?,
                },
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        let mut segments = Vec::new();
        for row in rows {
            let (info, checksum) = row?;
            self.verify_stored(&info.path, checksum)?;
            segments.push(info);
        }
        Ok(segments)
    }

    fn survey_answers(&self) -> Result<Vec<SurveyAnswer>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT respondent, question, colleague, weight, day FROM survey ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SurveyAnswer {
                respondent: PersonIdx(r.get::<_, i64>(0)? as u32),
                question: Question::parse(&r.get::<_, String>(1)?),
                colleague: PersonIdx(r.get::<_, i64>(2)? as u32),
                weight: r.get::<_, f64>(3)? as f32,
                day: r.get::<_, Option<i64>>(4)?.map(|d| d as i32),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn ingest_runs(&self) -> Result<Vec<IngestRunRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, source, accepted, rejected, repaired, summary, content_hash
             FROM ingest_runs ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(IngestRunRecord {
                id: r.get(0)?,
                kind: r.get(1)?,
                source: r.get(2)?,
                content_hash: r.get(7)?,
                accepted: r.get::<_, i64>(3)? as u64,
                rejected: r.get::<_, i64>(4)? as u64,
                repaired: r.get::<_, i64>(5)? as u64,
                summary: serde_json::from_str(&r.get::<_, String>(6)?)
                    .unwrap_or(serde_json::Value::Null),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn commit_tables(&mut self, commit: TableCommit) -> Result<i64, StoreError> {
        failpoint("tables-before-transaction");
        let mut checksums = Vec::with_capacity(commit.tables.len());
        for (_, staging, _, _) in &commit.tables {
            checksums.push(file_hash(staging)?);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (name, _, _, _) in &commit.tables {
            let owner: Option<String> = tx
                .query_row("SELECT what FROM tables WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?;
            if let Some(owner) = owner.filter(|o| *o != commit.what) {
                return Err(StoreError::TableKind {
                    name: name.clone(),
                    owner,
                    what: commit.what.clone(),
                });
            }
        }
        sweep_files(&self.root, &tx, "tables")?;
        tx.execute(
            "INSERT INTO table_runs(what, summary, data_version) VALUES (?1, ?2, ?3)",
            params![commit.what, commit.summary.to_string(), data_version(&tx)?],
        )?;
        let run = tx.last_insert_rowid();
        // The previous generation of the same kind goes as a whole, after the commit.
        let replaced: Vec<String> = tx
            .prepare("SELECT path FROM tables WHERE what = ?1")?
            .query_map([&commit.what], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        tx.execute("DELETE FROM tables WHERE what = ?1", [&commit.what])?;
        let dir_rel = format!("tables/run-{run:06}");
        let dir = self.root.join(&dir_rel);
        let result = (|| -> Result<(), StoreError> {
            private_dir(&dir)?;
            for ((name, staging, rows, description), checksum) in
                commit.tables.iter().zip(&checksums)
            {
                let rel = format!("{dir_rel}/{name}.parquet");
                let dest = self.root.join(&rel);
                tx.execute(
                    "INSERT INTO tables(name, what, path, run, rows, description, checksum)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        name,
                        commit.what,
                        rel,
                        run,
                        *rows as i64,
                        description,
                        checksum
                    ],
                )?;
                std::fs::rename(staging, &dest).map_err(|e| StoreError::io(&dest, e))?;
            }
            failpoint("tables-after-rename");
            tx.commit()?;
            Ok(())
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
        failpoint("tables-after-commit");
        for old in replaced {
            let old = self.root.join(old);
            let _ = std::fs::remove_file(&old);
            if let Some(parent) = old.parent() {
                let _ = std::fs::remove_dir(parent); // only when empty
            }
        }
        Ok(run)
    }

    fn lock(&self, what: &str) -> Result<WorkspaceLock, StoreError> {
        WorkspaceLock::acquire(&self.root.join(LOCK_FILE), what)
    }

    fn remove_run(&mut self, id: i64) -> Result<RemovedRun, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (kind, source): (String, String) = tx
            .query_row(
                "SELECT kind, source FROM ingest_runs WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(StoreError::NoSuchRun(id))?;
        let mut removed = RemovedRun {
            id,
            kind: kind.clone(),
            source,
            segment: None,
            rows: 0,
        };
        match kind.as_str() {
            "events" => {
                let segment: Option<(String, i64)> = tx
                    .query_row(
                        "SELECT path, rows FROM segments WHERE run = ?1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                if let Some((rel, rows)) = segment {
                    removed.segment = Some(self.root.join(rel));
                    removed.rows = rows as u64;
                }
                tx.execute("DELETE FROM segments WHERE run = ?1", [id])?;
            }
            "survey" => {
                removed.rows = tx.execute("DELETE FROM survey WHERE run = ?1", [id])? as u64;
            }
            _ => {
                return Err(StoreError::NotRemovable {
                    run: id,
                    reason: format!(
                        "it is a {kind} run, and people indices are dense and never reused; \
                         ingest a corrected people file instead"
                    ),
                });
            }
        }
        tx.execute("DELETE FROM ingest_runs WHERE id = ?1", [id])?;
        bump_data_version(&tx)?;
        tx.commit()?;
        if let Some(path) = &removed.segment {
            let _ = std::fs::remove_file(path);
        }
        Ok(removed)
    }

    fn results_stale(&self, what: &str) -> Result<bool, StoreError> {
        let computed_from: Option<i64> = self
            .conn
            .query_row(
                "SELECT data_version FROM table_runs WHERE what = ?1 ORDER BY id DESC LIMIT 1",
                [what],
                |r| r.get(0),
            )
            .optional()?;
        let now = data_version(&self.conn)?;
        Ok(computed_from.is_some_and(|v| v < now))
    }

    fn audit(&mut self, viewer: &str, action: &str, subject: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO access_log(viewer, action, subject) VALUES (?1, ?2, ?3)",
            params![viewer, action, subject],
        )?;
        Ok(())
    }

    fn role(&self, viewer: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT role FROM access_roles WHERE viewer = ?1",
                [viewer],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn roles(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT viewer, role FROM access_roles ORDER BY viewer")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn grant(&mut self, viewer: &str, role: &str, by: &str) -> Result<(), StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO access_roles(viewer, role, granted_by) VALUES (?1, ?2, ?3)
             ON CONFLICT(viewer) DO UPDATE SET role = ?2, granted_by = ?3, at = datetime('now')",
            params![viewer, role, by],
        )?;
        tx.execute(
            "INSERT INTO access_log(viewer, action, subject) VALUES (?1, 'grant', ?2)",
            params![by, format!("{viewer}: {role}")],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn access_log(&self) -> Result<Vec<(String, String, String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT at, viewer, action, subject FROM access_log ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn table_path(&self, name: &str) -> Result<Option<PathBuf>, StoreError> {
        let row: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT path, checksum FROM tables WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((rel, checksum)) = row else {
            return Ok(None);
        };
        let path = self.root.join(rel);
        self.verify_stored(&path, checksum)?;
        Ok(Some(path))
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [format!("setting.{key}")],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn set_setting(&mut self, key: &str, value: &str, by: &str) -> Result<(), StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![format!("setting.{key}"), value],
        )?;
        tx.execute(
            "INSERT INTO access_log(viewer, action, subject) VALUES (?1, 'setting', ?2)",
            params![by, format!("{key} = {value}")],
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{EventReader, SegmentWriter};
    use vocab::{Channel, Interaction, Kind, Role};

    fn row(event_id: u64, time: i64, actor: u32, recipient: u32) -> Interaction {
        Interaction {
            event_id,
            time_ms: Some(time),
            actor: PersonIdx(actor),
            recipient: PersonIdx(recipient),
            role: Role::To,
            channel: Channel::Email,
            kind: Kind::Request,
            thread_id: None,
            in_reply_to: if event_id.is_multiple_of(2) {
                Some(1)
            } else {
                None
            },
            duration_s: None,
            speaking_s: Some(event_id as u32),
            weight: 1.0,
        }
    }

    fn person(idx: u32, id: &str, store: &SqliteStore) -> StoredPerson {
        StoredPerson {
            idx: PersonIdx(idx),
            pseudo: store.pseudonym(id),
            person: Person {
                id: id.into(),
                emails: vec![format!("{id}@example.org")],
                ..Person::default()
            },
            registered: true,
        }
    }

    #[test]
    fn pseudonyms_are_keyed_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let a = SqliteStore::init(&dir.path().join("a")).unwrap();
        let b = SqliteStore::init(&dir.path().join("b")).unwrap();
        assert_eq!(a.pseudonym("alice"), a.pseudonym("alice"));
        assert_ne!(a.pseudonym("alice"), b.pseudonym("alice"));
        let a2 = SqliteStore::open(&dir.path().join("a")).unwrap();
        assert_eq!(a.pseudonym("alice"), a2.pseudonym("alice"));
        assert!(SqliteStore::init(&dir.path().join("a")).is_err());
        assert!(SqliteStore::open(&dir.path().join("nope")).is_err());
    }

    #[test]
    fn ingest_commit_round_trips_and_refuses_stale_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::init(dir.path()).unwrap();
        let mut boss = person(0, "boss", &store);
        boss.person.title = Some("CEO".into());
        let mut worker = person(1, "worker", &store);
        worker.person.manager = Some("boss".into());
        let commit = IngestCommit {
            kind: IngestKind::People,
            source: "people.csv".into(),
            content_hash: "people.csv".into(),
            people: vec![boss, worker],
            people_seen: 0,
            survey: vec![],
            segment: None,
            accepted: 2,
            rejected: 0,
            repaired: 0,
            summary: serde_json::json!({}),
        };
        store.commit_ingest(commit).unwrap();
        let people = store.people().unwrap();
        assert_eq!(people.len(), 2);
        assert_eq!(
            people.get(PersonIdx(1)).person.manager.as_deref(),
            Some("boss")
        );
        assert_eq!(people.lookup("WORKER@example.org"), Some(PersonIdx(1)));
        let chart = people.org_chart().unwrap();
        assert_eq!(chart.manager(1), Some(0));

        // A run that started before the previous commit is refused and changes nothing.
        let stale = IngestCommit {
            kind: IngestKind::People,
            source: "other.csv".into(),
            content_hash: "other.csv".into(),
            people: vec![person(0, "intruder", &store)],
            people_seen: 0,
            survey: vec![],
            segment: None,
            accepted: 1,
            rejected: 0,
            repaired: 0,
            summary: serde_json::json!({}),
        };
        assert!(matches!(
            store.commit_ingest(stale),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(store.people().unwrap().get(PersonIdx(0)).person.id, "boss");
        assert_eq!(store.ingest_runs().unwrap().len(), 1);
    }

    #[test]
    fn segments_merge_overlapping_runs_in_time_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::init(dir.path()).unwrap();
        // Out-of-order input with row groups of 3 rows: runs overlap and must be merged.
        let times = [50, 10, 40, 20, 30, 60, 5, 45];
        let staging = store.staging_path("events").unwrap();
        let mut w = SegmentWriter::with_row_group(&staging, 3).unwrap();
        for (i, &t) in times.iter().enumerate() {
            w.push(row(i as u64 + 1, t, 0, 1)).unwrap();
        }
        let stats = w.finish().unwrap();
        assert!(!stats.arrived_sorted);
        assert_eq!((stats.rows, stats.events), (8, 8));
        store
            .commit_ingest(IngestCommit {
                kind: IngestKind::Events,
                source: "e.csv".into(),
                content_hash: "e.csv".into(),
                people: vec![],
                people_seen: 0,
                survey: vec![],
                segment: Some((staging, stats)),
                accepted: 8,
                rejected: 0,
                repaired: 0,
                summary: serde_json::json!({}),
            })
            .unwrap();
        let paths: Vec<_> = store
            .segments()
            .unwrap()
            .into_iter()
            .map(|s| s.path)
            .collect();
        let mut reader = EventReader::open(&paths).unwrap();
        assert_eq!(reader.total_rows(), 8);
        let mut got = Vec::new();
        while let Some(r) = reader.next_row().unwrap() {
            got.push(r);
        }
        let mut want: Vec<_> = times
            .iter()
            .enumerate()
            .map(|(i, &t)| row(i as u64 + 1, t, 0, 1))
            .collect();
        want.sort_by_key(|r| r.time_ms);
        assert_eq!(got, want);
    }
}
