//! The workspace from outside: idempotent ingest, the workspace lock, removing runs, checksums,
//! result generations, private modes and migration of an older workspace.

use std::path::{Path, PathBuf};
use store::table::{ColumnData, ColumnDef, ColumnType, TableWriter};
use store::{IngestCommit, IngestKind, SegmentWriter, SqliteStore, Store, StoreError, TableCommit};
use vocab::{Channel, Interaction, Kind, PersonIdx, Question, Role, SurveyAnswer};

fn interaction(event_id: u64, time_ms: i64) -> Interaction {
    Interaction {
        event_id,
        time_ms: Some(time_ms),
        actor: PersonIdx(0),
        recipient: PersonIdx(1),
        role: Role::To,
        channel: Channel::Email,
        kind: Kind::Message,
        thread_id: None,
        in_reply_to: None,
        duration_s: None,
        speaking_s: None,
        weight: 1.0,
    }
}

fn empty_commit(kind: IngestKind, source: &str, content_hash: &str) -> IngestCommit {
    IngestCommit {
        kind,
        source: source.into(),
        content_hash: content_hash.into(),
        people: vec![],
        people_seen: 0,
        survey: vec![],
        segment: None,
        accepted: 0,
        rejected: 0,
        repaired: 0,
        summary: serde_json::json!({}),
    }
}

/// An events run of `n` interactions, staged as a real segment.
fn events_commit(store: &SqliteStore, source: &str, content_hash: &str, n: u64) -> IngestCommit {
    let staging = store.staging_path("events").unwrap();
    let mut writer = SegmentWriter::create(&staging).unwrap();
    for i in 0..n {
        writer.push(interaction(i + 1, 1000 * i as i64)).unwrap();
    }
    let stats = writer.finish().unwrap();
    IngestCommit {
        segment: Some((staging, stats)),
        accepted: n,
        ..empty_commit(IngestKind::Events, source, content_hash)
    }
}

/// A one-column table staged for a commit.
fn staged_table(store: &SqliteStore, name: &str, values: &[i64]) -> (String, PathBuf, u64, String) {
    const COLUMNS: &[ColumnDef] = &[ColumnDef::new("value", ColumnType::I64)];
    let path = store.staging_path(name).unwrap();
    let mut w = TableWriter::create(&path, name, COLUMNS, &[]).unwrap();
    w.write_row_group(&[ColumnData::I64(values.to_vec())])
        .unwrap();
    let rows = w.finish().unwrap();
    (name.to_string(), path, rows, format!("{name} for a test"))
}

fn commit_tables(
    store: &mut SqliteStore,
    what: &str,
    tables: &[(&str, &[i64])],
) -> Result<i64, StoreError> {
    let staged = tables
        .iter()
        .map(|(name, values)| staged_table(store, name, values))
        .collect();
    store.commit_tables(TableCommit {
        what: what.into(),
        tables: staged,
        summary: serde_json::json!({}),
    })
}

fn values(store: &SqliteStore, name: &str) -> Vec<i64> {
    let path = store.table_path(name).unwrap().expect("table exists");
    match store::table::read_table(&path).unwrap().remove(0).1 {
        ColumnData::I64(v) => v,
        other => panic!("unexpected column {other:?}"),
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn flip_a_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn the_same_input_ingested_twice_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::init(dir.path()).unwrap();
    let first = events_commit(&store, "events.csv", "hash-a", 3);
    let run = store.commit_ingest(first).unwrap();

    let again = events_commit(&store, "copy-of-events.csv", "hash-a", 3);
    let staging = again.segment.as_ref().unwrap().0.clone();
    let err = store.commit_ingest(again).unwrap_err();
    assert!(
        matches!(&err, StoreError::AlreadyIngested { run: r, input } if *r == run && input == "events.csv"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("already ingested as run {run} (events.csv)")),
        "{err}"
    );
    // Nothing was written: one run, one segment, the refused run's staging file left to its run.
    assert_eq!(store.ingest_runs().unwrap().len(), 1);
    assert_eq!(store.segments().unwrap().len(), 1);
    assert_eq!(files_under(&dir.path().join("events")).len(), 1);
    assert!(staging.exists());
    // Other bytes, or the same bytes as another kind of run, are new.
    store
        .commit_ingest(events_commit(&store, "events.csv", "hash-b", 2))
        .unwrap();
    store
        .commit_ingest(empty_commit(IngestKind::Survey, "events.csv", "hash-a"))
        .unwrap();
    let runs = store.ingest_runs().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0].content_hash.as_deref(), Some("hash-a"));
}

#[test]
fn file_hash_is_blake3_of_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.csv");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        store::file_hash(&path).unwrap(),
        blake3::hash(&bytes).to_hex().to_string()
    );
}

#[test]
fn a_second_run_is_refused_while_the_first_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::init(dir.path()).unwrap();
    let held = store.lock("ingest events").unwrap();
    let root = dir.path().to_path_buf();
    // Another thread with its own store, as another process would have.
    let second = std::thread::spawn(move || {
        let other = SqliteStore::open(&root).unwrap();
        other.lock("aggregate").map(|_| ())
    })
    .join()
    .unwrap();
    let err = second.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, StoreError::Busy { .. }), "{err:?}");
    assert_eq!(
        message,
        format!(
            "workspace busy: another orgmirror is running ingest events (pid {})",
            std::process::id()
        )
    );
    drop(held);
    let root = dir.path().to_path_buf();
    std::thread::spawn(move || {
        let other = SqliteStore::open(&root).unwrap();
        other.lock("aggregate").unwrap();
    })
    .join()
    .unwrap();
}

#[test]
fn removing_a_run_takes_its_data_and_marks_results_stale() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::init(dir.path()).unwrap();
    let people = store
        .commit_ingest(empty_commit(IngestKind::People, "people.csv", "p"))
        .unwrap();
    let events = store
        .commit_ingest(events_commit(&store, "events.csv", "e", 4))
        .unwrap();
    let kept = store
        .commit_ingest(events_commit(&store, "more.csv", "m", 2))
        .unwrap();
    let answer = SurveyAnswer {
        respondent: PersonIdx(0),
        question: Question::parse("advice"),
        colleague: PersonIdx(1),
        weight: 1.0,
        day: None,
    };
    let survey = store
        .commit_ingest(IngestCommit {
            survey: vec![answer.clone(), answer],
            ..empty_commit(IngestKind::Survey, "survey.csv", "s")
        })
        .unwrap();
    commit_tables(&mut store, "analyze", &[("dyads", &[1, 2])]).unwrap();
    assert!(!store.results_stale("analyze").unwrap());

    let segment = store.segments().unwrap()[0].path.clone();
    let removed = store.remove_run(events).unwrap();
    assert_eq!((removed.kind.as_str(), removed.rows), ("events", 4));
    assert_eq!(removed.segment.as_ref(), Some(&segment));
    assert!(!segment.exists());
    let runs: Vec<i64> = store.segments().unwrap().iter().map(|s| s.run).collect();
    assert_eq!(runs, [kept]);
    assert!(store.results_stale("analyze").unwrap());

    let removed = store.remove_run(survey).unwrap();
    assert_eq!((removed.kind.as_str(), removed.rows), ("survey", 2));
    assert!(store.survey_answers().unwrap().is_empty());

    let err = store.remove_run(people).unwrap_err();
    assert!(matches!(err, StoreError::NotRemovable { .. }), "{err:?}");
    assert!(
        err.to_string().contains("ingest a corrected people file"),
        "{err}"
    );
    assert!(matches!(
        store.remove_run(99),
        Err(StoreError::NoSuchRun(99))
    ));
    let ids: Vec<i64> = store.ingest_runs().unwrap().iter().map(|r| r.id).collect();
    assert_eq!(ids, [people, kept]);

    // The removed file may be ingested again, and new results are current.
    store
        .commit_ingest(events_commit(&store, "events.csv", "e", 4))
        .unwrap();
    commit_tables(&mut store, "analyze", &[("dyads", &[1, 2])]).unwrap();
    assert!(!store.results_stale("analyze").unwrap());
}

#[test]
fn a_changed_segment_or_table_is_reported_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::init(dir.path()).unwrap();
    store
        .commit_ingest(events_commit(&store, "events.csv", "e", 50))
        .unwrap();
    commit_tables(&mut store, "analyze", &[("people", &[7, 8, 9])]).unwrap();
    // Read once, so a cached verification would have to notice the change.
    let segment = store.segments().unwrap()[0].path.clone();
    let table = store.table_path("people").unwrap().unwrap();

    flip_a_byte(&segment);
    let err = store.segments().unwrap_err();
    assert!(
        matches!(&err, StoreError::Damaged { path } if *path == segment),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "workspace damaged: {} (checksum mismatch)",
            segment.display()
        )
    );
    let reopened = SqliteStore::open(dir.path()).unwrap();
    assert!(matches!(
        reopened.segments(),
        Err(StoreError::Damaged { .. })
    ));

    flip_a_byte(&table);
    let err = store.table_path("people").unwrap_err();
    assert!(
        matches!(&err, StoreError::Damaged { path } if *path == table),
        "{err:?}"
    );
    assert!(matches!(
        reopened.table_path("people"),
        Err(StoreError::Damaged { .. })
    ));
}

#[test]
fn an_aggregate_generation_leaves_the_analysis_tables_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::init(dir.path()).unwrap();
    commit_tables(
        &mut store,
        "aggregate",
        &[("pairs", &[1]), ("roster", &[1])],
    )
    .unwrap();
    commit_tables(
        &mut store,
        "analyze",
        &[("people", &[10, 11]), ("dyads", &[20])],
    )
    .unwrap();
    let people_path = store.table_path("people").unwrap().unwrap();
    let people_bytes = std::fs::read(&people_path).unwrap();
    let old_pairs = store.table_path("pairs").unwrap().unwrap();

    commit_tables(
        &mut store,
        "aggregate",
        &[("pairs", &[2]), ("roster", &[2])],
    )
    .unwrap();
    assert_eq!(values(&store, "people"), [10, 11]);
    assert_eq!(values(&store, "dyads"), [20]);
    assert_eq!(values(&store, "pairs"), [2]);
    assert_eq!(store.table_path("people").unwrap().unwrap(), people_path);
    assert_eq!(std::fs::read(&people_path).unwrap(), people_bytes);
    assert!(
        !old_pairs.exists(),
        "the replaced generation's files are deleted"
    );

    // An aggregate may not take the analysis's `people` name (this once overwrote it).
    let err = commit_tables(
        &mut store,
        "aggregate",
        &[("pairs", &[3]), ("people", &[3])],
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::TableKind { .. }), "{err:?}");
    assert_eq!(values(&store, "people"), [10, 11]);
    assert_eq!(values(&store, "pairs"), [2]);

    // A generation replaces the previous one of its kind as a whole.
    commit_tables(&mut store, "analyze", &[("people", &[12])]).unwrap();
    assert_eq!(values(&store, "people"), [12]);
    assert_eq!(store.table_path("dyads").unwrap(), None);
    assert!(!people_path.exists());
}

#[cfg(unix)]
#[test]
fn everything_in_a_workspace_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let mut store = SqliteStore::init(&root).unwrap();
    let _lock = store.lock("test").unwrap();
    store
        .commit_ingest(events_commit(&store, "events.csv", "e", 3))
        .unwrap();
    commit_tables(&mut store, "analyze", &[("people", &[1])]).unwrap();
    // A staged file not yet committed, as a run leaves it while it works.
    staged_table(&store, "pending", &[1]);
    let mut n_files = 0;
    let mut stack = vec![root.clone()];
    while let Some(path) = stack.pop() {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        if path.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode, 0o600, "{}", path.display());
            n_files += 1;
        }
    }
    // Database (+ -wal, -shm), key, lock, segment, table, staged table.
    assert!(n_files >= 8, "{n_files} files");
    assert!(root.join("orgmirror.sqlite-wal").exists());
}

/// The schema a workspace had before content hashes, checksums and result kinds.
const SCHEMA_1: &str = "
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
  summary TEXT NOT NULL, committed_at TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE segments(id INTEGER PRIMARY KEY, run INTEGER NOT NULL, path TEXT NOT NULL,
  rows INTEGER NOT NULL, events INTEGER NOT NULL, min_time INTEGER, max_time INTEGER,
  arrived_sorted INTEGER NOT NULL);
CREATE TABLE table_runs(id INTEGER PRIMARY KEY, what TEXT NOT NULL, summary TEXT NOT NULL,
  committed_at TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE tables(name TEXT PRIMARY KEY, path TEXT NOT NULL, run INTEGER NOT NULL,
  rows INTEGER NOT NULL, description TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO ingest_runs(id, kind, source, accepted, rejected, repaired, summary)
  VALUES (1, 'events', 'events.csv', 3, 0, 0, '{}');
INSERT INTO segments VALUES (1, 1, 'events/seg-000001.parquet', 3, 3, 0, 2000, 1);
INSERT INTO table_runs(id, what, summary) VALUES (1, 'analyze', '{}'), (2, 'aggregate', '{}');
INSERT INTO tables VALUES ('dyads', 'tables/run-000001/dyads.parquet', 1, 1, 'dyads');
INSERT INTO tables VALUES ('people', 'tables/run-000002/people.parquet', 2, 1, 'roster');
";

#[test]
fn a_schema_1_workspace_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    {
        // Files as a schema-1 workspace had them, made with today's writers.
        let store = SqliteStore::init(root).unwrap();
        let commit = events_commit(&store, "events.csv", "x", 3);
        std::fs::rename(
            &commit.segment.as_ref().unwrap().0,
            root.join("events/seg-000001.parquet"),
        )
        .unwrap();
        for (run, name) in [(1, "dyads"), (2, "people")] {
            let (_, path, _, _) = staged_table(&store, name, &[run]);
            let dir = root.join(format!("tables/run-{run:06}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::rename(path, dir.join(format!("{name}.parquet"))).unwrap();
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(root.join(format!("orgmirror.sqlite{suffix}")));
    }
    let conn = rusqlite::Connection::open(root.join("orgmirror.sqlite")).unwrap();
    conn.execute_batch(SCHEMA_1).unwrap();
    drop(conn);

    let mut store = SqliteStore::open(root).unwrap();
    assert_eq!(store.segments().unwrap().len(), 1);
    assert_eq!(store.ingest_runs().unwrap()[0].content_hash, None);
    // The aggregate's roster, stored as `people`, is now `roster`; `people` is free for analyze.
    assert_eq!(values(&store, "roster"), [2]);
    assert_eq!(store.table_path("people").unwrap(), None);
    // Existing files got checksums.
    flip_a_byte(&root.join("tables/run-000001/dyads.parquet"));
    assert!(matches!(
        store.table_path("dyads"),
        Err(StoreError::Damaged { .. })
    ));
    // And the new columns work.
    store
        .commit_ingest(events_commit(&store, "events.csv", "h", 1))
        .unwrap();
    let err = store
        .commit_ingest(events_commit(&store, "events.csv", "h", 1))
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyIngested { .. }), "{err:?}");
    drop(store);
    SqliteStore::open(root).unwrap();
}
