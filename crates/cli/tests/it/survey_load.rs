//! Issue 17, a survey campaign under load: 500 respondents of a 600-person organization open
//! their form and send their answers at once, from 50 client threads on loopback, through the
//! server the command line starts; on SQLite, and on PostgreSQL when `ORGMIRROR_TEST_POSTGRES`
//! names a server. Every answer must be taken (200, "Thank you") and counted. The latencies are
//! printed, never asserted: tests check correctness, not the clock.

use super::ok;
use super::serve::{demo, in_days, serve};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

const PEOPLE: usize = 600;
const RESPONDENTS: usize = 500;
const CLIENTS: usize = 50;

#[test]
fn five_hundred_respondents_answer_a_survey_at_once() {
    let (_dir, _, ws) = demo(PEOPLE);
    let mut databases = vec![None];
    match std::env::var("ORGMIRROR_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => databases.push(Some(fresh_postgres(&base))),
        _ => eprintln!("ORGMIRROR_TEST_POSTGRES is not set: PostgreSQL skipped (CI sets it)"),
    }
    // Each database's respondents name other colleagues: the same answers twice would be the
    // same survey file, which the workspace takes once.
    for (leg, database) in databases.iter().enumerate() {
        load(&ws, database.as_deref(), leg);
    }
}

/// One campaign over everyone on `database` (None: the workspace's SQLite file), answered by
/// `RESPONDENTS` of them at once, whose choices are drawn from `seed`.
fn load(ws: &str, database: Option<&str>, seed: usize) {
    let on = database.map_or("SQLite", |_| "PostgreSQL");
    let db_args: Vec<&str> = database.map_or(vec![], |d| vec!["--database", d]);
    let with_db = |args: &[&str]| -> String {
        let mut all = vec!["--workspace", ws];
        all.extend_from_slice(args);
        all.extend_from_slice(&db_args);
        ok(&all)
    };
    let closes = in_days(7);
    let out = with_db(&[
        "survey",
        "create",
        "--name",
        "Load",
        "--questions",
        "advice,trust",
        "--closes",
        &closes,
    ]);
    let id = out
        .strip_prefix("campaign ")
        .and_then(|r| r.split(':').next())
        .expect(&out)
        .to_string();
    assert!(
        out.contains(&format!(": {PEOPLE} invited")),
        "everyone is invited: {out}"
    );
    let csv = with_db(&["survey", "invite", &id, "--base-url", "http://x.test"]);
    // The columns by name (person, link, answered; perhaps a name among them).
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (person, link) = (column("person"), column("link"));
    let invitees: Vec<(String, String)> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            let token = r[link].rsplit('/').next().unwrap().to_string();
            (r[person].to_string(), token)
        })
        .collect();
    assert_eq!(invitees.len(), PEOPLE, "{csv}");
    let people: Vec<String> = invitees.iter().map(|i| i.0.clone()).collect();

    let server = serve(ws, &db_args);
    let addr = server
        .url
        .strip_prefix("http://")
        .expect(&server.url)
        .to_string();
    let next = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(CLIENTS));
    let results = Arc::new(Mutex::new(Vec::with_capacity(RESPONDENTS)));
    let invitees = Arc::new(invitees);
    let people = Arc::new(people);
    let began = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (next, start, results) = (next.clone(), start.clone(), results.clone());
            let (invitees, people, addr) = (invitees.clone(), people.clone(), addr.clone());
            std::thread::spawn(move || {
                start.wait();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= RESPONDENTS {
                        break;
                    }
                    let (me, token) = &invitees[i];
                    let named = colleagues(seed * RESPONDENTS + i, me, &people);
                    let outcome = respond(&addr, token, &named);
                    results.lock().unwrap().push((i, named.len(), outcome));
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let wall = began.elapsed();
    drop(server);

    let results = std::mem::take(&mut *results.lock().unwrap());
    assert_eq!(results.len(), RESPONDENTS);
    let errors: Vec<String> = results
        .iter()
        .filter_map(|(i, _, r)| r.as_ref().err().map(|e| format!("respondent {i}: {e}")))
        .collect();
    let (mut form, mut answer): (Vec<Duration>, Vec<Duration>) = results
        .iter()
        .filter_map(|r| r.2.as_ref().ok().copied())
        .unzip();
    let named: usize = results.iter().map(|r| r.1).sum();
    eprintln!(
        "survey load on {on}: {RESPONDENTS} respondents ({named} colleagues named) from {CLIENTS} threads in {:.2} s; {} errors",
        wall.as_secs_f64(),
        errors.len()
    );
    eprintln!("  GET  form:   {}", percentiles(&mut form));
    eprintln!("  POST answer: {}", percentiles(&mut answer));
    assert!(
        errors.is_empty(),
        "{} of {RESPONDENTS} respondents failed on {on}, the first: {:#?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );

    // Every respondent is counted once as answered, none as only saved.
    let status = with_db(&["survey", "status", &id]);
    let row = format!("{id}\tLoad\tall\topen\t{RESPONDENTS}\t{PEOPLE}\t0\t");
    assert!(status.contains(&row), "{on}: `{row}` in\n{status}");
    // And every colleague named is stored once at the close (none lost, none twice).
    let closed = with_db(&["survey", "close", &id, "-q"]);
    assert!(
        closed.contains(&format!("campaign {id} closed: {named} answers stored")),
        "{on}: {closed}"
    );
}

/// The colleagues `me` names, drawn from `draw`: 3 to 8 distinct others, each with a question and
/// a weight (advice 1–4; trust is not weighted).
fn colleagues(draw: usize, me: &str, people: &[String]) -> Vec<(String, &'static str, u8)> {
    let mut state = (draw as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut step = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let n = 3 + draw % 6;
    let mut named: Vec<(String, &'static str, u8)> = Vec::with_capacity(n);
    while named.len() < n {
        let p = &people[(step() % people.len() as u64) as usize];
        if p == me || named.iter().any(|x| &x.0 == p) {
            continue;
        }
        let k = named.len();
        let (q, w) = if k.is_multiple_of(2) {
            ("advice", 1 + (step() % 4) as u8)
        } else {
            ("trust", 1)
        };
        named.push((p.clone(), q, w));
    }
    named
}

/// One respondent: opens the form (which sets the form cookie and carries the same token),
/// sends the answers; the time of each request, or what went wrong.
fn respond(
    addr: &str,
    token: &str,
    named: &[(String, &str, u8)],
) -> Result<(Duration, Duration), String> {
    let path = format!("/s/{token}");
    let t = Instant::now();
    let page = http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )?;
    let form_time = t.elapsed();
    if page.status != 200 {
        return Err(format!("form: status {}: {}", page.status, page.main()));
    }
    let cookie = page
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .find_map(|(_, v)| v.strip_prefix("om_form="))
        .and_then(|v| v.split(';').next())
        .ok_or("form: no om_form cookie")?
        .to_string();
    let csrf = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .ok_or("form: no csrf field")?;
    if csrf != cookie {
        return Err(format!(
            "form: csrf field {csrf} is not the cookie {cookie}"
        ));
    }
    let mut body = format!("csrf={csrf}");
    for (p, q, w) in named {
        body.push_str(&format!("&a={p}&q={q}&w={w}"));
    }
    body.push_str("&action=submit");
    let t = Instant::now();
    let answer = http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: om_form={cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )?;
    let answer_time = t.elapsed();
    if answer.status != 200 || !answer.body.contains("Thank you") {
        return Err(format!(
            "answer: status {}: {}",
            answer.status,
            answer.main()
        ));
    }
    Ok((form_time, answer_time))
}

struct Reply {
    status: u16,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    /// What the page says (its `<main>`, or the start of the body), for a failure's message.
    fn main(&self) -> &str {
        let b = self.body.as_str();
        let b = b.find("<main").map_or(b, |i| &b[i..]);
        b.char_indices().nth(400).map_or(b, |(i, _)| &b[..i])
    }
}

/// One HTTP/1.1 request on its own connection (`Connection: close`): the reply read to the end.
fn http(addr: &str, request: &str) -> Result<Reply, String> {
    let fail = |e: std::io::Error| format!("{e}");
    let mut conn = TcpStream::connect(addr).map_err(fail)?;
    conn.set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(fail)?;
    conn.write_all(request.as_bytes()).map_err(fail)?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).map_err(fail)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no header end in {} bytes", raw.len()))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {head}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
    {
        body = unchunk(&body)?;
    }
    Ok(Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn unchunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk without its size line")?;
        let size = std::str::from_utf8(&b[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .ok_or("a bad chunk size")?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if b.len() < size + 2 {
            return Err("a short chunk".into());
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// p50, p95, p99 and max in milliseconds.
fn percentiles(times: &mut [Duration]) -> String {
    if times.is_empty() {
        return "no answers".into();
    }
    times.sort();
    let at = |p: f64| {
        let i = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1;
        times[i].as_secs_f64() * 1e3
    };
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms (n = {})",
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0),
        times.len()
    )
}

/// A new, empty database on the PostgreSQL server of `base` (made with `psql`, which comes with
/// PostgreSQL); its URL. As the server's tests' `fresh_postgres`.
fn fresh_postgres(base: &str) -> String {
    let name = format!("om_test_{}", &server::auth::token()[..16]);
    let made = Command::new("psql")
        .args([base, "-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .expect("psql (PostgreSQL's client) makes the test database");
    assert!(
        made.status.success(),
        "creating a test database on {base}: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap() + 2 => {
            format!("{}/{name}", &base[..i])
        }
        _ => format!("{base}/{name}"),
    }
}
