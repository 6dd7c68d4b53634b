//! The Slack connector at its boundary: the fixtures' exports in, records (and a workspace) out,
//! counts checked against an independent Python reference (tests/reference/slack_reference.py).

use connectors::chat::{REACTION_WEIGHT, SlackSource};
use connectors::{Directory, col};
use ingest::{Cell, IngestOptions, NoProgress, Problem, RecordSource};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use store::{SqliteStore, Store};

const SLACK: &str = "/work/shared/data/formats/slack";

fn fixture(name: &str) -> PathBuf {
    let rel = match name {
        "houstondatavis" => "houstondatavis-slack-export",
        "slackdump_dir" => "slackdump/source_export_dir",
        "slackdump_zip" => "slackdump/source_export.zip",
        "slackdump_export" => "slackdump/export",
        other => panic!("no fixture {other}"),
    };
    Path::new(SLACK).join(rel)
}

/// Ids that remember the key each id was made from.
fn recording_ids() -> (connectors::Ids, Rc<RefCell<HashMap<i64, String>>>) {
    let keys = Rc::new(RefCell::new(HashMap::new()));
    let k = keys.clone();
    let ids: connectors::Ids = Box::new(move |text: &str| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let id = (h.finish() & ((1 << 62) - 1)) as i64;
        k.borrow_mut().insert(id, text.to_string());
        id
    });
    (ids, keys)
}

struct Drained {
    rows: Vec<(u64, Vec<Cell>)>,
    problems: Vec<Problem>,
    keys: HashMap<i64, String>,
}

fn drain(path: &Path) -> Drained {
    let (ids, keys) = recording_ids();
    let mut source = SlackSource::open(path, Directory::default(), ids).unwrap();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut cells = Vec::new();
    loop {
        match source.next_record(&mut cells) {
            Ok(Some(position)) => rows.push((position, cells.clone())),
            Ok(None) => break,
            Err(p) => problems.push(p),
        }
    }
    assert_eq!(source.bytes_read(), source.total_bytes());
    let keys = keys.borrow().clone();
    Drained {
        rows,
        problems,
        keys,
    }
}

fn text(cell: &Cell) -> String {
    cell.text().map(|t| t.into_owned()).unwrap_or_default()
}

fn id(cell: &Cell) -> i64 {
    match cell {
        Cell::Int(v) => *v,
        other => panic!("not an id: {other:?}"),
    }
}

/// The connector's counts, in the reference's words.
fn counts(d: &Drained) -> BTreeMap<String, u64> {
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    let mut positions = std::collections::HashSet::new();
    let mut events: Vec<(i64, Vec<&Vec<Cell>>)> = Vec::new();
    for (position, cells) in &d.rows {
        let event = id(&cells[col::EVENT_ID]);
        match events.last_mut() {
            Some((e, rows)) if *e == event => rows.push(cells),
            _ => {
                assert!(
                    !events.iter().any(|(e, _)| *e == event),
                    "rows of one interaction are consecutive"
                );
                events.push((event, vec![cells]));
            }
        }
        if !d.keys[&event].contains(":reaction:") {
            positions.insert(*position);
        }
    }
    for (event, rows) in &events {
        let key = &d.keys[event];
        if key.contains(":reaction:") {
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0][col::WEIGHT], Cell::Float(REACTION_WEIGHT));
            *out.entry("reactions".into()).or_default() += 1;
            continue;
        }
        let kinds: Vec<String> = rows.iter().map(|r| text(&r[col::KIND])).collect();
        let roles: Vec<String> = rows.iter().map(|r| text(&r[col::ROLE])).collect();
        if kinds.iter().any(|k| k == "reply") {
            *out.entry("thread_replies".into()).or_default() += 1;
            assert!(rows.iter().all(|r| r[col::IN_REPLY_TO] != Cell::Null));
            assert!(rows.iter().all(|r| r[col::THREAD_ID] != Cell::Null));
        } else if roles.iter().any(|r| r == "cc") {
            *out.entry("broadcasts".into()).or_default() += 1;
            let total: f64 = rows
                .iter()
                .filter(|r| text(&r[col::ROLE]) == "cc")
                .map(|r| match r[col::WEIGHT] {
                    Cell::Float(w) => w,
                    _ => 0.0,
                })
                .sum();
            assert!((total - 1.0).abs() < 1e-9, "a broadcast weighs 1 in all");
        }
        if kinds.iter().all(|k| k != "reply") {
            let mentions = roles.iter().filter(|r| *r == "to").count() as u64;
            if mentions > 0 {
                *out.entry("mentions".into()).or_default() += mentions;
            }
        }
        if rows.iter().any(|r| r[col::THREAD_ID] == r[col::EVENT_ID]) {
            *out.entry("thread_parents".into()).or_default() += 1;
        }
    }
    for p in &d.problems {
        let (Problem::Skip(e) | Problem::Reject(e)) = p;
        *out.entry(format!("skipped_{}", e.reason)).or_default() += 1;
    }
    let messages = positions.len() as u64 + d.problems.len() as u64;
    if messages > 0 {
        out.insert("messages".into(), messages);
    }
    out
}

fn reference() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/slack_reference.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn check_against_reference(fixture_name: &str, reference_name: &str) {
    let d = drain(&fixture(fixture_name));
    let expected: BTreeMap<String, u64> =
        serde_json::from_value(reference()[reference_name]["counts"].clone()).unwrap();
    assert_eq!(counts(&d), expected, "{fixture_name}");
}

#[test]
fn houstondatavis_matches_the_reference() {
    check_against_reference("houstondatavis", "houstondatavis");
}

#[test]
fn slackdump_folder_matches_the_reference() {
    check_against_reference("slackdump_dir", "slackdump_dir");
}

#[test]
fn slackdump_zip_matches_the_reference_and_the_folder() {
    check_against_reference("slackdump_zip", "slackdump_dir");
    let (a, b) = (
        drain(&fixture("slackdump_dir")),
        drain(&fixture("slackdump_zip")),
    );
    assert_eq!(a.rows, b.rows);
    assert_eq!(a.problems.len(), b.problems.len());
}

#[test]
fn an_export_without_messages_opens_and_drains() {
    let d = drain(&fixture("slackdump_export"));
    assert!(d.rows.is_empty() && d.problems.is_empty());
    let r = reference();
    assert_eq!(r["slackdump_export"]["dms"], 8);
    assert_eq!(r["slackdump_export"]["mpims"], 2);
}

/// A copy of an export folder, to break.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn dms_and_group_dms_address_the_other_members() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("export");
    copy_dir(&fixture("slackdump_export"), &root);
    let dms: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("dms.json")).unwrap()).unwrap();
    let mpims: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("mpims.json")).unwrap()).unwrap();
    // A DM between two people (the first ones are with a bot and with Slackbot).
    let dm = &dms[6];
    let mpim = &mpims[0];
    let dm_folder = root.join(dm["id"].as_str().unwrap());
    let mpim_folder = root.join(mpim["name"].as_str().unwrap());
    std::fs::create_dir_all(&dm_folder).unwrap();
    std::fs::create_dir_all(&mpim_folder).unwrap();
    let sender = dm["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m.as_str())
        .find(|m| *m != "UGTRHT2SH")
        .unwrap();
    std::fs::write(
        dm_folder.join("2020-01-01.json"),
        format!(r#"[{{"type":"message","user":"{sender}","text":"zq","ts":"1577836800.000100"}}]"#),
    )
    .unwrap();
    let mpim_sender = mpim["members"][0].as_str().unwrap();
    std::fs::write(
        mpim_folder.join("2020-01-01.json"),
        format!(
            r#"[{{"type":"message","user":"{mpim_sender}","text":"zq","ts":"1577836800.000200"}}]"#
        ),
    )
    .unwrap();
    let d = drain(&root);
    let n_mpim = mpim["members"].as_array().unwrap().len();
    assert_eq!(d.rows.len(), 1 + (n_mpim - 1), "{:?}", d.problems);
    for (_, r) in &d.rows {
        assert_eq!(text(&r[col::ROLE]), "to");
        assert_eq!(text(&r[col::KIND]), "message");
        assert_eq!(r[col::WEIGHT], Cell::Float(1.0));
        assert_eq!(r[col::TIME], Cell::TimeMs(1_577_836_800_000));
    }
}

#[test]
fn bad_input_is_a_one_line_error() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("export");
    copy_dir(&fixture("slackdump_dir"), &root);
    // A broken day file: rejected with file, line and reason; reading goes on.
    let day = root.join("B75B4C7/2025-01-18.json");
    std::fs::write(&day, "[\n {\"type\": \"message\",\n  \"ts\": }\n]").unwrap();
    let d = drain(&root);
    let rejected: Vec<String> = d
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::Reject(e) => Some(format!(
                "{}:{}: {} {}",
                e.file.display(),
                e.line,
                e.reason,
                e.detail
            )),
            Problem::Skip(_) => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(
        rejected[0].contains("2025-01-18.json:3: bad_json"),
        "{}",
        rejected[0]
    );
    assert!(
        rejected[0].contains(":3:9: messages: expected value"),
        "{}",
        rejected[0]
    );
    assert!(!d.rows.is_empty());
    // A broken users.json: the export cannot be read.
    std::fs::write(root.join("users.json"), "[{\"id\": 7}]").unwrap();
    let err = SlackSource::open(&root, Directory::default(), recording_ids().0)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.ends_with("users.json:1:9: users: invalid type: integer `7`, expected a string"),
        "{err}"
    );
    // No users.json.
    std::fs::remove_file(root.join("users.json")).unwrap();
    let err = SlackSource::open(&root, Directory::default(), recording_ids().0)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("not a Slack export: no users.json"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

/// Distinctive words of the fixture's message texts (long, and in no metadata file).
fn text_words(root: &Path) -> Vec<String> {
    let mut metadata = String::new();
    for f in ["users.json", "channels.json"] {
        metadata.push_str(&std::fs::read_to_string(root.join(f)).unwrap());
    }
    let mut words = Vec::new();
    for e in std::fs::read_dir(root.join("B75B4C7")).unwrap() {
        let day: serde_json::Value =
            serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap();
        for m in day.as_array().unwrap() {
            for w in m["text"].as_str().unwrap_or("").split_whitespace() {
                if w.len() >= 7
                    && w.chars().all(|c| c.is_ascii_alphanumeric())
                    && !metadata.contains(w)
                    && !words.contains(&w.to_string())
                {
                    words.push(w.to_string());
                }
            }
        }
    }
    words
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The first of `words` found in the bytes of `files`, and where.
fn first_word_in(files: &[PathBuf], words: &[String]) -> Option<(String, PathBuf)> {
    for f in files {
        let bytes = std::fs::read(f).unwrap();
        for w in words {
            if bytes.windows(w.len()).any(|win| win == w.as_bytes()) {
                return Some((w.clone(), f.clone()));
            }
        }
    }
    None
}

fn ingest(
    export: &Path,
) -> (
    tempfile::TempDir,
    ingest::IngestReport,
    Vec<vocab::Interaction>,
) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let mut store = SqliteStore::init(&ws).unwrap();
    let ids: connectors::Ids = ingest::keyed_ids(&SqliteStore::open(&ws).unwrap());
    let source = SlackSource::open(export, Directory::default(), ids).unwrap();
    let opts = IngestOptions {
        mapping: Default::default(),
        mapping_dir: None,
        format: None,
        strict: false,
    };
    let report =
        ingest::ingest_records(&mut store, export, Box::new(source), &opts, &NoProgress).unwrap();
    let paths: Vec<PathBuf> = store
        .segments()
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect();
    let mut reader = store::EventReader::open(&paths).unwrap();
    let mut rows = Vec::new();
    while let Some(r) = reader.next_row().unwrap() {
        rows.push(r);
    }
    (tmp, report, rows)
}

#[test]
fn slackdump_ingests_with_threads_paired_and_no_text_stored() {
    let (tmp, report, rows) = ingest(&fixture("slackdump_dir"));
    let (tmp_zip, zip_report, zip_rows) = ingest(&fixture("slackdump_zip"));
    for r in [&report, &zip_report] {
        assert_eq!(r.skipped.get("bot"), Some(&1), "{:?}", r.skipped);
        assert_eq!(r.skipped.get("channel_event"), Some(&1));
        assert_eq!(r.skipped.get("deleted"), Some(&1));
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    }
    assert_eq!(report.events, zip_report.events);
    assert_eq!(report.rows_stored, zip_report.rows_stored);
    assert_eq!(rows.len(), zip_rows.len());
    // Every thread reply is stored paired with the message it answers, by its author.
    let replies: Vec<&vocab::Interaction> = rows
        .iter()
        .filter(|r| r.kind == vocab::Kind::Reply)
        .collect();
    assert_eq!(replies.len(), 4);
    for r in &replies {
        let answered = r.in_reply_to.expect("a reply is paired");
        let parent = rows.iter().find(|p| p.event_id == answered);
        if let Some(parent) = parent {
            assert_eq!(
                parent.actor, r.recipient,
                "a reply goes to the answered author"
            );
        }
        assert!(r.thread_id.is_some());
    }
    // Paired to a stored message, except the reply to the deleted (tombstone) parent.
    let paired = replies
        .iter()
        .filter(|r| rows.iter().any(|p| Some(p.event_id) == r.in_reply_to))
        .count();
    assert_eq!(paired, 3);
    // No message text anywhere in the workspace.
    let words = text_words(&fixture("slackdump_dir"));
    assert!(words.len() >= 5, "{words:?}");
    let mut files = Vec::new();
    files_under(tmp.path(), &mut files);
    files_under(tmp_zip.path(), &mut files);
    assert!(files.len() > 4, "{files:?}");
    assert_eq!(first_word_in(&files, &words), None);
    // The scan finds the words where they are (the fixture's own day files).
    let mut fixture_files = Vec::new();
    files_under(&fixture("slackdump_dir"), &mut fixture_files);
    assert!(first_word_in(&fixture_files, &words).is_some());
}

/// A small export with every rule in it, resolved against a people file.
#[test]
fn identities_mentions_reactions_and_threads_in_a_small_export() {
    use store::{PeopleTable, StoredPerson};
    use vocab::{Person, PersonIdx};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let write = |name: &str, body: &str| {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    write(
        "users.json",
        r#"[{"id":"UA","real_name":"Ann Quist","profile":{"email":"ANN@corp.com"}},
            {"id":"UB","real_name":"Bo Rell","profile":{}},
            {"id":"UC","real_name":"Cy","profile":{"email":"cy@vendor.org"}},
            {"id":"UD","real_name":"Dee","profile":{}},
            {"id":"UX","real_name":"Robot","is_bot":true,"profile":{}}]"#,
    );
    write(
        "channels.json",
        r#"[{"id":"C1","name":"gen","members":["UA","UB","UC","UD","UX"]}]"#,
    );
    write(
        "gen/2024-01-02.json",
        r#"[{"type":"message","user":"UA","ts":"1704153600.000100","thread_ts":"1704153600.000100",
             "text":"secretword <@UB> look","reactions":[{"name":"+1","users":["UB","UC","UA"]},{"name":"eyes","users":["UB"]}]},
            {"type":"message","user":"UB","ts":"1704153660.000200","thread_ts":"1704153600.000100","parent_user_id":"UA","text":"ok"},
            {"type":"message","user":"UA","ts":"1704153720.000300","thread_ts":"1704153600.000100","parent_user_id":"UA","text":"thanks"},
            {"type":"message","user":"UC","ts":"1704153780.000400","text":"hi"},
            {"type":"message","user":"UD","ts":"1704153840.000500","text":"hello"},
            {"type":"message","subtype":"bot_message","bot_id":"B1","ts":"1704153900.000600","text":"beep"},
            {"type":"message","subtype":"channel_join","user":"UD","ts":"1704153960.000700","text":"<@UD> has joined"}]"#,
    );
    let person = |i: u32, name: &str, email: &str| StoredPerson {
        idx: PersonIdx(i),
        pseudo: format!("p{i}"),
        person: Person {
            id: format!("E{i}"),
            name: Some(name.into()),
            emails: vec![email.into()],
            ..Default::default()
        },
        registered: true,
    };
    let people = PeopleTable::from_people(vec![
        person(0, "Ann Quist", "ann@corp.com"),
        person(1, "Bo Rell", "bo@corp.com"),
    ]);
    let (ids, keys) = recording_ids();
    let mut source = SlackSource::open(root, Directory::from_people(&people), ids).unwrap();
    let mut got = Vec::new();
    let mut cells = Vec::new();
    loop {
        match source.next_record(&mut cells) {
            Ok(Some(_)) => {
                let key = keys.borrow()[&id(&cells[col::EVENT_ID])].clone();
                let reply = match &cells[col::IN_REPLY_TO] {
                    Cell::Int(v) => keys.borrow()[v].clone(),
                    _ => String::new(),
                };
                got.push(format!(
                    "{key} {} -> {} {} {} {} {reply}",
                    text(&cells[col::ACTOR]),
                    text(&cells[col::RECIPIENT]),
                    text(&cells[col::ROLE]),
                    text(&cells[col::KIND]),
                    text(&cells[col::WEIGHT]),
                ));
            }
            Ok(None) => break,
            Err(Problem::Skip(e) | Problem::Reject(e)) => {
                got.push(format!("skip line {} {} {}", e.line, e.field, e.reason))
            }
        }
    }
    let expected = [
        // A mention is addressed `to`; the rest of the channel gets a broadcast (Cy is external).
        "slack:C1:1704153600.000100 ann@corp.com -> bo@corp.com to message 1 ",
        "slack:C1:1704153600.000100 ann@corp.com -> UD cc fyi 1 ",
        // One reaction per reacting person (two emoji of Bo's count once; Ann's own is left out).
        "slack:C1:1704153600.000100:reaction:bo@corp.com bo@corp.com -> ann@corp.com cc fyi 0.25 ",
        // A thread reply goes to the parent's author, paired with the parent.
        "slack:C1:1704153660.000200 bo@corp.com -> ann@corp.com to reply 1 slack:C1:1704153600.000100",
        // The parent's author answering in their own thread answers the latest other poster.
        "slack:C1:1704153720.000300 ann@corp.com -> bo@corp.com to reply 1 slack:C1:1704153660.000200",
        "skip line 4 user external_address",
        "slack:C1:1704153840.000500 UD -> ann@corp.com cc fyi 0.5 ",
        "slack:C1:1704153840.000500 UD -> bo@corp.com cc fyi 0.5 ",
        "skip line 6 user bot",
        "skip line 7 subtype channel_event",
    ];
    assert_eq!(got, expected, "{got:#?}");
    let unmatched: Vec<String> = source
        .directory()
        .unmatched()
        .into_iter()
        .map(|u| u.0)
        .collect();
    assert_eq!(unmatched, ["cy@vendor.org"]);
}
