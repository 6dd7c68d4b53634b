//! Crash safety: a child process (this test binary, started again) aborts at each commit point
//! (`ORGMIRROR_FAILPOINT`); the workspace it leaves is either unchanged or complete, and the
//! files its rows name are all there, whole.

use crate::segment::{EventReader, SegmentWriter};
use crate::table::{ColumnData, ColumnDef, ColumnType, TableWriter, read_table};
use crate::{IngestCommit, IngestKind, SqliteStore, Store, TableCommit};
use std::path::Path;
use vocab::{Channel, Interaction, Kind, PersonIdx, Role};

const CHILD_DIR: &str = "ORGMIRROR_CRASH_TEST_DIR";

const POINTS: &[&str] = &[
    "ingest-before-transaction",
    "ingest-after-rename",
    "ingest-after-commit",
    "tables-before-transaction",
    "tables-after-rename",
    "tables-after-commit",
];

fn ingest(store: &mut SqliteStore, hash: &str, n: u64) {
    let staging = store.staging_path("events").unwrap();
    let mut writer = SegmentWriter::create(&staging).unwrap();
    // Event ids are stable per event (the reader takes one key in two runs for one event), so
    // each file's events get ids of their own.
    let base = hash.bytes().map(u64::from).sum::<u64>() << 20;
    for i in 0..n {
        writer
            .push(Interaction {
                event_id: base + i + 1,
                time_ms: Some(i as i64),
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
            })
            .unwrap();
    }
    let stats = writer.finish().unwrap();
    store
        .commit_ingest(IngestCommit {
            kind: IngestKind::Events,
            source: format!("{hash}.csv"),
            content_hash: hash.into(),
            people: vec![],
            people_seen: 0,
            survey: vec![],
            segment: Some((staging, stats)),
            accepted: n,
            rejected: 0,
            repaired: 0,
            summary: serde_json::json!({}),
        })
        .unwrap();
}

fn analyze(store: &mut SqliteStore, value: i64) {
    const COLUMNS: &[ColumnDef] = &[ColumnDef::new("value", ColumnType::I64)];
    let mut tables = Vec::new();
    for name in ["people", "dyads"] {
        let path = store.staging_path(name).unwrap();
        let mut w = TableWriter::create(&path, name, COLUMNS, &[]).unwrap();
        w.write_row_group(&[ColumnData::I64(vec![value])]).unwrap();
        tables.push((name.to_string(), path, w.finish().unwrap(), String::new()));
    }
    store
        .commit_tables(TableCommit {
            what: "analyze".into(),
            tables,
            summary: serde_json::json!({}),
        })
        .unwrap();
}

/// The child's half of `a_crash_at_any_commit_point_leaves_the_workspace_whole`: an ingest and
/// a new analysis generation, killed at the failpoint it is given. Returns at once when run as
/// an ordinary test (no workspace named).
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let mut store = SqliteStore::open(Path::new(&dir)).unwrap();
    ingest(&mut store, "second", 5);
    analyze(&mut store, 2);
}

/// (runs, rows read from the segments, the analysis generation's value), after checking that
/// every file a row names is present and whole.
fn state(root: &Path) -> (usize, u64, i64) {
    let store = SqliteStore::open(root).unwrap();
    let segments = store.segments().unwrap();
    let paths: Vec<_> = segments.iter().map(|s| s.path.clone()).collect();
    let mut reader = EventReader::open(&paths).unwrap();
    let mut rows = 0;
    while reader.next_row().unwrap().is_some() {
        rows += 1;
    }
    assert_eq!(rows, segments.iter().map(|s| s.rows).sum::<u64>());
    let mut values = Vec::new();
    for name in ["people", "dyads"] {
        let path = store.table_path(name).unwrap().unwrap();
        match read_table(&path).unwrap().remove(0).1 {
            ColumnData::I64(v) => values.extend(v),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(values[0], values[1], "both tables from one generation");
    (store.ingest_runs().unwrap().len(), rows, values[0])
}

fn files(root: &Path, dir: &str) -> usize {
    let mut n = 0;
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn a_crash_at_any_commit_point_leaves_the_workspace_whole() {
    let exe = std::env::current_exe().unwrap();
    for point in POINTS {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        {
            let mut store = SqliteStore::init(root).unwrap();
            ingest(&mut store, "first", 3);
            analyze(&mut store, 1);
        }
        let status = std::process::Command::new(&exe)
            .args(["--exact", "crash_tests::crash_child", "--test-threads=1"])
            .env(CHILD_DIR, root)
            .env("ORGMIRROR_FAILPOINT", point)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "{point}: the child did not stop");
        let (ingested, analyzed) = match *point {
            "ingest-before-transaction" | "ingest-after-rename" => (false, false),
            "ingest-after-commit" | "tables-before-transaction" | "tables-after-rename" => {
                (true, false)
            }
            _ => (true, true),
        };
        let want = (
            if ingested { 2 } else { 1 },
            if ingested { 8 } else { 3 },
            if analyzed { 2 } else { 1 },
        );
        assert_eq!(state(root), want, "{point}");
        // Leftovers are swept by the next commit; then files and rows match exactly.
        let mut store = SqliteStore::open(root).unwrap();
        store.sweep().unwrap();
        assert_eq!(files(root, "events"), want.0, "{point}");
        assert_eq!(files(root, "tables"), 2, "{point}");
        // And the interrupted work can simply be run again.
        if !ingested {
            ingest(&mut store, "second", 5);
        }
        analyze(&mut store, 3);
        assert_eq!(state(root), (2, 8, 3), "{point}");
    }
}
