//! The policy as viewers meet it, through the application's sessions on a real survey
//! (Krackhardt's high-tech managers, ../shared/data).

use app::analyze::AnalyzeRequest;
use app::export::{ExportRequest, Format};
use app::ingest::{IngestRequest, Kind};
use app::{Refused, Role, Session, Silent};
use std::path::{Path, PathBuf};
use store::Store;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data() -> PathBuf {
    repo().join("../shared/data")
}

/// Krackhardt's people and advice answers, analyzed, in a workspace made by `owner`.
fn krackhardt(dir: &Path) -> PathBuf {
    let w = dir.join("ws");
    let mut s = Session::init(&w, "owner", 5).unwrap();
    for (kind, file, map) in [
        (
            Kind::People,
            "krackhardt/people.csv",
            "krackhardt-people.toml",
        ),
        (
            Kind::Survey,
            "krackhardt/advice.csv",
            "krackhardt-advice.toml",
        ),
    ] {
        let req = IngestRequest {
            mapping: Some(repo().join("examples").join(map)),
            ..Default::default()
        };
        s.ingest(kind, &data().join(file), &req, &Silent).unwrap();
    }
    s.analyze(&AnalyzeRequest::default(), &Silent).unwrap();
    w
}

fn export(table: &str, pseudonymize: bool) -> ExportRequest {
    ExportRequest {
        table: table.into(),
        format: Format::Csv,
        window: Some("all".into()),
        pseudonymize,
        min_group: None,
        layer: "contact".into(),
    }
}

fn refused(e: anyhow::Error) -> String {
    assert!(
        e.downcast_ref::<Refused>().is_some(),
        "not a refusal: {e:#}"
    );
    e.to_string()
}

fn log(w: &Path) -> Vec<(String, String, String, String)> {
    store::SqliteStore::open(w).unwrap().access_log().unwrap()
}

#[test]
fn viewers_see_what_their_role_allows_and_every_look_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let w = krackhardt(dir.path());
    let out = dir.path().join("people.csv");
    // A viewer with no grant is an analyst: pseudonyms only.
    let mut guest = Session::open(&w, "guest").unwrap();
    let e = guest.export(&export("people", false), &out).unwrap_err();
    assert!(refused(e).contains("guest sees people by pseudonym only"));
    assert!(!out.exists(), "nothing written on a refusal");
    guest.export(&export("people", true), &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let pseudonym = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .to_string();
    assert!(pseudonym.starts_with('p'), "{pseudonym}");
    assert!(
        guest.person_mirror("1", "all").is_err(),
        "ids are not the guest's to use"
    );
    let m = guest.person_mirror(&pseudonym, "all").unwrap();
    assert_eq!(m.name, pseudonym);
    // Guests cannot grant, ingest or analyze; the refusals are logged.
    assert!(refused(guest.grant("guest", Role::Identified).unwrap_err()).contains("may not"));
    let one_row = dir.path().join("one.csv");
    std::fs::write(&one_row, "id,department\n1,Tagged\n").unwrap();
    let e = guest
        .ingest(Kind::People, &one_row, &IngestRequest::default(), &Silent)
        .unwrap_err();
    refused(e);
    refused(
        guest
            .analyze(&AnalyzeRequest::default(), &Silent)
            .err()
            .unwrap(),
    );
    // The owner grants; ids are then the guest's to see.
    let mut owner = Session::open(&w, "owner").unwrap();
    owner.grant("guest", Role::Identified).unwrap();
    let mut guest = Session::open(&w, "guest").unwrap();
    guest.export(&export("people", false), &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().nth(1).unwrap().split(',').nth(1), Some("1"));
    // A member sees their own mirror and nobody else's, nor the org.
    let other = owner
        .store()
        .people()
        .unwrap()
        .people
        .iter()
        .map(|p| p.pseudo.clone())
        .find(|p| *p != pseudonym)
        .unwrap();
    owner
        .grant("member", Role::Member(pseudonym.clone()))
        .unwrap();
    let mut member = Session::open(&w, "member").unwrap();
    member.person_mirror(&pseudonym, "all").unwrap();
    refused(member.person_mirror(&other, "all").unwrap_err());
    refused(member.findings("all", 10).unwrap_err());
    refused(member.export(&export("people", true), &out).unwrap_err());
    let log = log(&w);
    let has = |who: &str, action: &str| log.iter().any(|e| e.1 == who && e.2 == action);
    assert!(
        log.iter()
            .any(|e| e.1 == "owner" && e.2 == "grant" && e.3 == "guest: identified")
    );
    assert!(has("guest", "show person"));
    assert!(has("guest", "refused: export with ids"));
    assert!(has("guest", "refused: grant roles"));
    assert!(has("guest", "refused: ingest"));
    assert!(has("member", "refused: show person"));
    assert!(!has("member", "export"));
}

#[test]
fn the_minimum_group_size_is_the_workspaces_and_only_rises() {
    let dir = tempfile::tempdir().unwrap();
    let w = krackhardt(dir.path());
    let out = dir.path().join("leaders.csv");
    let mut guest = Session::open(&w, "guest").unwrap();
    // Nobody lowers it for a view, and only an admin raises it for the workspace.
    let mut low = export("leaders", true);
    low.min_group = Some(1);
    assert!(refused(guest.export(&low, &out).unwrap_err()).contains("minimum group size is 5"));
    let mut req = app::reports::ReportRequest::new(dir.path().join("r"));
    req.min_group = Some(1);
    refused(guest.report(&req).unwrap_err());
    refused(guest.raise_min_group(50).unwrap_err());
    let mut owner = Session::open(&w, "owner").unwrap();
    refused(owner.raise_min_group(3).unwrap_err());
    owner.raise_min_group(8).unwrap();
    assert_eq!(Session::open(&w, "guest").unwrap().policy().min_group, 8);
    // At the workspace's minimum, leaders of small teams show no style or measures.
    let mut guest = Session::open(&w, "guest").unwrap();
    guest.export(&export("leaders", true), &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let mut small = 0;
    for line in lines {
        let row: Vec<&str> = line.split(',').collect();
        if row[col("team_size")].parse::<usize>().unwrap() < 8 {
            small += 1;
            assert_eq!(row[col("style")], "", "{line}");
            assert_eq!(row[col("autonomy")], "", "{line}");
        }
    }
    assert!(small > 0, "Krackhardt has teams under 8");
    // A new workspace may start higher, never under 2.
    assert!(Session::init(&dir.path().join("w2"), "o", 1).is_err());
    assert_eq!(
        Session::init(&dir.path().join("w3"), "o", 10)
            .unwrap()
            .policy()
            .min_group,
        10
    );
}

#[test]
fn a_read_that_cannot_be_logged_shows_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let w = krackhardt(dir.path());
    let mut s = Session::open(&w, "owner").unwrap();
    let pseudonym = s.store().people().unwrap().people[0].pseudo.clone();
    // Break the access log behind the session's back.
    break_access_log(&w);
    let out = dir.path().join("people.csv");
    let e = s.export(&export("people", true), &out).unwrap_err();
    assert!(format!("{e:#}").contains("access log"), "{e:#}");
    assert!(!out.exists(), "nothing written when the log cannot be");
    assert!(s.person_mirror(&pseudonym, "all").is_err());
}

/// Makes the access log unwritable: a trigger that aborts every insert into it.
fn break_access_log(w: &Path) {
    rusqlite::Connection::open(w.join("orgmirror.sqlite"))
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER no_log BEFORE INSERT ON access_log BEGIN SELECT RAISE(ABORT, 'log full'); END;",
        )
        .unwrap();
}

#[test]
fn aggregating_again_leaves_the_analysis_readable() {
    let dir = tempfile::tempdir().unwrap();
    let gen_dir = dir.path().join("input");
    let cfg = synth::GenerateConfig::new(60, 10, 3);
    app::ingest::generate(&cfg, &gen_dir, &Silent).unwrap();
    let w = dir.path().join("ws");
    let mut s = Session::init(&w, "owner", 5).unwrap();
    s.ingest_generated(&gen_dir, &Silent).unwrap();
    s.analyze(&AnalyzeRequest::default(), &Silent).unwrap();
    let fourth = s.store().people().unwrap().people[3].clone();
    let pseudonym = fourth.pseudo.clone();
    let before = s.person_mirror(&pseudonym, "all").unwrap();
    // An address without its domain finds the person (Enron's addresses have none).
    let local = fourth.person.emails[0]
        .split('@')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        s.person_mirror(&local, "all").unwrap().person,
        before.person
    );
    assert_eq!(before.name, fourth.person.name.clone().unwrap());
    s.aggregate(&Default::default(), &Silent).unwrap();
    let after = s.person_mirror(&pseudonym, "all").unwrap();
    assert_eq!(before.sections, after.sections);
    s.report(&app::reports::ReportRequest::new(dir.path().join("r")))
        .unwrap();
    let out = dir.path().join("people.json");
    let mut req = export("people", true);
    req.format = Format::Json;
    s.export(&req, &out).unwrap();
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let first = rows[0].as_object().unwrap();
    assert!(
        first.contains_key("informal_pct"),
        "the analysis' people table"
    );
    assert!(
        !first.contains_key("title"),
        "no titles in a pseudonymous export"
    );
}

/// `n` of each directed pair in window `all`, by the people file's ids.
fn pair_counts(s: &mut Session, dir: &Path) -> Vec<(String, String, String)> {
    let out = dir.join("pairs.csv");
    s.export(&export("pairs", false), &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let mut rows: Vec<(String, String, String)> = lines
        .map(|l| {
            let r: Vec<&str> = l.split(',').collect();
            (r[col("a")].into(), r[col("b")].into(), r[col("n")].into())
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn overlapping_exports_count_once_a_file_twice_is_skipped_and_runs_come_out() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("ws");
    let mut s = Session::init(&w, "owner", 5).unwrap();
    let first = dir.path().join("first.csv");
    let second = dir.path().join("second.csv");
    std::fs::write(
        &first,
        "actor,recipient,time\nann,bob,2024-01-02T10:00:00Z\nbob,ann,2024-01-02T11:00:00Z\nann,cy,2024-01-03T09:00:00Z\n",
    )
    .unwrap();
    // The second export overlaps the first by two messages and adds one.
    std::fs::write(
        &second,
        "actor,recipient,time\nbob,ann,2024-01-02T11:00:00Z\nann,cy,2024-01-03T09:00:00Z\nann,bob,2024-01-04T10:00:00Z\n",
    )
    .unwrap();
    let req = IngestRequest::default();
    s.ingest(Kind::Events, &first, &req, &Silent).unwrap();
    s.ingest(Kind::Events, &second, &req, &Silent).unwrap();
    let again = s.ingest(Kind::Events, &first, &req, &Silent).unwrap_err();
    assert_eq!(app::ingest::already_ingested(&again).map(|a| a.0), Some(1));
    let windows = app::ingest::AggregateRequest {
        windows: vec!["all".into()],
        ..Default::default()
    };
    s.aggregate(&windows, &Silent).unwrap();
    let n = |a: &str, b: &str, rows: &[(String, String, String)]| {
        rows.iter()
            .find(|r| r.0 == a && r.1 == b)
            .map(|r| r.2.clone())
    };
    let rows = pair_counts(&mut s, dir.path());
    assert_eq!(n("ann", "bob", &rows).as_deref(), Some("2"), "{rows:?}");
    assert_eq!(n("bob", "ann", &rows).as_deref(), Some("1"), "{rows:?}");
    assert_eq!(n("ann", "cy", &rows).as_deref(), Some("1"), "{rows:?}");
    // The second run comes out cleanly; what only it held goes with it, and the analysis says
    // it is out of date until the next one.
    let all = AnalyzeRequest {
        windows: vec!["all".into()],
        ..Default::default()
    };
    s.analyze(&all, &Silent).unwrap();
    assert!(!s.status().unwrap().stale);
    assert_eq!(s.runs().unwrap().len(), 2);
    let removed = s.remove_run(2).unwrap();
    assert_eq!(removed.kind, "events");
    assert!(s.status().unwrap().stale);
    s.analyze(&all, &Silent).unwrap();
    assert!(!s.status().unwrap().stale);
    let rows = pair_counts(&mut s, dir.path());
    assert_eq!(n("ann", "bob", &rows).as_deref(), Some("1"), "{rows:?}");
    assert_eq!(s.runs().unwrap().len(), 1);
    // Only an admin removes runs; a second writer is refused while one holds the workspace.
    let mut guest = Session::open(&w, "guest").unwrap();
    refused(guest.remove_run(1).unwrap_err());
    let _held = s.store().lock("a test").unwrap();
    let mut again = Session::open(&w, "owner").unwrap();
    let busy = again.aggregate(&windows, &Silent).unwrap_err();
    assert!(format!("{busy:#}").contains("workspace busy"), "{busy:#}");
}

#[test]
fn identities_are_sealed_under_a_key_that_can_live_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("ws");
    let key = dir.path().join("held-by-the-customer.key");
    let mut s = Session::init_with(&w, "owner", 5, Some(&key)).unwrap();
    let people = dir.path().join("people.csv");
    std::fs::write(
        &people,
        "id,name,email,manager,salary\nE1,Ann Quist,ann.quist@example.com,,99000\nE2,Bo Rell,bo.rell@example.com,E1,50000\n",
    )
    .unwrap();
    let report = s
        .ingest(Kind::People, &people, &IngestRequest::default(), &Silent)
        .unwrap();
    assert_eq!(report.dropped_columns, vec!["salary".to_string()]);
    drop(s);
    // Nothing in the workspace's files names anyone or holds the salary.
    for entry in walk(&w) {
        let bytes = std::fs::read(&entry).unwrap();
        for needle in ["Ann Quist", "ann.quist", "E2,", "99000", "Bo Rell"] {
            assert!(
                !bytes.windows(needle.len()).any(|x| x == needle.as_bytes()),
                "{needle} in {}",
                entry.display()
            );
        }
    }
    // With the key: names. Without it: pseudonyms only, even for the admin, and no people in.
    let s = Session::open_with(&w, "owner", Some(&key)).unwrap();
    let all = s.store().people().unwrap();
    assert_eq!(all.people[0].person.name.as_deref(), Some("Ann Quist"));
    assert_eq!(all.people[1].person.manager.as_deref(), Some("E1"));
    drop(s);
    let mut s = Session::open(&w, "owner").unwrap();
    assert!(!s.policy().identities());
    let p = s.store().people().unwrap();
    assert_eq!(p.people[0].person.name, None);
    assert_eq!(p.people[0].person.id, p.people[0].pseudo);
    let more = dir.path().join("more.csv");
    std::fs::write(&more, "id,name\nE3,Cy Dahl\n").unwrap();
    let e = s
        .ingest(Kind::People, &more, &IngestRequest::default(), &Silent)
        .unwrap_err();
    assert!(format!("{e:#}").contains("identity key"), "{e:#}");
    // Another key is not this workspace's.
    let other = dir.path().join("other.key");
    Session::init_with(&dir.path().join("w2"), "o", 5, Some(&other)).unwrap();
    let e = Session::open_with(&w, "owner", Some(&other)).err().unwrap();
    assert!(
        format!("{e:#}").contains("not this workspace's identity key"),
        "{e:#}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// One column of a stored result table, as text.
fn stored_text(s: &Session, table: &str, column: &str) -> Vec<String> {
    let path = s.store().table_path(table).unwrap().unwrap();
    let cols = store::table::read_table(&path).unwrap();
    let (_, data) = cols.into_iter().find(|c| c.0 == column).unwrap();
    match data {
        store::table::ColumnData::Str(v) => v,
        store::table::ColumnData::OptStr(v) => {
            v.into_iter().map(Option::unwrap_or_default).collect()
        }
        store::table::ColumnData::Dict { values, codes } => {
            codes.iter().map(|&c| values[c as usize].clone()).collect()
        }
        other => panic!("{column}: {other:?}"),
    }
}

#[test]
fn evidence_is_the_same_for_the_same_input_in_any_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    app::ingest::generate(&synth::GenerateConfig::new(120, 20, 5), &input, &Silent).unwrap();
    let mut evidence = Vec::new();
    for name in ["one", "two"] {
        let mut s = Session::init(&dir.path().join(name), "owner", 5).unwrap();
        s.ingest_generated(&input, &Silent).unwrap();
        let a = s
            .analyze(
                &AnalyzeRequest {
                    windows: vec!["all".into(), "2031-01".into()],
                    ..Default::default()
                },
                &Silent,
            )
            .unwrap();
        // A window asked for but empty is said, not dropped silently.
        assert_eq!(a.empty_windows, vec!["2031-01".to_string()]);
        let mirrors = stored_text(&s, "mirrors", "evidence");
        let findings = stored_text(&s, "findings", "evidence");
        let pseudonyms: Vec<String> = s
            .store()
            .people()
            .unwrap()
            .people
            .iter()
            .map(|p| p.pseudo.clone())
            .collect();
        assert!(
            mirrors.iter().any(|e| e.contains("{person:")),
            "people referenced"
        );
        for e in mirrors.iter().chain(&findings) {
            assert!(
                !pseudonyms.iter().any(|p| e.contains(p.as_str())),
                "a workspace's pseudonym in stored evidence: {e}"
            );
        }
        // Exports and views name the people in it for their viewer.
        let out = dir.path().join(format!("{name}.csv"));
        s.export(&export("mirrors", true), &out).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(!text.contains("{person:"));
        assert!(pseudonyms.iter().any(|p| text.contains(p.as_str())));
        evidence.push((mirrors, findings));
    }
    assert_eq!(evidence[0], evidence[1]);
}

#[test]
fn a_leader_sees_their_own_team_only_and_only_when_it_is_big_enough() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    app::ingest::generate(&synth::GenerateConfig::new(150, 20, 9), &input, &Silent).unwrap();
    let w = dir.path().join("ws");
    let mut owner = Session::init(&w, "owner", 5).unwrap();
    owner.ingest_generated(&input, &Silent).unwrap();
    owner.analyze(&AnalyzeRequest::default(), &Silent).unwrap();
    // Leaders of a big team and of a small one, from the leaders table.
    let path = owner.store().table_path("leaders").unwrap().unwrap();
    let cols = store::table::read_table(&path).unwrap();
    let col = |n: &str| cols.iter().find(|c| c.0 == n).unwrap().1.clone();
    let (store::table::ColumnData::I32(leaders), store::table::ColumnData::I32(sizes)) =
        (col("leader"), col("team_size"))
    else {
        panic!("leader and team_size are I32");
    };
    let windows = match col("window") {
        store::table::ColumnData::Str(v) => v,
        store::table::ColumnData::Dict { values, codes } => {
            codes.iter().map(|&c| values[c as usize].clone()).collect()
        }
        other => panic!("{other:?}"),
    };
    let pick = |big: bool| {
        (0..leaders.len())
            .find(|&i| windows[i] == "all" && (sizes[i] >= 5) == big)
            .map(|i| leaders[i] as usize)
            .unwrap()
    };
    let people = owner.store().people().unwrap();
    let big = people.people[pick(true)].pseudo.clone();
    let small = people.people[pick(false)].pseudo.clone();
    // An analyst sees a big team's figures, never a small team's.
    let mut analyst = Session::open(&w, "analyst").unwrap();
    let t = analyst.team_view(&big, "all").unwrap();
    assert!(t.team_size >= 5 && !t.style.is_empty());
    assert!(refused(analyst.team_view(&small, "all").unwrap_err()).contains("fewer than 5"));
    // The leader sees their own team and own mirror, nobody else's, and not the org.
    owner.grant("lead", Role::Leader(big.clone())).unwrap();
    let mut lead = Session::open(&w, "lead").unwrap();
    lead.team_view(&big, "all").unwrap();
    lead.person_mirror(&big, "all").unwrap();
    refused(lead.team_view(&small, "all").unwrap_err());
    refused(lead.person_mirror(&small, "all").unwrap_err());
    refused(lead.findings("all", 5).unwrap_err());
    let log = log(&w);
    assert!(
        log.iter()
            .any(|e| e.1 == "lead" && e.2 == "team view" && e.3 == big)
    );
    assert!(
        log.iter()
            .any(|e| e.1 == "analyst" && e.2 == "refused: team view" && e.3 == small)
    );
}

#[test]
fn a_mail_archive_goes_in_headers_only_with_people_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("ws");
    let mut s = Session::init(&w, "owner", 5).unwrap();
    let people = dir.path().join("people.csv");
    std::fs::write(
        &people,
        "id,name,email,manager\nA,Ann Quist,ann@corp.com,\nB,Bo Rell,bo@corp.com,A\nC,Cy Dahl,cy@corp.com,A\n",
    )
    .unwrap();
    s.ingest(Kind::People, &people, &IngestRequest::default(), &Silent)
        .unwrap();
    let md = dir.path().join("mail");
    std::fs::create_dir_all(md.join("cur")).unwrap();
    std::fs::create_dir_all(md.join(".Sent/cur")).unwrap();
    let msg = |name: &str, text: &str| std::fs::write(md.join(name), text).unwrap();
    msg(
        "cur/1:2,S",
        "From: Ann Quist <Ann@Corp.com>\r\nTo: bo@corp.com, someone@vendor.org\r\nCc: cy@corp.com\r\n\
Subject: Quarterly secret plans\r\nDate: Mon, 2 Mar 2020 09:00:00 +0000\r\nMessage-ID: <m1@corp.com>\r\n\r\n\
PLAINTEXT-BODY of the message\r\n",
    );
    msg(
        ".Sent/cur/2:2,S",
        "From: bo@corp.com\r\nTo: ann@corp.com\r\nSubject: Re: Quarterly secret plans\r\n\
Date: Mon, 2 Mar 2020 10:30:00 +0000\r\nMessage-ID: <m2@corp.com>\r\nIn-Reply-To: <m1@corp.com>\r\n\
References: <m1@corp.com>\r\n\r\nPLAINTEXT-BODY again\r\n",
    );
    msg(
        "cur/3:2,S",
        "From: cy@corp.com\r\nTo: all-staff@corp.com, ann@corp.com\r\nList-Id: <staff.corp.com>\r\n\
Date: Mon, 2 Mar 2020 11:00:00 +0000\r\nMessage-ID: <m3@corp.com>\r\n\r\nbody\r\n",
    );
    let (report, unmatched) = s
        .ingest_mail(
            &md,
            None,
            Default::default(),
            &IngestRequest::default(),
            &Silent,
        )
        .unwrap();
    assert_eq!(report.events, 2, "{}", report.summary());
    assert!(
        report.summary().contains("mailing_list"),
        "{}",
        report.summary()
    );
    assert!(unmatched.iter().any(|(a, _)| a == "someone@vendor.org"));
    // The same archive again is a notice, not a second copy.
    let again = s
        .ingest_mail(
            &md,
            None,
            Default::default(),
            &IngestRequest::default(),
            &Silent,
        )
        .unwrap_err();
    assert!(app::ingest::already_ingested(&again).is_some());
    s.analyze(
        &AnalyzeRequest {
            windows: vec!["all".into()],
            ..Default::default()
        },
        &Silent,
    )
    .unwrap();
    let rows = pair_counts(&mut s, dir.path());
    let n = |a: &str, b: &str| {
        rows.iter()
            .find(|r| r.0 == a && r.1 == b)
            .map(|r| r.2.clone())
    };
    assert_eq!(n("A", "B").as_deref(), Some("1"), "{rows:?}");
    assert_eq!(n("A", "C").as_deref(), Some("1"), "{rows:?}");
    assert_eq!(n("B", "A").as_deref(), Some("1"), "{rows:?}");
    assert!(
        !rows.iter().any(|r| r.0 == "C"),
        "the list post is left out: {rows:?}"
    );
    // Bo's answer pairs with Ann's message: one reply latency of 90 minutes.
    let out = dir.path().join("latencies.csv");
    s.export(&export("latencies", false), &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("5400"), "{text}");
    // Neither subject nor body reaches the workspace.
    for f in walk(&w) {
        let bytes = std::fs::read(&f).unwrap();
        for needle in ["Quarterly", "secret", "PLAINTEXT", "m1@corp.com"] {
            assert!(
                !bytes.windows(needle.len()).any(|x| x == needle.as_bytes()),
                "{needle} in {}",
                f.display()
            );
        }
    }
}

#[test]
fn review_fixes_hold_paths_targets_raised_floors_and_run_sources() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    app::ingest::generate(&synth::GenerateConfig::new(150, 20, 4), &input, &Silent).unwrap();
    let w = dir.path().join("ws");
    let mut owner = Session::init(&w, "owner", 5).unwrap();
    owner.ingest_generated(&input, &Silent).unwrap();
    owner
        .analyze(
            &AnalyzeRequest {
                windows: vec!["all".into()],
                ..Default::default()
            },
            &Silent,
        )
        .unwrap();
    // A member asks for paths only to people their own mirror names.
    let path = owner.store().table_path("mirrors").unwrap().unwrap();
    let cols = store::table::read_table(&path).unwrap();
    let col = |n: &str| cols.iter().find(|c| c.0 == n).unwrap().1.clone();
    let (store::table::ColumnData::I32(person), store::table::ColumnData::OptI32(other)) =
        (col("person"), col("other"))
    else {
        panic!("person I32, other OptI32");
    };
    let i = (0..person.len()).find(|&i| other[i].is_some()).unwrap();
    let (me, named) = (person[i] as usize, other[i].unwrap() as usize);
    let people = owner.store().people().unwrap();
    let pseudo = |i: usize| people.people[i].pseudo.clone();
    let stranger = (0..people.len())
        .find(|&p| {
            p != me
                && !(0..person.len())
                    .any(|k| person[k] as usize == me && other[k] == Some(p as i32))
        })
        .unwrap();
    owner.grant("mem", Role::Member(pseudo(me))).unwrap();
    let mut member = Session::open(&w, "mem").unwrap();
    member.paths_to(&pseudo(me), &pseudo(named), "all").unwrap();
    refused(
        member
            .paths_to(&pseudo(me), &pseudo(stranger), "all")
            .unwrap_err(),
    );
    assert!(
        member
            .paths_to(&pseudo(me), &pseudo(named), "2031-01")
            .is_err(),
        "no such window"
    );
    // Members see neither the workspace's status nor its runs' sources.
    refused(member.status().unwrap_err());
    refused(member.runs().unwrap_err());
    let log = log(&w);
    assert!(
        log.iter()
            .any(|e| e.1 == "mem" && e.2 == "paths target" && e.3 == pseudo(named))
    );
    assert!(
        log.iter()
            .any(|e| e.1 == "mem" && e.2 == "refused: paths target")
    );
    // Raising the floor hides group findings already stored.
    let mut analyst = Session::open(&w, "analyst").unwrap();
    let groups = |s: &mut Session| {
        s.findings("all", 1000)
            .unwrap()
            .shown
            .iter()
            .filter(|f| {
                matches!(
                    f.kind.as_str(),
                    "silo" | "coalition" | "withholding" | "one_person_bridge" | "leadership_style"
                )
            })
            .count()
    };
    assert!(
        groups(&mut analyst) > 0,
        "the generated org has group findings"
    );
    owner.raise_min_group(10_000).unwrap();
    let mut analyst = Session::open(&w, "analyst").unwrap();
    assert_eq!(groups(&mut analyst), 0);
    // A refused lowering is logged.
    let mut low = export("groups", true);
    low.min_group = Some(2);
    refused(analyst.export(&low, &dir.path().join("g.csv")).unwrap_err());
    assert!(
        log_of(&w)
            .iter()
            .any(|e| e.1 == "analyst" && e.2 == "refused: lower the minimum group size")
    );
    // Latencies name people like every other table.
    let out = dir.path().join("lat.csv");
    owner.export(&export("latencies", false), &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let row = text.lines().nth(1).unwrap();
    assert!(row.contains('E'), "ids, not indices: {row}");
}

fn log_of(w: &Path) -> Vec<(String, String, String, String)> {
    log(w)
}
