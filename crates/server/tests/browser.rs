//! `orgmirror serve` used as its people use it: a generated workspace, accounts for an admin, an
//! analyst, a member and two leaders (one team of at least the minimum group size, one smaller),
//! the server on a free port, and tests/browser/serve.mjs driving Debian's Chromium through
//! playwright-core: sign-in, each role's pages and refusals, an upload with its progress and job,
//! the access log, the keyboard, CSP violations, the Content-Security-Policy header, and no
//! person's id in any URL. Where they are installed, Firefox ESR (playwright-core over WebDriver
//! BiDi) and WebKitGTK's MiniBrowser (WebKitWebDriver, under Xvfb) sign in and open a mirror and
//! the org mirror too; without them that part is skipped and says why.
//!
//! Screenshots go to target/server-screenshots (CI keeps them). `scripts/test.sh` installs
//! Chromium and playwright-core; Firefox and WebKit are `apt-get install firefox-esr
//! webkit2gtk-driver xvfb`. `ORGMIRROR_BROWSERS=chromium` runs Chromium only.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "a long enough test password";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn browser_ready() {
    let modules = repo_root().join("tests/browser/node_modules/playwright-core");
    assert!(
        modules.exists(),
        "playwright-core is not installed: run `bash scripts/test.sh` (npm ci in tests/browser)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's chromium (`apt-get install chromium`; scripts/test.sh does it)"
    );
}

/// The command line's binary, built now from the sources under test.
///
/// This crate has no binary, so `CARGO_BIN_EXE_orgmirror` does not exist here, and a
/// target/debug/orgmirror left by an earlier build may be older than the server code being
/// tested. So the test runs `cargo build -p cli` into its own target directory and profile:
/// after `cargo test --workspace` that is a no-op (the same features, already built), and cargo
/// does not hold its lock while tests run. `ORGMIRROR_BIN` names another binary instead.
fn orgmirror() -> PathBuf {
    if let Some(bin) = std::env::var_os("ORGMIRROR_BIN") {
        return bin.into();
    }
    // This test is TARGET/PROFILE/deps/browser-HASH (or TARGET/TRIPLE/PROFILE/deps/...).
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
        "debug" => "dev".to_string(),
        p => p.to_string(),
    };
    let mut target_dir = profile_dir.parent().unwrap().to_path_buf();
    let mut triple = None;
    if !target_dir.join("CACHEDIR.TAG").exists()
        && target_dir
            .parent()
            .is_some_and(|p| p.join("CACHEDIR.TAG").exists())
    {
        triple = Some(target_dir.file_name().unwrap().to_owned());
        target_dir = target_dir.parent().unwrap().to_path_buf();
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").into());
    let mut build = Command::new(cargo);
    build
        .current_dir(repo_root())
        .args(["build", "-q", "-p", "cli", "--bin", "orgmirror"])
        .args(["--profile", &profile])
        .arg("--target-dir")
        .arg(&target_dir);
    if let Some(t) = &triple {
        build.arg("--target").arg(t);
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "cargo build -p cli failed");
    let bin = profile_dir.join(format!("orgmirror{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} was not built", bin.display());
    bin
}

/// The server's database for this pass: None for the workspace's SQLite file, or a PostgreSQL
/// URL (given to every `orgmirror user` and `serve` as `ORGMIRROR_DATABASE`).
static DATABASE: Mutex<Option<String>> = Mutex::new(None);

fn with_database(c: &mut Command) -> &mut Command {
    match DATABASE.lock().unwrap().clone() {
        Some(url) => c.env("ORGMIRROR_DATABASE", url),
        None => c.env_remove("ORGMIRROR_DATABASE"),
    }
}

fn run(bin: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = with_database(&mut Command::new(bin))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "orgmirror {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A CSV file's rows as maps (the exports used here have no quoted commas).
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

/// `orgmirror serve` on a free port, stopped when dropped; its stderr is kept.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(bin: &Path, workspace: &Path) -> Server {
        let mut last = String::new();
        // A port found free may be taken before the server binds it: try a few.
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let listen = format!("127.0.0.1:{port}");
            let mut child = with_database(&mut Command::new(bin))
                .arg("--workspace")
                .arg(workspace)
                .args(["serve", "--listen", &listen])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let log = Arc::new(Mutex::new(String::new()));
            let (ready, is_ready) = mpsc::channel();
            let stderr = child.stderr.take().unwrap();
            let kept = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if line.contains("orgmirror serving") {
                        let _ = ready.send(());
                    }
                    let mut l = kept.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            });
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if is_ready.recv_timeout(Duration::from_millis(200)).is_ok() {
                    return Server {
                        child,
                        base: format!("http://{listen}"),
                        log,
                    };
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
            }
            let _ = child.kill();
            let _ = child.wait();
            last = log.lock().unwrap().clone();
        }
        panic!("orgmirror serve did not start: {last}");
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where screenshots go: under target/, kept after the run (CI keeps them as artifacts); emptied
/// first, so this run's pictures only.
fn screenshot_dir() -> PathBuf {
    let d = repo_root().join("target/server-screenshots");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `E` and six digits: how the generated organization's people are identified.
fn person_id_in(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(6))
        .find(|&i| b[i] == b'E' && b[i + 1..i + 7].iter().all(u8::is_ascii_digit))
        .map(|i| &s[i..i + 7])
}

/// Runs `cmd` to its end (at most `limit`), its standard output and error as text.
fn output_within(mut cmd: Command, limit: Duration) -> (bool, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (install Node.js 20 or later)");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    // What the script says as it goes is shown as it goes.
    let e = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(&mut err).lines() {
            let Ok(line) = line else { break };
            eprintln!("{line}");
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (o, e) = (o.join().unwrap(), e.join().unwrap());
    match status {
        Some(s) => (s.success(), o, e),
        None => (false, o, format!("{e}\n(killed after {limit:?})")),
    }
}

#[test]
fn the_server_works_in_a_browser_for_every_role() {
    browser_ready();
    *DATABASE.lock().unwrap() = None;
    in_browsers();
    match std::env::var("ORGMIRROR_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => {
            eprintln!("== again with the server's records in PostgreSQL");
            *DATABASE.lock().unwrap() = Some(fresh_postgres(&base));
            in_browsers();
        }
        _ => eprintln!("ORGMIRROR_TEST_POSTGRES is not set: PostgreSQL skipped (CI sets it)"),
    }
}

/// A new, empty database on the PostgreSQL server of `base`; returns its URL.
fn fresh_postgres(base: &str) -> String {
    let name = format!("om_browser_{}", &server::auth::token()[..16]);
    let mut c = postgres::Client::connect(base, postgres::NoTls).expect("PostgreSQL answers");
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("creating a test database");
    let (head, _) = base.rsplit_once('/').expect("a database URL");
    format!("{head}/{name}")
}

fn in_browsers() {
    let bin = orgmirror();
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let demo_s = demo.to_str().unwrap();
    run(
        &bin,
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
        &bin,
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
    let settings = run(&bin, &["--workspace", w, "settings"], None);
    let min_group: usize = settings
        .split("minimum group size:")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no minimum group size in {settings:?}"));
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
        let said = run(&bin, &args, None);
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
            &bin,
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

    let server = Server::start(&bin, &ws);
    let shots = screenshot_dir();
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
    let config_path = dir.path().join("serve.json");
    std::fs::write(&config_path, config.to_string()).unwrap();

    let mut node = Command::new("node");
    node.arg(repo_root().join("tests/browser/serve.mjs"))
        .arg(&config_path);
    let (ok, stdout, stderr) = output_within(node, Duration::from_secs(600));
    let server_log = server.log();
    drop(server);
    assert!(
        ok,
        "serve.mjs failed:\n{stderr}\nstdout: {stdout}\nserver: {server_log}"
    );
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
