//! The server's database layer, `server::db::Db`, on both databases it runs on: every test runs
//! once on the embedded SQLite file (a temporary directory) and once on PostgreSQL, in a database
//! of its own made for it on the cluster `ORGMIRROR_TEST_POSTGRES` names
//! (`postgres://USER@HOST:PORT/DB`, e.g. from `scripts/pg.sh`) and dropped afterwards. Without
//! that variable the PostgreSQL variants say they were skipped and pass; CI always sets it.

use server::db::{Db, Value, normalize_email, redact};
use std::sync::Arc;

/// A database for one test, and what to remove after it.
struct Fixture {
    db: Db,
    /// How to open the same database again.
    url: String,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl Fixture {
    fn reopen(&self) -> Db {
        Db::open(Some(&self.url), std::path::Path::new("/nonexistent")).expect("reopen")
    }
}

fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("server.sqlite");
    let db = Db::sqlite(&path).expect("open sqlite");
    Fixture {
        db,
        url: format!("sqlite:{}", path.display()),
        _dir: Some(dir),
        _pg: None,
    }
}

/// A PostgreSQL database made for one test, dropped (with any connection left to it) at the end.
struct PgDatabase {
    admin: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        match postgres::Client::connect(&self.admin, postgres::NoTls) {
            Ok(mut c) => {
                if let Err(e) = c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                )) {
                    eprintln!("dropping the test database {}: {e}", self.name);
                }
            }
            Err(e) => eprintln!("dropping the test database {}: {e}", self.name),
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    format!("{scheme}://{authority}/{name}{query}")
}

/// A new, empty database on the cluster ORGMIRROR_TEST_POSTGRES names (None, after saying so,
/// when it names none), and its URL.
fn new_pg_database(test: &str) -> Option<(PgDatabase, String)> {
    let base = match std::env::var("ORGMIRROR_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => base,
        _ => {
            println!(
                "skipped {test} on PostgreSQL: ORGMIRROR_TEST_POSTGRES is not set (start a cluster with `eval \"$(bash scripts/pg.sh)\"`)"
            );
            return None;
        }
    };
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("random");
    let name = format!(
        "om_test_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let mut admin = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("connecting to ORGMIRROR_TEST_POSTGRES={base}: {e}"));
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create the test database");
    let url = with_database(&base, &name);
    Some((PgDatabase { admin: base, name }, url))
}

fn postgres(test: &str) -> Option<Fixture> {
    let (guard, url) = new_pg_database(test)?;
    let db = Db::postgres(&url).expect("open postgres");
    Some(Fixture {
        db,
        url,
        _dir: None,
        _pg: Some(guard),
    })
}

/// `sqlite` and `postgres` tests of one body.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&super::sqlite());
            }
            #[test]
            fn postgres() {
                if let Some(f) = super::postgres(stringify!($name)) {
                    super::$name(&f);
                }
            }
        }
    )*};
}

on_both!(
    accounts,
    add_account_race,
    account_changes,
    remove_account,
    invites,
    sessions,
    expire_sessions,
    failures,
    audit,
    jobs,
    settings,
    reopen,
    concurrent,
    async_callers,
);

fn accounts(f: &Fixture) {
    let db = &f.db;
    assert!(db.accounts().unwrap().is_empty());
    let a = db
        .add_account(" Alice@Example.COM ", "admin", None, 100)
        .unwrap();
    assert!(a.id > 0);
    assert_eq!(a.email, "alice@example.com");
    assert_eq!(a.role, "admin");
    assert_eq!(a.person, None);
    assert!(!a.identified && !a.disabled);
    assert_eq!(a.password, None);
    assert_eq!(a.created, 100);

    let b = db
        .add_account("bob@example.com", "member", Some("p-7f3a"), 200)
        .unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(b.person.as_deref(), Some("p-7f3a"));
    assert_eq!(b.created, 200);

    // The same address in another case is the same account.
    let e = db
        .add_account("ALICE@example.com", "member", None, 300)
        .unwrap_err();
    assert!(e.to_string().contains("exists already"), "{e}");
    assert!(db.add_account("not an address", "member", None, 1).is_err());
    assert!(db.add_account("@example.com", "member", None, 1).is_err());

    let found = db.account("  ALICE@EXAMPLE.com").unwrap().expect("found");
    assert_eq!(found.id, a.id);
    assert_eq!(found.role, "admin");
    assert!(db.account("carol@example.com").unwrap().is_none());
    assert_eq!(
        db.account_by_id(b.id).unwrap().expect("by id").email,
        "bob@example.com"
    );
    assert!(db.account_by_id(b.id + 1000).unwrap().is_none());

    let c = db
        .add_account("aaron@example.com", "analyst", None, 400)
        .unwrap();
    let all: Vec<_> = db.accounts().unwrap().into_iter().map(|a| a.id).collect();
    assert_eq!(all, [c.id, a.id, b.id], "ordered by e-mail");
    // In byte order on both databases, whatever PostgreSQL's locale.
    for e in [
        "a.b@example.com",
        "ab@example.com",
        "a-c@example.com",
        "a_d@example.com",
    ] {
        db.add_account(e, "member", None, 1).unwrap();
    }
    let emails: Vec<String> = db
        .accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.email)
        .collect();
    let mut sorted = emails.clone();
    sorted.sort();
    assert_eq!(emails, sorted);
    assert_eq!(emails[0], "a-c@example.com");
}

/// Many requests adding one address at once: one account, the others told it exists.
fn add_account_race(f: &Fixture) {
    let db = &f.db;
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..6)
            .map(|i| s.spawn(move || db.add_account("race@example.com", "member", None, i)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(r.to_string().contains("exists already"), "{r}");
    }
    assert_eq!(db.accounts().unwrap().len(), 1);
}

fn account_changes(f: &Fixture) {
    let db = &f.db;
    let a = db
        .add_account("alice@example.com", "analyst", None, 1)
        .unwrap();
    let b = db
        .add_account("bob@example.com", "member", None, 1)
        .unwrap();
    db.add_session("a1", a.id, "c", 10).unwrap();
    db.add_session("a2", a.id, "c", 10).unwrap();
    db.add_session("b1", b.id, "c", 10).unwrap();

    // A new password ends the account's sessions, and only its.
    db.set_password(a.id, "$argon2id$v=19$hash").unwrap();
    let a2 = db.account_by_id(a.id).unwrap().unwrap();
    assert_eq!(a2.password.as_deref(), Some("$argon2id$v=19$hash"));
    assert!(db.session("a1").unwrap().is_none());
    assert!(db.session("a2").unwrap().is_none());
    assert!(db.session("b1").unwrap().is_some());
    assert_eq!(db.account_by_id(b.id).unwrap().unwrap().password, None);

    // Disabling ends them too; enabling gives the account back.
    db.add_session("a3", a.id, "c", 10).unwrap();
    db.set_disabled(a.id, true).unwrap();
    assert!(db.account_by_id(a.id).unwrap().unwrap().disabled);
    assert!(db.session("a3").unwrap().is_none());
    assert!(db.session("b1").unwrap().is_some());
    assert!(!db.account_by_id(b.id).unwrap().unwrap().disabled);
    db.set_disabled(a.id, false).unwrap();
    assert!(!db.account_by_id(a.id).unwrap().unwrap().disabled);

    db.set_identified(a.id, true).unwrap();
    assert!(db.account("alice@example.com").unwrap().unwrap().identified);
    assert!(!db.account("bob@example.com").unwrap().unwrap().identified);
    db.set_identified(a.id, false).unwrap();
    assert!(!db.account("alice@example.com").unwrap().unwrap().identified);
    // The password survives the other changes.
    assert!(db.account_by_id(a.id).unwrap().unwrap().password.is_some());
}

fn remove_account(f: &Fixture) {
    let db = &f.db;
    let a = db
        .add_account("alice@example.com", "member", None, 1)
        .unwrap();
    let b = db
        .add_account("bob@example.com", "member", None, 1)
        .unwrap();
    db.add_session("a1", a.id, "c", 10).unwrap();
    db.add_session("b1", b.id, "c", 10).unwrap();
    db.add_invite("ia", a.id, 1000).unwrap();
    db.add_invite("ib", b.id, 1000).unwrap();

    assert!(db.remove_account(a.id).unwrap());
    assert!(db.account("alice@example.com").unwrap().is_none());
    assert!(db.account_by_id(a.id).unwrap().is_none());
    assert!(db.session("a1").unwrap().is_none());
    assert_eq!(db.invite("ia", 0).unwrap(), None);
    assert_eq!(db.session("b1").unwrap().unwrap().account, b.id);
    assert_eq!(db.invite("ib", 0).unwrap(), Some(b.id));
    assert!(!db.remove_account(a.id).unwrap(), "removed already");
    // The address can be used again.
    let again = db
        .add_account("alice@example.com", "member", None, 2)
        .unwrap();
    assert_ne!(again.id, b.id);
}

fn invites(f: &Fixture) {
    let db = &f.db;
    let a = db
        .add_account("alice@example.com", "member", None, 1)
        .unwrap();
    let b = db
        .add_account("bob@example.com", "member", None, 1)
        .unwrap();
    db.add_invite("h1", a.id, 200).unwrap();
    db.add_invite("hb", b.id, 200).unwrap();
    assert_eq!(db.invite("h1", 199).unwrap(), Some(a.id));
    assert_eq!(db.invite("h1", 200).unwrap(), None, "expired at its time");
    assert_eq!(db.invite("h1", 10_000).unwrap(), None);
    assert_eq!(db.invite("unknown", 0).unwrap(), None);
    // Looking does not use it up.
    assert_eq!(db.invite("h1", 0).unwrap(), Some(a.id));

    // A new invitation replaces the account's earlier one.
    db.add_invite("h2", a.id, 300).unwrap();
    assert_eq!(db.invite("h1", 0).unwrap(), None);
    assert_eq!(db.invite("h2", 250).unwrap(), Some(a.id));
    assert_eq!(db.invite("hb", 0).unwrap(), Some(b.id));

    db.use_invite("h2").unwrap();
    assert_eq!(db.invite("h2", 0).unwrap(), None);
    assert_eq!(db.invite("hb", 0).unwrap(), Some(b.id));
    db.use_invite("h2").unwrap(); // using a used one is no error
}

fn sessions(f: &Fixture) {
    let db = &f.db;
    let a = db
        .add_account("alice@example.com", "member", None, 1)
        .unwrap();
    assert!(db.session("s1").unwrap().is_none());
    db.add_session("s1", a.id, "csrf-1", 1_700_000_000).unwrap();
    db.add_session("s2", a.id, "csrf-2", 1_700_000_001).unwrap();
    let s = db.session("s1").unwrap().expect("session");
    assert_eq!(s.account, a.id);
    assert_eq!(s.csrf, "csrf-1");
    assert_eq!((s.created, s.seen), (1_700_000_000, 1_700_000_000));

    db.touch_session("s1", 1_700_000_500).unwrap();
    let s = db.session("s1").unwrap().unwrap();
    assert_eq!((s.created, s.seen), (1_700_000_000, 1_700_000_500));
    assert_eq!(db.session("s2").unwrap().unwrap().seen, 1_700_000_001);
    db.touch_session("gone", 5).unwrap();

    db.end_session("s1").unwrap();
    assert!(db.session("s1").unwrap().is_none());
    assert_eq!(db.session("s2").unwrap().unwrap().csrf, "csrf-2");
    db.end_session("s1").unwrap();
    // A token is one session; the error says why (not only "db error").
    let e = db.add_session("s2", a.id, "x", 1).unwrap_err().to_string();
    assert!(e.contains("UNIQUE") || e.contains("duplicate key"), "{e}");
}

fn expire_sessions(f: &Fixture) {
    let db = &f.db;
    let a = db
        .add_account("alice@example.com", "member", None, 1)
        .unwrap();
    db.add_session("idle", a.id, "c", 1000).unwrap(); // seen 1000
    db.add_session("old", a.id, "c", 500).unwrap();
    db.touch_session("old", 2000).unwrap(); // busy, but made long ago
    db.add_session("fresh", a.id, "c", 1900).unwrap();
    db.touch_session("fresh", 2000).unwrap();
    db.add_session("edge", a.id, "c", 800).unwrap();
    db.touch_session("edge", 1500).unwrap(); // exactly at both limits: kept

    assert_eq!(db.expire_sessions(1500, 800).unwrap(), 2);
    assert!(db.session("idle").unwrap().is_none());
    assert!(db.session("old").unwrap().is_none());
    assert!(db.session("fresh").unwrap().is_some());
    assert!(db.session("edge").unwrap().is_some());
    assert_eq!(db.expire_sessions(1500, 800).unwrap(), 0);
    assert_eq!(db.expire_sessions(i64::MIN, i64::MIN).unwrap(), 0);
    assert_eq!(db.expire_sessions(i64::MAX, i64::MIN).unwrap(), 2);
}

fn failures(f: &Fixture) {
    let db = &f.db;
    assert_eq!(db.failures("x@example.com", 0).unwrap(), (0, 0));
    db.add_failure("X@Example.com", 10).unwrap();
    db.add_failure("x@example.com", 30).unwrap();
    db.add_failure("x@example.com", 20).unwrap();
    db.add_failure("y@example.com", 40).unwrap();
    assert_eq!(db.failures("x@EXAMPLE.com", 0).unwrap(), (3, 30));
    assert_eq!(db.failures("x@example.com", 20).unwrap(), (2, 30));
    assert_eq!(db.failures("x@example.com", 31).unwrap(), (0, 0));
    assert_eq!(db.failures("y@example.com", 0).unwrap(), (1, 40));
    db.clear_failures("X@EXAMPLE.COM").unwrap();
    assert_eq!(db.failures("x@example.com", 0).unwrap(), (0, 0));
    assert_eq!(db.failures("y@example.com", 0).unwrap(), (1, 40));
}

fn line(at: i64, viewer: &str, action: &str, subject: &str) -> (i64, String, String, String) {
    (at, viewer.into(), action.into(), subject.into())
}

fn audit(f: &Fixture) {
    let db = &f.db;
    db.audit(&[]).unwrap();
    assert!(db.audit_lines(10, None, None).unwrap().is_empty());
    let first: Vec<_> = (0..7)
        .map(|i| {
            let who = if i % 2 == 0 {
                "alice@example.com"
            } else {
                "bob@example.com"
            };
            line(1000 + i, who, "read findings", &format!("window {i}"))
        })
        .collect();
    db.audit(&first).unwrap();
    db.audit(&[line(2000, "carol@example.com", "sign in", "")])
        .unwrap();
    // A NUL (refused in PostgreSQL text) does not fail the batch, on either database.
    db.audit(&[line(3000, "dave@example.com", "search", "a\0b")])
        .unwrap();
    let nul = db.audit_lines(1, None, None).unwrap();
    assert_eq!((nul[0].at, nul[0].subject.as_str()), (3000, "a\u{fffd}b"));
    let all_with_nul = db.audit_lines(100, None, None).unwrap();
    assert_eq!(all_with_nul.len(), 9);
    let all = db.audit_lines(100, Some(nul[0].id), None).unwrap();
    assert_eq!(all.len(), 8);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(
        (
            all[0].at,
            all[0].viewer.as_str(),
            all[0].action.as_str(),
            all[0].subject.as_str()
        ),
        (2000, "carol@example.com", "sign in", "")
    );
    let ats: Vec<i64> = all[1..].iter().map(|l| l.at).collect();
    assert_eq!(
        ats,
        [1006, 1005, 1004, 1003, 1002, 1001, 1000],
        "a batch keeps its order"
    );
    assert_eq!(all[7].subject, "window 0");

    // Pages of three, each before the last id seen.
    let mut paged = Vec::new();
    let mut before = Some(nul[0].id);
    loop {
        let page = db.audit_lines(3, before, None).unwrap();
        assert!(page.len() <= 3);
        if page.is_empty() {
            break;
        }
        before = Some(page.last().unwrap().id);
        paged.extend(page.into_iter().map(|l| l.id));
    }
    assert_eq!(paged, all.iter().map(|l| l.id).collect::<Vec<_>>());
    assert!(db.audit_lines(0, None, None).unwrap().is_empty());
    assert!(db.audit_lines(-1, None, None).unwrap().is_empty());
    assert_eq!(
        db.audit_lines(2, None, Some("")).unwrap().len(),
        2,
        "\"\" is everyone"
    );
    assert!(db.audit_lines(5, Some(all[7].id), None).unwrap().is_empty());

    // One viewer's lines, paged too.
    let alice = db
        .audit_lines(100, None, Some("alice@example.com"))
        .unwrap();
    assert_eq!(
        alice.iter().map(|l| l.at).collect::<Vec<_>>(),
        [1006, 1004, 1002, 1000]
    );
    assert!(alice.iter().all(|l| l.viewer == "alice@example.com"));
    let older = db
        .audit_lines(2, Some(alice[1].id), Some("alice@example.com"))
        .unwrap();
    assert_eq!(older.iter().map(|l| l.at).collect::<Vec<_>>(), [1002, 1000]);
    assert!(
        db.audit_lines(10, None, Some("nobody@example.com"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        db.audit_lines(10, None, Some("bob@example.com"))
            .unwrap()
            .len(),
        3
    );
}

fn jobs(f: &Fixture) {
    let db = &f.db;
    assert!(db.jobs(10).unwrap().is_empty());
    let j1 = db
        .add_job("ingest", "people hris.csv", "alice@example.com", 100)
        .unwrap();
    let j2 = db
        .add_job("analyze", "all, month", "bob@example.com", 110)
        .unwrap();
    let j3 = db
        .add_job("analyze", "quarter", "bob@example.com", 120)
        .unwrap();
    assert!(j1 < j2 && j2 < j3, "{j1} {j2} {j3}");

    let list = db.jobs(10).unwrap();
    assert_eq!(list.iter().map(|j| j.id).collect::<Vec<_>>(), [j3, j2, j1]);
    let last = &list[2];
    assert_eq!(
        (
            last.kind.as_str(),
            last.what.as_str(),
            last.state.as_str(),
            last.stage.as_str()
        ),
        ("ingest", "people hris.csv", "queued", "")
    );
    assert_eq!((last.done, last.total, last.message.as_str()), (0, 0, ""));
    assert_eq!(
        (last.by.as_str(), last.created, last.finished),
        ("alice@example.com", 100, None)
    );
    assert_eq!(
        db.jobs(1).unwrap().iter().map(|j| j.id).collect::<Vec<_>>(),
        [j3]
    );
    assert!(db.jobs(0).unwrap().is_empty() && db.jobs(-5).unwrap().is_empty());

    db.update_job(j1, "running", "reading rows", 3, 10, "", None)
        .unwrap();
    let j = db
        .jobs(10)
        .unwrap()
        .into_iter()
        .find(|j| j.id == j1)
        .unwrap();
    assert_eq!(
        (j.state.as_str(), j.stage.as_str(), j.done, j.total),
        ("running", "reading rows", 3, 10)
    );
    assert_eq!(j.finished, None);
    db.update_job(j2, "done", "", 10, 10, "4 windows", Some(5_000_000_000))
        .unwrap();
    let j = db
        .jobs(10)
        .unwrap()
        .into_iter()
        .find(|j| j.id == j2)
        .unwrap();
    assert_eq!(
        (j.state.as_str(), j.message.as_str()),
        ("done", "4 windows")
    );
    assert_eq!(j.finished, Some(5_000_000_000));
    assert_eq!(j.created, 110);

    // A restarted server fails what the stopped one left queued or running.
    db.abandon_jobs(900).unwrap();
    let after = db.jobs(10).unwrap();
    for j in &after {
        if j.id == j2 {
            assert_eq!(
                (j.state.as_str(), j.finished),
                ("done", Some(5_000_000_000))
            );
        } else {
            assert_eq!(j.state, "failed", "{j:?}");
            assert_eq!(j.message, "the server stopped during the job");
            assert_eq!(j.finished, Some(900));
        }
    }
    let j = after.iter().find(|j| j.id == j1).unwrap();
    assert_eq!((j.stage.as_str(), j.done, j.total), ("reading rows", 3, 10));
    let j4 = db
        .add_job("ingest", "survey", "alice@example.com", 1000)
        .unwrap();
    assert!(j4 > j3);
}

fn settings(f: &Fixture) {
    let db = &f.db;
    assert_eq!(db.setting("windows").unwrap(), None);
    db.set_setting("windows", "all, month").unwrap();
    assert_eq!(
        db.setting("windows").unwrap().as_deref(),
        Some("all, month")
    );
    db.set_setting("windows", "").unwrap();
    assert_eq!(db.setting("windows").unwrap().as_deref(), Some(""));
    db.set_setting("windows", "quarter").unwrap();
    db.set_setting("theme", "dark").unwrap();
    assert_eq!(db.setting("windows").unwrap().as_deref(), Some("quarter"));
    assert_eq!(db.setting("theme").unwrap().as_deref(), Some("dark"));
    assert_eq!(db.setting("Windows").unwrap(), None);
}

/// Opening the database again keeps what it holds (the schema is made only once).
fn reopen(f: &Fixture) {
    let a =
        f.db.add_account("alice@example.com", "admin", None, 1)
            .unwrap();
    f.db.set_setting("windows", "month").unwrap();
    let j = f.db.add_job("ingest", "x", "alice@example.com", 2).unwrap();
    let again = f.reopen();
    assert_eq!(
        again.account("alice@example.com").unwrap().unwrap().id,
        a.id
    );
    assert_eq!(again.setting("windows").unwrap().as_deref(), Some("month"));
    assert!(
        again
            .add_job("ingest", "y", "alice@example.com", 3)
            .unwrap()
            > j
    );
    assert_eq!(f.db.jobs(10).unwrap().len(), 2);
    assert!(!again.label.is_empty());
    drop(again);
}

/// Several threads at once (the pool opens more connections); nothing is lost.
fn concurrent(f: &Fixture) {
    let db = &f.db;
    let a = db
        .add_account("alice@example.com", "member", None, 1)
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..6i64 {
            s.spawn(move || {
                for i in 0..15i64 {
                    db.add_session(&format!("s{t}-{i}"), a.id, "c", t * 100 + i)
                        .unwrap();
                    db.audit(&[line(t * 100 + i, &format!("t{t}"), "read", "x")])
                        .unwrap();
                    db.add_failure("x@example.com", i).unwrap();
                    assert!(db.session(&format!("s{t}-{i}")).unwrap().is_some());
                }
                db.add_job("analyze", "w", "t", t).unwrap();
            });
        }
    });
    assert_eq!(db.audit_lines(1000, None, None).unwrap().len(), 90);
    assert_eq!(db.audit_lines(1000, None, Some("t3")).unwrap().len(), 15);
    assert_eq!(db.failures("x@example.com", 0).unwrap().0, 90);
    let ids: std::collections::BTreeSet<i64> = db.jobs(100).unwrap().iter().map(|j| j.id).collect();
    assert_eq!(ids.len(), 6);
    assert_eq!(db.expire_sessions(i64::MAX, 0).unwrap(), 90);
    let shared = Arc::new(f.reopen());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let db = shared.clone();
            std::thread::spawn(move || db.set_setting("k", &i.to_string()).unwrap())
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert!(shared.setting("k").unwrap().is_some_and(|v| v.len() == 1));
}

#[test]
fn open_picks_the_database_from_the_url() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir(ws.path().join(".orgmirror")).unwrap(); // as `orgmirror init` makes it
    let db = Db::open(None, ws.path()).unwrap();
    assert!(ws.path().join(".orgmirror/server.sqlite").is_file());
    db.set_setting("a", "b").unwrap();
    let path = ws.path().join(".orgmirror/server.sqlite");
    let same = Db::open(Some(&format!("sqlite:{}", path.display())), ws.path()).unwrap();
    assert_eq!(same.setting("a").unwrap().as_deref(), Some("b"));
    let e = Db::open(Some("mysql://root:secret@db/x"), ws.path())
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("postgres://") && !e.contains("secret"), "{e}");
    // A PostgreSQL URL that cannot connect says where, without the password.
    let e = Db::open(Some("postgres://u:secret@127.0.0.1:1/x"), ws.path())
        .err()
        .expect("no server on port 1");
    let e = format!("{e:#}");
    assert!(e.contains("127.0.0.1:1") && !e.contains("secret"), "{e}");
}

#[test]
fn helpers() {
    assert_eq!(
        redact("postgres://u:pw@h:5432/db"),
        "postgres://u:***@h:5432/db"
    );
    assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    assert_eq!(normalize_email(" A@B.c ").unwrap(), "a@b.c");
    assert!(normalize_email("a b@c").is_err());
    assert_eq!(Value::from(true), Value::Int(1));
    assert_eq!(Value::from(None::<String>).opt_text(), None);
    assert_eq!(
        with_database("postgres://u@h:1/postgres?sslmode=disable", "x"),
        "postgres://u@h:1/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
}

/// Called from async code (a handler that forgot `spawn_blocking`, a `#[tokio::test]`), the
/// database blocks but works, on both databases: the `postgres` crate's own runtime must not
/// panic when it connects, queries or closes there.
fn async_callers(f: &Fixture) {
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for (n, rt) in [current, multi].into_iter().enumerate() {
        rt.block_on(async {
            let db = Arc::new(f.reopen());
            let a = db
                .add_account(&format!("async{n}@example.com"), "member", None, 1)
                .unwrap();
            db.add_session(&format!("as{n}"), a.id, "c", 5).unwrap();
            db.set_password(a.id, "h").unwrap();
            let spawned = db.clone();
            let jobs = tokio::spawn(async move {
                spawned.add_job("ingest", "x", "y", 1).unwrap();
                spawned.audit(&[line(1, "v", "a", "s")]).unwrap();
                spawned.jobs(10).unwrap().len()
            })
            .await
            .unwrap();
            assert_eq!(jobs, n + 1);
            let blocking = db.clone();
            tokio::task::spawn_blocking(move || blocking.set_setting("k", "v").unwrap())
                .await
                .unwrap();
            assert_eq!(db.setting("k").unwrap().as_deref(), Some("v"));
            drop(db); // its connections close here, on the runtime
        });
        drop(rt);
    }
}

/// Servers starting at once on a new database: each makes the schema or finds it made.
fn open_at_once(url: &str) {
    let dbs: Vec<Db> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..6)
            .map(|_| s.spawn(|| Db::open(Some(url), std::path::Path::new("/nonexistent")).unwrap()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, db) in dbs.iter().enumerate() {
        db.add_account(&format!("p{i}@example.com"), "member", None, 1)
            .unwrap();
    }
    assert_eq!(dbs[0].accounts().unwrap().len(), 6);
}

#[test]
fn first_open_at_once_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    open_at_once(&format!("sqlite:{}", dir.path().join("s.sqlite").display()));
}

#[test]
fn first_open_at_once_postgres() {
    if let Some((_guard, url)) = new_pg_database("first_open_at_once") {
        open_at_once(&url);
    }
}
