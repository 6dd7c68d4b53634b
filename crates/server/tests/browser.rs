//! `orgmirror serve` used as its people use it: a generated workspace, accounts for an admin, an
//! analyst, a member and two leaders (one team of at least the minimum group size, one smaller),
//! the server on a free port, and tests/browser/serve.mjs driving Debian's Chromium through
//! playwright-core: sign-in, each role's pages and refusals, an upload with its progress and job,
//! the access log, the keyboard, CSP violations, the Content-Security-Policy header, and no
//! person's id in any URL. Where they are installed, Firefox ESR (playwright-core over WebDriver
//! BiDi) and WebKitGTK's MiniBrowser (WebKitWebDriver, under Xvfb) sign in and open a mirror and
//! the org mirror too; without them that part is skipped and says why.
//!
//! Screenshots go to target/server-screenshots/browser/{sqlite,postgres} (CI keeps them). `scripts/test.sh` installs
//! Chromium and playwright-core; Firefox and WebKit are `apt-get install firefox-esr
//! webkit2gtk-driver xvfb`. `ORGMIRROR_BROWSERS=chromium` runs Chromium only.

mod common;

use common::PASSWORD;
use common::real::{
    Server, browser_ready, csv_rows, min_group_size, node, orgmirror, run, screenshot_dir,
};
use std::path::Path;

/// `E` and six digits: how the generated organization's people are identified.
fn person_id_in(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(6))
        .find(|&i| b[i] == b'E' && b[i + 1..i + 7].iter().all(u8::is_ascii_digit))
        .map(|i| &s[i..i + 7])
}

// One test per database, so that the two run side by side (each has its own database, server,
// browsers and screenshot folder).
#[test]
fn the_server_works_in_a_browser_for_every_role_on_sqlite() {
    browser_ready();
    in_browsers(&orgmirror(), None, "sqlite");
}

#[test]
fn the_server_works_in_a_browser_for_every_role_on_postgres() {
    let Some(database) = common::postgres() else {
        return;
    };
    browser_ready();
    in_browsers(&orgmirror(), Some(&database), "postgres");
}

fn in_browsers(bin: &Path, database: Option<&str>, label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let demo_s = demo.to_str().unwrap();
    run(
        bin,
        database,
        &[
            "demo", "--dir", demo_s, "--people", "300", "--days", "60", "-q",
        ],
        None,
    );
    let ws = demo.join("workspace");
    let w = ws.to_str().unwrap();

    // Who leads what: the leaders table with ids (this OS user made the workspace, so is its admin).
    let leaders_csv = dir.path().join("leaders.csv");
    run(
        bin,
        database,
        &[
            "--workspace",
            w,
            "export",
            "leaders",
            "--format",
            "csv",
            "--window",
            "all",
            "--out",
            leaders_csv.to_str().unwrap(),
            "-q",
        ],
        None,
    );
    let min_group = min_group_size(bin, database, w);
    let leaders: Vec<(String, usize)> = csv_rows(&leaders_csv)
        .into_iter()
        .filter(|r| r["window"] == "all")
        .map(|r| (r["leader"].clone(), r["team_size"].parse().unwrap()))
        .collect();
    let big = leaders
        .iter()
        .filter(|l| l.1 >= min_group)
        .max_by_key(|l| (l.1, std::cmp::Reverse(l.0.clone())))
        .expect("a team of at least the minimum group size")
        .0
        .clone();
    let small = leaders
        .iter()
        .find(|l| l.1 < min_group)
        .expect("a team under the minimum group size")
        .0
        .clone();
    let people = csv_rows(&demo.join("input/people.csv"));
    let ids: Vec<String> = people.iter().map(|r| r["id"].clone()).collect();
    let managers: std::collections::HashSet<&str> =
        people.iter().map(|r| r["manager"].as_str()).collect();
    // A member who leads nobody, from the middle of the organization.
    let member = ids
        .iter()
        .skip(ids.len() / 3)
        .find(|id| !managers.contains(id.as_str()))
        .unwrap()
        .clone();
    eprintln!("min group {min_group}; big team {big}; small team {small}; member {member}");

    // Accounts, with passwords set from the command line (invitations are the server's own tests').
    let mut accounts = serde_json::Map::new();
    for (key, role, person) in [
        ("admin", "admin", None),
        ("analyst", "analyst", None),
        ("member", "member", Some(&member)),
        ("leader", "leader", Some(&big)),
        ("small", "leader", Some(&small)),
    ] {
        let email = format!("{key}@example.test");
        let mut args = vec!["--workspace", w, "user", "add", &email, "--role", role];
        if let Some(p) = person {
            args.extend(["--person", p.as_str()]);
        }
        let said = run(bin, database, &args, None);
        let mut account = serde_json::json!({ "email": email });
        if person.is_some() {
            let pseudonym = said
                .split("person ")
                .nth(1)
                .and_then(|s| s.split(')').next())
                .unwrap_or_else(|| panic!("no pseudonym in {said:?}"));
            assert!(
                pseudonym.starts_with('p') && pseudonym.len() == 17,
                "{pseudonym}"
            );
            account["person"] = pseudonym.into();
        }
        run(
            bin,
            database,
            &["--workspace", w, "user", "set-password", &email],
            Some(&format!("{PASSWORD}\n")),
        );
        accounts.insert(key.into(), account);
    }

    // An upload: survey answers between people of the organization (docs/INPUTS.md), large
    // enough that its progress shows when the browser's upload is slowed down.
    let upload = dir.path().join("survey-answers.csv");
    let mut csv = String::from("respondent,question,colleague,weight,time\n");
    let questions = ["advice", "information", "trust", "energy"];
    for (r, who) in ids.iter().enumerate() {
        for k in 1..=12 {
            let other = &ids[(r + 17 * k) % ids.len()];
            csv.push_str(&format!(
                "{who},{},{other},1,2024-02-15\n",
                questions[k % questions.len()]
            ));
        }
    }
    std::fs::write(&upload, csv).unwrap();

    let server = Server::start(bin, database, &ws);
    let shots = screenshot_dir(&format!("browser/{label}"));
    let browsers =
        std::env::var("ORGMIRROR_BROWSERS").unwrap_or_else(|_| "chromium,firefox,webkit".into());
    let config = serde_json::json!({
        "base": server.base,
        "shots": shots,
        "password": PASSWORD,
        "accounts": accounts,
        "upload": upload,
        "uploadKind": "survey",
        "browsers": browsers.split(',').map(str::trim).filter(|b| !b.is_empty()).collect::<Vec<_>>(),
    });
    let (stdout, server_log) = node("serve.mjs", &config, dir.path(), server, "");
    let seen: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("serve.mjs printed no JSON ({e}): {stdout}"));
    let list = |k: &str| -> Vec<String> {
        seen[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    for n in list("notes") {
        eprintln!("note: {n}");
    }
    let skipped = list("skipped");
    for s in &skipped {
        eprintln!("SKIPPED: {s}");
    }
    // CI installs every browser: there, a skipped browser is a failure.
    if std::env::var_os("ORGMIRROR_REQUIRE_BROWSERS").is_some() {
        assert!(
            skipped.is_empty(),
            "browsers CI must run were skipped: {skipped:?}"
        );
    }
    for s in list("screenshots") {
        eprintln!("screenshot: {s}");
    }

    // Every URL any browser asked for names people by pseudonym only.
    let visited = list("visited");
    for url in &visited {
        assert!(person_id_in(url).is_none(), "a URL names a person: {url}");
    }
    let big_p = accounts["leader"]["person"].as_str().unwrap();
    for page in [
        "/login".to_string(),
        "/me".into(),
        format!("/teams/{big_p}?window=all"),
        "/org".into(),
        "/org/groups".into(),
        "/org/findings".into(),
        "/data".into(),
        "/data/upload".into(),
        "/audit".into(),
    ] {
        let url = format!("{}{page}", config["base"].as_str().unwrap());
        assert!(visited.contains(&url), "{url} was never opened");
    }
    for name in [
        "sign-in",
        "my-mirror",
        "team",
        "org-mirror",
        "upload",
        "audit",
    ] {
        assert!(
            shots.join(format!("{name}.png")).exists(),
            "no screenshot {name}.png"
        );
    }
    assert!(
        !server_log.contains("panicked"),
        "the server panicked:\n{server_log}"
    );
    let problems = list("problems");
    assert!(
        problems.is_empty(),
        "{} problems seen in the browsers:\n- {}\n(screenshots in {})",
        problems.len(),
        problems.join("\n- "),
        shots.display()
    );
}
