//! The iCalendar connector at its boundary: real fixtures drained, counts against Python's
//! `icalendar` (tests/reference), a small calendar ingested into a workspace, bad input explained.

use connectors::calendar::{CalendarSource, census};
use connectors::{COLUMNS, Directory, col};
use ingest::{Cell, Problem, RecordSource};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/formats/ics");
    assert!(p.is_dir(), "the fixtures are missing: {}", p.display());
    p
}

fn ids() -> connectors::Ids {
    Box::new(|text: &str| {
        let h = blake3_like(text);
        (h & ((1 << 62) - 1)) as i64
    })
}

/// FNV-1a: a stable stand-in for the workspace's keyed ids.
fn blake3_like(text: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Everything a source yields: rows, and problems as their one-line messages.
#[derive(Default, Debug)]
struct Drained {
    rows: Vec<Vec<Cell>>,
    rejected: Vec<String>,
    skipped: Vec<String>,
}

impl Drained {
    fn text(row: &[Cell], c: usize) -> String {
        row[c].text().map(|t| t.to_string()).unwrap_or_default()
    }

    /// Interactions (distinct event ids) by kind.
    fn events_by_kind(&self) -> BTreeMap<String, usize> {
        let mut seen = std::collections::HashSet::new();
        let mut out = BTreeMap::new();
        for r in &self.rows {
            if seen.insert(Self::text(r, col::EVENT_ID)) {
                *out.entry(Self::text(r, col::KIND)).or_default() += 1;
            }
        }
        out
    }

    fn reasons(list: &[String]) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for m in list {
            let reason = m.rsplit_once('(').map_or("", |x| x.1.trim_end_matches(')'));
            *out.entry(reason.to_string()).or_default() += 1;
        }
        out
    }
}

fn drain(path: &Path, window: Option<(i64, i64)>) -> Drained {
    let mut source = CalendarSource::open(path, Directory::default(), ids(), window).unwrap();
    assert_eq!(source.columns(), COLUMNS);
    let mut d = Drained::default();
    let mut cells = Vec::new();
    loop {
        match source.next_record(&mut cells) {
            Ok(Some(_)) => d.rows.push(cells.clone()),
            Ok(None) => break,
            Err(Problem::Reject(e)) => d.rejected.push(e.to_string()),
            Err(Problem::Skip(e)) => d.skipped.push(e.to_string()),
        }
    }
    assert_eq!(source.bytes_read(), source.total_bytes());
    d
}

#[test]
fn print_2446() {
    for f in ["libical/2446.ics", "libical/large.ics"] {
        let d = drain(&fixtures().join(f), None);
        eprintln!("{f}: rows {} events {:?}", d.rows.len(), d.events_by_kind());
        eprintln!(
            "rejected {:?}\nskipped {:?}",
            Drained::reasons(&d.rejected),
            Drained::reasons(&d.skipped)
        );
        for m in d.rejected.iter().take(5) {
            eprintln!("  {m}");
        }
        eprintln!("{:?}", census(&fixtures().join(f)).unwrap());
    }
}
