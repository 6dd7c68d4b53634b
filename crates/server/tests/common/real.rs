//! The real thing, for the browser tests (browser.rs, campaign_browser.rs): the command line's
//! binary built from the sources under test, `orgmirror serve` on a free port, a script of
//! tests/browser driving a browser against it, and a screenshot folder of each test's own.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Fails, saying what to install, when playwright-core or Chromium is missing.
pub fn browser_ready() {
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
pub fn orgmirror() -> PathBuf {
    if let Some(bin) = std::env::var_os("ORGMIRROR_BIN") {
        return bin.into();
    }
    // This test is TARGET/PROFILE/deps/NAME-HASH (or TARGET/TRIPLE/PROFILE/deps/...).
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

/// `orgmirror` with the server's database of this pass (None: the workspace's SQLite file; a
/// PostgreSQL URL is given as `ORGMIRROR_DATABASE`).
pub fn command(bin: &Path, database: Option<&str>) -> Command {
    let mut c = Command::new(bin);
    match database {
        Some(url) => c.env("ORGMIRROR_DATABASE", url),
        None => c.env_remove("ORGMIRROR_DATABASE"),
    };
    c
}

/// Runs `orgmirror args` with `stdin` and expects success; returns stdout.
pub fn run(bin: &Path, database: Option<&str>, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = command(bin, database)
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

/// The workspace's minimum group size, as `orgmirror settings` says it.
pub fn min_group_size(bin: &Path, database: Option<&str>, workspace: &str) -> usize {
    let settings = run(bin, database, &["--workspace", workspace, "settings"], None);
    settings
        .split("minimum group size:")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no minimum group size in {settings:?}"))
}

/// One CSV line's fields: plain, or double-quoted (with `""` for a quote inside).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut chars) = (false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// A CSV file's rows as maps (no field holds a line break).
pub fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = csv_fields(lines.next().unwrap());
    lines
        .filter(|l| !l.is_empty())
        .map(|l| header.iter().cloned().zip(csv_fields(l)).collect())
        .collect()
}

/// `orgmirror serve` on a free port, stopped when dropped; its stderr is kept.
pub struct Server {
    child: Child,
    pub base: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(bin: &Path, database: Option<&str>, workspace: &Path) -> Server {
        let mut last = String::new();
        // A port found free may be taken before the server binds it: try a few.
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let listen = format!("127.0.0.1:{port}");
            let mut child = command(bin, database)
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

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs tests/browser/`script` on `config` (written to `dir`) against `server` for at most ten
/// minutes, then stops the server; fails, with what the script said and the server's log, when
/// the script does (`prefix` starts that message). Returns the script's standard output (its
/// standard error is shown as it goes) and the server's log.
pub fn node(
    script: &str,
    config: &serde_json::Value,
    dir: &Path,
    server: Server,
    prefix: &str,
) -> (String, String) {
    let config_path = dir.join(Path::new(script).with_extension("json"));
    std::fs::write(&config_path, config.to_string()).unwrap();
    let mut node = Command::new("node");
    node.arg(repo_root().join("tests/browser").join(script))
        .arg(&config_path);
    let (ok, stdout, stderr) = output_within(node, Duration::from_secs(600));
    let server_log = server.log();
    drop(server);
    assert!(
        ok,
        "{prefix}{script} failed:\n{stderr}\nstdout: {stdout}\nserver: {server_log}"
    );
    (stdout, server_log)
}

/// Runs `cmd` to its end (at most `limit`): whether it succeeded, its standard output and error.
/// What it says on stderr is shown as it goes.
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

/// Where the test `name` puts its screenshots: target/server-screenshots/`name`, kept after the
/// run (CI keeps them as artifacts). Emptied first, so this run's pictures only; each test has a
/// folder of its own, so tests running at once never remove each other's.
pub fn screenshot_dir(name: &str) -> PathBuf {
    let d = repo_root().join("target/server-screenshots").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
