//! Ingest tested at its boundary: files in, a workspace out, and every bad row explained.

mod idempotent;
mod integrity;

use ingest::{IngestError, IngestOptions, IngestReport, Mapping, NoProgress};
use std::path::{Path, PathBuf};
use store::{SqliteStore, Store};

struct Fixture {
    dir: tempfile::TempDir,
    store: SqliteStore,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::init(&dir.path().join("ws")).unwrap();
        Fixture { dir, store }
    }

    fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn opts(&self, mapping: &str, strict: bool) -> IngestOptions {
        let mapping: Mapping = if mapping.is_empty() {
            Mapping::default()
        } else {
            let path = self.file("map.toml", mapping.as_bytes());
            Mapping::load(&path).unwrap()
        };
        IngestOptions {
            mapping,
            mapping_dir: Some(self.dir.path().to_path_buf()),
            format: None,
            strict,
        }
    }

    fn people(
        &mut self,
        name: &str,
        content: &str,
        mapping: &str,
        strict: bool,
    ) -> Result<IngestReport, IngestError> {
        let path = self.file(name, content.as_bytes());
        let opts = self.opts(mapping, strict);
        ingest::ingest_people(&mut self.store, &path, &opts, &NoProgress)
    }

    fn events(
        &mut self,
        name: &str,
        content: &[u8],
        mapping: &str,
        strict: bool,
    ) -> Result<IngestReport, IngestError> {
        let path = self.file(name, content);
        let opts = self.opts(mapping, strict);
        ingest::ingest_events(&mut self.store, &path, &opts, &NoProgress)
    }

    fn survey(
        &mut self,
        name: &str,
        content: &str,
        mapping: &str,
    ) -> Result<IngestReport, IngestError> {
        let path = self.file(name, content.as_bytes());
        let opts = self.opts(mapping, false);
        ingest::ingest_survey(&mut self.store, &path, &opts, &NoProgress)
    }

    /// Everything the workspace holds, as text, including the files under it.
    fn snapshot(&self) -> String {
        let people = self.store.people().unwrap();
        let mut files: Vec<String> = walk(self.store.root());
        files.retain(|f| !f.contains("orgmirror.sqlite"));
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            people.people,
            self.store.segments().unwrap(),
            self.store.survey_answers().unwrap(),
            self.store.ingest_runs().unwrap(),
            files
        )
    }
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out.sort();
    out
}

const PEOPLE: &str = "id,name,email,manager,title,department,level\n\
ceo,Ann,ann@x.org,,CEO,Exec,1\n\
vp,Bo,bo@x.org,ceo,VP,Sales,2\n\
rep,Cy,cy@x.org,vp,Rep,Sales,3\n";

fn base() -> Fixture {
    let mut f = Fixture::new();
    f.people("people.csv", PEOPLE, "", false).unwrap();
    f
}

/// A failed run stores nothing, and its error message names file, line and field.
fn check_fails(
    f: &mut Fixture,
    result: Result<IngestReport, IngestError>,
    needles: &[&str],
    before: &str,
) {
    let message = match result {
        Ok(r) => panic!("expected a failure, got {}", r.summary()),
        Err(e) => e.to_string(),
    };
    assert!(!message.contains('\n'), "one line: {message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "`{message}` should mention `{needle}`"
        );
    }
    assert_eq!(
        f.snapshot(),
        before,
        "the store changed after a failed ingest"
    );
}

fn reasons(report: &IngestReport) -> String {
    let mut parts = Vec::new();
    for (label, map) in [
        ("rejected", &report.rejected),
        ("repaired", &report.repaired),
        ("skipped", &report.skipped),
    ] {
        for (k, v) in map {
            parts.push(format!("{label}:{k}={v}"));
        }
    }
    parts.join(" ")
}

#[test]
fn people_load_with_hierarchy_and_attributes() {
    let mut f = Fixture::new();
    let r = f
        .people(
            "people.csv",
            "id,manager,level,site\nceo,,1,Oslo\nvp,ceo,2,Rome\n",
            "[people]\nattributes = [\"site\"]\n",
            false,
        )
        .unwrap();
    assert_eq!((r.accepted, r.people_added), (2, 2));
    let people = f.store.people().unwrap();
    assert_eq!(people.people[1].person.manager.as_deref(), Some("ceo"));
    assert_eq!(
        people.people[1]
            .person
            .attributes
            .get("site")
            .map(String::as_str),
        Some("Rome")
    );
    // Pseudonyms, not ids, are what the analysis tables use.
    assert_ne!(people.people[0].pseudo, "ceo");
    // A second run updates people rather than duplicating them.
    let r = f
        .people("people2.csv", "id,manager,title\nvp,ceo,SVP\n", "", false)
        .unwrap();
    assert_eq!((r.people_added, r.people_updated), (0, 1));
    assert_eq!(
        f.store.people().unwrap().people[1].person.title.as_deref(),
        Some("SVP")
    );
}

#[test]
fn bad_people_rows_are_rejected_or_repaired_with_reasons() {
    let mut f = Fixture::new();
    let content = "id,manager,level,start\n\
a,,1,2020-01-01\n\
b,a,high,2020-01-01\n\
c,a,2,not a date\n\
a,,1,\n\
d,d,3,\n\
e,ghost,3,\n\
,a,3,\n";
    let r = f.people("people.csv", content, "", false).unwrap();
    assert_eq!(
        reasons(&r),
        "rejected:bad_date=1 rejected:bad_integer=1 rejected:duplicate_id=1 rejected:missing_value=1 repaired:self_managed=1 repaired:unknown_manager=1"
    );
    assert_eq!(r.accepted, 3);
    let listing = std::fs::read_to_string(r.rejects_file.unwrap()).unwrap();
    assert!(
        listing.contains("people.csv,3,level,bad_integer"),
        "{listing}"
    );
    assert!(
        listing.contains("people.csv,5,id,duplicate_id"),
        "{listing}"
    );
    assert!(listing.contains("already appeared on line 2"), "{listing}");
}

#[test]
fn a_management_cycle_fails_the_run_and_names_its_rows() {
    let mut f = base();
    let before = f.snapshot();
    let r = f.people("cycle.csv", "id,manager\nx,y\ny,z\nz,x\n", "", false);
    check_fails(
        &mut f,
        r,
        &[
            "cycle.csv",
            "cycle",
            "x (line 2)",
            "y (line 3)",
            "z (line 4)",
        ],
        &before,
    );
    // A cycle through people stored earlier is caught too.
    let r = f.people("cycle2.csv", "id,manager\nceo,rep\n", "", false);
    check_fails(
        &mut f,
        r,
        &["ceo (line 2)", "rep (stored earlier)"],
        &before,
    );
}

#[test]
fn strict_mode_stops_at_the_first_bad_row_and_stores_nothing() {
    let mut f = base();
    let before = f.snapshot();
    let r = f.people("p.csv", "id,level\nnew1,1\nnew2,x\n", "", true);
    check_fails(&mut f, r, &["p.csv:3", "field `level`", "strict"], &before);
    let r = f.events(
        "e.csv",
        b"actor,recipient,time\nceo,vp,2024-01-02T10:00:00Z\nvp,ceo,yesterday\n",
        "",
        true,
    );
    check_fails(
        &mut f,
        r,
        &["e.csv:3", "field `time`", "not a timestamp"],
        &before,
    );
}

#[test]
fn file_level_problems_are_one_line_errors_and_store_nothing() {
    let mut f = base();
    let before = f.snapshot();
    let r = f.events("empty.csv", b"", "", false);
    check_fails(&mut f, r, &["empty.csv", "empty"], &before);
    let r = f.events("header_only.csv", b"actor,recipient\n", "", false);
    check_fails(
        &mut f,
        r,
        &["header_only.csv", "no row could be used"],
        &before,
    );
    let r = f.events("nocol.csv", b"sender,to\nceo,vp\n", "", false);
    check_fails(
        &mut f,
        r,
        &["nocol.csv:1", "field `actor`", "sender, to"],
        &before,
    );
    let r = f.events(
        "mapped.csv",
        b"from,to\nceo,vp\n",
        "[events]\nactor = \"from\"\nrecipient = \"dest\"\n",
        false,
    );
    check_fails(
        &mut f,
        r,
        &["mapped.csv:1", "field `recipient`", "column `dest`"],
        &before,
    );
    let r = f.events(
        "all_bad.csv",
        b"actor,recipient,time\nceo,vp,nope\nvp,rep,never\n",
        "",
        false,
    );
    check_fails(&mut f, r, &["all_bad.csv", "nothing was stored"], &before);
    let r = f.events("data.xyz", b"actor,recipient\nceo,vp\n", "", false);
    check_fails(&mut f, r, &["data.xyz", "--format"], &before);
    let r = f.people("bad.parquet", "this is not parquet", "", false);
    check_fails(&mut f, r, &["bad.parquet", "Parquet"], &before);
}

#[test]
fn bad_event_rows_of_every_kind_are_explained() {
    let mut f = base();
    let mut content = b"actor,recipient,time,kind,role,duration_s,weight\n".to_vec();
    content.extend_from_slice(b"ceo,vp,2024-01-02T10:00:00Z,request,to,,\n"); // 2 fine
    content.extend_from_slice(b"ceo,vp,2024-01-02 11:00:00,request,to,,\n"); // 3 repaired: no zone
    content.extend_from_slice(b"ceo,vp,2024-13-02T10:00:00Z,request,to,,\n"); // 4 bad timestamp
    content.extend_from_slice(b"ceo,vp,2024-01-02T12:00:00Z,gossip,to,,\n"); // 5 unknown kind
    content.extend_from_slice(b"ceo,vp,2024-01-02T13:00:00Z,fyi,reader,,\n"); // 6 unknown role
    content.extend_from_slice(b"ceo,vp,2024-01-02T14:00:00Z,fyi,to,-5,\n"); // 7 bad duration
    content.extend_from_slice(b"ceo,vp,2024-01-02T15:00:00Z,fyi,to,,heavy\n"); // 8 bad weight
    content.extend_from_slice(b",vp,2024-01-02T16:00:00Z,fyi,to,,\n"); // 9 no actor
    content.extend_from_slice(b"ceo,ceo,2024-01-02T17:00:00Z,fyi,to,,\n"); // 10 self-loop
    content.extend_from_slice(b"ceo,\xff\xfe,2024-01-02T18:00:00Z,fyi,to,,\n"); // 11 invalid UTF-8
    content.extend_from_slice(b"ceo,vp,1971-01-01T00:00:00Z,fyi,to,,\n"); // 12 out of range (with mapping)
    content.extend_from_slice(b"ceo,vp,2024-01-02T19:00:00Z,fyi,to,,\n"); // 13 and 14: same message, vp twice
    content.extend_from_slice(b"ceo,vp,2024-01-02T19:00:00Z,fyi,bcc,,\n");
    content.extend_from_slice(b"ghost,vp,2024-01-02T20:00:00Z,fyi,to,,\n"); // 15 unknown person (rejected by mapping)
    content.extend_from_slice(
        format!("ceo,vp,2024-01-02T21:00:00Z,fyi,to,,{}\n", "9".repeat(2000)).as_bytes(),
    ); // 16 too long
    let mapping = "[source]\nmax_line_bytes = 1000\n[events]\nvalid_from = \"2000-01-01\"\nunknown_people = \"reject\"\n";
    let r = f.events("events.csv", &content, mapping, false).unwrap();
    assert_eq!(
        reasons(&r),
        "rejected:bad_number=2 rejected:bad_timestamp=1 rejected:invalid_utf8=1 rejected:line_too_long=1 rejected:missing_value=1 \
         rejected:unknown_person=1 rejected:unknown_value=2 repaired:timestamp_without_zone=1 \
         skipped:duplicate_recipient=1 skipped:self_loop=1 skipped:timestamp_out_of_range=1"
    );
    assert_eq!((r.rows_read, r.rows_stored, r.events), (15, 3, 3));
    let listing = std::fs::read_to_string(r.rejects_file.as_ref().unwrap()).unwrap();
    for needle in [
        "events.csv,4,time,bad_timestamp",
        "events.csv,5,kind,unknown_value",
        "events.csv,6,role,unknown_value",
        "events.csv,7,duration_s,bad_number",
        "events.csv,8,weight,bad_number",
        "events.csv,9,actor,missing_value",
        "events.csv,10,recipient,self_loop",
        "events.csv,11,1,invalid_utf8",
        "events.csv,12,time,timestamp_out_of_range",
        "events.csv,14,recipient,duplicate_recipient",
        "events.csv,15,actor,unknown_person",
        "events.csv,16,,line_too_long",
    ] {
        assert!(
            listing.contains(needle),
            "listing lacks {needle}:\n{listing}"
        );
    }
}

#[test]
fn unknown_people_are_added_unregistered_by_default() {
    let mut f = base();
    let r = f
        .events(
            "e.csv",
            b"actor,recipient,time\nceo,stranger@y.org,2024-01-02T10:00:00Z\n",
            "",
            false,
        )
        .unwrap();
    assert_eq!(r.people_added, 1);
    assert_eq!(r.people_without_interactions, 2, "vp and rep wrote nothing");
    let people = f.store.people().unwrap();
    let stranger = people.people.last().unwrap();
    assert!(!stranger.registered);
    assert_eq!(people.lookup("Stranger@Y.org"), Some(stranger.idx));
    // Emails resolve to people from the people file.
    let r = f
        .events(
            "e2.csv",
            b"actor,recipient,time\nANN@x.org,cy@x.org,2024-01-03T10:00:00Z\n",
            "",
            false,
        )
        .unwrap();
    assert_eq!(r.people_added, 0);
}

#[test]
fn json_lines_with_recipient_lists_and_bad_lines() {
    let mut f = base();
    let content = br#"{"event_id": "m1", "time": "2024-01-02T10:00:00+01:00", "actor": "ceo", "recipients": ["vp", {"id": "rep", "role": "cc"}], "kind": "request", "subject": "never stored"}
not json at all
[1, 2]
{"event_id": "m2", "time": 1704193200, "actor": "vp", "recipient": "ceo", "kind": "reply", "in_reply_to": "m1"}
"#;
    let r = f.events("e.jsonl", content, "", false).unwrap();
    assert_eq!(reasons(&r), "rejected:bad_json=2");
    assert_eq!((r.events, r.rows_stored), (2, 3));
    assert_eq!(r.people_without_interactions, 0);
    // No content reaches the workspace: not in the database, not in any file.
    for file in walk(f.store.root()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(12).any(|w| w == b"never stored"),
            "{file} holds a subject"
        );
    }
    let segments = f.store.segments().unwrap();
    let mut reader = store::EventReader::open(&[segments[0].path.clone()]).unwrap();
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row().unwrap() {
        rows.push(row);
    }
    assert_eq!(rows[0].time_ms, Some(1_704_186_000_000));
    assert_eq!(rows[1].role, vocab::Role::Cc);
    // The reply names the request it answers by the same stable id.
    assert_eq!(rows[2].in_reply_to, Some(rows[0].event_id));
}

#[test]
fn whitespace_edge_lists_and_survey_answers() {
    let mut f = base();
    let r = f
        .events(
            "edges.txt",
            b"# comment\nceo vp\nvp   rep\nrep rep\n",
            "[source]\nheader = false\n[events]\nactor = \"0\"\nrecipient = \"1\"\n",
            false,
        )
        .unwrap();
    assert_eq!(
        (r.rows_stored, reasons(&r).as_str()),
        (2, "skipped:self_loop=1")
    );
    let r = f
        .survey("s.csv", "who,whom\nvp,ceo\nvp,ceo\nrep,rep\nrep,vp\n", "[survey]\nrespondent = \"who\"\ncolleague = \"whom\"\nquestion = { value = \"Cannot decline\" }\n")
        .unwrap();
    assert_eq!(
        (r.answers, reasons(&r).as_str()),
        (2, "skipped:duplicate_answer=1 skipped:self_nomination=1")
    );
    assert_eq!(
        f.store.survey_answers().unwrap()[0].question,
        vocab::Question::CannotDecline
    );
}

#[test]
fn a_bad_mapping_is_a_clear_error() {
    let f = Fixture::new();
    let path = f.file("m.toml", b"[events]\nactr = \"x\"\n");
    let e = Mapping::load(&path).unwrap_err().to_string();
    assert!(e.contains("m.toml") && e.contains("actr"), "{e}");
}

#[test]
fn joins_fill_fields_from_other_files() {
    let mut f = Fixture::new();
    f.file("reports_to.csv", b"sub,boss\n2,1\n3,2\n");
    let mapping = "[people]\nid = \"vid\"\n[[people.join]]\nfile = \"reports_to.csv\"\nkey = \"sub\"\ncolumns = { manager = \"boss\" }\n";
    f.people("p.csv", "vid,age\n1,50\n2,40\n3,30\n", mapping, false)
        .unwrap();
    let chart = f.store.people().unwrap().org_chart().unwrap();
    assert_eq!(chart.depth(2), 2);
}
