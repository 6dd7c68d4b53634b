//! A survey campaign from start to end in a real browser (issue 17): a generated, analyzed
//! workspace of 30 people with a department under the minimum group size; `orgmirror serve` on a
//! free port; tests/browser/campaign.mjs drives Debian's Chromium (playwright-core) as an
//! analyst who creates the campaign and downloads the links, as each invitee (fully, partly,
//! only saved, or not at all), as the admin who closes it, as each invitee again reading their
//! own mirror, as a leader reading the results and as a member refused them. This test then
//! reads the server's database and checks that the raw answers are gone, recounts from what the
//! browser sent who was named by how many, and compares every mirror and every figure on the
//! results page with the stored tables — with no cell for a group under the minimum.
//!
//! On SQLite, and on PostgreSQL when `ORGMIRROR_TEST_POSTGRES` names a server. Screenshots go to
//! target/server-screenshots/campaign/{sqlite,postgres}. `scripts/test.sh` installs Chromium and
//! playwright-core.

mod common;

use common::PASSWORD;
use common::real::{
    Server, browser_ready, csv_rows, min_group_size, node, orgmirror, run, screenshot_dir,
};
use server::db::{Db, ResultRow};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::Instant;

const PEOPLE: usize = 30;
const QUESTIONS: [&str; 3] = ["advice", "trust", "ally"];
const SEED: u32 = 17;

/// The day `offset` days from today (UTC), as the server counts days.
fn day(offset: i64) -> String {
    server::pages::day(server::auth::now().div_euclid(86_400) + offset)
}

// One test per database, so that the two run side by side (each has its own database, server,
// browser and screenshot folder).
#[test]
fn a_campaign_in_a_browser_from_creation_to_each_mirror_and_the_leaders_results_on_sqlite() {
    campaign_on(None, "sqlite");
}

#[test]
fn a_campaign_in_a_browser_from_creation_to_each_mirror_and_the_leaders_results_on_postgres() {
    if let Some(database) = common::postgres() {
        campaign_on(Some(&database), "postgres");
    }
}

fn campaign_on(database: Option<&str>, label: &str) {
    browser_ready();
    let shots = screenshot_dir(&format!("campaign/{label}"));
    let started = Instant::now();
    campaign(&orgmirror(), database, &shots, label);
    eprintln!("== {label}: {:.1} s", started.elapsed().as_secs_f64());
}

/// One person of the generated organization.
struct Person {
    id: String,
    name: String,
    department: String,
    manager: String,
}

/// What the browser did as one invitee: the form left `action` (submit, save, none), and whom
/// it named under each question, by the names the form offered.
#[derive(serde::Deserialize, Debug)]
struct Plan {
    person: String,
    kind: String,
    action: String,
    named: BTreeMap<String, Vec<String>>,
}

#[derive(serde::Deserialize, Debug)]
struct Results {
    cells: Vec<(String, String)>,
    notes: Vec<String>,
    hidden: Option<String>,
    answered: Option<String>,
    invited: Option<String>,
    #[serde(rename = "rowGroups")]
    row_groups: Vec<String>,
}

#[derive(serde::Deserialize, Debug)]
struct Seen {
    problems: Vec<String>,
    notes: Vec<String>,
    screenshots: Vec<String>,
    campaign: Option<i64>,
    #[serde(default)]
    invitations: Vec<HashMap<String, String>>,
    #[serde(default)]
    names: HashMap<String, String>,
    plans: Vec<Plan>,
    before: Option<HashMap<String, String>>,
    job: Option<serde_json::Value>,
    mirrors: HashMap<String, BTreeMap<String, String>>,
    results: Option<Results>,
    #[serde(rename = "memberStatus")]
    member_status: Option<u16>,
    #[serde(rename = "memberApiStatus")]
    member_api_status: Option<u16>,
}

/// A mean's stored counts: (n, sum, sum of squares).
fn mean_counts(values: &[i64]) -> (i64, i64, i64) {
    (
        values.len() as i64,
        values.iter().sum(),
        values.iter().map(|v| v * v).sum(),
    )
}

fn campaign(bin: &Path, database: Option<&str>, shots: &Path, label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    run(
        bin,
        database,
        &[
            "demo",
            "--dir",
            demo.to_str().unwrap(),
            "--people",
            &PEOPLE.to_string(),
            "--days",
            "20",
            "-q",
        ],
        None,
    );
    let ws = demo.join("workspace");
    let w = ws.to_str().unwrap();
    let people: Vec<Person> = csv_rows(&demo.join("input/people.csv"))
        .into_iter()
        .map(|r| Person {
            id: r["id"].clone(),
            name: r["name"].clone(),
            department: r["department"].clone(),
            manager: r["manager"].clone(),
        })
        .collect();
    assert_eq!(people.len(), PEOPLE);
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &people {
        *sizes.entry(p.department.as_str()).or_default() += 1;
    }

    // A department under the minimum group size: the generator's smallest is raised past when
    // none is (the minimum is only ever raised), as long as a larger one stays at or above it.
    let mut min_group = min_group_size(bin, database, w);
    let smallest = *sizes.values().min().unwrap();
    if smallest >= min_group {
        min_group = smallest + 1;
        run(
            bin,
            database,
            &[
                "--workspace",
                w,
                "settings",
                "--min-group",
                &min_group.to_string(),
            ],
            None,
        );
    }
    let small: Vec<&str> = sizes
        .iter()
        .filter(|d| *d.1 < min_group)
        .map(|d| *d.0)
        .collect();
    eprintln!(
        "[{label}] departments {sizes:?}; minimum group size {min_group}; under it: {small:?}"
    );
    assert!(
        sizes.values().any(|&n| n >= min_group),
        "no department large enough to be shown: {sizes:?}"
    );

    // Accounts: an admin, an analyst, a leader (the head of the organization) and a member.
    let managers: BTreeSet<&str> = people.iter().map(|p| p.manager.as_str()).collect();
    let leader = people
        .iter()
        .find(|p| p.manager.is_empty())
        .expect("a head");
    let member = people
        .iter()
        .rev()
        .find(|p| !managers.contains(p.id.as_str()))
        .expect("a member");
    let mut accounts = serde_json::Map::new();
    for (key, role, person) in [
        ("admin", "admin", None),
        ("analyst", "analyst", None),
        ("leader", "leader", Some(&leader.id)),
        ("member", "member", Some(&member.id)),
    ] {
        let email = format!("{key}@example.test");
        let mut args = vec!["--workspace", w, "user", "add", &email, "--role", role];
        if let Some(p) = person {
            args.extend(["--person", p.as_str()]);
        }
        run(bin, database, &args, None);
        run(
            bin,
            database,
            &["--workspace", w, "user", "set-password", &email],
            Some(&format!("{PASSWORD}\n")),
        );
        accounts.insert(key.into(), serde_json::json!({ "email": email }));
    }

    let server = Server::start(bin, database, &ws);
    let weighted: Vec<&str> = server::survey::QUESTIONS
        .iter()
        .filter(|q| q.2)
        .map(|q| q.0)
        .collect();
    let config = serde_json::json!({
        "base": server.base,
        "shots": shots,
        "password": PASSWORD,
        "accounts": accounts,
        "seed": SEED,
        "name": "Whom we turn to",
        "questions": QUESTIONS,
        "weighted": weighted,
        "opens": day(0),
        "closes": day(7),
        "min": 5,
        "people": PEOPLE,
    });
    let (stdout, server_log) = node(
        "campaign.mjs",
        &config,
        dir.path(),
        server,
        &format!("[{label}] "),
    );
    let seen: Seen = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("[{label}] campaign.mjs printed no JSON ({e}): {stdout}"));
    for n in &seen.notes {
        eprintln!("[{label}] note: {n}");
    }
    for s in &seen.screenshots {
        eprintln!("[{label}] screenshot: {s}");
    }
    assert!(
        !server_log.contains("panicked"),
        "[{label}] the server panicked:\n{server_log}"
    );
    assert!(
        seen.problems.is_empty(),
        "[{label}] {} problems seen in the browser:\n- {}\n(screenshots in {})",
        seen.problems.len(),
        seen.problems.join("\n- "),
        shots.display()
    );
    for name in [
        "campaign-form",
        "campaign-form-375",
        "campaign-results",
        "campaign-mirror",
    ] {
        // As the script saw them written.
        let path = shots.join(format!("{name}.png"));
        assert!(
            seen.screenshots.iter().any(|s| Path::new(s) == path),
            "[{label}] no screenshot {name}.png"
        );
    }
    let id = seen.campaign.expect("a campaign was made");

    // Who is who: the admin's list names each invitee; the people file gives the department.
    let by_name: HashMap<&str, &Person> = people.iter().map(|p| (p.name.as_str(), p)).collect();
    assert_eq!(by_name.len(), PEOPLE, "two people share a name");
    assert_eq!(seen.invitations.len(), PEOPLE, "everyone is invited");
    assert!(
        seen.invitations.iter().all(|r| r["name"].is_empty()),
        "[{label}] the analyst's list names people"
    );
    let pseudonym_of: HashMap<&str, &str> = seen
        .names
        .iter()
        .map(|(p, n)| (n.as_str(), p.as_str()))
        .collect();
    let department: HashMap<&str, &str> = seen
        .names
        .iter()
        .map(|(p, n)| {
            let person = by_name
                .get(n.as_str())
                .unwrap_or_else(|| panic!("[{label}] {n} is nobody of the people file"));
            (p.as_str(), person.department.as_str())
        })
        .collect();
    let invitees: Vec<&str> = seen
        .invitations
        .iter()
        .map(|r| r["person"].as_str())
        .collect();
    assert_eq!(seen.plans.len(), PEOPLE);

    // What was sent, by pseudonym: only those who pressed "Send" count.
    let sent: BTreeSet<&str> = seen
        .plans
        .iter()
        .filter(|p| p.action == "submit")
        .map(|p| p.person.as_str())
        .collect();
    let mut named: HashMap<(&str, &str), BTreeSet<&str>> = HashMap::new();
    for p in seen.plans.iter().filter(|p| p.action == "submit") {
        for (q, names) in &p.named {
            let set = named.entry((p.person.as_str(), q.as_str())).or_default();
            for n in names {
                set.insert(pseudonym_of[n.as_str()]);
            }
        }
    }
    let mut kinds: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for p in &seen.plans {
        *kinds
            .entry((p.kind.as_str(), p.action.as_str()))
            .or_default() += 1;
    }
    eprintln!(
        "[{label}] invitees by what they did (plan, how the form was left): {kinds:?}; {} sent",
        sent.len()
    );
    let saved_only = seen.plans.iter().filter(|p| p.action == "save").count();
    let silent = seen.plans.iter().filter(|p| p.action == "none").count();
    assert!(
        sent.len() >= 20 && saved_only >= 1 && silent >= 3,
        "[{label}] {kinds:?}"
    );
    let before = seen.before.as_ref().expect("the counts before the close");
    assert_eq!(
        before["submitted"],
        sent.len().to_string(),
        "[{label}] the campaign page before the close"
    );
    assert_eq!(before["invited"], PEOPLE.to_string());

    // The stored tables.
    let db = Db::open(database, &ws).expect("the server's database");
    let camp = db.campaign(id).unwrap().expect("the campaign");
    assert_eq!(camp.state, "closed", "[{label}] {camp:?}");
    assert_eq!(camp.min_respondents, min_group.max(5) as i64);
    assert!(camp.match_interactions);
    assert_eq!(camp.scope, "all");
    assert_eq!(camp.questions, QUESTIONS.join(","));
    assert_eq!(
        db.response_count(id).unwrap(),
        0,
        "[{label}] raw answers are left after the close"
    );
    let stored_invitees = db.invitees(id).unwrap();
    assert_eq!(stored_invitees.len(), PEOPLE);
    for (p, answered) in &stored_invitees {
        assert_eq!(
            *answered,
            sent.contains(p.as_str()),
            "[{label}] {p} answered?"
        );
    }
    let job = seen.job.as_ref().expect("the close's job");
    assert_eq!(job["state"], "done", "[{label}] {job}");

    // Each person: named by how many of those who sent answers, against a recount, the stored
    // table and their own mirror.
    let named_by = |p: &str, q: &str| -> i64 {
        sent.iter()
            .filter(|r| **r != p && named.get(&(**r, q)).is_some_and(|s| s.contains(p)))
            .count() as i64
    };
    let mut named_counts = Vec::new();
    for p in &invitees {
        let stored = db.person_results(id, p).unwrap();
        let of = sent.len() as i64 - i64::from(sent.contains(p));
        let mut expected: Vec<(String, i64, i64)> = QUESTIONS
            .iter()
            .map(|q| (q.to_string(), named_by(p, q), of))
            .collect();
        expected.sort();
        let got: Vec<(String, i64, i64)> = stored
            .iter()
            .map(|r| (r.question.clone(), r.named_by, r.of))
            .collect();
        assert_eq!(got, expected, "[{label}] {p}: stored against the recount");
        let mirror: BTreeMap<String, String> = expected
            .iter()
            .map(|(q, k, n)| (q.clone(), format!("{k}/{n}")))
            .collect();
        assert_eq!(
            seen.mirrors.get(*p),
            Some(&mirror),
            "[{label}] {p}'s mirror (sent: {})",
            sent.contains(p)
        );
        named_counts.extend(expected.iter().map(|x| x.1));
    }
    assert!(
        named_counts.iter().any(|&k| k >= 2),
        "[{label}] nobody was named twice: the recount checks little"
    );

    // The aggregate: a recount of response, names given and times named per group, then every
    // figure on the leader's page against the stored rows.
    let rows = db.campaign_results(id).unwrap();
    assert!(!rows.is_empty(), "[{label}] no results stored");
    let row = |g: &str, q: &str, m: &str| -> &ResultRow {
        rows.iter()
            .find(|r| r.group == g && r.question == q && r.measure == m)
            .unwrap_or_else(|| panic!("[{label}] no stored row {g}|{q}|{m}"))
    };
    let everyone = server::results::EVERYONE;
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in &invitees {
        groups.entry(everyone).or_default().push(p);
        groups.entry(department[p]).or_default().push(p);
    }
    for (g, members) in &groups {
        let answered = members.iter().filter(|p| sent.contains(**p)).count() as i64;
        let r = row(g, "*", "response");
        assert_eq!(
            (r.n, r.k),
            (members.len() as i64, answered),
            "[{label}] {g}: response"
        );
        for q in QUESTIONS {
            let given: Vec<i64> = members
                .iter()
                .filter(|p| sent.contains(**p))
                .map(|p| named.get(&(*p, q)).map_or(0, |s| s.len() as i64))
                .collect();
            let r = row(g, q, "given");
            assert_eq!(
                (r.n, r.k, r.k2),
                mean_counts(&given),
                "[{label}] {g}|{q}|given"
            );
            let received: Vec<i64> = members.iter().map(|p| named_by(p, q)).collect();
            let r = row(g, q, "received");
            assert_eq!(
                (r.n, r.k, r.k2),
                mean_counts(&received),
                "[{label}] {g}|{q}|received"
            );
        }
    }

    let results = seen.results.as_ref().expect("the leader's results page");
    let visible = server::results::visible_groups(&rows, min_group);
    let all_groups: BTreeSet<&str> = rows.iter().map(|r| r.group.as_str()).collect();
    let hidden: Vec<&str> = all_groups
        .iter()
        .copied()
        .filter(|g| !visible.iter().any(|v| v == g))
        .collect();
    eprintln!(
        "[{label}] results: {} of {} answered; groups shown {visible:?}, hidden {hidden:?}; {} stored rows, {} cells on the page",
        sent.len(),
        PEOPLE,
        rows.len(),
        results.cells.len()
    );
    assert_eq!(results.answered, Some(sent.len().to_string()));
    assert_eq!(results.invited, Some(PEOPLE.to_string()));
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for r in &rows {
        if !visible.contains(&r.group)
            || r.measure.starts_with("received_")
            || (r.measure == "inside" && r.group == everyone)
        {
            continue;
        }
        expected.insert(
            format!("{}|{}|{}", r.group, r.question, r.measure),
            format!("{:.4}", server::results::estimate(r).value),
        );
    }
    let mut page: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in &results.cells {
        // The response cell repeats in each question's table.
        if let Some(old) = page.insert(k.clone(), v.clone()) {
            assert_eq!(&old, v, "[{label}] {k} shows two values");
        }
    }
    assert_eq!(
        page, expected,
        "[{label}] the results page against the stored rows"
    );
    let shown: BTreeSet<&str> = page.keys().map(|k| k.split('|').next().unwrap()).collect();
    assert_eq!(
        shown,
        visible.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        "[{label}] groups on the page"
    );
    assert_eq!(
        results
            .row_groups
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        shown,
        "[{label}] the tables' rows"
    );
    assert!(
        visible.len() >= 2,
        "[{label}] no department is shown: {visible:?}"
    );
    for d in &small {
        assert!(all_groups.contains(d), "[{label}] nothing stored for {d}");
        assert!(
            !page.keys().any(|k| k.starts_with(&format!("{d}|"))),
            "[{label}] {d}, under the minimum, has figures on the page"
        );
        assert!(!results.row_groups.iter().any(|g| g == d));
    }
    assert_eq!(
        results.hidden,
        Some(hidden.len().to_string()),
        "[{label}] the hidden groups' note"
    );
    assert!(
        results.notes.iter().any(|n| n.contains(&format!(
            "{} of {PEOPLE} people asked did not answer",
            PEOPLE - sent.len()
        ))),
        "[{label}] no note on non-response: {:?}",
        results.notes
    );
    assert_eq!(
        seen.member_status,
        Some(403),
        "[{label}] a member's results page"
    );
    assert_eq!(
        seen.member_api_status,
        Some(403),
        "[{label}] a member's results API"
    );
}
