//! Shared harness of the fuzz targets: a scratch workspace per input, copied from a template
//! made once per process, and the invariant every ingest target checks — an ingest never
//! panics, and one that fails leaves the workspace exactly as it was.

use ingest::{IngestError, IngestOptions, IngestReport, Mapping, NoProgress};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use store::{SqliteStore, Store};

/// Which ingest a target runs.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    People,
    Events,
    Survey,
}

/// A small people table every events and survey input starts from, so that ids in the
/// input can match people already known (ids as `orgmirror generate` and the seeds use).
const BASE_PEOPLE: &str = "id,name,email,manager,title,department,level\n\
ceo,Ann,ann@x.org,,CEO,Exec,1\n\
vp,Bo,bo@x.org,ceo,VP,Sales,2\n\
rep,Cy,cy@x.org,vp,Rep,Sales,3\n\
0,Zero,,,,,\n1,One,,0,,,\n2,Two,,0,,,\n\
E000001,Dana,,,,,\nE000002,Viktor,,E000001,,,\n";

/// This process's scratch folder: `$ORGMIRROR_FUZZ_TMP` (set by scripts/fuzz.sh, which removes
/// it), else a folder under /dev/shm (or the system temp folder) named by the process id.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // libFuzzer's hook aborts at every panic, even one the code under test catches on
        // purpose (ingest catches the parquet crate's panics on damaged files and reports the
        // file). Print and unwind instead: a panic that escapes the target still aborts, in
        // libfuzzer-sys's own catch, and is a crash.
        std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
        let base = match std::env::var_os("ORGMIRROR_FUZZ_TMP") {
            Some(dir) => PathBuf::from(dir),
            None if Path::new("/dev/shm").is_dir() => PathBuf::from("/dev/shm"),
            None => std::env::temp_dir(),
        };
        let dir = base.join(format!("orgmirror-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    })
}

/// Writes `bytes` as `name` in the scratch folder.
pub fn write_input(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, bytes).expect("write the input file");
    path
}

/// A mapping from TOML text (the same parser `Mapping::load` uses).
pub fn mapping(text: &str) -> Mapping {
    let path = write_input("mapping.toml", text.as_bytes());
    Mapping::load(&path).expect("the target's own mapping parses")
}

fn template(with_people: bool) -> &'static Path {
    static EMPTY: OnceLock<PathBuf> = OnceLock::new();
    static PEOPLE: OnceLock<PathBuf> = OnceLock::new();
    let cell = if with_people { &PEOPLE } else { &EMPTY };
    cell.get_or_init(|| {
        let root = scratch().join(if with_people {
            "template-people"
        } else {
            "template-empty"
        });
        let _ = std::fs::remove_dir_all(&root);
        let mut store = SqliteStore::init(&root).expect("init the template workspace");
        if with_people {
            let file = write_input("base-people.csv", BASE_PEOPLE.as_bytes());
            ingest::ingest_people(&mut store, &file, &IngestOptions::default(), &NoProgress)
                .expect("the base people ingest");
        }
        drop(store); // closes SQLite, so the WAL is checkpointed into the database file
        root
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a workspace folder");
    for entry in std::fs::read_dir(from).expect("read the template") {
        let entry = entry.expect("template entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy a template file");
        }
    }
}

/// A fresh workspace for one input: a copy of the template (empty, or with `BASE_PEOPLE`).
pub fn fresh_store(with_people: bool) -> SqliteStore {
    let root = scratch().join("ws");
    let _ = std::fs::remove_dir_all(&root);
    copy_dir(template(with_people), &root);
    SqliteStore::open(&root).expect("open the copied workspace")
}

fn walk(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path.display().to_string());
        }
    }
}

/// What the workspace holds: people, segments, survey answers and ingest runs, as the ingest
/// tests compare them ...
pub fn snapshot(store: &SqliteStore) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        store.people().map(|p| p.people),
        store.segments(),
        store.survey_answers(),
        store.ingest_runs(),
    )
}

/// ... and the files under it (SQLite's own files aside).
pub fn files(store: &SqliteStore) -> Vec<String> {
    let mut files = Vec::new();
    walk(store.root(), &mut files);
    // The database (its rows are compared apart) and the workspace lock, which the first run to
    // take it creates and which stays (empty of meaning once released).
    files.retain(|f| !f.contains("orgmirror.sqlite") && !f.ends_with(".orgmirror/lock"));
    files.sort();
    files
}

fn run(
    kind: Kind,
    store: &mut SqliteStore,
    file: &Path,
    opts: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    match kind {
        Kind::People => ingest::ingest_people(store, file, opts, &NoProgress),
        Kind::Events => ingest::ingest_events(store, file, opts, &NoProgress),
        Kind::Survey => ingest::ingest_survey(store, file, opts, &NoProgress),
    }
}

/// Ingests `bytes` as the file `name` into a fresh workspace and checks the invariants:
/// no panic (libFuzzer catches it), and a failed run leaves the workspace unchanged: the same
/// tables (one assertion) and the same files (another, so the two panic at different sites).
/// Inputs of a length divisible by 3 run `--strict`, so both the lenient and the
/// fail-on-first-bad-row paths are fuzzed from the same corpus.
pub fn check_ingest(kind: Kind, name: &str, bytes: &[u8], mapping: Mapping, with_people: bool) {
    let mut store = fresh_store(with_people);
    let file = write_input(name, bytes);
    let opts = IngestOptions {
        mapping,
        mapping_dir: Some(scratch().to_path_buf()),
        format: None,
        strict: bytes.len() % 3 == 0,
    };
    let (before, files_before) = (snapshot(&store), files(&store));
    match run(kind, &mut store, &file, &opts) {
        Ok(report) => {
            let _ = report.summary();
        }
        Err(e) => {
            // (Messages may hold a newline echoed from the input; the CLI folds them to one line.)
            let message = e.to_string();
            assert_eq!(
                before,
                snapshot(&store),
                "a failed {kind:?} ingest ({message}) changed the workspace"
            );
            let files_after = files(&store);
            assert!(
                files_before == files_after,
                "a failed {kind:?} ingest ({message}) left files behind: {:?}",
                files_after
                    .iter()
                    .filter(|f| !files_before.contains(f))
                    .collect::<Vec<_>>()
            );
        }
    }
}

/// Reads a connector's source to its end: never a panic; every problem is one line naming a file.
pub fn drain(source: &mut dyn ingest::RecordSource) {
    let mut cells = Vec::new();
    let columns = source.columns().len();
    loop {
        match source.next_record(&mut cells) {
            Ok(None) => break,
            Ok(Some(_)) => assert_eq!(cells.len(), columns, "a record has every column"),
            Err(ingest::Problem::Reject(e) | ingest::Problem::Skip(e)) => {
                assert!(!e.reason.is_empty(), "a problem has a reason: {e}");
            }
        }
    }
}

/// Stable ids for connectors' tests (FNV-1a; the workspace's keyed hash is not needed here).
pub fn ids() -> Box<dyn Fn(&str) -> i64> {
    Box::new(|s: &str| {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in s.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        (h & ((1 << 62) - 1)) as i64
    })
}
