//! The Viva Insights connector at its boundary: query exports in, records out, counts checked
//! against an independent Python reference (tests/reference/viva_reference.py).

use connectors::viva::{VivaSource, day_ms};
use connectors::{Directory, col};
use ingest::{Cell, IngestOptions, NoProgress, Problem, RecordSource};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use store::{SqliteStore, Store};

fn fixture(name: &str) -> PathBuf {
    let rel = match name {
        "py_p2p" => "formats/viva/vivainsights-py/p2p_data.csv",
        "py_p2g" => "formats/viva/vivainsights-py/p2g_data.csv",
        "py_g2g" => "formats/viva/vivainsights-py/g2g_data.csv",
        "py_mt" => "formats/viva/vivainsights-py/mt_data.csv",
        "r_p2p" => "vivainsights-p2p/p2p_data.csv",
        other => panic!("no fixture {other}"),
    };
    Path::new("/work/shared/data").join(rel)
}

fn ids() -> connectors::Ids {
    Box::new(|text: &str| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        (h.finish() & ((1 << 62) - 1)) as i64
    })
}

fn reference(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/viva_reference.json");
    let all: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    all[name].clone()
}

fn drain(path: &Path) -> (Vec<Vec<Cell>>, Vec<Problem>) {
    let mut source = VivaSource::open(path, Directory::default(), ids()).unwrap();
    let (mut rows, mut problems, mut cells) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        match source.next_record(&mut cells) {
            Ok(Some(_)) => rows.push(cells.clone()),
            Ok(None) => break,
            Err(p) => problems.push(p),
        }
    }
    (rows, problems)
}

fn text(cell: &Cell) -> String {
    cell.text().map(|t| t.into_owned()).unwrap_or_default()
}

fn check_p2p(name: &str) {
    let r = reference(name);
    let (rows, problems) = drain(&fixture(name));
    assert_eq!(rows.len() as u64, r["ties"].as_u64().unwrap(), "{name}");
    let zero_rows = r["rows"].as_u64().unwrap() - r["ties"].as_u64().unwrap();
    assert_eq!(problems.len() as u64, zero_rows);
    for p in &problems {
        let Problem::Skip(e) = p else { panic!("{p:?}") };
        assert_eq!(e.reason, "no_collaboration");
    }
    let sum: f64 = rows
        .iter()
        .map(|c| match c[col::WEIGHT] {
            Cell::Float(w) => w,
            _ => panic!("weight"),
        })
        .sum();
    assert!(
        (sum - r["tie_weight_sum"].as_f64().unwrap()).abs() < 1e-4,
        "{sum}"
    );
    let people: HashSet<String> = rows
        .iter()
        .flat_map(|c| [text(&c[col::ACTOR]), text(&c[col::RECIPIENT])])
        .collect();
    assert_eq!(people.len() as u64, r["people"].as_u64().unwrap());
    let dates: BTreeSet<i64> = rows
        .iter()
        .map(|c| match c[col::TIME] {
            Cell::TimeMs(t) => t,
            _ => panic!("time"),
        })
        .collect();
    let expected: BTreeSet<i64> = r["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| day_ms(d.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(dates, expected);
    for c in &rows {
        assert_eq!(text(&c[col::CHANNEL]), "collaboration");
        assert_eq!(text(&c[col::KIND]), "tie");
        assert_eq!(text(&c[col::ROLE]), "to");
    }
}

#[test]
fn python_package_p2p_matches_the_reference() {
    check_p2p("py_p2p");
}

#[test]
fn r_package_p2p_with_iso_dates_matches_the_reference() {
    check_p2p("r_p2p");
}

fn open_error(path: &Path) -> String {
    VivaSource::open(path, Directory::default(), ids())
        .err()
        .expect("refused")
        .to_string()
}

#[test]
fn group_and_meeting_queries_are_refused_in_one_line() {
    for (name, words) in [
        ("py_p2g", "person-to-group (p2g) query refused"),
        ("py_g2g", "group-to-group (g2g) query refused"),
        // mt_data.csv starts with a BOM: the header is still recognised.
        ("py_mt", "meeting (mt) query refused: one row per meeting"),
    ] {
        let err = open_error(&fixture(name));
        assert!(
            err.starts_with(&format!("{}:1: header: {words}", fixture(name).display())),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1);
    }
}

#[test]
fn bad_input_is_a_one_line_error() {
    let tmp = tempfile::tempdir().unwrap();
    let unknown = tmp.path().join("other.csv");
    std::fs::write(&unknown, "\u{feff}PersonId,Date,Emails\na,01/04/2023,3\n").unwrap();
    assert_eq!(
        open_error(&unknown),
        format!(
            "{}:1: header: not a Viva Insights query export (expected PrimaryCollaborator_PersonId and SecondaryCollaborator_PersonId, or MeetingId and Organizer); columns: PersonId, Date, Emails",
            unknown.display()
        )
    );
    let no_metric = tmp.path().join("p2p.csv");
    std::fs::write(
        &no_metric,
        "PrimaryCollaborator_PersonId,SecondaryCollaborator_PersonId,MetricDate,Diverse_tie_score\n",
    )
    .unwrap();
    assert!(open_error(&no_metric).contains(":1: header: Strong_tie_score: no metric column"));
    // Bad rows: rejected with line, field and reason; reading goes on.
    let bad = tmp.path().join("bad.csv");
    std::fs::write(
        &bad,
        "PrimaryCollaborator_PersonId,SecondaryCollaborator_PersonId,MetricDate,Strong_tie_score,Email_count\n\
         a,b,31/02/2023,0.5,1\n\
         a,b,01/03/2023,x,1\n\
         ,b,01/03/2023,0.5,1\n\
         a,b,2023-03-01,0.5,4\n",
    )
    .unwrap();
    let (rows, problems) = drain(&bad);
    let lines: Vec<String> = problems
        .iter()
        .map(|p| match p {
            Problem::Reject(e) | Problem::Skip(e) => format!("{}:{}:{}", e.line, e.field, e.reason),
        })
        .collect();
    assert_eq!(
        lines,
        [
            "2:MetricDate:bad_timestamp",
            "3:Strong_tie_score:bad_number",
            "4:PrimaryCollaborator_PersonId:missing_value"
        ]
    );
    // Two metric columns: a tie and an e-mail count, each its own weighted interaction.
    assert_eq!(rows.len(), 2);
    assert_eq!(text(&rows[1][col::CHANNEL]), "email");
    assert_eq!(rows[1][col::WEIGHT], Cell::Float(4.0));
    assert_ne!(rows[0][col::EVENT_ID], rows[1][col::EVENT_ID]);
}

#[test]
fn p2p_ingests_as_weighted_ties() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let mut store = SqliteStore::init(&ws).unwrap();
    let ids: connectors::Ids = ingest::keyed_ids(&SqliteStore::open(&ws).unwrap());
    let path = fixture("py_p2p");
    let source = VivaSource::open(&path, Directory::default(), ids).unwrap();
    let opts = IngestOptions {
        mapping: Default::default(),
        mapping_dir: None,
        format: None,
        strict: true,
    };
    let report =
        ingest::ingest_records(&mut store, &path, Box::new(source), &opts, &NoProgress).unwrap();
    let r = reference("py_p2p");
    assert_eq!(report.events, r["ties"].as_u64().unwrap());
    assert_eq!(report.people_added, r["people"].as_u64().unwrap());
    assert!(report.rejected.is_empty() && report.skipped.is_empty());
    assert_eq!(store.segments().unwrap().len(), 1);
}
